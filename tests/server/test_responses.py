"""OpenAI Responses, same dialect: ``openai`` SDK → proxy → a ``codex-api-key`` upstream (the strict
Codex backend emulator). Also the ``/backend-api/codex`` alias, the websocket transport and compact."""

from __future__ import annotations

import json
from collections.abc import Iterator

import aiohttp
import openai
import pytest

from proxy_harness import ProxyServer

from ._support import (
    BASH_TOOL_SCHEMA,
    CLIENT_KEY,
    CODEX_UP_KEY,
    TOOL_OUTPUT,
    base_config,
    bearer,
    openai_client,
    raw,
    upstream_json,
)

MODEL = "gpt-5.4"
TOOLS = [{"type": "function", "name": "bash", "description": "run a command", "parameters": BASH_TOOL_SCHEMA}]


@pytest.fixture(scope="module")
def px(codex_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{"codex-api-key": [{"api-key": CODEX_UP_KEY, "base-url": codex_emu.base_url}]})
    with ProxyServer(cfg) as px:
        yield px


@pytest.fixture
def client(px, closing):
    return closing(openai_client(px))


def test_responses_non_stream(client, codex_emu):
    r = client.responses.create(model=MODEL, input="hello codex")
    assert r.output_text == "EMU_OK hello codex"
    assert r.status == "completed"
    rec = codex_emu.requests_to("/responses")[-1]
    assert rec.header("Authorization") == f"Bearer {CODEX_UP_KEY}"
    body = upstream_json(rec)
    # the Codex backend only streams and never stores; the proxy must say so
    assert body["stream"] is True and body["store"] is False


def test_responses_stream(client):
    events = list(client.responses.create(model=MODEL, input="stream codex", stream=True))
    types = [e.type for e in events]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "EMU_OK stream codex"
    assert events[-1].response.output_text == "EMU_OK stream codex"


def _function_call(client, *, stream: bool):
    if not stream:
        r = client.responses.create(model=MODEL, input="USE_TOOL list files", tools=TOOLS)
        calls = [o for o in r.output if o.type == "function_call"]
    else:
        events = list(client.responses.create(model=MODEL, input="USE_TOOL list files", tools=TOOLS,
                                              stream=True))
        assert events[-1].type == "response.completed"
        calls = [e.item for e in events if e.type == "response.output_item.done" and e.item.type == "function_call"]
    assert len(calls) == 1
    return calls[0]


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_responses_tool_round_trip(client, codex_emu, stream):
    call = _function_call(client, stream=stream)
    assert call.name == "bash"
    assert json.loads(call.arguments) == {"command": "echo EMU_TOOL_OK"}
    follow_input = [
        {"role": "user", "content": "USE_TOOL list files"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": TOOL_OUTPUT},
    ]
    if stream:
        events = list(client.responses.create(model=MODEL, input=follow_input, tools=TOOLS, stream=True))
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    else:
        text = client.responses.create(model=MODEL, input=follow_input, tools=TOOLS).output_text
    assert text == f"EMU_RESULT: {TOOL_OUTPUT}"
    second = upstream_json(codex_emu.requests_to("/responses")[-1])
    assert second["input"][-1] == {"type": "function_call_output", "call_id": call.call_id, "output": TOOL_OUTPUT}
    assert second["tools"][0]["name"] == "bash"


def test_backend_api_codex_alias(px, closing):
    c = closing(openai.OpenAI(base_url=px.url + "/backend-api/codex", api_key=CLIENT_KEY, max_retries=0))
    assert c.responses.create(model=MODEL, input="via alias").output_text == "EMU_OK via alias"
    events = list(c.responses.create(model=MODEL, input="via alias stream", stream=True))
    assert events[-1].type == "response.completed"


def test_compact(client, codex_emu):
    r = client.responses.compact(model=MODEL, input="compact me", instructions="be brief")
    assert r.object == "response.compaction"
    assert any(item.type == "compaction" for item in r.output)
    assert codex_emu.requests_to("/responses/compact"), "compact must reach the upstream's compact endpoint"


def test_compact_rejects_stream(px, codex_emu):
    resp = raw(px, "POST", "/v1/responses/compact", headers=bearer(),
               body={"model": MODEL, "input": "x", "stream": True})
    assert resp.status == 400
    err = resp.json()["error"]
    assert "stream" in err["message"].lower()
    assert not codex_emu.requests, "a rejected request must not reach the upstream"


def test_responses_get_without_upgrade_is_a_clear_400(px):
    resp = raw(px, "GET", "/v1/responses", headers=bearer())
    assert resp.status == 400
    assert "websocket" in resp.json()["error"]["message"].lower()


async def _ws_turn(ws, payload: dict) -> list[dict]:
    await ws.send_str(json.dumps(payload))
    events: list[dict] = []
    while True:
        msg = await ws.receive(timeout=20)
        assert msg.type is aiohttp.WSMsgType.TEXT, f"unexpected frame {msg.type}: {msg.data!r}"
        ev = json.loads(msg.data)
        events.append(ev)
        if ev.get("type") in ("response.completed", "response.failed", "response.incomplete", "error"):
            return events


@pytest.mark.parametrize("path", ["/v1/responses", "/backend-api/codex/responses"])
async def test_responses_websocket(px, codex_emu, path):
    url = px.url.replace("http://", "ws://") + path
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=bearer()) as ws:
        first = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "ws hello"})
        assert first[0]["type"] == "response.created"
        assert first[-1]["type"] == "response.completed"
        text = "".join(e.get("delta", "") for e in first if e["type"] == "response.output_text.delta")
        assert text == "EMU_OK ws hello"
        # a second turn on the same connection works too, chaining on the first
        rid = first[-1]["response"]["id"]
        second = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "ws again",
                                     "previous_response_id": rid})
        assert second[-1]["type"] == "response.completed"
        assert second[-1]["response"]["output"][0]["content"][0]["text"] == "EMU_OK ws again"
    ups = [upstream_json(r) for r in codex_emu.requests_to("/responses")]
    assert len(ups) == 2
    assert all(u["stream"] is True for u in ups)
    # store:false upstream, so the proxy expands previous_response_id into the transcript
    assert "previous_response_id" not in ups[1]
    texts = json.dumps(ups[1]["input"])
    assert "ws hello" in texts and "ws again" in texts


async def test_responses_websocket_requires_client_key(px):
    url = px.url.replace("http://", "ws://") + "/v1/responses"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as ei:
            async with session.ws_connect(url, headers={"Authorization": "Bearer wrong"}):
                pass
    assert ei.value.status == 401


async def test_responses_websocket_unknown_model_is_an_error_frame(px):
    url = px.url.replace("http://", "ws://") + "/v1/responses"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=bearer()) as ws:
        events = await _ws_turn(ws, {"type": "response.create", "model": "no-such-model", "input": "x"})
        assert events[-1]["type"] == "error"
        assert events[-1]["status"] == 404
        # the connection survives a failed turn
        ok = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "after error"})
        assert ok[-1]["type"] == "response.completed"


def test_reasoning_encrypted_content_survives_a_round_trip(client, codex_emu):
    """store:false upstream: the client replays the encrypted reasoning item; the upstream verifies it."""
    r = client.responses.create(model=MODEL, input="USE_TOOL think", tools=TOOLS,
                                reasoning={"effort": "low", "summary": "auto"})
    reasoning = [o for o in r.output if o.type == "reasoning"]
    call = next(o for o in r.output if o.type == "function_call")
    assert reasoning and reasoning[0].encrypted_content
    follow = [{"role": "user", "content": "USE_TOOL think"},
              *[o.model_dump(exclude_none=True) for o in r.output],
              {"type": "function_call_output", "call_id": call.call_id, "output": TOOL_OUTPUT}]
    r2 = client.responses.create(model=MODEL, input=follow, tools=TOOLS, reasoning={"effort": "low"})
    assert r2.output_text == f"EMU_RESULT: {TOOL_OUTPUT}"
    sent = upstream_json(codex_emu.requests_to("/responses")[-1])
    assert any(i.get("type") == "reasoning" and i.get("encrypted_content") for i in sent["input"])


def test_unknown_fields_pass_through(client, codex_emu):
    client.responses.create(model=MODEL, input="x", extra_body={"x_custom_field": {"keep": True}},
                            metadata={"k": "v"})
    body = upstream_json(codex_emu.requests_to("/responses")[-1])
    assert body["x_custom_field"] == {"keep": True}
    assert body["metadata"] == {"k": "v"}


async def test_websocket_prewarm_is_answered_locally_and_turn_state_is_echoed(px, codex_emu):
    url = px.url.replace("http://", "ws://") + "/v1/responses"
    headers = {**bearer(), "x-codex-turn-state": "turn-abc"}
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=headers) as ws:
        events = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "warm",
                                     "generate": False})
        assert [e["type"] for e in events] == ["response.created", "response.completed"]
    assert not codex_emu.requests
    # the upgrade answer echoes x-codex-turn-state (read with a bare handshake)
    hs = raw(px, "GET", "/v1/responses", headers={
        **headers, "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, timeout=5)
    assert hs.status == 101
    assert hs.headers.get("x-codex-turn-state") == "turn-abc"


async def test_websocket_bad_frames_get_error_frames_and_the_connection_survives(px):
    url = px.url.replace("http://", "ws://") + "/v1/responses"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=bearer()) as ws:
        await ws.send_str("{not json")
        err = json.loads((await ws.receive(timeout=10)).data)
        assert err["type"] == "error" and err["status"] == 400
        await ws.send_str(json.dumps({"type": "response.create", "input": "no model"}))
        err2 = json.loads((await ws.receive(timeout=10)).data)
        assert err2["type"] == "error" and "model" in err2["error"]["message"]
        ok = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "still here"})
        assert ok[-1]["type"] == "response.completed"


async def test_websocket_upstream_failure_is_an_error_frame(px, codex_emu):
    from emulators import Fault

    codex_emu.script(Fault.rate_limit(retry_after=30))
    url = px.url.replace("http://", "ws://") + "/v1/responses"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=bearer()) as ws:
        events = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "x"})
        assert events[-1]["type"] == "error"
        assert events[-1]["status"] == 429


async def test_responses_websocket_transcript_is_held_to_max_body_bytes(codex_emu):
    """The proxy expands previous_response_id into the whole transcript; that body is what the client
    would have sent over HTTP, so it gets the same limit, a clear error frame, and the connection lives on."""
    cfg = base_config(**{"max-body-bytes": 4000,
                         "codex-api-key": [{"api-key": CODEX_UP_KEY, "base-url": codex_emu.base_url}]})
    with ProxyServer(cfg) as small:
        url = small.url.replace("http://", "ws://") + "/v1/responses"
        async with aiohttp.ClientSession() as session, session.ws_connect(url, headers=bearer()) as ws:
            first = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "a" * 1500})
            assert first[-1]["type"] == "response.completed"
            rid = first[-1]["response"]["id"]
            sent = len(codex_emu.requests_to("/responses"))
            over = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "b" * 2600,
                                       "previous_response_id": rid})
            assert over[-1]["type"] == "error" and over[-1]["status"] == 413
            assert "max-body-bytes" in over[-1]["error"]["message"]
            assert len(codex_emu.requests_to("/responses")) == sent  # nothing went upstream
            fresh = await _ws_turn(ws, {"type": "response.create", "model": MODEL, "input": "fresh start"})
            assert fresh[-1]["type"] == "response.completed"
