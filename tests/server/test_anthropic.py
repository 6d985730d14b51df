"""Anthropic Messages, same dialect: ``anthropic`` SDK → proxy → a ``claude-api-key`` upstream.
Streaming and non-streaming with a full tool round trip, count_tokens and the Anthropic model list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proxy_harness import ProxyServer

from ._support import (
    BASH_TOOL_SCHEMA,
    CLAUDE_UP_KEY,
    TOOL_OUTPUT,
    anthropic_client,
    base_config,
    upstream_json,
)

MODEL = "claude-sonnet-4-6"
TOOLS = [{"name": "bash", "description": "run a command", "input_schema": BASH_TOOL_SCHEMA}]


@pytest.fixture(scope="module")
def px(anthropic_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{"claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}]})
    with ProxyServer(cfg) as px:
        yield px


@pytest.fixture
def client(px, closing):
    return closing(anthropic_client(px))


def test_messages_non_stream(client, anthropic_emu):
    msg = client.messages.create(model=MODEL, max_tokens=256,
                                 messages=[{"role": "user", "content": "hello claude"}])
    assert msg.type == "message"
    assert msg.content[0].type == "text"
    assert msg.content[0].text == "EMU_OK hello claude"
    assert msg.stop_reason == "end_turn"
    assert msg.model == MODEL
    rec = anthropic_emu.requests_to("/v1/messages")[-1]
    body = upstream_json(rec)
    assert body["model"] == MODEL
    assert body["max_tokens"] == 256
    assert rec.header("anthropic-version"), "the upstream needs anthropic-version"
    # a custom base-url gets the key as a Bearer token (CLIProxyAPI's rule for non-Anthropic hosts)
    assert CLAUDE_UP_KEY in (rec.header("x-api-key") or rec.header("Authorization") or "")


def test_messages_stream(client):
    with client.messages.stream(model=MODEL, max_tokens=256,
                                messages=[{"role": "user", "content": "stream claude"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "EMU_OK stream claude"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


def test_messages_stream_raw_events(client):
    events = list(client.messages.create(model=MODEL, max_tokens=64, stream=True,
                                         messages=[{"role": "user", "content": "raw events"}]))
    types = [e.type for e in events]
    assert types[0] == "message_start"
    assert types[-1] == "message_stop"
    assert "content_block_delta" in types


def _tool_use(client, *, stream: bool):
    kwargs = dict(model=MODEL, max_tokens=256, tools=TOOLS,
                  messages=[{"role": "user", "content": "USE_TOOL please list files"}])
    if stream:
        with client.messages.stream(**kwargs) as s:
            msg = s.get_final_message()
    else:
        msg = client.messages.create(**kwargs)
    assert msg.stop_reason == "tool_use"
    uses = [b for b in msg.content if b.type == "tool_use"]
    assert len(uses) == 1
    return msg, uses[0]


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_messages_tool_round_trip(client, anthropic_emu, stream):
    msg, use = _tool_use(client, stream=stream)
    assert use.name == "bash"
    assert use.input == {"command": "echo EMU_TOOL_OK"}
    messages = [
        {"role": "user", "content": "USE_TOOL please list files"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in msg.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": TOOL_OUTPUT}]},
    ]
    if stream:
        with client.messages.stream(model=MODEL, max_tokens=256, tools=TOOLS, messages=messages) as s:
            text = "".join(s.text_stream)
    else:
        reply = client.messages.create(model=MODEL, max_tokens=256, tools=TOOLS, messages=messages)
        text = "".join(b.text for b in reply.content if b.type == "text")
    assert text == f"EMU_RESULT: {TOOL_OUTPUT}"
    second = upstream_json(anthropic_emu.requests_to("/v1/messages")[-1])
    assert second["messages"][-1]["content"][0]["type"] == "tool_result"
    assert second["tools"][0]["name"] == "bash"


def test_count_tokens(client, anthropic_emu):
    r = client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "one two three four"}])
    assert r.input_tokens > 0
    rec = anthropic_emu.requests_to("/v1/messages/count_tokens")
    assert rec, "count_tokens must be answered by the upstream's count endpoint"
    assert "max_tokens" not in upstream_json(rec[-1])


def test_anthropic_model_list(client):
    page = client.models.list()
    ids = [m.id for m in page.data]
    assert MODEL in ids
    assert all(m.type == "model" for m in page.data)
    assert page.has_more is False


def test_anthropic_model_list_via_raw_header(px):
    from ._support import raw

    resp = raw(px, "GET", "/v1/models", headers={"x-api-key": "sk-client-0123456789",
                                                 "anthropic-version": "2023-06-01"})
    assert resp.status == 200
    body = resp.json()
    assert "has_more" in body and body["data"][0]["type"] == "model"


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_thinking_signature_survives_a_tool_round_trip(client, anthropic_emu, stream):
    """Passthrough is byte-faithful: the upstream verifies the thinking signature it minted."""
    kwargs = dict(model=MODEL, max_tokens=4096, tools=TOOLS, thinking={"type": "enabled", "budget_tokens": 1024},
                  messages=[{"role": "user", "content": "USE_TOOL think first"}])
    if stream:
        with client.messages.stream(**kwargs) as s:
            msg = s.get_final_message()
    else:
        msg = client.messages.create(**kwargs)
    kinds = [b.type for b in msg.content]
    assert kinds[0] == "thinking" and "tool_use" in kinds
    assert msg.content[0].signature
    use = next(b for b in msg.content if b.type == "tool_use")
    reply = client.messages.create(
        model=MODEL, max_tokens=4096, tools=TOOLS, thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[*kwargs["messages"],
                  {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in msg.content]},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                                "content": TOOL_OUTPUT}]}])
    assert [b.text for b in reply.content if b.type == "text"] == [f"EMU_RESULT: {TOOL_OUTPUT}"]


def test_unknown_fields_and_beta_header_pass_through(client, anthropic_emu):
    client.messages.create(model=MODEL, max_tokens=32, messages=[{"role": "user", "content": "x"}],
                           metadata={"user_id": "u-123"}, extra_body={"x_custom_field": {"keep": [1, 2]}},
                           extra_headers={"anthropic-beta": "emulated-beta-2026-01-01"})
    rec = anthropic_emu.requests[-1]
    body = upstream_json(rec)
    assert body["x_custom_field"] == {"keep": [1, 2]}
    assert body["metadata"] == {"user_id": "u-123"}
    assert "emulated-beta-2026-01-01" in (rec.header("anthropic-beta") or "")


@pytest.fixture(scope="module")
def alias_px(anthropic_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{"claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url,
                                             "models": [{"name": MODEL, "alias": "my-claude"}]}]})
    with ProxyServer(cfg) as px:
        yield px


def test_alias_is_shown_back_to_the_client(alias_px, anthropic_emu, closing):
    c = closing(anthropic_client(alias_px))
    msg = c.messages.create(model="my-claude", max_tokens=32, messages=[{"role": "user", "content": "x"}])
    assert msg.model == "my-claude"
    assert upstream_json(anthropic_emu.requests[-1])["model"] == MODEL
    events = list(c.messages.create(model="my-claude", max_tokens=32, stream=True,
                                    messages=[{"role": "user", "content": "x"}]))
    assert events[0].type == "message_start" and events[0].message.model == "my-claude"
