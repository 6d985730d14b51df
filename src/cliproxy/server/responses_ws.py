"""``GET /v1/responses`` websocket (Codex CLI's websocket transport), upstream-server.md §1.5.

Each ``response.create`` text frame runs like a streaming ``POST /v1/responses``; every event
goes back as one text frame. Upstreams are called with ``store:false``, so the connection keeps
the last turn's input and output and expands ``previous_response_id`` (or ``response.append``)
into the full transcript itself. ``generate:false`` prewarm requests are answered locally.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import msgspec
from aiohttp import WSMsgType, web

from cliproxy.app import AppState
from cliproxy.dialects.errors import error_payload
from cliproxy.dialects.ids import Action, Dialect
from cliproxy.dialects.sse import SSEDecoder
from cliproxy.errors import BadRequest, PayloadTooLarge, ProxyError
from cliproxy.pipeline.request import ClientRequest, NonStreamOutcome
from cliproxy.server.handlers import InferenceHandlers
from cliproxy.server.writer import error_response

log = logging.getLogger("cliproxy.ws")
_enc = msgspec.json.encode


class _Conn:
    def __init__(self) -> None:
        self.last_body: dict[str, Any] | None = None
        self.transcript: list[Any] = []
        self.last_id: str | None = None


def _as_items(inp: Any) -> list[Any]:
    if isinstance(inp, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": inp}]}]
    return list(inp) if isinstance(inp, list) else []


class ResponsesWebsocket:
    def __init__(self, state: AppState, inference: InferenceHandlers) -> None:
        self.state = state
        self.inference = inference

    async def handle(self, request: web.Request) -> web.StreamResponse:
        rt = self.state.runtime
        try:
            principal = self.inference.auth(rt, request)
        except ProxyError as err:
            return error_response(Dialect.OPENAI_RESPONSES, err)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return error_response(Dialect.OPENAI_RESPONSES,
                                  BadRequest("GET /v1/responses is the websocket transport; use POST for HTTP"))
        headers = {}
        turn = request.headers.get("x-codex-turn-state")
        if turn:
            headers["x-codex-turn-state"] = turn
        ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=64 * 1024 * 1024)
        ws.headers.update(headers)
        await ws.prepare(request)
        conn = _Conn()
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
                continue
            try:
                await self._turn(ws, request, conn, msg.data, principal)
            except ProxyError as err:
                await ws.send_str(_enc({"type": "error", "status": err.status,
                                        "error": error_payload(Dialect.OPENAI_RESPONSES, err)["error"]}).decode())
        return ws

    async def _turn(self, ws: web.WebSocketResponse, request: web.Request, conn: _Conn, text: str,
                    principal: str) -> None:
        try:
            obj = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            raise BadRequest(f"websocket frame is not valid JSON: {exc}") from exc
        if not isinstance(obj, dict):
            raise BadRequest("websocket frame must be a JSON object")
        typ = obj.pop("type", "response.create")
        if typ == "response.append":
            if conn.last_body is None:
                raise BadRequest("response.append before any response.create")
            body = dict(conn.last_body)
            body["input"] = self._expand(conn, obj.get("input"))
        elif typ == "response.create":
            inner = obj.get("response")
            body = dict(inner if isinstance(inner, dict) else obj)
            prev = body.pop("previous_response_id", None)
            if prev and prev == conn.last_id:
                body["input"] = self._expand(conn, body.get("input"))
        else:
            raise BadRequest(f"unsupported websocket message type {typ!r}")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequest("missing required field 'model'")
        if body.get("generate") is False:
            await self._prewarm(ws, model)
            return
        body.pop("generate", None)
        body["stream"] = True
        creq = ClientRequest(Dialect.OPENAI_RESPONSES, Action.GENERATE, model, body, True, request.headers,
                             request.query, "GET /v1/responses (websocket)", principal)
        out = await self.state.pipeline.run(creq, self.state.runtime)
        conn.last_body = {k: v for k, v in body.items() if k != "input"}
        items = _as_items(body.get("input"))
        if isinstance(out, NonStreamOutcome):
            await ws.send_str(out.body.decode())
            return
        dec = SSEDecoder()
        outputs: list[Any] = []
        try:
            chunks = [out.first]
            async for chunk in _chain(chunks, out.rest):
                for ev in dec.feed(chunk):
                    if not ev.data or ev.data == b"[DONE]":
                        continue
                    await ws.send_str(ev.data.decode())
                    self._track(ev.data, outputs, conn)
            for ev in dec.flush():
                await ws.send_str(ev.data.decode())
        finally:
            await out.rest.aclose()  # type: ignore[attr-defined]
            await out.close()
        conn.transcript = items + outputs

    def _expand(self, conn: _Conn, new_input: Any) -> list[Any]:
        """The transcript so far plus this turn's input: what the client would have sent over HTTP,
        so it is held to the same ``max-body-bytes`` limit."""
        items = conn.transcript + _as_items(new_input)
        limit = self.state.runtime.config.max_body_bytes
        size = len(_enc(items))
        if size > limit:
            raise PayloadTooLarge(f"the conversation on this websocket has grown to {size} bytes, past "
                                  f"max-body-bytes ({limit}); start a new one (response.create without "
                                  "previous_response_id)")
        return items

    @staticmethod
    def _track(data: bytes, outputs: list[Any], conn: _Conn) -> None:
        if b'"response.output_item.done"' in data or b'"response.completed"' in data:
            try:
                ev = msgspec.json.decode(data)
            except msgspec.DecodeError:
                return
            if ev.get("type") == "response.output_item.done" and isinstance(ev.get("item"), dict):
                outputs.append(ev["item"])
            elif ev.get("type") == "response.completed":
                conn.last_id = (ev.get("response") or {}).get("id")

    @staticmethod
    async def _prewarm(ws: web.WebSocketResponse, model: str) -> None:
        rid = f"resp_prewarm_{uuid.uuid4().hex}"
        resp = {"id": rid, "object": "response", "created_at": int(time.time()), "status": "completed",
                "model": model, "output": [], "usage": {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}}
        await ws.send_str(_enc({"type": "response.created", "sequence_number": 0,
                                "response": {**resp, "status": "in_progress"}}).decode())
        await ws.send_str(_enc({"type": "response.completed", "sequence_number": 1, "response": resp}).decode())


async def _chain(first: list[bytes], rest):
    for c in first:
        yield c
    async for c in rest:
        yield c
