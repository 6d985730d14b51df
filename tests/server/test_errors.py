"""Errors reach each client in its own dialect, raised by its SDK as a typed API error (never a
parse error): unknown model, upstream 429/500 passthrough, mid-stream upstream errors and resets,
upstream garbage, and an upstream that stalls past ``upstream-idle-timeout``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest
from google.genai import errors as genai_errors

from emulators import Fault
from proxy_harness import ProxyServer

from ._support import (
    CLAUDE_UP_KEY,
    CODEX_UP_KEY,
    GEMINI_UP_KEY,
    anthropic_client,
    base_config,
    compat_block,
    genai_client,
    openai_client,
)


@pytest.fixture(scope="module")
def px(openai_emu, anthropic_emu, gemini_emu, codex_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{
        "upstream-idle-timeout": 1,
        "openai-compatibility": [compat_block(openai_emu, models={"gpt-4o": "gpt-4o"})],
        "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}],
        "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url}],
        "codex-api-key": [{"api-key": CODEX_UP_KEY, "base-url": codex_emu.base_url}],
    })
    with ProxyServer(cfg) as px:
        yield px


@pytest.fixture(scope="module")
def clients(px) -> Iterator[dict[str, Any]]:
    made = {"openai": openai_client(px), "anthropic": anthropic_client(px), "genai": genai_client(px)}
    yield made
    for c in made.values():
        c.close()


@dataclass(frozen=True)
class Case:
    """How one client dialect calls the proxy, and which upstream emulator serves it."""

    name: str
    emu: str
    model: str
    call: Callable[[dict[str, Any], str, str, bool], Any]  # (clients, model, text, stream) -> consumed result


def _chat(cl, model, text, stream):
    r = cl["openai"].chat.completions.create(model=model, messages=[{"role": "user", "content": text}],
                                             stream=stream)
    return list(r) if stream else r


def _responses(cl, model, text, stream):
    r = cl["openai"].responses.create(model=model, input=text, stream=stream)
    return list(r) if stream else r


def _messages(cl, model, text, stream):
    r = cl["anthropic"].messages.create(model=model, max_tokens=64, stream=stream,
                                        messages=[{"role": "user", "content": text}])
    return list(r) if stream else r


def _gemini(cl, model, text, stream):
    if stream:
        return list(cl["genai"].models.generate_content_stream(model=model, contents=text))
    return cl["genai"].models.generate_content(model=model, contents=text)


CASES = [
    Case("openai-chat", "openai_emu", "gpt-4o", _chat),
    Case("openai-responses", "codex_emu", "gpt-5.4", _responses),
    Case("anthropic", "anthropic_emu", "claude-sonnet-4-6", _messages),
    Case("gemini", "gemini_emu", "gemini-2.5-flash", _gemini),
]
CASE_PARAMS = [pytest.param(c, id=c.name) for c in CASES]
STREAM_PARAMS = [pytest.param(False, id="non-stream"), pytest.param(True, id="stream")]


def expect_status(case: Case, status: int):
    """pytest.raises for this dialect's typed SDK error with HTTP ``status``."""
    if case.name == "gemini":
        return pytest.raises(genai_errors.APIError, check=lambda e: e.code == status)
    mod = anthropic if case.name == "anthropic" else openai
    return pytest.raises(mod.APIStatusError, check=lambda e: e.status_code == status)


def error_message(case: Case, exc: BaseException) -> str:
    if case.name == "gemini":
        return str(exc.message)  # type: ignore[attr-defined]
    body = exc.body  # type: ignore[attr-defined]
    if case.name == "anthropic":
        assert body["type"] == "error", body
        return body["error"]["message"]
    return body["message"] if "message" in body else body["error"]["message"]


def error_headers(case: Case, exc: BaseException) -> Any:
    return exc.response.headers  # type: ignore[attr-defined]  # httpx for every SDK here


# ---------------------------------------------------------------- unknown model


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_unknown_model_is_404_in_the_clients_dialect(clients, request, case, stream):
    with expect_status(case, 404) as ei:
        case.call(clients, "no-such-model-xyz", "hi", stream)
    assert "no-such-model-xyz" in error_message(case, ei.value)
    if case.name == "anthropic":
        assert ei.value.body["error"]["type"] == "not_found_error"
    if case.name == "gemini":
        assert ei.value.status == "NOT_FOUND"
    assert not request.getfixturevalue(case.emu).requests


# ---------------------------------------------------------------- upstream 429 / 500


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_upstream_429_reaches_the_client(clients, request, case, stream):
    emu = request.getfixturevalue(case.emu)
    emu.script(Fault.rate_limit(retry_after=30, message="EMU_RATE_LIMITED try later"))
    with expect_status(case, 429) as ei:
        case.call(clients, case.model, "hi", stream)
    assert error_headers(case, ei.value).get("retry-after"), "a 429 must carry Retry-After"
    # passthrough: the upstream's own explanation reaches the client
    assert "EMU_RATE_LIMITED" in error_message(case, ei.value)
    assert len(emu.requests) == 1


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_model_cooldown_while_every_credential_cools(clients, request, px, case):
    emu = request.getfixturevalue(case.emu)
    emu.script(Fault.rate_limit(retry_after=30))
    with expect_status(case, 429):
        case.call(clients, case.model, "first", False)
    # the only credential is cooling: the proxy answers itself, without calling the upstream
    with expect_status(case, 429) as ei:
        case.call(clients, case.model, "second", False)
    assert len(emu.requests) == 1
    retry_after = error_headers(case, ei.value).get("retry-after")
    assert retry_after is not None and 1 <= int(retry_after) <= 30
    assert "cooling down" in error_message(case, ei.value)
    if case.name in ("openai-chat", "openai-responses"):
        assert ei.value.body["code"] == "model_cooldown"


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_upstream_500_passthrough(clients, request, case, stream):
    emu = request.getfixturevalue(case.emu)
    emu.script(Fault.server_error(500, message="EMU_BOOM internal"))
    with expect_status(case, 500) as ei:
        case.call(clients, case.model, "hi", stream)
    assert "EMU_BOOM" in error_message(case, ei.value)


# ---------------------------------------------------------------- mid-stream failures


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_mid_stream_upstream_error_event(clients, request, case):
    emu = request.getfixturevalue(case.emu)
    emu.script(Fault.stream_error(after_events=3, message="EMU_MIDSTREAM_FAILURE"))
    if case.name == "openai-responses":
        # the Responses SDK yields the failure as a typed terminal event instead of raising
        events = case.call(clients, case.model, "a few words here", True)
        assert events[-1].type in ("response.failed", "error")
        assert "response.completed" not in [e.type for e in events]
        return
    exc_type = {"openai-chat": openai.APIError, "anthropic": anthropic.APIError,
                "gemini": genai_errors.APIError}[case.name]
    with pytest.raises(exc_type) as ei:
        case.call(clients, case.model, "a few words here", True)
    assert "EMU_MIDSTREAM_FAILURE" in str(ei.value)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_mid_stream_connection_reset(clients, request, case):
    emu = request.getfixturevalue(case.emu)
    emu.script(Fault.reset(after_events=3))
    if case.name == "openai-responses":
        events = case.call(clients, case.model, "a few words here", True)
        assert events[-1].type == "error"
        assert "response.completed" not in [e.type for e in events]
        assert events[-1].code and events[-1].message
        return
    exc_type = {"openai-chat": openai.APIError, "anthropic": anthropic.APIError,
                "gemini": genai_errors.APIError}[case.name]
    with pytest.raises(exc_type) as ei:
        case.call(clients, case.model, "a few words here", True)
    assert "mid-stream" in str(ei.value)


# ---------------------------------------------------------------- garbage and stalls


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_upstream_garbage_is_502(clients, request, case, stream):
    emu = request.getfixturevalue(case.emu)
    # a broken gateway / captive portal: 200 with an HTML page instead of the API's answer
    ctype = "text/html" if stream else "application/json"
    emu.script(Fault.garbage(b"\x00\xff<html>captive portal</html>", content_type=ctype))
    with expect_status(case, 502) as ei:
        case.call(clients, case.model, "hi", stream)
    assert error_message(case, ei.value)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_upstream_garbage_labelled_as_an_event_stream_is_502(clients, request, case):
    """The upstream says ``text/event-stream`` but sends no SSE at all: still garbage, not a stream."""
    emu = request.getfixturevalue(case.emu)
    emu.script(Fault.garbage(b"\x00\xff<html>captive portal</html>", content_type="text/event-stream"))
    with expect_status(case, 502):
        case.call(clients, case.model, "hi", True)


def test_upstream_garbage_with_json_content_type_on_a_stream_is_502(clients, openai_emu):
    openai_emu.script(Fault.garbage())
    with pytest.raises(openai.APIStatusError) as ei:
        _chat(clients, "gpt-4o", "hi", True)
    assert ei.value.status_code == 502


def test_stall_before_the_first_byte_is_a_timeout_error(clients, openai_emu):
    openai_emu.script(Fault.stall(10))
    with pytest.raises(openai.APIStatusError) as ei:
        _chat(clients, "gpt-4o", "hi", False)
    assert ei.value.status_code == 504
    assert "time" in ei.value.message.lower()


def test_stall_before_the_first_stream_event_is_a_timeout_error(clients, gemini_emu):
    gemini_emu.script(Fault.stall(10))
    with pytest.raises(genai_errors.APIError) as ei:
        _gemini(clients, "gemini-2.5-flash", "hi", True)
    assert ei.value.code == 504
    assert ei.value.status == "DEADLINE_EXCEEDED"


def test_stall_mid_stream_ends_the_stream_with_an_error(clients, anthropic_emu):
    anthropic_emu.script(Fault.stall(10, after_events=3))
    with pytest.raises(anthropic.APIError) as ei:
        _messages(clients, "claude-sonnet-4-6", "a few words here", True)
    assert "idle timeout" in str(ei.value)


# ---------------------------------------------------------------- upstream 4xx about the request itself


BAD_REQUEST_BODIES = {
    "openai-chat": '{"error":{"message":"EMU_INVALID temperature too high","type":"invalid_request_error",'
                   '"param":"temperature","code":null}}',
    "openai-responses": '{"detail":"EMU_INVALID Unsupported parameter: foo"}',  # the Codex backend's shape
    "anthropic": '{"type":"error","error":{"type":"invalid_request_error","message":"EMU_INVALID bad block"}}',
    "gemini": '{"error":{"code":400,"message":"EMU_INVALID bad part","status":"INVALID_ARGUMENT"}}',
}


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_upstream_400_reaches_the_client_with_its_explanation(clients, request, case):
    emu = request.getfixturevalue(case.emu)
    emu.script(Fault.http(400, BAD_REQUEST_BODIES[case.name]))
    with expect_status(case, 400) as ei:
        case.call(clients, case.model, "hi", False)
    assert "EMU_INVALID" in str(ei.value), str(ei.value)
    assert len(emu.requests) == 1


def test_unreachable_upstream_is_a_clear_502(closing):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    cfg = base_config(**{"openai-compatibility": [{
        "name": "dead", "base-url": f"http://127.0.0.1:{dead}/v1", "api-key-entries": [{"api-key": "k"}],
        "models": [{"name": "gpt-4o", "alias": "gpt-4o"}]}]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        with pytest.raises(openai.APIStatusError) as ei:
            c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert ei.value.status_code == 502
        assert "reach" in ei.value.message.lower()


def test_unreachable_upstream_fails_over(openai_emu, closing):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    cfg = base_config(**{"openai-compatibility": [
        {"name": "dead", "base-url": f"http://127.0.0.1:{dead}/v1", "api-key-entries": [{"api-key": "k"}],
         "models": [{"name": "gpt-4o", "alias": "gpt-4o"}], "priority": 9},
        compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "alive"}])
        assert r.choices[0].message.content == "EMU_OK alive"
