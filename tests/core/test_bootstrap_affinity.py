"""End to end: ``streaming.bootstrap-retries`` re-runs a stream that broke before its first byte,
and ``routing.session-affinity`` keeps one conversation on one credential."""

from __future__ import annotations

import openai
import pytest

from emulators import Fault, OpenAIEmulator
from proxy_harness import ProxyServer


@pytest.fixture(scope="module")
def upstream():
    with OpenAIEmulator(api_key=["key-a", "key-b", "key-c"]) as emu:
        yield emu


def _cfg(emu, keys, **extra):
    return {"api-keys": ["k"], **extra,
            "openai-compatibility": [{"name": "oc", "base-url": emu.url + "/v1",
                                      "api-key-entries": [{"api-key": x} for x in keys],
                                      "models": [{"name": "gpt-4o", "alias": "gpt-4o"}]}]}


def _stream(px, **kw):
    with openai.OpenAI(base_url=px.url + "/v1", api_key="k", max_retries=0) as c:
        return "".join(ch.choices[0].delta.content or "" for ch in c.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "boot"}], stream=True, **kw) if ch.choices)


@pytest.mark.parametrize(("retries", "ok"), [(0, False), (1, True)])
def test_bootstrap_retries(upstream, retries, ok):
    upstream.reset()
    cfg = _cfg(upstream, ["key-a"], **{"disable-cooling": True, "streaming": {"bootstrap-retries": retries}})
    with ProxyServer(cfg) as px:
        upstream.script(Fault.reset(after_events=0), times=1)  # dies before the first event
        if ok:
            assert "EMU_OK boot" in _stream(px)
            assert len(upstream.requests) == 2
        else:
            with pytest.raises(openai.APIStatusError) as ei:
                _stream(px)
            assert ei.value.status_code == 502


def test_session_affinity_pins_a_conversation(upstream):
    upstream.reset()
    cfg = _cfg(upstream, ["key-a", "key-b", "key-c"], routing={"session-affinity": True})
    with ProxyServer(cfg) as px, openai.OpenAI(base_url=px.url + "/v1", api_key="k", max_retries=0) as c:
        for sid in ("s-1", "s-2"):
            for _ in range(4):
                c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                          extra_headers={"X-Session-ID": sid})
    keys = [r.header("Authorization") for r in upstream.requests]
    s1, s2 = keys[:4], keys[4:]
    assert len(set(s1)) == 1 and len(set(s2)) == 1  # each conversation stays on one key
    assert s1[0] != s2[0]  # and round-robin still spreads new conversations
