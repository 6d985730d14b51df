"""Client keys from the five places, and errors in each client's dialect."""

from __future__ import annotations

import msgspec
import pytest

from cliproxy.dialects.errors import render_error, render_stream_error
from cliproxy.dialects.ids import Dialect
from cliproxy.errors import AuthError, BadRequest, ModelCooldown, Scope, UpstreamError
from cliproxy.server.auth import check_client_key

KEYS = (b"alpha", b"beta")


@pytest.mark.parametrize(("headers", "query"), [
    ({"Authorization": "Bearer beta"}, {}),
    ({"Authorization": "bearer beta"}, {}),
    ({"Authorization": "beta"}, {}),
    ({"X-Goog-Api-Key": "beta"}, {}),
    ({"X-Api-Key": "beta"}, {}),
    ({}, {"key": "beta"}),
    ({}, {"auth_token": "beta"}),
    ({"Authorization": "Bearer wrong", "X-Api-Key": "beta"}, {}),
])
def test_five_sources(headers, query):
    assert check_client_key(KEYS, headers, query) == b"beta"


def test_missing_and_invalid():
    with pytest.raises(AuthError, match="Missing"):
        check_client_key(KEYS, {}, {})
    with pytest.raises(AuthError, match="Invalid"):
        check_client_key(KEYS, {"Authorization": "Bearer nope"}, {})
    assert check_client_key((), {}, {}) is None  # open mode (loopback only, enforced at start)


def _body(d, e):
    return msgspec.json.decode(render_error(d, e)[1])


def test_error_shapes_per_dialect():
    e = BadRequest("field 'model' must be a string")
    assert _body(Dialect.OPENAI_CHAT, e)["error"]["message"] == "field 'model' must be a string"
    a = _body(Dialect.ANTHROPIC, e)
    assert a["type"] == "error" and a["error"]["type"] == "invalid_request_error"
    g = _body(Dialect.GEMINI, e)["error"]
    assert g["code"] == 400 and g["status"] == "INVALID_ARGUMENT"


def test_upstream_body_passed_through_only_when_it_fits_the_dialect():
    anth = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
    e = UpstreamError("slow down", status=429, scope=Scope.CREDENTIAL, body=anth)
    assert render_error(Dialect.ANTHROPIC, e) == (429, anth)
    g = _body(Dialect.GEMINI, e)["error"]  # re-rendered for a Gemini client
    assert g["status"] == "RESOURCE_EXHAUSTED" and g["message"] == "slow down"


def test_model_cooldown_body_and_header():
    e = ModelCooldown("gpt-5", "codex", 89.2)
    body = _body(Dialect.OPENAI_CHAT, e)["error"]
    assert body["code"] == "model_cooldown" and body["reset_seconds"] == 90
    assert e.headers["Retry-After"] == "90"


def test_stream_errors_are_framed_per_dialect():
    e = UpstreamError("boom", status=502, scope=Scope.TRANSIENT)
    assert render_stream_error(Dialect.ANTHROPIC, e).startswith(b"event: error\ndata: {\"type\":\"error\"")
    assert render_stream_error(Dialect.OPENAI_RESPONSES, e).startswith(b"event: error\n")
    gem = render_stream_error(Dialect.GEMINI, e)
    assert gem.startswith(b"data: ") and b"event:" not in gem
    assert msgspec.json.decode(render_stream_error(Dialect.OPENAI_CHAT, e)[6:])["error"]["message"] == "boom"
