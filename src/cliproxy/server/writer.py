"""Write a pipeline outcome (or an error) to the client, in the client's dialect.

Streams: headers are committed only when the first upstream event is in hand; each upstream read
becomes one write (no buffering). A client that goes away cancels the upstream at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from cliproxy.dialects.errors import render_error, render_stream_error
from cliproxy.dialects.ids import Dialect
from cliproxy.errors import ProxyError
from cliproxy.pipeline.request import NonStreamOutcome, Outcome, StreamOutcome

log = logging.getLogger("cliproxy.server")

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
    "Access-Control-Allow-Origin": "*",
}
_CORS = {"Access-Control-Allow-Origin": "*"}


def json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    h = dict(_CORS)
    if headers:
        h.update(headers)
    return web.Response(body=body, status=status, content_type="application/json", headers=h)


def error_response(dialect: Dialect, err: ProxyError) -> web.Response:
    status, body = render_error(dialect, err)
    return json_response(body, status, err.headers or None)


class GeminiArrayFramer:
    """``streamGenerateContent`` without ``alt=sse``: the real API answers one JSON array."""

    def __init__(self) -> None:
        self.started = False

    def __call__(self, sse: bytes) -> bytes:
        parts = []
        for block in sse.split(b"\n\n"):
            for line in block.split(b"\n"):
                if line.startswith(b"data:"):
                    payload = line[5:].strip()
                    if payload and payload != b"[DONE]":
                        parts.append(payload)
        if not parts:
            return b""
        out = (b",\r\n" if self.started else b"[") + b",\r\n".join(parts)
        self.started = True
        return out

    def close(self) -> bytes:
        return b"]" if self.started else b"[]"


async def _with_keepalive(it: AsyncIterator[bytes], every: float) -> AsyncIterator[bytes]:
    nxt = asyncio.ensure_future(it.__anext__())
    try:
        while True:
            done, _ = await asyncio.wait({nxt}, timeout=every)
            if not done:
                yield b": keep-alive\n\n"
                continue
            try:
                chunk = nxt.result()
            except StopAsyncIteration:
                return
            yield chunk
            nxt = asyncio.ensure_future(it.__anext__())
    finally:
        if not nxt.done():
            nxt.cancel()
            with contextlib.suppress(BaseException):
                await nxt


async def write_stream(request: web.Request, dialect: Dialect, out: StreamOutcome, *,
                       keepalive: float = 0.0, gemini_array: bool = False) -> web.StreamResponse:
    headers = dict(SSE_HEADERS)
    framer = GeminiArrayFramer() if gemini_array else None
    if framer is not None:
        headers["Content-Type"] = "application/json"
    headers.update(out.headers)
    resp = web.StreamResponse(status=200, headers=headers)
    try:
        await resp.prepare(request)
        first = framer(out.first) if framer else out.first
        if first:
            await resp.write(first)
        rest = _with_keepalive(out.rest, keepalive) if keepalive > 0 else out.rest
        async for chunk in rest:
            if framer is not None:
                if chunk.startswith(b":"):
                    continue
                chunk = framer(chunk)
                if not chunk:
                    continue
            await resp.write(chunk)
        if framer is not None:
            await resp.write(framer.close())
        await resp.write_eof()
    except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
        log.info("client disconnected; upstream stream cancelled")
        await out.close()
        raise
    finally:
        with contextlib.suppress(Exception):
            await out.rest.aclose()  # type: ignore[attr-defined]
    return resp


async def write_outcome(request: web.Request, dialect: Dialect, out: Outcome, *,
                        keepalive: float = 0.0, gemini_array: bool = False) -> web.StreamResponse:
    if isinstance(out, NonStreamOutcome):
        return json_response(out.body, out.status, out.headers or None)
    return await write_stream(request, dialect, out, keepalive=keepalive, gemini_array=gemini_array)


async def run_with_nonstream_keepalive(request: web.Request, dialect: Dialect, interval: float,
                                       work: Callable[[], Awaitable[Outcome]]) -> web.StreamResponse:
    """``nonstream-keepalive-interval``: send ``\\n`` while waiting (JSON ignores leading space).

    Once a keep-alive byte is out the status is committed to 200, so a late error is written
    as the dialect's error JSON in the body (CLIProxyAPI does the same).
    """
    task = asyncio.ensure_future(work())
    try:
        done, _ = await asyncio.wait({task}, timeout=interval)
        if done:
            try:
                out = task.result()
            except ProxyError as err:
                return error_response(dialect, err)
            return await write_outcome(request, dialect, out)
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json", **_CORS})
        await resp.prepare(request)
        while not task.done():
            await resp.write(b"\n")
            await asyncio.wait({task}, timeout=interval)
        try:
            out = task.result()
        except ProxyError as err:
            await resp.write(render_error(dialect, err)[1])
        else:
            if isinstance(out, NonStreamOutcome):
                await resp.write(out.body)
            else:
                await resp.write(out.first)
                async for chunk in out.rest:
                    await resp.write(chunk)
        await resp.write_eof()
        return resp
    finally:
        if not task.done():
            task.cancel()


def stream_error_bytes(dialect: Dialect, err: ProxyError) -> bytes:
    return render_stream_error(dialect, err)
