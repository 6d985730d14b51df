"""Anthropic SSE (upstream side) → IR events. One decoder per stream."""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.anthropic.common import ERROR_STATUS, STOP_IN, usage_in
from cliproxy.ir import (
    ArgsDelta,
    End,
    ErrorEvent,
    Event,
    Finish,
    FinishEvent,
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
    Usage,
    UsageEvent,
)
from cliproxy.ir.names import NameMap

_decode = msgspec.json.decode


class StreamDecoder:
    __slots__ = ("_done", "_names", "_opaque", "_started", "_stopped", "_usage", "warnings")

    def __init__(self, names: NameMap, warnings: list[str]) -> None:
        self._names = names
        self.warnings = warnings
        self._started = False
        self._done = False
        self._stopped = False
        self._usage: Usage | None = None
        self._opaque: set[int] = set()

    def feed(self, event: str, data: bytes) -> list[Event]:
        if not data or data == b"[DONE]":
            return []
        obj: Any = _decode(data)
        if not isinstance(obj, dict):
            return []
        t = obj.get("type") or event
        if t == "content_block_delta":
            idx = obj.get("index", 0)
            d = obj.get("delta") or {}
            dt = d.get("type")
            if dt == "text_delta":
                return [TextDelta(index=idx, text=d.get("text", ""))]
            if dt == "input_json_delta":
                if idx in self._opaque:
                    return []
                return [ArgsDelta(index=idx, fragment=d.get("partial_json", ""))]
            if dt == "thinking_delta":
                return [ThinkingDelta(index=idx, text=d.get("thinking", ""))]
            if dt == "signature_delta":
                return [SignatureDelta(index=idx, signature=d.get("signature", ""), origin="claude")]
            if dt == "citations_delta":
                return []
            self._warn(f"claude stream delta {dt!r} not translated")
            return []
        if t == "content_block_start":
            return self._block_start(obj)
        if t == "content_block_stop":
            return [PartEnd(index=obj.get("index", 0))]
        if t == "message_start":
            m = obj.get("message") or {}
            u = m.get("usage")
            self._usage = usage_in(u) if isinstance(u, dict) else None
            self._started = True
            return [Start(id=m.get("id") or "", model=m.get("model") or "", usage=self._usage)]
        if t == "message_delta":
            return self._message_delta(obj)
        if t == "message_stop":
            return self._end()
        if t == "error":
            err = obj.get("error") or {}
            etype = err.get("type") or "api_error"
            self._done = True
            return [ErrorEvent(status=ERROR_STATUS.get(etype, 500), type=etype,
                               message=err.get("message") or ""), End()]
        return []  # ping and unknown events

    def _block_start(self, obj: dict[str, Any]) -> list[Event]:
        idx = obj.get("index", 0)
        b = obj.get("content_block") or {}
        bt = b.get("type")
        if bt == "text":
            out: list[Event] = [PartStart(index=idx, part=Text(text=""))]
            if b.get("text"):
                out.append(TextDelta(index=idx, text=b["text"]))
            return out
        if bt == "thinking":
            out = [PartStart(index=idx, part=Thinking(origin="claude"))]
            if b.get("thinking"):
                out.append(ThinkingDelta(index=idx, text=b["thinking"]))
            if b.get("signature"):
                out.append(SignatureDelta(index=idx, signature=b["signature"], origin="claude"))
            return out
        if bt == "redacted_thinking":
            return [PartStart(index=idx, part=Thinking(signature=b.get("data") or "", origin="claude",
                                                       redacted=True))]
        if bt == "tool_use":
            ns, name = self._names.client(b.get("name") or "")
            out = [PartStart(index=idx, part=ToolCall(id=b.get("id") or "", name=name, namespace=ns))]
            inp = b.get("input")
            if isinstance(inp, dict) and inp:
                out.append(ArgsDelta(index=idx, fragment=msgspec.json.encode(inp).decode()))
            return out
        self._opaque.add(idx)
        return [PartStart(index=idx, part=Opaque(origin="claude", kind=str(bt), data=b))]

    def _message_delta(self, obj: dict[str, Any]) -> list[Event]:
        out: list[Event] = []
        u = obj.get("usage")
        if isinstance(u, dict):
            new = usage_in(u)
            if self._usage is not None:
                new.input_tokens = new.input_tokens or self._usage.input_tokens
                new.cache_read_tokens = new.cache_read_tokens or self._usage.cache_read_tokens
                new.cache_write_tokens = new.cache_write_tokens or self._usage.cache_write_tokens
            self._usage = new
            out.append(UsageEvent(usage=new))
        d = obj.get("delta") or {}
        stop = d.get("stop_reason")
        if stop:
            self._stopped = True
            out.append(FinishEvent(reason=STOP_IN.get(stop, Finish.STOP), native=stop,
                                   stop_sequence=d.get("stop_sequence")))
        return out

    def _end(self) -> list[Event]:
        if self._done:
            return []
        self._done = True
        return [End()]

    def finish(self) -> list[Event]:
        if self._done:
            return []
        self._done = True
        if self._stopped:
            return [End()]
        return [ErrorEvent(status=502, type="api_error",
                           message="upstream stream ended before message_stop"), End()]

    def _warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)
