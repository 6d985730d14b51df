"""Credential selection and model resolution, observed at the upstream: round-robin vs fill-first,
priority groups, prefixes and ``force-model-prefix``, alias pools, ``excluded-models`` wildcards,
the thinking suffix, and ``payload`` rules (upstream-server.md §5.3–5.8)."""

from __future__ import annotations

import openai
import pytest
from google.genai import errors as genai_errors

from emulators import Fault
from proxy_harness import ProxyServer

from ._support import (
    CLAUDE_UP_KEY,
    GEMINI_UP_KEY,
    OPENAI_UP_KEY,
    VERTEX_UP_KEY,
    anthropic_client,
    base_config,
    bearer,
    compat_block,
    genai_client,
    openai_client,
    raw,
    upstream_json,
)

KEY_A = OPENAI_UP_KEY
KEY_B = OPENAI_UP_KEY + "-b"
MSG = [{"role": "user", "content": "route me"}]


def keys_used(emu) -> list[str]:
    return [(r.header("Authorization") or "").removeprefix("Bearer ") for r in emu.requests]


def chat(c, model="gpt-4o", **kw):
    return c.chat.completions.create(model=model, messages=MSG, **kw)


# ---------------------------------------------------------------- strategies and priority


@pytest.mark.parametrize("strategy", ["round-robin", "rr"])
def test_round_robin_alternates_credentials(openai_emu, closing, strategy):
    cfg = base_config(routing={"strategy": strategy},
                      **{"openai-compatibility": [compat_block(openai_emu, keys=(KEY_A, KEY_B))]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        for _ in range(4):
            chat(c)
    used = keys_used(openai_emu)
    assert sorted(used) == sorted([KEY_A, KEY_A, KEY_B, KEY_B])
    assert used[0] != used[1] and used[1] != used[2] and used[2] != used[3]


@pytest.mark.parametrize("strategy", ["fill-first", "ff"])
def test_fill_first_sticks_to_one_credential(openai_emu, closing, strategy):
    cfg = base_config(routing={"strategy": strategy},
                      **{"openai-compatibility": [compat_block(openai_emu, keys=(KEY_A, KEY_B))]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        for _ in range(4):
            chat(c)
        used = keys_used(openai_emu)
        assert len(set(used)) == 1
        # …until that credential cools down
        openai_emu.script(Fault.rate_limit(retry_after=30))
        chat(c)
        chat(c)
        other = KEY_B if used[0] == KEY_A else KEY_A
        assert keys_used(openai_emu)[-1] == other


def test_priority_group_wins_and_lower_priority_is_the_fallback(openai_emu, closing):
    cfg = base_config(**{"openai-compatibility": [
        compat_block(openai_emu, name="low", keys=(KEY_B,), priority=0),
        compat_block(openai_emu, name="high", keys=(KEY_A,), priority=5),
    ]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        for _ in range(3):
            chat(c)
        assert keys_used(openai_emu) == [KEY_A] * 3
        openai_emu.script(Fault.rate_limit(retry_after=30))
        chat(c)
        assert keys_used(openai_emu)[-2:] == [KEY_A, KEY_B]


# ---------------------------------------------------------------- prefixes


@pytest.fixture
def prefixed(openai_emu):
    def make(force: bool) -> ProxyServer:
        cfg = base_config(**{"force-model-prefix": force, "openai-compatibility": [
            compat_block(openai_emu, name="team", keys=(KEY_A,), prefix="teamA"),
            compat_block(openai_emu, name="plain", keys=(KEY_B,)),
        ]})
        return ProxyServer(cfg)
    return make


def test_prefix_routes_to_the_prefixed_credential_and_is_stripped(prefixed, openai_emu, closing):
    with prefixed(False) as px:
        c = closing(openai_client(px))
        r = chat(c, "teamA/gpt-4o")
        assert r.choices[0].message.content == "EMU_OK route me"
        assert r.model == "teamA/gpt-4o"
        rec = openai_emu.requests[-1]
        assert keys_used(openai_emu) == [KEY_A]
        assert upstream_json(rec)["model"] == "gpt-4o"
        ids = {m.id for m in c.models.list()}
        assert {"gpt-4o", "teamA/gpt-4o"} <= ids
        # without force-model-prefix the bare name can reach either credential
        for _ in range(4):
            chat(c, "gpt-4o")
        assert set(keys_used(openai_emu)[1:]) == {KEY_A, KEY_B}


def test_force_model_prefix_keeps_bare_names_off_prefixed_credentials(prefixed, openai_emu, closing):
    with prefixed(True) as px:
        c = closing(openai_client(px))
        for _ in range(4):
            chat(c, "gpt-4o")
        assert keys_used(openai_emu) == [KEY_B] * 4
        chat(c, "teamA/gpt-4o")
        assert keys_used(openai_emu)[-1] == KEY_A
        assert upstream_json(openai_emu.requests[-1])["model"] == "gpt-4o"


def test_force_model_prefix_with_only_prefixed_credentials_hides_bare_names(openai_emu, closing):
    cfg = base_config(**{"force-model-prefix": True, "openai-compatibility": [
        compat_block(openai_emu, name="team", prefix="teamA")]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        with pytest.raises(openai.NotFoundError):
            chat(c, "gpt-4o")
        assert "gpt-4o" not in {m.id for m in c.models.list()}
        assert chat(c, "teamA/gpt-4o").choices[0].message.content == "EMU_OK route me"


# ---------------------------------------------------------------- alias pools


def test_alias_pool_rotates_upstream_names(openai_emu, closing):
    cfg = base_config(**{"openai-compatibility": [
        compat_block(openai_emu, models=[("pool", "gpt-4o"), ("pool", "gpt-4o-mini")])]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        for _ in range(4):
            r = chat(c, "pool")
            assert r.model == "pool"
        names = [upstream_json(r)["model"] for r in openai_emu.requests]
        assert sorted(names) == ["gpt-4o", "gpt-4o", "gpt-4o-mini", "gpt-4o-mini"]
        assert [m.id for m in c.models.list()].count("pool") == 1


def test_alias_pool_continues_with_the_next_name_on_failure(openai_emu, closing):
    cfg = base_config(**{"openai-compatibility": [
        compat_block(openai_emu, models=[("pool", "gpt-4o"), ("pool", "gpt-4o-mini")])]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.server_error(500))
        r = chat(c, "pool")
        assert r.choices[0].message.content == "EMU_OK route me"
        names = [upstream_json(r)["model"] for r in openai_emu.requests]
        assert len(names) == 2 and names[0] != names[1]
        assert [r.status for r in openai_emu.requests] == [500, 200]


def test_alias_hides_the_upstream_name(openai_emu, closing):
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu, models={"friendly": "gpt-4o"})]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        ids = {m.id for m in c.models.list()}
        assert "friendly" in ids and "gpt-4o" not in ids
        with pytest.raises(openai.NotFoundError):
            chat(c, "gpt-4o")


# ---------------------------------------------------------------- excluded-models


def test_excluded_models_wildcards(gemini_emu, anthropic_emu):
    cfg = base_config(**{
        "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url,
                            "excluded-models": ["gemini-2.5-*", "*-LITE-*"]}],
        "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url,
                            "excluded-models": ["*opus*"]}],
    })
    with ProxyServer(cfg) as px, genai_client(px) as g:
        names = {m.name.removeprefix("models/") for m in g.models.list()}
        assert not any(n.startswith("gemini-2.5-") for n in names), names
        assert not any("-lite-" in n for n in names), names
        assert "gemini-3-pro-preview" in names
        assert not any("opus" in n for n in names)
        assert any("sonnet" in n for n in names)
        with pytest.raises(genai_errors.ClientError) as ei:
            g.models.generate_content(model="gemini-2.5-flash", contents="x")
        assert ei.value.code == 404
        assert g.models.generate_content(model="gemini-3-pro-preview", contents="x").text == "EMU_OK x"
        ac = anthropic_client(px)
        try:
            import anthropic

            with pytest.raises(anthropic.NotFoundError):
                ac.messages.create(model="claude-opus-4-6", max_tokens=8, messages=[{"role": "user", "content": "x"}])
        finally:
            ac.close()
        assert not anthropic_emu.requests and len(gemini_emu.requests) == 1


# ---------------------------------------------------------------- thinking suffix


def test_thinking_suffix_is_stripped_before_upstream(openai_emu, closing):
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        r = chat(c, "gpt-4o(high)")
        assert r.choices[0].message.content == "EMU_OK route me"
        body = upstream_json(openai_emu.requests[-1])
        assert body["model"] == "gpt-4o"
        assert body.get("reasoning_effort") == "high"


def test_thinking_budget_suffix_reaches_gemini(gemini_emu):
    cfg = base_config(**{"gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url}]})
    with ProxyServer(cfg) as px, genai_client(px) as g:
        assert g.models.generate_content(model="gemini-2.5-flash(8192)", contents="x").text.endswith("EMU_OK x")
        rec = gemini_emu.requests[-1]
        assert rec.path == "/v1beta/models/gemini-2.5-flash:generateContent"
        cfg_sent = upstream_json(rec).get("generationConfig", {})
        assert cfg_sent.get("thinkingConfig", {}).get("thinkingBudget") == 8192


def test_unknown_model_with_suffix_is_404_not_500(openai_emu, closing):
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        with pytest.raises(openai.NotFoundError):
            chat(c, "nope-model(high)")


# ---------------------------------------------------------------- payload rules


PAYLOAD = {
    "default": [{"models": [{"name": "gpt-4o*"}], "params": {"temperature": 0.25, "top_p": 0.5}}],
    "default-raw": [{"models": [{"name": "gpt-4o"}], "params": {"metadata": '{"source": "raw-default"}'}}],
    "override": [{"models": [{"name": "gpt-*", "protocol": "openai"}], "params": {"max_tokens": 77}}],
    "override-raw": [{"models": [{"name": "*"}], "params": {"logit_bias": '{"50256": -100}'}}],
    "filter": [{"models": [{"name": "gpt-4o"}], "params": ["user", "stream_options.include_obfuscation"]}],
}


@pytest.fixture
def payload_px(openai_emu, anthropic_emu):
    cfg = base_config(payload={**PAYLOAD, "override": [
        *PAYLOAD["override"],
        {"models": [{"name": "*", "protocol": "claude"}], "params": {"temperature": 0.11}},
    ]}, **{"openai-compatibility": [compat_block(openai_emu, models={"gpt-4o": "gpt-4o", "alias-x": "gpt-4o"})],
           "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}]})
    with ProxyServer(cfg) as px:
        yield px


def test_payload_rules_on_a_bare_request(payload_px, openai_emu, closing):
    c = closing(openai_client(payload_px))
    chat(c, user="someone")
    body = upstream_json(openai_emu.requests[-1])
    assert body["temperature"] == 0.25 and body["top_p"] == 0.5  # default: absent in the request
    assert body["metadata"] == {"source": "raw-default"}  # default-raw: a JSON string becomes JSON
    assert body["max_tokens"] == 77  # override
    assert body["logit_bias"] == {"50256": -100}  # override-raw
    assert "user" not in body  # filter
    assert "temperature" in body and body["temperature"] != 0.11  # a claude-only rule does not apply


def test_payload_default_never_replaces_what_the_client_sent(payload_px, openai_emu, closing):
    c = closing(openai_client(payload_px))
    chat(c, temperature=0.9, max_tokens=5)
    body = upstream_json(openai_emu.requests[-1])
    assert body["temperature"] == 0.9  # default kept the client's value
    assert body["top_p"] == 0.5
    assert body["max_tokens"] == 77  # override wins over the client


def test_payload_rules_match_the_requested_alias_too(payload_px, openai_emu, closing):
    c = closing(openai_client(payload_px))
    stream_chunks = list(chat(c, "alias-x", stream=True, stream_options={"include_usage": True,
                                                                         "include_obfuscation": False}))
    assert stream_chunks
    body = upstream_json(openai_emu.requests[-1])
    assert body["model"] == "gpt-4o"
    assert body["max_tokens"] == 77
    assert "include_obfuscation" not in body.get("stream_options", {})


def test_payload_protocol_restricts_rules(payload_px, anthropic_emu, closing):
    ac = closing(anthropic_client(payload_px))
    ac.messages.create(model="claude-sonnet-4-6", max_tokens=16, messages=[{"role": "user", "content": "x"}])
    body = upstream_json(anthropic_emu.requests[-1])
    assert body["temperature"] == 0.11  # the claude-protocol override applied
    assert "logit_bias" in body  # the all-model override-raw applied too
    assert body["max_tokens"] == 16  # the openai-only override did not


def test_payload_gemini_protocol_applies_to_vertex_keys(vertex_emu):
    """Vertex API keys speak the Gemini format, so ``protocol: gemini`` rules apply (as in CLIProxyAPI)."""
    cfg = base_config(
        payload={"override": [{"models": [{"name": "*", "protocol": "gemini"}],
                               "params": {"generationConfig.temperature": 0.33}}]},
        **{"vertex-api-key": [{"api-key": VERTEX_UP_KEY, "base-url": vertex_emu.url,
                               "models": [{"name": "gemini-2.5-flash", "alias": "vx"}]}]})
    with ProxyServer(cfg) as px, genai_client(px) as g:
        g.models.generate_content(model="vx", contents="x")
        body = upstream_json(vertex_emu.requests[-1])
        assert body.get("generationConfig", {}).get("temperature") == 0.33


def test_auto_model_picks_a_configured_model(openai_emu):
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        resp = raw(px, "POST", "/v1/chat/completions", headers=bearer(), body={"model": "auto", "messages": MSG})
        assert resp.status == 200, resp.text
        assert upstream_json(openai_emu.requests[-1])["model"] == "gpt-4o"
