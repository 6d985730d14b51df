"""Client API keys: accepted from all five places, and a missing or wrong key is a 401 that each SDK
raises as its own typed error (the body in the client's dialect, never a parse error)."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest
from google.genai import errors as genai_errors

from proxy_harness import ProxyServer

from ._support import (
    CLAUDE_UP_KEY,
    CLIENT_KEY,
    GEMINI_UP_KEY,
    OTHER_CLIENT_KEY,
    anthropic_client,
    base_config,
    compat_block,
    genai_client,
    no_openai_key,
    openai_client,
    raw,
)

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "auth check"}]}
CLAUDE_MODEL = "claude-sonnet-4-6"
GEMINI_MODEL = "gemini-2.5-flash"


@pytest.fixture(scope="module")
def px(openai_emu, anthropic_emu, gemini_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{
        "openai-compatibility": [compat_block(openai_emu)],
        "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}],
        "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url}],
    })
    with ProxyServer(cfg) as px:
        yield px


# ---------------------------------------------------------------- the five places


def test_authorization_bearer_via_openai_sdk(px, closing):
    r = closing(openai_client(px)).chat.completions.create(**CHAT)
    assert r.choices[0].message.content == "EMU_OK auth check"


def test_second_configured_key_works(px, closing):
    r = closing(openai_client(px, key=OTHER_CLIENT_KEY)).chat.completions.create(**CHAT)
    assert r.choices[0].message.content == "EMU_OK auth check"


def test_x_api_key_via_anthropic_sdk(px, closing, anthropic_emu):
    c = closing(anthropic_client(px))
    msg = c.messages.create(model=CLAUDE_MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == "EMU_OK hi"
    # the client's key is not the upstream's: the upstream sees only the configured key
    rec = anthropic_emu.requests[-1]
    assert CLIENT_KEY not in str(rec.headers)


def test_x_goog_api_key_via_genai_sdk(px, gemini_emu):
    with genai_client(px) as c:
        assert c.models.generate_content(model=GEMINI_MODEL, contents="hi").text == "EMU_OK hi"
    rec = gemini_emu.requests[-1]
    assert rec.header("x-goog-api-key") == GEMINI_UP_KEY
    assert CLIENT_KEY not in str(rec.headers) and CLIENT_KEY not in str(rec.query)


@pytest.mark.parametrize("param", ["key", "auth_token"])
def test_query_parameter_keys(px, param):
    resp = raw(px, "POST", f"/v1/chat/completions?{param}={CLIENT_KEY}", body=CHAT)
    assert resp.status == 200, resp.text
    assert resp.json()["choices"][0]["message"]["content"] == "EMU_OK auth check"


def test_gemini_query_key(px, gemini_emu):
    resp = raw(px, "POST", f"/v1beta/models/{GEMINI_MODEL}:generateContent?key={CLIENT_KEY}",
               body={"contents": [{"role": "user", "parts": [{"text": "q"}]}]})
    assert resp.status == 200, resp.text
    # the client's ?key= must not leak to the upstream URL
    assert gemini_emu.requests[-1].query.get("key") != CLIENT_KEY


def test_bearer_scheme_is_case_insensitive(px):
    resp = raw(px, "POST", "/v1/chat/completions", body=CHAT, headers={"Authorization": f"bearer {CLIENT_KEY}"})
    assert resp.status == 200


def test_a_wrong_key_in_one_place_and_a_right_one_in_another(px):
    resp = raw(px, "POST", "/v1/chat/completions", body=CHAT,
               headers={"Authorization": "Bearer wrong", "x-api-key": CLIENT_KEY})
    assert resp.status == 200


# ---------------------------------------------------------------- missing / wrong keys, per SDK


@pytest.mark.parametrize("key", [None, "sk-wrong-key"], ids=["missing", "wrong"])
def test_openai_sdk_raises_authentication_error(px, closing, openai_emu, key):
    c = closing(openai_client(px, key=key))
    extra = no_openai_key() if key is None else None
    with pytest.raises(openai.AuthenticationError) as ei:
        c.chat.completions.create(**CHAT, extra_headers=extra)
    assert ei.value.status_code == 401
    assert isinstance(ei.value.body, dict) and ei.value.body.get("message")
    with pytest.raises(openai.AuthenticationError):
        c.models.list(extra_headers=extra)
    with pytest.raises(openai.AuthenticationError):
        c.responses.create(model="gpt-4o", input="x", extra_headers=extra)
    assert not openai_emu.requests, "an unauthenticated request must never reach the upstream"


@pytest.mark.parametrize("key", [None, "sk-wrong-key"], ids=["missing", "wrong"])
def test_anthropic_sdk_raises_authentication_error(px, closing, anthropic_emu, key):
    c = closing(anthropic_client(px, key=key))
    with pytest.raises(anthropic.AuthenticationError) as ei:
        c.messages.create(model=CLAUDE_MODEL, max_tokens=16, messages=[{"role": "user", "content": "x"}])
    assert ei.value.status_code == 401
    body = ei.value.body
    assert isinstance(body, dict) and body.get("type") == "error"
    assert body["error"]["type"] == "authentication_error"
    with pytest.raises(anthropic.AuthenticationError):
        c.messages.count_tokens(model=CLAUDE_MODEL, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.AuthenticationError):
        c.models.list()
    assert not anthropic_emu.requests


@pytest.mark.parametrize("key", ["", "sk-wrong-key"], ids=["missing", "wrong"])
@pytest.mark.parametrize("api_version", ["v1beta", None], ids=["v1beta", "default-v1"])
def test_genai_sdk_raises_client_error_401(px, gemini_emu, key, api_version):
    # an empty x-goog-api-key header is how a missing key looks from this SDK
    with genai_client(px, key="placeholder", api_version=api_version,
                      headers={"x-goog-api-key": key}) as c:
        with pytest.raises(genai_errors.ClientError) as ei:
            c.models.generate_content(model=GEMINI_MODEL, contents="x")
        assert ei.value.code == 401
        assert ei.value.status == "UNAUTHENTICATED"
        with pytest.raises(genai_errors.ClientError) as ei2:
            list(c.models.generate_content_stream(model=GEMINI_MODEL, contents="x"))
        assert ei2.value.code == 401
        with pytest.raises(genai_errors.ClientError) as ei3:
            c.models.count_tokens(model=GEMINI_MODEL, contents="x")
        assert ei3.value.code == 401
    assert not gemini_emu.requests


def test_gemini_listing_requires_key(px):
    for path in ("/v1beta/models", f"/v1beta/models/{GEMINI_MODEL}"):
        resp = raw(px, "GET", path, headers={"x-goog-api-key": "wrong"})
        assert resp.status == 401, path
        assert resp.json()["error"]["status"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/responses",
                                  "/v1/completions", "/v1/messages/count_tokens",
                                  f"/v1beta/models/{GEMINI_MODEL}:generateContent"])
def test_every_inference_route_requires_a_key(px, path):
    resp = raw(px, "POST", path, body={"model": "gpt-4o"})
    assert resp.status == 401, (path, resp.text)
    assert resp.json()  # a JSON body, not a bare status


def test_auth_is_checked_before_the_body_is_parsed(px):
    resp = raw(px, "POST", "/v1/chat/completions", body="{not json")
    assert resp.status == 401


def test_unauthenticated_endpoints(px):
    assert raw(px, "GET", "/healthz").status == 200
    assert raw(px, "GET", "/").status == 200
    assert raw(px, "POST", "/api/event_logging/batch", body={"events": []}).status == 200


def test_open_mode_when_no_keys_are_configured(openai_emu):
    cfg = {"host": "127.0.0.1", "openai-compatibility": [compat_block(openai_emu)]}
    with ProxyServer(cfg) as px:
        resp = raw(px, "POST", "/v1/chat/completions", body=CHAT)
        assert resp.status == 200, resp.text
