"""IR events → Gemini stream (client side): ``data:`` lines only, no ``event:`` and no ``[DONE]``
(google-genai fails on both). ``alt=json`` clients get one JSON array instead.

Text and thought deltas go out as they come; a function call goes out whole when its part ends
(Gemini has no partial arguments). A thinking signature rides on the next part, the way Gemini
itself sends it. The last chunk carries ``finishReason`` and ``usageMetadata``.
"""

from __future__ import annotations

from typing import Any, assert_never

import msgspec

from cliproxy.dialects.gemini.common import STATUS_NAME, usage_out
from cliproxy.dialects.gemini.response_out import finish_out
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

_encode = msgspec.json.encode
_decode = msgspec.json.decode


class StreamEncoder:
    def __init__(self, meta: ClientMeta) -> None:
        self.meta = meta
        self._array = meta.alt not in ("", "sse")
        self._first = True
        self._id = ""
        self._closed = False
        self._calls: dict[tuple[int, int], tuple[ToolCall, list[str]]] = {}
        self._sig: dict[int, str] = {}
        self._thought: dict[tuple[int, int], str] = {}  # thinking text so far (carried in foreign tags)
        self._finish: dict[int, FinishEvent] = {}
        self._usage: Usage | None = None
        self._choices: set[int] = {0}

    def _frame(self, obj: dict[str, Any]) -> bytes:
        data = _encode(obj)
        if not self._array:
            return b"data: " + data + b"\n\n"
        if self._first:
            self._first = False
            return b"[" + data
        return b",\r\n" + data

    def _chunk(self, ci: int, part: dict[str, Any]) -> bytes:
        self._choices.add(ci)
        sig = self._sig.pop(ci, "")
        if sig:
            part["thoughtSignature"] = sig
        obj: dict[str, Any] = {"candidates": [{"content": {"role": "model", "parts": [part]}, "index": ci}],
                               "modelVersion": self.meta.model}
        if self._id:
            obj["responseId"] = self._id
        return self._frame(obj)

    def feed(self, ev: Event) -> list[bytes]:
        if self._closed:
            return []
        match ev:
            case Start():
                self._id = ev.id
                return []
            case TextDelta():
                return [self._chunk(ev.choice, {"text": ev.text})] if ev.text else []
            case ThinkingDelta():
                if not ev.text:
                    return []
                key = (ev.choice, ev.index)
                self._thought[key] = self._thought.get(key, "") + ev.text
                return [self._chunk(ev.choice, {"thought": True, "text": ev.text})]
            case SignatureDelta():
                out = []
                if ev.choice in self._sig:
                    out.append(self._chunk(ev.choice, {"thought": True, "text": ""}))
                self._sig[ev.choice] = to_client(ev.signature, ev.origin, "gemini", b64=True,
                                                 text=self._thought.pop((ev.choice, ev.index), ""))
                return out
            case ArgsDelta():
                slot = self._calls.get((ev.choice, ev.index))
                if slot is not None:
                    slot[1].append(ev.fragment)
                return []
            case PartStart():
                return self._start(ev)
            case PartEnd():
                slot = self._calls.pop((ev.choice, ev.index), None)
                return [] if slot is None else [self._call(ev.choice, *slot)]
            case UsageEvent():
                self._usage = ev.usage
                return []
            case FinishEvent():
                self._finish[ev.choice] = ev
                return []
            case ErrorEvent():
                self._closed = True
                err = {"error": {"code": ev.status, "message": ev.message,
                                 "status": STATUS_NAME.get(ev.status, "INTERNAL" if ev.status >= 500 else "INVALID_ARGUMENT")}}
                out = [self._frame(err)]
                if self._array:
                    out.append(b"]")
                return out
            case End():
                return self._end()
            case _:
                assert_never(ev)

    def _start(self, ev: PartStart) -> list[bytes]:
        p = ev.part
        match p:
            case Text():
                return [self._chunk(ev.choice, {"text": p.text})] if p.text else []
            case Thinking():
                out = [self._chunk(ev.choice, {"thought": True, "text": p.text})] if p.text else []
                if p.text:
                    self._thought[(ev.choice, ev.index)] = p.text
                if p.signature:
                    self._sig[ev.choice] = to_client(p.signature, p.origin, "gemini", b64=True,
                                                     text=self._thought.pop((ev.choice, ev.index), ""))
                return out
            case ToolCall():
                frags = [p.arguments] if p.arguments else []
                if p.args is not None and not p.arguments:
                    frags.append(_encode(p.args).decode())
                self._calls[(ev.choice, ev.index)] = (p, frags)
                return []
            case Image() | File():
                if not p.data:
                    self.meta.warn("gemini: an output file without inline data was dropped")
                    return []
                return [self._chunk(ev.choice, {"inlineData": {"mimeType": p.mime or "image/png", "data": p.data}})]
            case Opaque():
                if p.origin == "gemini":
                    return [self._chunk(ev.choice, dict(p.data))]
                self.meta.warn(f"gemini: {p.origin} {p.kind} output has no Gemini equivalent; dropped")
                return []
            case ToolResult():
                return []
            case _:
                assert_never(p)

    def _call(self, ci: int, call: ToolCall, frags: list[str]) -> bytes:
        raw = "".join(frags).strip()
        try:
            args = _decode(raw) if raw else {}
        except msgspec.DecodeError:
            args = None
        if not isinstance(args, dict):
            self.meta.warn("gemini: tool call arguments were not a JSON object; wrapped as params")
            args = {"params": raw}
        fc: dict[str, Any] = {"name": call.name, "args": args}
        if call.id:
            fc["id"] = call.id
        return self._chunk(ci, {"functionCall": fc})

    def _end(self) -> list[bytes]:
        self._closed = True
        out: list[bytes] = []
        for (ci, _), (call, frags) in list(self._calls.items()):
            out.append(self._call(ci, call, frags))
        self._calls.clear()
        for ci in sorted(self._choices | set(self._finish)):
            sig = self._sig.pop(ci, "")
            if sig:
                out.append(self._chunk(ci, {"thought": True, "text": "", "thoughtSignature": sig}))
        cands = []
        for ci in sorted(self._choices | set(self._finish)):
            fin = self._finish.get(ci)
            cands.append({"content": {"role": "model", "parts": [{"text": ""}]},
                          "finishReason": finish_out(fin.reason if fin else None), "index": ci})
        obj: dict[str, Any] = {"candidates": cands}
        if self._usage is not None:
            obj["usageMetadata"] = usage_out(self._usage)
        obj["modelVersion"] = self.meta.model
        if self._id:
            obj["responseId"] = self._id
        out.append(self._frame(obj))
        if self._array:
            out.append(b"]")
        return out

    def finish(self) -> list[bytes]:
        return [] if self._closed else self._end()
