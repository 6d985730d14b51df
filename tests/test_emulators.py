"""Tests for the emulator runner, fault script, fake model and the OpenAI-platform emulators.

The emulators are the ground truth the proxy's tests stand on, so these tests
drive them with the official `openai` SDK (pointed straight at the emulator)
and with raw aiohttp for validation errors and faults.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import openai
import pytest

from emulators import INVALID_JSON, CodexEmulator, Fault, OpenAIEmulator, Prompt, ToolSpec
from emulators.fake_model import answer, object_from_schema, split_fragments, split_words
from emulators.faults import FaultScript

BASH = {"type": "function", "function": {"name": "bash", "description": "run",
                                         "parameters": {"type": "object", "properties": {
                                             "command": {"type": "string"}, "timeout": {"type": "integer"}},
                                             "required": ["command"]}}}


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIEmulator]:
    with OpenAIEmulator(base_path=("/v1", "/custom/v1")) as emu:
        yield emu


@pytest.fixture
def emu(server: OpenAIEmulator) -> OpenAIEmulator:
    server.reset()
    return server


@pytest.fixture
def client(emu: OpenAIEmulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=emu.base_url(), api_key="sk-test", max_retries=0, timeout=5)


def sse_payloads(raw: bytes) -> list[Any]:
    """`data:` payloads of an SSE body (JSON-decoded, `[DONE]` kept as a string)."""
    out: list[Any] = []
    for block in raw.decode().split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                data = line[6:]
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


async def post(url: str, body: Any, headers: dict[str, str] | None = None,
               timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session, session.post(
            url, data=data, headers={"Content-Type": "application/json", **(headers or {})}) as resp:
        return resp.status, dict(resp.headers), await resp.read()


AUTH = {"Authorization": "Bearer sk-test"}


# -- fake model ---------------------------------------------------------------------------
def test_fake_model_rules() -> None:
    tools = [ToolSpec("read", {"type": "object", "properties": {"path": {"type": "string"}}}),
             ToolSpec("shell", {"type": "object", "required": ["command", "n", "flag"], "properties": {
                 "command": {"type": "array", "items": {"type": "string"}}, "n": {"type": "number"},
                 "flag": {"type": "boolean"}, "optional": {"type": "string"}}})]
    tool = answer(Prompt(user_text="please USE_TOOL", tools=tools))
    assert tool.tool_name == "shell"
    assert tool.tool_args == {"command": ["bash", "-lc", "echo EMU_TOOL_OK"], "n": 1, "flag": True}
    assert answer(Prompt(user_text="USE_TOOL", tools=tools, tool_result="out")).text == "EMU_RESULT: out"
    assert answer(Prompt(user_text="x " * 80)).text == "EMU_OK " + ("x " * 30).strip()
    assert answer(Prompt(user_text="USE_IMAGE_CHECK", images=2)).text == "EMU_IMAGES 2"
    cut = answer(Prompt(user_text="one two three four", max_tokens=2))
    assert (cut.text, cut.truncated, cut.output_tokens) == ("EMU_OK one", True, 2)
    assert answer(Prompt(user_text="hi", tools=tools, tool_choice="read")).tool_args == {}
    assert answer(Prompt(user_text="hi", tools=tools, tool_choice="none")).tool_name is None
    assert answer(Prompt(user_text="hi", tools=tools), Fault.tool_call()).tool_name == "shell"


def test_fake_model_json_and_splitting() -> None:
    schema = {"type": "OBJECT", "properties": {"score": {"type": "INTEGER"}, "why": {"type": "STRING"},
                                               "kind": {"enum": ["a", "b"]}, "ref": {"$ref": "#/$defs/r"}},
              "$defs": {"r": {"type": "object", "properties": {"ok": {"type": ["boolean", "null"]}}}}}
    assert object_from_schema(schema, all_props=True) == {"score": 1, "why": "EMU", "kind": "a",
                                                          "ref": {"ok": True}}
    out = answer(Prompt(user_text="x", json_schema=schema, json_mode=True))
    assert json.loads(out.text)["score"] == 1
    assert answer(Prompt(user_text="x", json_mode=True)).text == '{"answer": "EMU_OK x"}'
    text = "  EMU_OK a  b\tc "
    assert "".join(split_words(text)) == text and len(split_words(text)) == 4
    frags = split_fragments('{"command":"echo EMU_TOOL_OK"}')
    assert len(frags) >= 2 and "".join(frags) == '{"command":"echo EMU_TOOL_OK"}'


def test_fault_script_matching() -> None:
    script = FaultScript()
    entry = script.add(Fault.server_error(), times=2, path="/chat", model="m1")
    script.add(Fault.reset(), times=None, model="m2")
    assert script.take("/v1/responses", "m1") is None
    assert script.take("/v1/chat/completions", "m1") is not None
    assert script.take("/v1/chat/completions", "m1") is not None
    assert script.take("/v1/chat/completions", "m1") is None and entry.hits == 2
    assert all(script.take("/x", "m2") is not None for _ in range(3))
    assert script.pending == 1
    script.clear()
    assert script.pending == 0


# -- runner ---------------------------------------------------------------------------------
def test_runner_records_requests_and_resets(emu: OpenAIEmulator, client: openai.OpenAI) -> None:
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                   extra_query={"trace": "1"})
    rec = emu.last_request
    assert (rec.method, rec.path, rec.query, rec.model, rec.status) == ("POST", "/v1/chat/completions",
                                                                         {"trace": "1"}, "gpt-4o", 200)
    assert rec.header("authorization") == "Bearer sk-test" and rec.json["messages"][0]["content"] == "hi"
    assert json.loads(rec.body) == rec.json
    emu.reset()
    assert emu.requests == []


async def test_runner_async_context_and_unknown_url() -> None:
    async with OpenAIEmulator() as emu:
        status, _, body = await post(emu.url + "/v1/nope", {}, AUTH)
        assert status == 404
        assert json.loads(body)["error"]["message"] == "Invalid URL (POST /v1/nope)"
        status, _, _ = await post(emu.url + "/v1/chat/completions", b"{not json", AUTH)
        assert status == 400 and emu.last_request.json is INVALID_JSON
    with pytest.raises(RuntimeError):
        _ = emu.url


# -- OpenAI chat ------------------------------------------------------------------------------
def test_chat_non_stream(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "system", "content": "be brief"},
                                                                 {"role": "user", "content": "hello there"}])
    assert r.object == "chat.completion" and r.choices[0].message.content == "EMU_OK hello there"
    assert r.choices[0].finish_reason == "stop"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (4, 3, 7)


async def test_chat_stream_sequence(emu: OpenAIEmulator) -> None:
    body = {"model": "gpt-4o", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "a b c"}]}
    status, headers, raw = await post(emu.base_url() + "/chat/completions", body, AUTH)
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    events = sse_payloads(raw)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "EMU_OK a b c" and len([c for c in chunks if c["choices"]]) >= 6
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4


def test_chat_tool_round_trip_with_stream_helper(client: openai.OpenAI) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "USE_TOOL list files"}]
    with client.chat.completions.stream(model="gpt-4o", messages=messages, tools=[BASH]) as stream:
        fragments = [e for e in stream if e.type == "tool_calls.function.arguments.delta"]
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert final.choices[0].finish_reason == "tool_calls" and len(fragments) >= 2
    assert json.loads(call.function.arguments) == {"command": "echo EMU_TOOL_OK"}
    messages += [final.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "EMU_TOOL_OK"}]
    r = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[BASH])
    assert r.choices[0].message.content == "EMU_RESULT: EMU_TOOL_OK"


def test_chat_json_mode_max_tokens_and_images(client: openai.OpenAI) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "object", "properties": {"title": {"type": "string"}, "n": {"type": "integer"}}}}}
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "t"}],
                                       response_format=fmt)
    assert json.loads(r.choices[0].message.content) == {"title": "EMU", "n": 1}
    r = client.chat.completions.create(model="gpt-4o", max_completion_tokens=2,
                                       messages=[{"role": "user", "content": "one two three"}])
    assert (r.choices[0].message.content, r.choices[0].finish_reason) == ("EMU_OK one", "length")
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "text", "text": "USE_IMAGE_CHECK"}, image, image]}])
    assert r.choices[0].message.content == "EMU_IMAGES 2"


@pytest.mark.parametrize(("body", "status", "message", "param", "code"), [
    ({"model": "gpt-4o", "messages": []}, 400, "Invalid 'messages': empty array. Expected an array with minimum "
     "length 1, but got an empty array instead.", "messages", "empty_array"),
    ({"model": "gpt-4o"}, 400, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"),
    ({"model": "gpt-4o", "messages": [{"role": "bot", "content": "x"}]}, 400, "Invalid value: 'bot'. Supported "
     "values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", "messages[0].role",
     "invalid_value"),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "c1",
                                                                         "content": "r"}]},
     400, "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
     "'tool_calls'.", "messages.[1].role", None),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}]},
        {"role": "user", "content": "y"}]}, 400, "An assistant message with 'tool_calls' must be followed by tool "
     "messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: c1",
     "messages.[1].role", None),
    ({"model": "gpt-x", "messages": [{"role": "user", "content": "x"}]}, 404,
     "The model `gpt-x` does not exist or you do not have access to it.", None, "model_not_found"),
    ({"model": "gpt-4o", "stream_options": {"include_usage": True}, "messages": [{"role": "user", "content": "x"}]},
     400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", None),
])
async def test_chat_validation(emu: OpenAIEmulator, body: dict[str, Any], status: int, message: str,
                               param: str | None, code: str | None) -> None:
    got, _, raw = await post(emu.url + "/custom/v1/chat/completions", body, AUTH)
    assert got == status
    assert json.loads(raw) == {"error": {"message": message, "type": "invalid_request_error", "param": param,
                                         "code": code}}


async def test_chat_auth_and_tool_name(emu: OpenAIEmulator) -> None:
    ok = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    status, _, raw = await post(emu.base_url() + "/chat/completions", ok, {"Authorization": "Bearer sk-wrong-key"})
    assert status == 401 and json.loads(raw)["error"]["code"] == "invalid_api_key"
    status, _, raw = await post(emu.base_url() + "/chat/completions", ok)
    assert status == 401 and "You didn't provide an API key" in json.loads(raw)["error"]["message"]
    bad = dict(ok, tools=[{"type": "function", "function": {"name": "ns.tool", "parameters": {}}}])
    status, _, raw = await post(emu.base_url() + "/chat/completions", bad, AUTH)
    assert status == 400 and json.loads(raw)["error"]["param"] == "tools[0].function.name"


def test_models_endpoints(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert "gpt-4o" in ids
    assert client.models.retrieve("gpt-4o").id == "gpt-4o"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope")


# -- faults through the OpenAI emulator -------------------------------------------------------
def test_fault_rate_limit_then_recovery(emu: OpenAIEmulator, client: openai.OpenAI) -> None:
    emu.script(Fault.rate_limit(retry_after=2.0), times=1, model="gpt-4o")
    msgs = [{"role": "user", "content": "x"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=msgs)  # other model: unaffected
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o", messages=msgs)
    assert info.value.response.headers["retry-after"] == "2"
    assert info.value.response.headers["retry-after-ms"] == "2000"
    assert info.value.body["code"] == "rate_limit_exceeded"
    assert client.chat.completions.create(model="gpt-4o", messages=msgs).choices[0].message.content == "EMU_OK x"
    assert [r.fault for r in emu.requests] == [None, "rate_limit", None]


async def test_fault_stall_before_first_byte(emu: OpenAIEmulator) -> None:
    emu.script(Fault.stall(3.0))
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await post(emu.base_url() + "/chat/completions", body, AUTH, timeout=0.3)
    assert time.monotonic() - started < 2


async def test_fault_stall_and_reset_mid_stream(emu: OpenAIEmulator) -> None:
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "a b c d"}]}
    emu.script(Fault.stall(0.4, after_events=2))
    started = time.monotonic()
    _, _, raw = await post(emu.base_url() + "/chat/completions", body, AUTH)
    assert time.monotonic() - started >= 0.4 and sse_payloads(raw)[-1] == "[DONE]"
    emu.script(Fault.reset(after_events=2))
    received: list[bytes] = []
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientPayloadError):
            async with session.post(emu.base_url() + "/chat/completions", json=body, headers=AUTH) as resp:
                async for line in resp.content:
                    received.append(line)
    assert len([x for x in received if x.startswith(b"data: ")]) == 2
    assert emu.last_request.status == 0


def test_fault_garbage_stream_error_and_steering(emu: OpenAIEmulator, client: openai.OpenAI) -> None:
    msgs = [{"role": "user", "content": "hello world again"}]
    emu.script(Fault.garbage())
    with pytest.raises(ValueError, match="Expecting value"):
        client.chat.completions.create(model="gpt-4o", messages=msgs)
    emu.script(Fault.stream_error(after_events=2))
    with pytest.raises(openai.APIError):
        list(client.chat.completions.create(model="gpt-4o", messages=msgs, stream=True))
    emu.script(Fault.tool_call())
    r = client.chat.completions.create(model="gpt-4o", messages=msgs, tools=[BASH])
    assert r.choices[0].message.tool_calls[0].function.name == "bash"
    emu.script(Fault.max_tokens())
    r = client.chat.completions.create(model="gpt-4o", messages=msgs)
    assert r.choices[0].finish_reason == "length" and r.choices[0].message.content == "EMU_OK hello"
    emu.script(Fault.http(418, '{"x":1}', headers={"x-test": "yes"}))
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(model="gpt-4o", messages=msgs)
    assert info.value.status_code == 418 and info.value.response.headers["x-test"] == "yes"


# -- OpenAI Responses ---------------------------------------------------------------------------
def test_responses_non_stream_and_stream_helper(client: openai.OpenAI) -> None:
    r = client.responses.create(model="gpt-4o", input="hi resp", instructions="be nice")
    assert r.output_text == "EMU_OK hi resp" and r.status == "completed" and r.usage.input_tokens == 4
    with client.responses.stream(model="gpt-4o", input="a b") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == "EMU_OK a b" and len(deltas) == 3


async def test_responses_event_sequence(emu: OpenAIEmulator) -> None:
    body = {"model": "gpt-4o", "input": "x y", "stream": True, "reasoning": {"effort": "low", "summary": "auto"},
            "include": ["reasoning.encrypted_content"]}
    _, _, raw = await post(emu.base_url() + "/responses", body, AUTH)
    assert b"event: response.created\ndata: " in raw
    events = sse_payloads(raw)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    types = [e["type"] for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types[-1] == "response.completed"
    for kind in ("response.reasoning_summary_text.delta", "response.content_part.added",
                 "response.output_text.delta", "response.output_text.done", "response.content_part.done"):
        assert kind in types
    message_start = types.index("response.content_part.added")
    assert types[message_start - 1] == "response.output_item.added"
    reasoning = events[-1]["response"]["output"][0]
    assert reasoning["type"] == "reasoning" and reasoning["encrypted_content"].startswith("gAAAAA")


def test_responses_tool_round_trip_and_reasoning_replay(emu: OpenAIEmulator, client: openai.OpenAI) -> None:
    tool = {"type": "function", "name": "exec_command", "parameters": {
        "type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}}
    first = client.responses.create(model="gpt-4o", input="USE_TOOL now", tools=[tool], store=False,
                                    reasoning={"effort": "low"}, include=["reasoning.encrypted_content"])
    reasoning, call = first.output
    assert call.type == "function_call" and json.loads(call.arguments) == {"cmd": "echo EMU_TOOL_OK"}
    history = [{"role": "user", "content": "USE_TOOL now"}, reasoning.model_dump(exclude_none=True),
               call.model_dump(exclude_none=True),
               {"type": "function_call_output", "call_id": call.call_id, "output": "done!"}]
    second = client.responses.create(model="gpt-4o", input=history, tools=[tool], store=False)
    assert second.output_text == "EMU_RESULT: done!"
    tampered = [dict(history[1], encrypted_content="gAAAAABforeign"), *history[2:]]
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4o", input=[history[0], *tampered], store=False)
    assert info.value.body["code"] == "invalid_encrypted_content"


@pytest.mark.parametrize(("items", "message"), [
    ([{"type": "function_call_output", "call_id": "call_1", "output": "x"}],
     "No tool call found for function call output with call_id call_1."),
    ([{"role": "user", "content": "x"}, {"type": "function_call", "call_id": "call_2", "name": "f",
                                         "arguments": "{}"}], "No tool output found for function call call_2."),
    ([{"role": "tool", "content": "x"}], "Invalid value: 'tool'. Supported values are: 'assistant', 'system', "
     "'developer', and 'user'."),
])
async def test_responses_validation(emu: OpenAIEmulator, items: list[Any], message: str) -> None:
    status, _, raw = await post(emu.base_url() + "/responses", {"model": "gpt-4o", "input": items}, AUTH)
    assert status == 400 and json.loads(raw)["error"]["message"] == message


def test_responses_previous_response_id_and_compact(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_missing")
    assert info.value.body["code"] == "previous_response_not_found"
    tool = {"type": "function", "name": "bash", "parameters": {"type": "object", "properties": {
        "command": {"type": "string"}}}}
    first = client.responses.create(model="gpt-4o", input="USE_TOOL", tools=[tool])
    call = first.output[0]
    follow = client.responses.create(model="gpt-4o", previous_response_id=first.id, tools=[tool], input=[
        {"type": "function_call_output", "call_id": call.call_id, "output": "chained"}])
    assert follow.output_text == "EMU_RESULT: chained"
    compacted = client.post("/responses/compact", cast_to=dict, body={"model": "gpt-4o", "input": [
        {"role": "user", "content": "keep me"}, {"role": "assistant", "content": "drop"}]})
    assert compacted["object"] == "response.compaction"
    assert [i["type"] for i in compacted["output"]] == ["message", "compaction"]


# -- Codex backend ----------------------------------------------------------------------------------
CODEX_OK = {"model": "gpt-5.4", "instructions": "", "input": [{"role": "user", "content": [
    {"type": "input_text", "text": "hi codex"}]}], "stream": True, "store": False}
CODEX_HEADERS = {"Authorization": "Bearer codex-access-token", "ChatGPT-Account-Id": "acc-emulator"}


@pytest.fixture(scope="module")
def codex() -> Iterator[CodexEmulator]:
    with CodexEmulator() as emu:
        yield emu


@pytest.mark.parametrize(("change", "detail"), [
    ({"stream": False}, "Stream must be set to true"),
    ({"store": True}, "Store must be set to false"),
    ({"instructions": None}, "Instructions are required"),
    ({"max_output_tokens": 10}, "Unsupported parameter: max_output_tokens"),
    ({"model": "gpt-4o"}, "The 'gpt-4o' model is not supported when using Codex with a ChatGPT account."),
])
async def test_codex_strictness(codex: CodexEmulator, change: dict[str, Any], detail: str) -> None:
    body = {k: v for k, v in {**CODEX_OK, **change}.items() if v is not None}
    status, _, raw = await post(codex.base_url + "/responses", body, CODEX_HEADERS)
    assert (status, json.loads(raw)) == (400, {"detail": detail})


async def test_codex_auth_and_usage_limit(codex: CodexEmulator) -> None:
    codex.reset()
    status, _, raw = await post(codex.base_url + "/responses", CODEX_OK, {**CODEX_HEADERS,
                                                                          "Authorization": "Bearer stale"})
    assert status == 401 and json.loads(raw)["error"]["code"] == "token_expired"
    status, _, _ = await post(codex.base_url + "/responses", CODEX_OK, {"Authorization": "Bearer codex-access-token"})
    assert status == 403
    codex.script(Fault.rate_limit(retry_after=120))
    status, headers, raw = await post(codex.base_url + "/responses", CODEX_OK, CODEX_HEADERS)
    error = json.loads(raw)["error"]
    assert status == 429 and error["type"] == "usage_limit_reached" and error["resets_in_seconds"] == 120
    assert abs(error["resets_at"] - (time.time() + 120)) < 5 and headers["x-codex-primary-used-percent"] == "100"


def test_codex_stream_with_sdk(codex: CodexEmulator) -> None:
    codex.reset()
    client = openai.OpenAI(base_url=codex.base_url, api_key="codex-access-token", max_retries=0,
                           default_headers={"ChatGPT-Account-Id": "acc-emulator"})
    with client.responses.stream(model="gpt-5.4", instructions="", input="hello codex", store=False) as stream:
        final = stream.get_final_response()
    assert final.output_text == "EMU_OK hello codex" and codex.last_request.json["stream"] is True


async def test_fault_mid_body_on_non_stream(emu: OpenAIEmulator) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    emu.script(Fault.stall(0.3, after_events=1))
    started = time.monotonic()
    status, _, raw = await post(emu.base_url() + "/chat/completions", body, AUTH)
    assert status == 200 and time.monotonic() - started >= 0.3 and json.loads(raw)["object"] == "chat.completion"
    emu.script(Fault.reset(after_events=1))
    with pytest.raises(aiohttp.ClientPayloadError):
        await post(emu.base_url() + "/chat/completions", body, AUTH)


async def test_responses_stream_failure_event(emu: OpenAIEmulator) -> None:
    emu.script(Fault.stream_error(after_events=3, message="boom"))
    _, _, raw = await post(emu.base_url() + "/responses", {"model": "gpt-4o", "input": "x", "stream": True}, AUTH)
    events = sse_payloads(raw)
    assert len(events) == 4 and events[-1]["type"] == "response.failed"
    assert events[-1]["sequence_number"] == 3 and events[-1]["response"]["error"]["message"] == "boom"


def test_compatible_upstream_reasoning_content() -> None:
    with OpenAIEmulator(api_key="sk-compat", models=None, base_path="/api/v1", reasoning_content=True) as emu:
        client = openai.OpenAI(base_url=emu.base_url(), api_key="sk-compat", max_retries=0)
        r = client.chat.completions.create(model="deepseek-emu", reasoning_effort="high",
                                           messages=[{"role": "user", "content": "why"}])
        assert r.choices[0].message.model_extra["reasoning_content"] == "EMU_THINKING about: why"
        assert r.usage.completion_tokens_details.reasoning_tokens == 3
        chunks = list(client.chat.completions.create(model="deepseek-emu", reasoning_effort="high", stream=True,
                                                     messages=[{"role": "user", "content": "why"}]))
        thought = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks)
        assert thought == "EMU_THINKING about: why" and emu.last_request.path == "/api/v1/chat/completions"
