"""Inference handlers, one per client dialect: parse, check, run the pipeline, write.

Everything the client gets wrong becomes a 4xx in its own dialect that names the problem; an
unexpected exception becomes a 500 in its dialect (the only broad ``except`` in the server).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from cliproxy.app import AppState, Runtime
from cliproxy.dialects.ids import Action, Dialect
from cliproxy.dialects.sse import SSEDecoder
from cliproxy.errors import BadRequest, NotFound, ProxyError
from cliproxy.observability.logs import access_log
from cliproxy.pipeline.request import ClientRequest, NonStreamOutcome, Outcome, StreamOutcome
from cliproxy.server import legacy
from cliproxy.server.auth import check_client_key
from cliproxy.server.parse import expect, read_json
from cliproxy.server.writer import error_response, run_with_nonstream_keepalive, write_outcome

log = logging.getLogger("cliproxy.server")

Parser = Callable[[dict[str, Any], web.Request], ClientRequest]


def _model(body: dict[str, Any]) -> str:
    m = expect(body, "model", str, required=True, what="the model to use")
    if not m.strip():
        raise BadRequest("field 'model' must not be empty")
    return m


def _stream(body: dict[str, Any]) -> bool:
    return bool(expect(body, "stream", bool))


def parse_chat(body: dict[str, Any], request: web.Request) -> ClientRequest:
    model = _model(body)
    msgs = expect(body, "messages", list, required=True, what="the conversation")
    if not msgs:
        raise BadRequest("field 'messages' must contain at least one message")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise BadRequest(f"messages[{i}] must be an object with a string 'role'")
    return ClientRequest(Dialect.OPENAI_CHAT, Action.GENERATE, model, body, _stream(body), request.headers,
                         request.query, "POST /v1/chat/completions")


def parse_completions(body: dict[str, Any], request: web.Request) -> ClientRequest:
    model = _model(body)
    expect(body, "prompt", (str, list), required=True, what="the text to complete")
    chat = legacy.to_chat(body)
    return ClientRequest(Dialect.OPENAI_CHAT, Action.GENERATE, model, chat, _stream(body), request.headers,
                         request.query, "POST /v1/completions")


def parse_messages(body: dict[str, Any], request: web.Request) -> ClientRequest:
    model = _model(body)
    msgs = expect(body, "messages", list, required=True, what="the conversation")
    if not msgs:
        raise BadRequest("messages: at least one message is required")
    expect(body, "max_tokens", int)
    expect(body, "system", (str, list))
    return ClientRequest(Dialect.ANTHROPIC, Action.GENERATE, model, body, _stream(body), request.headers,
                         request.query, "POST /v1/messages")


def parse_count_tokens(body: dict[str, Any], request: web.Request) -> ClientRequest:
    model = _model(body)
    expect(body, "messages", list, required=True, what="the conversation to count")
    return ClientRequest(Dialect.ANTHROPIC, Action.COUNT_TOKENS, model, body, False, request.headers,
                         request.query, "POST /v1/messages/count_tokens")


def parse_responses(body: dict[str, Any], request: web.Request) -> ClientRequest:
    model = _model(body)
    expect(body, "input", (str, list))
    expect(body, "instructions", str)
    return ClientRequest(Dialect.OPENAI_RESPONSES, Action.GENERATE, model, body, _stream(body),
                         request.headers, request.query, "POST /v1/responses")


def parse_compact(body: dict[str, Any], request: web.Request) -> ClientRequest:
    model = _model(body)
    if body.get("stream") is True:
        raise BadRequest("streaming is not supported on /responses/compact")
    return ClientRequest(Dialect.OPENAI_RESPONSES, Action.COMPACT, model, body, False, request.headers,
                         request.query, "POST /v1/responses/compact")


def gemini_parser(model: str, method: str) -> Parser:
    def parse(body: dict[str, Any], request: web.Request) -> ClientRequest:
        if method == "countTokens":
            action, stream = Action.COUNT_TOKENS, False
            if "contents" not in body and "generateContentRequest" not in body:
                raise BadRequest("missing required field 'contents'")
            if isinstance(body.get("generateContentRequest"), dict):
                body = dict(body["generateContentRequest"])
        else:
            action, stream = Action.GENERATE, method == "streamGenerateContent"
            contents = expect(body, "contents", list, required=True, what="the conversation")
            if not contents:
                raise BadRequest("field 'contents' must not be empty")
        return ClientRequest(Dialect.GEMINI, action, model, body, stream, request.headers, request.query,
                             f"POST /v1beta/models/{{model}}:{method}")

    return parse


class InferenceHandlers:
    def __init__(self, state: AppState) -> None:
        self.state = state

    def auth(self, rt: Runtime, request: web.Request) -> str:
        key = check_client_key(rt.client_keys, request.headers, request.query)
        return rt.key_labels.get(key, "") if key else ""

    async def serve(self, request: web.Request, dialect: Dialect, parser: Parser, *,
                    transform: Callable[[Outcome], Outcome] | None = None) -> web.StreamResponse:
        rt = self.state.runtime  # this request keeps this snapshot to the end
        t0 = time.perf_counter()
        status = 500
        creq: ClientRequest | None = None
        try:
            principal = self.auth(rt, request)
            body = await read_json(request, rt.config.max_body_bytes)
            creq = parser(body, request)
            creq.principal = principal
            gemini_array = (creq.dialect is Dialect.GEMINI and creq.stream
                            and (request.query.get("alt") or request.query.get("$alt") or "sse") != "sse")
            ka = float(rt.config.streaming.keepalive_seconds or 0)
            nka = float(rt.config.nonstream_keepalive_interval or 0)
            if nka > 0 and not creq.stream:
                resp = await run_with_nonstream_keepalive(
                    request, dialect, nka, lambda: self._run(creq, rt, transform))
            else:
                out = await self._run(creq, rt, transform)
                resp = await write_outcome(request, dialect, out, keepalive=ka, gemini_array=gemini_array)
            status = resp.status
            return resp
        except ProxyError as err:
            status = err.status
            return error_response(dialect, err)
        except (ConnectionError, web.HTTPException):
            raise
        except Exception as exc:  # the top-level handler: never a traceback to the client
            log.exception("internal error on %s", request.path)
            status = 500
            return error_response(dialect, ProxyError(f"internal error: {exc.__class__.__name__}"))
        finally:
            if access_log.enabled():
                access_log(request.method, request.path, status, (time.perf_counter() - t0) * 1000,
                           creq.model if creq else "-")

    async def _run(self, creq: ClientRequest, rt: Runtime,
                   transform: Callable[[Outcome], Outcome] | None) -> Outcome:
        out = await self.state.pipeline.run(creq, rt)
        return transform(out) if transform else out

    # ------------------------------------------------------------------ routes
    async def chat(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, Dialect.OPENAI_CHAT, parse_chat)

    async def completions(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, Dialect.OPENAI_CHAT, parse_completions, transform=_to_completion)

    async def messages(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, Dialect.ANTHROPIC, parse_messages)

    async def count_tokens(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, Dialect.ANTHROPIC, parse_count_tokens)

    async def responses(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, Dialect.OPENAI_RESPONSES, parse_responses)

    async def compact(self, request: web.Request) -> web.StreamResponse:
        return await self.serve(request, Dialect.OPENAI_RESPONSES, parse_compact)

    async def gemini_post(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        model, sep, method = tail.rpartition(":")
        if not sep or not model:
            return error_response(Dialect.GEMINI, NotFound(f"{request.path} not found."))
        if method not in ("generateContent", "streamGenerateContent", "countTokens"):
            return error_response(Dialect.GEMINI, NotFound(f"method {method} is not supported"))
        return await self.serve(request, Dialect.GEMINI, gemini_parser(model.removeprefix("models/"), method))

    async def gemini_internal(self, request: web.Request, method: str) -> web.StreamResponse:
        def parse(body: dict[str, Any], req: web.Request) -> ClientRequest:
            model = expect(body, "model", str, required=True, what="the Code Assist envelope's model")
            inner = expect(body, "request", dict, required=True, what="the Code Assist envelope's request")
            creq = gemini_parser(model.removeprefix("models/"), method)(dict(inner), req)
            creq.endpoint = f"POST /v1internal:{method}"
            return creq

        transform = None if method == "countTokens" else _wrap_internal
        return await self.serve(request, Dialect.GEMINI, parse, transform=transform)


def _wrap_internal(out: Outcome) -> Outcome:
    """Gemini answers → the Code Assist envelope ``{"response": …}`` (non-stream and SSE)."""
    if isinstance(out, NonStreamOutcome):
        out.body = b'{"response":' + out.body + b"}"
        return out
    assert isinstance(out, StreamOutcome)

    def wrap(chunk: bytes) -> bytes:
        out = []
        for ev in SSEDecoder().feed(chunk + b"\n\n"):  # chunks are whole events
            if ev.data and ev.data != b"[DONE]":
                out.append(b'data: {"response":' + ev.data + b"}\n\n")
        return b"".join(out)

    out.first = wrap(out.first)
    out.rest = _mapped(out.rest, wrap)
    return out


def _to_completion(out: Outcome) -> Outcome:
    if isinstance(out, NonStreamOutcome):
        out.body = legacy.from_chat(out.body)
        return out
    assert isinstance(out, StreamOutcome)
    conv = legacy.ChatToCompletionStream()
    out.first = conv(out.first)
    out.rest = _mapped(out.rest, conv)
    return out


async def _mapped(rest: Any, fn: Callable[[bytes], bytes]) -> AsyncIterator[bytes]:
    """``rest`` with ``fn`` applied to each chunk, empty results dropped; closing it closes ``rest``
    (which records the stream's usage and releases the upstream connection)."""
    try:
        async for chunk in rest:
            b = fn(chunk)
            if b:
                yield b
    finally:
        await rest.aclose()
