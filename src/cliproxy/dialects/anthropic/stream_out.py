"""IR events → Anthropic SSE (client side): ``event:`` lines, one open content block at a time.

Anthropic clients need strictly sequential blocks (start, deltas, stop), while IR parts may
interleave (parallel OpenAI tool calls). Events of a part that starts while another block is open
are queued and replayed when the open block closes, so nothing is reordered inside a part and
nothing is lost. ``message_delta`` (stop reason and final usage) and ``message_stop`` go out at
``End``, after every block is closed.
"""

from __future__ import annotations

from typing import Any, assert_never

import msgspec

from cliproxy.dialects.anthropic.common import ERROR_STATUS, error_type, usage_out
from cliproxy.dialects.anthropic.names import safe_id
from cliproxy.dialects.anthropic.response_out import stop_reason
from cliproxy.ir import (
    ArgsDelta,
    End,
    ErrorEvent,
    Event,
    File,
    FinishEvent,
    Image,
    Opaque,
    PartEnd,
    PartStart,
    SignatureDelta,
    Start,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
)
from cliproxy.ir.options import ClientMeta
from cliproxy.ir.signatures import to_client
from cliproxy.ir.util import new_id

_encode = msgspec.json.encode


def _sse(name: bytes, obj: dict[str, Any]) -> bytes:
    return b"event: " + name + b"\ndata: " + _encode(obj) + b"\n\n"


class StreamEncoder:
    def __init__(self, meta: ClientMeta) -> None:
        self.meta = meta
        self._started = False
        self._closed = False
        self._next = 0  # next Anthropic block index
        self._open: int | None = None  # IR index of the open block
        self._kind: dict[int, str] = {}  # IR index -> "text" | "thinking" | "tool" | "skip"
        self._block: dict[int, int] = {}
        self._queue: dict[int, list[Event]] = {}
        self._finish: FinishEvent | None = None
        self._usage: Usage | None = None
        self._tools = False
        self._signed: set[int] = set()

    def feed(self, ev: Event) -> list[bytes]:
        if type(ev) is TextDelta and not ev.choice and ev.index == self._open and not self._closed \
                and self._kind.get(ev.index) == "text" and ev.index not in self._queue:
            # the hot path: more text for the open text block
            if not ev.text:
                return []
            return [b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,'
                    b'"delta":{"type":"text_delta","text":' % self._block[ev.index] + _encode(ev.text) + b"}}\n\n"]
        out: list[bytes] = []
        self._on(ev, out)
        return out

    def _on(self, ev: Event, out: list[bytes]) -> None:
        match ev:
            case Start():
                self._start(ev, out)
            case TextDelta() | ThinkingDelta() | ArgsDelta() | SignatureDelta() | PartEnd() | PartStart():
                if getattr(ev, "choice", 0):
                    self.meta.warn("claude: only the first of several candidates is streamed")
                    return
                if not self._started:
                    self._start(Start(), out)
                self._part_event(ev, out)
            case UsageEvent():
                self._usage = ev.usage
            case FinishEvent():
                if ev.choice == 0:
                    self._finish = ev
            case ErrorEvent():
                if not self._started:
                    self._start(Start(), out)
                etype = ev.type if ev.type in ERROR_STATUS else error_type(ev.status)
                out.append(_sse(b"error", {"type": "error", "error": {"type": etype, "message": ev.message}}))
                self._closed = True
            case End():
                self._end(out)
            case _:
                assert_never(ev)

    def _start(self, ev: Start, out: list[bytes]) -> None:
        if self._started:
            if ev.usage is not None and self._usage is None:
                self._usage = ev.usage
            return
        self._started = True
        self._usage = ev.usage
        mid = ev.id if ev.id.startswith("msg_") else "msg_" + (ev.id or new_id("", 24))
        out.append(_sse(b"message_start", {"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": self.meta.model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": usage_out(ev.usage)}}))

    def _part_event(self, ev: Event, out: list[bytes]) -> None:
        idx: int = ev.index  # type: ignore[union-attr]
        if self._closed:
            return
        if isinstance(ev, PartStart):
            if self._open is not None and self._open != idx:
                if idx not in self._queue:
                    self._queue[idx] = []
                self._queue[idx].append(ev)
                return
            self._open_block(idx, ev, out)
            return
        if idx in self._queue:
            self._queue[idx].append(ev)
            return
        if idx != self._open:
            return  # a part we skip (or a stray delta)
        if isinstance(ev, PartEnd):
            self._close_open(out)
            self._drain(out)
            return
        self._delta(idx, ev, out)

    def _open_block(self, idx: int, ev: PartStart, out: list[bytes]) -> None:
        p = ev.part
        block: dict[str, Any]
        match p:
            case Text():
                kind, block = "text", {"type": "text", "text": ""}
            case Thinking():
                if p.redacted and p.origin == "claude":
                    kind, block = "redacted", {"type": "redacted_thinking", "data": p.signature}
                else:
                    kind, block = "thinking", {"type": "thinking", "thinking": "", "signature": ""}
            case ToolCall():
                kind = "tool"
                self._tools = True
                block = {"type": "tool_use", "id": safe_id(p.id or new_id("toolu_")), "name": p.name,
                         "input": {}}
            case Opaque():
                if p.origin != "claude":
                    self.meta.warn(f"claude: {p.origin} {p.kind} output has no Anthropic equivalent; dropped")
                    self._kind[idx] = "skip"
                    return
                kind, block = "opaque", p.data
            case Image() | File() | ToolResult():
                self.meta.warn("claude: media output has no Anthropic equivalent; dropped")
                self._kind[idx] = "skip"
                return
            case _:
                assert_never(p)
        bi = self._next
        self._next += 1
        self._kind[idx] = kind
        self._block[idx] = bi
        self._open = idx
        out.append(_sse(b"content_block_start", {"type": "content_block_start", "index": bi,
                                                 "content_block": block}))
        if isinstance(p, Text) and p.text:
            self._delta(idx, TextDelta(index=idx, text=p.text), out)
        elif isinstance(p, Thinking) and kind == "thinking":
            if p.text:
                self._delta(idx, ThinkingDelta(index=idx, text=p.text), out)
            if p.signature:
                self._delta(idx, SignatureDelta(index=idx, signature=p.signature, origin=p.origin), out)
        elif isinstance(p, ToolCall) and (p.arguments or p.args):
            from cliproxy.ir import args_text

            self._delta(idx, ArgsDelta(index=idx, fragment=args_text(p)), out)

    def _delta(self, idx: int, ev: Event, out: list[bytes]) -> None:
        kind = self._kind.get(idx)
        d: dict[str, Any]
        if isinstance(ev, TextDelta) and kind == "text":
            if not ev.text:
                return
            d = {"type": "text_delta", "text": ev.text}
        elif isinstance(ev, ThinkingDelta) and kind == "thinking":
            if not ev.text:
                return
            d = {"type": "thinking_delta", "thinking": ev.text}
        elif isinstance(ev, SignatureDelta) and kind == "thinking":
            first = idx not in self._signed
            self._signed.add(idx)
            sig = to_client(ev.signature, ev.origin, "claude") if first else ev.signature
            d = {"type": "signature_delta", "signature": sig}
        elif isinstance(ev, ArgsDelta) and kind == "tool":
            if not ev.fragment:
                return
            d = {"type": "input_json_delta", "partial_json": ev.fragment}
        else:
            return
        out.append(_sse(b"content_block_delta", {"type": "content_block_delta",
                                                 "index": self._block[idx], "delta": d}))

    def _close_open(self, out: list[bytes]) -> None:
        if self._open is None:
            return
        bi = self._block[self._open]
        self._open = None
        out.append(_sse(b"content_block_stop", {"type": "content_block_stop", "index": bi}))

    def _drain(self, out: list[bytes], force: bool = False) -> None:
        while self._open is None and self._queue:
            idx = next(iter(self._queue))
            events = self._queue.pop(idx)
            for ev in events:
                if isinstance(ev, PartStart):
                    self._open_block(idx, ev, out)
                elif isinstance(ev, PartEnd):
                    if self._open == idx:
                        self._close_open(out)
                elif self._open == idx:
                    self._delta(idx, ev, out)
            if force and self._open == idx:
                self._close_open(out)
            elif self._open == idx:
                return  # still streaming: later events for it arrive directly

    def _end(self, out: list[bytes]) -> None:
        if self._closed:
            return
        if not self._started:
            self._start(Start(), out)
        self._close_open(out)
        self._drain(out, force=True)
        self._close_open(out)
        fin = self._finish
        reason = stop_reason(fin.reason if fin else None, self._tools)
        if fin is None and not self._tools:
            reason = "end_turn"
        delta = {"stop_reason": reason,
                 "stop_sequence": fin.stop_sequence if fin and reason == "stop_sequence" else None}
        out.append(_sse(b"message_delta", {"type": "message_delta", "delta": delta,
                                           "usage": usage_out(self._usage)}))
        out.append(_sse(b"message_stop", {"type": "message_stop"}))
        self._closed = True

    def finish(self) -> list[bytes]:
        out: list[bytes] = []
        if not self._closed:
            self._end(out)
        return out

