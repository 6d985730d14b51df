"""OpenAI Chat Completions and legacy Completions, same dialect: ``openai`` SDK → proxy → an
``openai-compatibility`` upstream. Streaming and non-streaming, with a full tool round trip."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from proxy_harness import ProxyServer

from ._support import (
    BASH_TOOL_SCHEMA,
    OPENAI_UP_KEY,
    TOOL_OUTPUT,
    base_config,
    compat_block,
    openai_client,
    upstream_json,
)

TOOLS = [{"type": "function", "function": {"name": "bash", "description": "run a command",
                                            "parameters": BASH_TOOL_SCHEMA}}]


@pytest.fixture(scope="module")
def px(openai_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{"openai-compatibility": [
        compat_block(openai_emu, models={"my-chat": "gpt-4o", "gpt-4o-mini": "gpt-4o-mini"})]})
    with ProxyServer(cfg) as px:
        yield px


@pytest.fixture
def client(px, closing):
    return closing(openai_client(px))


def test_chat_non_stream_passthrough(client, openai_emu):
    r = client.chat.completions.create(model="my-chat", messages=[{"role": "user", "content": "hello there"}])
    assert r.choices[0].message.content == "EMU_OK hello there"
    assert r.choices[0].finish_reason == "stop"
    assert r.model == "my-chat"  # the alias the client asked for, not the upstream name
    assert r.usage is not None and r.usage.completion_tokens > 0
    rec = openai_emu.requests_to("/chat/completions")[-1]
    assert rec.header("Authorization") == f"Bearer {OPENAI_UP_KEY}"
    body = upstream_json(rec)
    assert body["model"] == "gpt-4o"  # alias resolved to the upstream name
    assert body["messages"] == [{"role": "user", "content": "hello there"}]


def test_chat_stream_passthrough(client, openai_emu):
    chunks = list(client.chat.completions.create(
        model="my-chat", messages=[{"role": "user", "content": "stream me"}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "EMU_OK stream me"
    assert all(c.model == "my-chat" for c in chunks)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    body = upstream_json(openai_emu.requests_to("/chat/completions")[-1])
    assert body["stream"] is True


def _tool_turns(client, *, stream: bool):
    messages = [{"role": "user", "content": "USE_TOOL please list files"}]
    if stream:
        chunks = list(client.chat.completions.create(model="my-chat", messages=messages, tools=TOOLS,
                                                     stream=True))
        calls: dict[int, dict] = {}
        finish = None
        for ch in chunks:
            if not ch.choices:
                continue
            d = ch.choices[0].delta
            for tc in d.tool_calls or []:
                slot = calls.setdefault(tc.index, {"id": None, "name": None, "arguments": ""})
                slot["id"] = tc.id or slot["id"]
                if tc.function is not None:
                    slot["name"] = tc.function.name or slot["name"]
                    slot["arguments"] += tc.function.arguments or ""
            finish = ch.choices[0].finish_reason or finish
        assert finish == "tool_calls"
        assert len(calls) == 1
        call = calls[0]
    else:
        r = client.chat.completions.create(model="my-chat", messages=messages, tools=TOOLS)
        assert r.choices[0].finish_reason == "tool_calls"
        tc = r.choices[0].message.tool_calls
        assert tc is not None and len(tc) == 1
        call = {"id": tc[0].id, "name": tc[0].function.name, "arguments": tc[0].function.arguments}
    assert call["name"] == "bash"
    assert json.loads(call["arguments"]) == {"command": "echo EMU_TOOL_OK"}
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call["id"], "type": "function",
             "function": {"name": call["name"], "arguments": call["arguments"]}}]},
        {"role": "tool", "tool_call_id": call["id"], "content": TOOL_OUTPUT},
    ]
    if stream:
        chunks = list(client.chat.completions.create(model="my-chat", messages=messages, tools=TOOLS,
                                                     stream=True))
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    r = client.chat.completions.create(model="my-chat", messages=messages, tools=TOOLS)
    return r.choices[0].message.content


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_chat_tool_round_trip(client, openai_emu, stream):
    assert _tool_turns(client, stream=stream) == f"EMU_RESULT: {TOOL_OUTPUT}"
    # the upstream saw the tool definition and, on the second turn, the tool result
    calls = openai_emu.requests_to("/chat/completions")
    assert len(calls) == 2
    first, second = upstream_json(calls[0]), upstream_json(calls[1])
    assert first["tools"] == TOOLS
    assert second["messages"][-1]["role"] == "tool"
    assert second["messages"][-1]["content"] == TOOL_OUTPUT


def test_legacy_completions_non_stream(client, openai_emu):
    r = client.completions.create(model="my-chat", prompt="complete this line")
    assert r.object == "text_completion"
    assert r.choices[0].text == "EMU_OK complete this line"
    assert r.model == "my-chat"
    body = upstream_json(openai_emu.requests_to("/chat/completions")[-1])
    assert body["messages"] == [{"role": "user", "content": "complete this line"}]


def test_legacy_completions_stream(client):
    chunks = list(client.completions.create(model="my-chat", prompt="stream legacy", stream=True))
    assert chunks, "no chunks"
    assert all(c.object == "text_completion" for c in chunks)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "EMU_OK stream legacy"


def test_chat_route_without_v1_prefix(px, openai_emu, closing):
    import openai

    c = closing(openai.OpenAI(base_url=px.url, api_key=openai_client(px).api_key, max_retries=0))
    r = c.chat.completions.create(model="my-chat", messages=[{"role": "user", "content": "no prefix"}])
    assert r.choices[0].message.content == "EMU_OK no prefix"


def test_model_list_and_retrieve(client):
    ids = {m.id for m in client.models.list()}
    assert {"my-chat", "gpt-4o-mini"} <= ids
    m = client.models.retrieve("my-chat")
    assert m.id == "my-chat"


def test_model_retrieve_unknown_is_404(client):
    import openai

    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


def test_unknown_fields_pass_through_untouched(client, openai_emu):
    client.chat.completions.create(model="my-chat", messages=[{"role": "user", "content": "x"}], seed=42,
                                   extra_body={"x_vendor_option": {"depth": [1, 2, 3]}, "top_k": 5})
    body = upstream_json(openai_emu.requests_to("/chat/completions")[-1])
    assert body["x_vendor_option"] == {"depth": [1, 2, 3]}
    assert body["top_k"] == 5 and body["seed"] == 42


def test_stream_asks_the_upstream_for_usage(client, openai_emu):
    chunks = list(client.chat.completions.create(model="my-chat", messages=[{"role": "user", "content": "u"}],
                                                 stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    body = upstream_json(openai_emu.requests_to("/chat/completions")[-1])
    assert body["stream_options"]["include_usage"] is True
