"""Each API-key provider builds the URL, auth header and envelope its real API expects."""

from __future__ import annotations

import msgspec
import pytest

from cliproxy.app import build_runtime
from cliproxy.dialects.ids import Action
from cliproxy.providers.base import UpstreamCall, google_retry_delay, parse_duration
from cliproxy.providers.codex import codex_retry_after
from proxy_harness import config_from


def one_route(cfg, model):
    (r,) = build_runtime(config_from(cfg)).registry.resolve(model)
    return r


def call(model, body, stream=False, action=Action.GENERATE, headers=None):
    return UpstreamCall(action, model, body, stream, headers or {})


def test_claude_real_host_uses_x_api_key_and_custom_base_uses_bearer():
    r = one_route({"claude-api-key": [{"api-key": "sk-ant"}]}, "claude-sonnet-4-6")
    c = call("claude-sonnet-4-6", {"messages": []}, headers={"anthropic-beta": "x-1"})
    r.provider.patch_body(r.cred, c)
    out = r.provider.build(r.cred, "sk-ant", c)
    assert out.url == "https://api.anthropic.com/v1/messages?beta=true"
    assert out.headers["x-api-key"] == "sk-ant" and "Authorization" not in out.headers
    assert out.headers["anthropic-version"] == "2023-06-01" and out.headers["anthropic-beta"] == "x-1"
    assert msgspec.json.decode(out.body)["max_tokens"] == 64000
    r2 = one_route({"claude-api-key": [{"api-key": "k", "base-url": "https://gw.example/"}]}, "claude-sonnet-4-6")
    out2 = r2.provider.build(r2.cred, "k", call("claude-sonnet-4-6", {}))
    assert out2.url == "https://gw.example/v1/messages?beta=true" and out2.headers["Authorization"] == "Bearer k"


def test_gemini_urls_and_count_tokens_body():
    r = one_route({"gemini-api-key": [{"api-key": "AIzaX"}]}, "gemini-2.5-pro")
    out = r.provider.build(r.cred, "AIzaX", call("gemini-2.5-pro", {}, stream=True))
    assert out.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert out.headers["x-goog-api-key"] == "AIzaX"
    c = call("gemini-2.5-pro", {"contents": [], "tools": [1], "generationConfig": {}}, action=Action.COUNT_TOKENS)
    r.provider.patch_body(r.cred, c)
    assert c.body == {"contents": []}
    assert r.provider.build(r.cred, "k", c).url.endswith(":countTokens")


def test_vertex_key_path():
    r = one_route({"vertex-api-key": [{"api-key": "v", "models": [{"name": "gemini-2.5-pro", "alias": "vp"}]}]}, "vp")
    out = r.provider.build(r.cred, "v", call("gemini-2.5-pro", {}))
    assert out.url == "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-pro:generateContent"


def test_codex_forced_fields():
    r = one_route({"codex-api-key": [{"api-key": "c", "base-url": "https://api.openai.com/v1"}]}, "gpt-5.4")
    c = call("gpt-5.4", {"model": "gpt-5.4", "input": "hi", "temperature": 0.3, "previous_response_id": "r",
                         "max_output_tokens": 9})
    r.provider.patch_body(r.cred, c)
    b = c.body
    assert b["stream"] is True and b["store"] is False and b["instructions"] == ""
    assert b["include"] == ["reasoning.encrypted_content"]
    assert "temperature" not in b and "previous_response_id" not in b and "max_output_tokens" not in b
    assert b["input"][0]["content"][0]["text"] == "hi"
    assert r.provider.always_stream


def test_codex_entries_without_base_url_are_dropped():
    assert build_runtime(config_from({"codex-api-key": [{"api-key": "c"}]})).credentials == ()


def test_openai_compat_forces_include_usage_on_streams():
    r = one_route({"openai-compatibility": [{"name": "x", "base-url": "http://h/v1", "api-key-entries": [{"api-key": "k"}],
                                             "models": [{"name": "m"}]}]}, "m")
    c = call("m", {"stream": True, "stream_options": {"include_usage": False}}, stream=True)
    r.provider.patch_body(r.cred, c)
    assert c.body["stream_options"] == {"include_usage": True}
    out = r.provider.build(r.cred, "k", c)
    assert out.url == "http://h/v1/chat/completions" and out.headers["Authorization"] == "Bearer k"
    assert out.headers["User-Agent"].startswith("cliproxy/")


@pytest.mark.parametrize(("text", "secs"), [("1.5s", 1.5), ("373.8ms", 0.3738), ("1h2m3s", 3723), ("2m", 120)])
def test_durations(text, secs):
    assert parse_duration(text) == pytest.approx(secs)


def test_google_retry_delay_sources():
    retry_info = b'{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.2s"}]}}'
    error_info = (b'{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",'
                  b'"metadata":{"quotaResetDelay":"373.8ms"}}]}}')
    message = b'{"error":{"code":429,"message":"Your quota will reset after 17s."}}'
    assert google_retry_delay(retry_info) == pytest.approx(1.2)
    assert google_retry_delay(error_info) == pytest.approx(0.3738)
    assert google_retry_delay(message) == pytest.approx(17)


def test_codex_usage_limit_retry():
    assert codex_retry_after(b'{"error":{"type":"usage_limit_reached","resets_in_seconds":42}}') == 42
