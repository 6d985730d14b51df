"""Incremental Server-Sent Events framing over raw bytes.

Two tools, both safe at any chunk boundary (events and UTF-8 characters are never split, because
cuts happen only at ASCII line breaks):

- ``EventSplitter``: for passthrough. Returns whole events as the original bytes, unparsed, so
  the hot path re-serialises nothing.
- ``SSEDecoder``: for translation. Parses events into ``UpstreamEvent(event, data)``; handles
  ``\\r\\n`` and lone ``\\r``, ``data:`` with or without a space, multi-line data (joined with
  ``\\n``), comments and ``id:``/``retry:`` fields (ignored).
"""

from __future__ import annotations

from cliproxy.translate.base import UpstreamEvent

MAX_EVENT_BYTES = 64 * 1024 * 1024


class SSEOverflow(ValueError):
    pass


def _normalise(buf: bytes) -> bytes:
    if b"\r" in buf:
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return buf


class EventSplitter:
    """Cut a byte stream into complete SSE events, keeping the bytes as they came."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> bytes:
        """Return every complete event so far (possibly b"")."""
        buf = self._buf + chunk if self._buf else chunk
        end = buf.rfind(b"\n\n")
        end_crlf = buf.rfind(b"\n\r\n")
        cut = max(end + 2 if end >= 0 else -1, end_crlf + 3 if end_crlf >= 0 else -1)
        if cut < 0:
            if len(buf) > MAX_EVENT_BYTES:
                raise SSEOverflow("SSE event larger than the limit")
            self._buf = buf
            return b""
        self._buf = buf[cut:]
        return buf[:cut]

    def flush(self) -> bytes:
        rest, self._buf = self._buf, b""
        return rest


class SSEDecoder:
    """Parse a byte stream into events. ``feed`` may be called with arbitrary slices."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, chunk: bytes) -> list[UpstreamEvent]:
        buf = self._buf + chunk if self._buf else chunk
        # keep a trailing "\r" back: it may be the first half of "\r\n"
        hold = b""
        if buf.endswith(b"\r"):
            buf, hold = buf[:-1], b"\r"
        buf = _normalise(buf)
        end = buf.rfind(b"\n\n")
        if end < 0:
            if len(buf) > MAX_EVENT_BYTES:
                raise SSEOverflow("SSE event larger than the limit")
            self._buf = buf + hold
            return []
        self._buf = buf[end + 2:] + hold
        return [ev for block in buf[:end].split(b"\n\n") if (ev := parse_block(block)) is not None]

    def flush(self) -> list[UpstreamEvent]:
        """At EOF: a final event without its blank line still counts."""
        rest, self._buf = _normalise(self._buf).strip(b"\n"), b""
        if not rest:
            return []
        return [ev for block in rest.split(b"\n\n") if (ev := parse_block(block)) is not None]


def parse_block(block: bytes) -> UpstreamEvent | None:
    if block[:6] == b"data: " and b"\n" not in block:  # the common case: one data line
        return UpstreamEvent("", block[6:])
    event = ""
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line[0] == 58:  # ":" comment
            continue
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            event = value.decode("utf-8", "replace")
    if not data and not event:
        return None
    return UpstreamEvent(event, b"\n".join(data))


def frame(data: bytes, event: str = "") -> bytes:
    """Frame one event for a client."""
    if event:
        return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"
    return b"data: " + data + b"\n\n"
