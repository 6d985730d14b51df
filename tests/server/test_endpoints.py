"""The small endpoints and the model listings: ``/healthz``, ``/``, Claude Code's telemetry sink,
CORS preflight, and ``GET /v1/models`` in the OpenAI, Anthropic and Gemini shapes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proxy_harness import ProxyServer

from ._support import CLAUDE_UP_KEY, CLIENT_KEY, GEMINI_UP_KEY, base_config, bearer, compat_block, raw


@pytest.fixture(scope="module")
def px(openai_emu, anthropic_emu, gemini_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{
        "openai-compatibility": [compat_block(openai_emu, models={"compat-model": "gpt-4o"})],
        "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}],
        "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url}],
    })
    with ProxyServer(cfg) as px:
        yield px


def test_healthz(px):
    r = raw(px, "GET", "/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}
    h = raw(px, "HEAD", "/healthz")
    assert h.status == 200 and h.body == b""


def test_root(px):
    r = raw(px, "GET", "/")
    assert r.status == 200
    body = r.json()
    assert body["message"] == "CLI Proxy API Server"
    assert "POST /v1/chat/completions" in body["endpoints"]


def test_event_logging_batch_is_swallowed(px):
    r = raw(px, "POST", "/api/event_logging/batch", body={"events": [{"event_type": "x"}] * 50})
    assert r.status == 200 and r.json() == {"status": "ok"}
    # not JSON at all is fine too: it is a sink
    r2 = raw(px, "POST", "/api/event_logging/batch", body=b"\x00garbage", headers={"Content-Type": "text/plain"})
    assert r2.status == 200


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1beta/models/x:generateContent"])
def test_cors_preflight(px, path):
    r = raw(px, "OPTIONS", path, headers={"Origin": "http://example.com",
                                          "Access-Control-Request-Method": "POST"})
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]


def test_cors_header_on_answers(px):
    r = raw(px, "GET", "/v1/models", headers=bearer())
    assert r.headers.get("access-control-allow-origin") == "*"


EXPECTED = {"compat-model", "claude-sonnet-4-6", "gemini-2.5-flash"}


def test_models_openai_shape(px):
    r = raw(px, "GET", "/v1/models", headers=bearer())
    assert r.status == 200
    body = r.json()
    assert body["object"] == "list"
    ids = {m["id"] for m in body["data"]}
    assert ids >= EXPECTED
    for m in body["data"]:
        assert set(m) == {"id", "object", "created", "owned_by"}
        assert m["object"] == "model"


@pytest.mark.parametrize("headers", [
    {"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"},
    {"Authorization": f"Bearer {CLIENT_KEY}", "User-Agent": "claude-cli/2.1.44 (external, cli)"},
], ids=["anthropic-version", "claude-cli-user-agent"])
def test_models_anthropic_shape(px, headers):
    r = raw(px, "GET", "/v1/models", headers=headers)
    assert r.status == 200
    body = r.json()
    assert body["has_more"] is False
    ids = [m["id"] for m in body["data"]]
    assert set(ids) >= EXPECTED
    assert body["first_id"] == ids[0] and body["last_id"] == ids[-1]
    for m in body["data"]:
        assert m["type"] == "model" and m["display_name"]
    sonnet = next(m for m in body["data"] if m["id"] == "claude-sonnet-4-6")
    assert sonnet["thinking"] is True


def test_models_gemini_shape_on_v1(px):
    r = raw(px, "GET", "/v1/models", headers={"x-goog-api-key": CLIENT_KEY})
    assert r.status == 200
    models = r.json()["models"]
    names = {m["name"] for m in models}
    assert {f"models/{m}" for m in EXPECTED} <= names
    for m in models:
        assert "generateContent" in m["supportedGenerationMethods"]


def test_models_gemini_shape_on_v1beta(px):
    r = raw(px, "GET", "/v1beta/models", headers={"x-goog-api-key": CLIENT_KEY})
    assert r.status == 200
    assert {f"models/{m}" for m in EXPECTED} <= {m["name"] for m in r.json()["models"]}
    one = raw(px, "GET", "/v1beta/models/claude-sonnet-4-6", headers={"x-goog-api-key": CLIENT_KEY})
    assert one.status == 200 and one.json()["name"] == "models/claude-sonnet-4-6"


def test_models_without_v1_prefix(px):
    r = raw(px, "GET", "/models", headers=bearer())
    assert r.status == 200 and {m["id"] for m in r.json()["data"]} >= EXPECTED


def test_openai_model_retrieve(px):
    r = raw(px, "GET", "/v1/models/compat-model", headers=bearer())
    assert r.status == 200 and r.json()["id"] == "compat-model"
    missing = raw(px, "GET", "/v1/models/nope", headers=bearer())
    assert missing.status == 404 and missing.json()["error"]["message"]


def test_gemini_model_get_on_v1(px):
    r = raw(px, "GET", "/v1/models/gemini-2.5-flash", headers={"x-goog-api-key": CLIENT_KEY})
    assert r.status == 200 and r.json()["name"] == "models/gemini-2.5-flash"


def test_listing_needs_a_key(px):
    r = raw(px, "GET", "/v1/models")
    assert r.status == 401
    r2 = raw(px, "GET", "/v1/models", headers={"anthropic-version": "2023-06-01", "x-api-key": "nope"})
    assert r2.status == 401 and r2.json()["type"] == "error"
