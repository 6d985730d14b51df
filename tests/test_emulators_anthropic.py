"""Tests for `AnthropicEmulator`: the official `anthropic` SDK end to end, raw SSE framing, and the
Messages API's validation errors, auth rules, thinking signatures and faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import anthropic
import pytest

from emulators import AnthropicEmulator, Fault

MODEL = "claude-sonnet-4-6"
BASH = {"name": "Bash", "description": "run a command", "input_schema": {
    "type": "object", "properties": {"command": {"type": "string"}, "timeout": {"type": "number"}},
    "required": ["command"]}}
HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}


@pytest.fixture(scope="module")
def server() -> Iterator[AnthropicEmulator]:
    with AnthropicEmulator() as emu:
        yield emu


@pytest.fixture
def emu(server: AnthropicEmulator) -> AnthropicEmulator:
    server.reset()
    return server


@pytest.fixture
def client(emu: AnthropicEmulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=emu.url, api_key="sk-ant-test", max_retries=0, timeout=5)


async def post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.read()


def events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs of an Anthropic SSE body; asserts every event has an `event:` line."""
    out = []
    for block in raw.decode().strip().split("\n\n"):
        lines = block.splitlines()
        assert lines[0].startswith("event: ") and lines[1].startswith("data: ")
        data = json.loads(lines[1][6:])
        assert data["type"] == lines[0][7:]
        out.append((lines[0][7:], data))
    return out


def test_sdk_non_stream_and_stream(client: anthropic.Anthropic) -> None:
    r = client.messages.create(model=MODEL, max_tokens=100, system="sys words",
                               messages=[{"role": "user", "content": "hello there"}])
    assert r.content[0].text == "EMU_OK hello there" and r.stop_reason == "end_turn"
    assert (r.usage.input_tokens, r.usage.output_tokens) == (4, 3)
    with client.messages.stream(model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "a b"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == final.content[0].text == "EMU_OK a b"


async def test_raw_stream_sequence(emu: AnthropicEmulator) -> None:
    body = {"model": MODEL, "max_tokens": 50, "stream": True, "tools": [BASH],
            "messages": [{"role": "user", "content": "USE_TOOL"}]}
    status, headers, raw = await post(emu.url + "/v1/messages?beta=true", body, HEADERS)
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    seq = events(raw)
    names = [name for name, _ in seq]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert seq[0][1]["message"]["usage"]["input_tokens"] == 1
    start = seq[1][1]["content_block"]
    assert (start["type"], start["name"], start["input"]) == ("tool_use", "Bash", {})
    fragments = [d["delta"]["partial_json"] for n, d in seq if n == "content_block_delta"]
    assert fragments[0] == "" and len(fragments) >= 3
    assert json.loads("".join(fragments)) == {"command": "echo EMU_TOOL_OK"}
    assert seq[-2][1]["delta"]["stop_reason"] == "tool_use" and seq[-2][1]["usage"]["output_tokens"] > 0


def test_tool_round_trip_with_thinking(client: anthropic.Anthropic) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    msgs: list[dict[str, Any]] = [{"role": "user", "content": "USE_TOOL please"}]
    with client.messages.stream(model=MODEL, max_tokens=2048, messages=msgs, tools=[BASH],
                                thinking=thinking) as stream:
        first = stream.get_final_message()
    assert [b.type for b in first.content] == ["thinking", "tool_use"] and first.stop_reason == "tool_use"
    assert first.content[0].signature.startswith("E")
    tool_use = first.content[1]
    msgs += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id,
                                           "content": [{"type": "text", "text": "EMU_TOOL_OK"}]}]}]
    second = client.messages.create(model=MODEL, max_tokens=2048, messages=msgs, tools=[BASH], thinking=thinking)
    assert second.content[-1].text == "EMU_RESULT: EMU_TOOL_OK"
    msgs[1]["content"][0]["thinking"] += " (edited)"
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=2048, messages=msgs, tools=[BASH], thinking=thinking)
    assert info.value.body["error"]["message"] == "messages.1.content.0: Invalid `signature` in `thinking` block"
    assert info.value.body["request_id"].startswith("req_")


def _msg(role: str, content: Any) -> dict[str, Any]:
    return {"role": role, "content": content}


TOOL_USE = _msg("assistant", [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}])
RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}


@pytest.mark.parametrize(("messages", "extra", "message"), [
    ([_msg("user", "a"), _msg("user", "b")], {},
     'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row'),
    ([_msg("assistant", "a")], {}, 'messages: first message must use the "user" role'),
    ([_msg("user", "a"), _msg("system", "s")], {}, "messages.1.role: Input should be 'user' or 'assistant'"),
    ([_msg("user", "a"), TOOL_USE, _msg("user", "no result")], {},
     "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each "
     "`tool_use` block must have a corresponding `tool_result` block in the next message."),
    ([_msg("user", "a"), TOOL_USE, _msg("user", [{"type": "text", "text": "first"}, RESULT])], {},
     "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each "
     "`tool_use` block must have a corresponding `tool_result` block in the next message."),
    ([_msg("user", [RESULT])], {}, "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
     "toolu_1. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."),
    ([_msg("user", ""), _msg("assistant", "x"), _msg("user", "y")], {},
     "messages.0: all messages must have non-empty content except for the optional final assistant message"),
    ([_msg("user", [{"type": "text", "text": "t", "cache_control": {"type": "ephemeral"}}] * 5)], {},
     "A maximum of 4 blocks with cache_control may be provided. Found 5."),
    ([_msg("user", "a")], {"thinking": {"type": "adaptive"}, "tool_choice": {"type": "any"}, "tools": [BASH]},
     "Thinking may not be enabled when tool_choice forces tool use."),
    ([_msg("user", "a"), _msg("assistant", [{"type": "thinking", "thinking": "t"}]), _msg("user", "b")], {},
     "messages.1.content.0.thinking.signature: Field required"),
    ([_msg("user", "a"), _msg("assistant", [{"type": "thinking", "thinking": "t", "signature": "Ef00"}]),
      _msg("user", "b")], {}, "messages.1.content.0: Invalid `signature` in `thinking` block"),
])
async def test_validation(emu: AnthropicEmulator, messages: list[Any], extra: dict[str, Any], message: str) -> None:
    status, headers, raw = await post(emu.url + "/v1/messages", {"model": MODEL, "max_tokens": 10,
                                                                 "messages": messages, **extra}, HEADERS)
    body = json.loads(raw)
    assert status == 400 and body["type"] == "error" and headers["request-id"]
    assert body["error"] == {"type": "invalid_request_error", "message": message}


async def test_required_fields_model_and_betas(emu: AnthropicEmulator) -> None:
    msgs = [_msg("user", "a")]
    status, _, raw = await post(emu.url + "/v1/messages", {"model": MODEL, "messages": msgs}, HEADERS)
    assert status == 400 and json.loads(raw)["error"]["message"] == "max_tokens: Field required"
    status, _, raw = await post(emu.url + "/v1/messages", {"model": "claude-x", "max_tokens": 5, "messages": msgs},
                                HEADERS)
    assert status == 404 and json.loads(raw)["error"] == {"type": "not_found_error", "message": "model: claude-x"}
    with_system = [_msg("user", "a"), _msg("system", "mid"), _msg("assistant", "b"), _msg("user", "c")]
    status, _, raw = await post(emu.url + "/v1/messages", {"model": MODEL, "max_tokens": 5, "messages": with_system},
                                {**HEADERS, "anthropic-beta": "mid-conversation-system-2026-04-07"})
    assert status == 200 and json.loads(raw)["content"][0]["text"] == "EMU_OK c"


async def test_auth_modes() -> None:
    body = {"model": MODEL, "max_tokens": 5, "messages": [_msg("user", "a")]}
    with AnthropicEmulator(auth_mode="x-api-key") as emu:
        status, _, raw = await post(emu.url + "/v1/messages", body, {"anthropic-version": "2023-06-01",
                                                                     "Authorization": "Bearer sk-ant-test"})
        assert status == 401 and json.loads(raw)["error"]["message"] == "x-api-key header is required"
        status, _, raw = await post(emu.url + "/v1/messages", body, {**HEADERS, "x-api-key": "bad"})
        assert status == 401 and json.loads(raw)["error"] == {"type": "authentication_error",
                                                              "message": "invalid x-api-key"}
        status, _, raw = await post(emu.url + "/v1/messages", body, {"x-api-key": "sk-ant-test"})
        assert status == 400 and json.loads(raw)["error"]["message"] == "anthropic-version: header is required"
    with AnthropicEmulator(api_key="sk-ant-oat01-good", auth_mode="bearer") as emu:
        status, _, raw = await post(emu.url + "/v1/messages", body, {"anthropic-version": "2023-06-01",
                                                                     "Authorization": "Bearer sk-ant-oat01-old"})
        assert status == 401 and "OAuth token has expired" in json.loads(raw)["error"]["message"]
        status, _, _ = await post(emu.url + "/v1/messages", body, {"anthropic-version": "2023-06-01",
                                                                   "Authorization": "Bearer sk-ant-oat01-good"})
        assert status == 200


def test_faults(emu: AnthropicEmulator, client: anthropic.Anthropic) -> None:
    msgs = [{"role": "user", "content": "one two three four"}]
    emu.script(Fault.rate_limit(retry_after=3))
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(model=MODEL, max_tokens=50, messages=msgs)
    assert info.value.response.headers["retry-after"] == "3"
    assert info.value.body["error"]["type"] == "rate_limit_error"
    emu.script(Fault.overloaded())
    with pytest.raises(anthropic.OverloadedError):
        client.messages.create(model=MODEL, max_tokens=50, messages=msgs)
    emu.script(Fault.stream_error(after_events=3))
    with pytest.raises(anthropic.APIStatusError, match="Overloaded"), \
            client.messages.stream(model=MODEL, max_tokens=50, messages=msgs) as stream:
        stream.get_final_message()
    emu.script(Fault.max_tokens())
    r = client.messages.create(model=MODEL, max_tokens=50, messages=msgs)
    assert r.stop_reason == "max_tokens" and r.content[0].text == "EMU_OK one"
    r = client.messages.create(model=MODEL, max_tokens=2, messages=msgs)
    assert r.stop_reason == "max_tokens" and r.usage.output_tokens == 2


def test_count_tokens_and_models(emu: AnthropicEmulator, client: anthropic.Anthropic) -> None:
    count = client.messages.count_tokens(model=MODEL, system="a b", messages=[{"role": "user", "content": "c d e"}])
    assert count.input_tokens == 5
    assert MODEL in [m.id for m in client.models.list()]
    assert client.models.retrieve(MODEL).type == "model"
    assert emu.requests[0].header("authorization") == "Bearer sk-ant-test"
