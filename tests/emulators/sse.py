"""Wire framing for streamed and non-streamed emulator answers.

Owns: SSE event encoding (OpenAI/Anthropic `\\n\\n` framing, Google `\\r\\n\\r\\n`
framing, Google JSON-array streaming), and the two writers every emulator uses
to put bytes on the socket: `EventStream` for streams and `send_body` for
one-shot bodies.  Both apply the transport faults (stall, reset, in-band
error) at the exact event index a test scripted, so the proxy's idle timeouts,
partial-stream handling and error relaying can be exercised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import msgspec
from aiohttp import web

from .faults import Fault, FaultKind

_encoder = msgspec.json.Encoder()

Sleeper = Callable[[float], Awaitable[None]]


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as the providers emit inside SSE `data:` lines."""
    return _encoder.encode(obj)


def sse(data: Any, event: str | None = None) -> bytes:
    """One SSE event with LF framing (OpenAI, Anthropic).  `data` may be a str for `[DONE]`."""
    payload = data.encode() if isinstance(data, str) else dumps(data)
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + payload + b"\n\n"


def google_sse(data: Any) -> bytes:
    """One Google `alt=sse` event: `data:` only, CRLF framing, never an `event:` line or `[DONE]`."""
    return b"data: " + dumps(data) + b"\r\n\r\n"


def google_json_array(items: Sequence[bytes]) -> list[bytes]:
    """Frame encoded objects as the streamed JSON array Google sends without `alt=sse`."""
    if not items:
        return [b"[]"]
    out = [b"[" + items[0]]
    out.extend(b",\r\n" + item for item in items[1:])
    out[-1] += b"]"
    return out


class StreamAborted(Exception):
    """Raised inside a handler after a scripted reset; the runner swallows it."""


def abort_connection(request: web.Request) -> None:
    """Drop the TCP connection without a proper HTTP ending (a mid-stream reset)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise StreamAborted


class EventStream:
    """Writes pre-framed events to the client, applying a mid-stream fault at its event index."""

    def __init__(self, request: web.Request, fault: Fault | None, sleep: Sleeper, *,
                 content_type: str = "text/event-stream; charset=utf-8",
                 headers: Mapping[str, str] | None = None, chunk_delay: float = 0.0) -> None:
        self._request = request
        self._fault = fault if fault is not None and fault.after_events > 0 else None
        self._sleep = sleep
        self._delay = chunk_delay
        self._response = web.StreamResponse(status=200)
        self._response.content_type = content_type.split(";")[0]
        if "charset" in content_type:
            self._response.charset = "utf-8"
        self._response.headers["Cache-Control"] = "no-cache"
        for key, value in (headers or {}).items():
            self._response.headers[key] = value

    async def run(self, events: Sequence[bytes], error_event: bytes | None = None) -> web.StreamResponse:
        """Send every event; on a STREAM_ERROR fault send `error_event` instead of the rest."""
        await self._response.prepare(self._request)
        for index, event in enumerate(events):
            hit = self._fault is not None and index == self._fault.after_events
            if hit and await self._apply_fault(error_event):
                return self._response
            if index and self._delay:
                await self._sleep(self._delay)
            await self._response.write(event)
        await self._response.write_eof()
        return self._response

    async def _apply_fault(self, error_event: bytes | None) -> bool:
        """Apply the scripted fault; True means the stream is finished."""
        assert self._fault is not None
        kind = self._fault.kind
        if kind is FaultKind.STALL:
            await self._sleep(self._fault.seconds)
            return False
        if kind is FaultKind.RESET:
            abort_connection(self._request)
        if kind is FaultKind.STREAM_ERROR and error_event is not None:
            await self._response.write(error_event)
            await self._response.write_eof()
            return True
        return False


async def send_body(request: web.Request, body: bytes, *, status: int = 200,
                    content_type: str = "application/json", headers: Mapping[str, str] | None = None,
                    fault: Fault | None = None, sleep: Sleeper = asyncio.sleep) -> web.StreamResponse:
    """Send a one-shot body; a stall/reset fault with after_events>0 hits after half the body."""
    response = web.StreamResponse(status=status)
    response.content_type = content_type
    response.content_length = len(body)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    await response.prepare(request)
    if fault is not None and fault.after_events > 0 and fault.kind in (FaultKind.STALL, FaultKind.RESET):
        half = len(body) // 2
        await response.write(body[:half])
        if fault.kind is FaultKind.RESET:
            abort_connection(request)
        await sleep(fault.seconds)
        body = body[half:]
    await response.write(body)
    await response.write_eof()
    return response
