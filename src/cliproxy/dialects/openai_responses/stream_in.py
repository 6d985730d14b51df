"""OpenAI Responses / Codex SSE (upstream side) → IR events.

Output items map to IR parts: a reasoning item to one thinking part (its summary parts joined by
a blank line, ``encrypted_content`` as the signature), each message content part to a text part,
a function call to a tool-call part. Minimal streams (Codex can send only ``output_item.done`` and
``response.completed``) are handled: whatever was not streamed is emitted from the done item or
from ``response.output``. Arguments announced only in ``…arguments.done`` are emitted once.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.openai_responses.common import finish_in, usage_in
from cliproxy.dialects.openai_responses.response_in import item_parts, reasoning_text
from cliproxy.ir import (
    ArgsDelta,
    End,
    ErrorEvent,
    Event,
    FinishEvent,
    Part,
    PartEnd,
    PartStart,
    SignatureDelta,
    Start,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    UsageEvent,
)
from cliproxy.ir.names import NameMap
from cliproxy.ir.util import new_id

_decode = msgspec.json.decode


class _Item:
    __slots__ = ("deltas", "done", "index", "kind", "texts")

    def __init__(self, kind: str, index: int) -> None:
        self.kind = kind
        self.index = index  # IR index (reasoning / call / opaque)
        self.texts: dict[int, int] = {}  # content_index -> IR index (messages)
        self.deltas: set[int] = set()  # content or summary indexes that streamed deltas
        self.done = False


class StreamDecoder:
    def __init__(self, names: NameMap, warnings: list[str]) -> None:
        self._names = names
        self.warnings = warnings
        self._started = False
        self._done = False
        self._next = 0
        self._items: dict[int, _Item] = {}
        self._open: list[int] = []  # IR indexes still open, in start order
        self._tools = False

    def _idx(self) -> int:
        i = self._next
        self._next += 1
        return i

    def _start(self, out: list[Event], resp: dict[str, Any] | None = None) -> None:
        if not self._started:
            self._started = True
            r = resp or {}
            out.append(Start(id=r.get("id") or "", model=r.get("model") or "", created=r.get("created_at") or 0))

    def _open_part(self, part: Part, out: list[Event]) -> int:
        i = self._idx()
        self._open.append(i)
        out.append(PartStart(index=i, part=part))
        return i

    def _close(self, i: int, out: list[Event]) -> None:
        if i in self._open:
            self._open.remove(i)
            out.append(PartEnd(index=i))

    def feed(self, event: str, data: bytes) -> list[Event]:
        if not data or data == b"[DONE]":
            return []
        obj: Any = _decode(data)
        if not isinstance(obj, dict):
            return []
        t = obj.get("type") or event
        out: list[Event] = []
        if t in ("response.created", "response.in_progress"):
            self._start(out, obj.get("response"))
            return out
        self._start(out)
        oi = obj.get("output_index", 0)
        it = self._items.get(oi)
        if t == "response.output_text.delta" or t == "response.refusal.delta":
            idx = self._text_index(oi, obj.get("content_index", 0), out)
            self._items[oi].deltas.add(obj.get("content_index", 0))
            if obj.get("delta"):
                out.append(TextDelta(index=idx, text=obj["delta"]))
        elif t in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            it = self._ensure(oi, "reasoning", Thinking(origin="openai", item_id=obj.get("item_id") or ""), out)
            it.deltas.add(int(obj.get("summary_index", obj.get("content_index", 0)) or 0))
            if obj.get("delta"):
                out.append(ThinkingDelta(index=it.index, text=obj["delta"]))
        elif t in ("response.function_call_arguments.delta", "response.custom_tool_call_input.delta"):
            if it is not None and it.kind == "call" and obj.get("delta"):
                it.deltas.add(0)
                out.append(ArgsDelta(index=it.index, fragment=obj["delta"]))
        elif t == "response.output_item.added":
            self._added(oi, obj.get("item") or {}, out)
        elif t == "response.content_part.added":
            self._text_index(oi, obj.get("content_index", 0), out)
        elif t == "response.output_text.done":
            ci = obj.get("content_index", 0)
            idx = self._text_index(oi, ci, out)
            if ci not in self._items[oi].deltas and obj.get("text"):
                self._items[oi].deltas.add(ci)
                out.append(TextDelta(index=idx, text=obj["text"]))
        elif t == "response.content_part.done":
            if it is not None and obj.get("content_index", 0) in it.texts:
                self._close(it.texts[obj.get("content_index", 0)], out)
        elif t == "response.reasoning_summary_part.added":
            it = self._ensure(oi, "reasoning", Thinking(origin="openai", item_id=obj.get("item_id") or ""), out)
            if obj.get("summary_index", 0) > 0:
                out.append(ThinkingDelta(index=it.index, text="\n\n"))
        elif t == "response.reasoning_summary_text.done":
            si = obj.get("summary_index", 0)
            if it is not None and si not in it.deltas and obj.get("text"):
                it.deltas.add(si)
                out.append(ThinkingDelta(index=it.index, text=obj["text"]))
        elif t in ("response.function_call_arguments.done", "response.custom_tool_call_input.done"):
            full = obj.get("arguments", obj.get("input"))
            if it is not None and it.kind == "call" and not it.deltas and full:
                it.deltas.add(0)
                out.append(ArgsDelta(index=it.index, fragment=full))
        elif t == "response.output_item.done":
            self._item_done(oi, obj.get("item") or {}, out)
        elif t in ("response.completed", "response.incomplete", "response.failed", "response.done"):
            self._completed(obj.get("response") or {}, out)
        elif t == "error":
            e = obj.get("error")
            err: dict[str, Any] = e if isinstance(e, dict) else obj
            out.extend(self._fail(str(err.get("code") or "api_error"), err.get("message") or "upstream error"))
        return out

    def _ensure(self, oi: int, kind: str, part: Part, out: list[Event]) -> _Item:
        it = self._items.get(oi)
        if it is None:
            it = self._items[oi] = _Item(kind, self._open_part(part, out))
        return it

    def _text_index(self, oi: int, ci: int, out: list[Event]) -> int:
        it = self._items.get(oi)
        if it is None:
            it = self._items[oi] = _Item("message", -1)
        if ci not in it.texts:
            it.texts[ci] = self._open_part(Text(text=""), out)
        return it.texts[ci]

    def _added(self, oi: int, item: dict[str, Any], out: list[Event]) -> None:
        t = item.get("type")
        if oi in self._items:
            return
        if t == "message":
            self._items[oi] = _Item("message", -1)
        elif t == "reasoning":
            self._ensure(oi, "reasoning", Thinking(origin="openai", item_id=item.get("id") or ""), out)
        elif t in ("function_call", "custom_tool_call"):
            self._tools = True
            ns, name = self._names.client(item.get("name") or "")
            call = ToolCall(id=item.get("call_id") or new_id("call_"), name=name,
                            namespace=item.get("namespace") or ns, custom=t == "custom_tool_call")
            it = self._ensure(oi, "call", call, out)
            it.kind = "call"
            args = item.get("arguments") or item.get("input")
            if args:
                it.deltas.add(0)
                out.append(ArgsDelta(index=it.index, fragment=args))
        else:
            self._items[oi] = _Item("pending", -1)

    def _item_done(self, oi: int, item: dict[str, Any], out: list[Event]) -> None:
        t = item.get("type")
        it = self._items.get(oi)
        if it is not None and it.done:
            return
        if t == "message":
            if it is None or not it.texts:
                for part in item_parts(item, self._names):
                    i = self._open_part(Text(text="", refusal=isinstance(part, Text) and part.refusal), out)
                    if isinstance(part, Text) and part.text:
                        out.append(TextDelta(index=i, text=part.text))
                    self._close(i, out)
            else:
                for i in it.texts.values():
                    self._close(i, out)
        elif t == "reasoning":
            it = self._ensure(oi, "reasoning", Thinking(origin="openai", item_id=item.get("id") or ""), out)
            if not it.deltas:
                text = reasoning_text(item)
                if text:
                    out.append(ThinkingDelta(index=it.index, text=text))
            if item.get("encrypted_content"):
                out.append(SignatureDelta(index=it.index, signature=item["encrypted_content"], origin="openai"))
            self._close(it.index, out)
        elif t in ("function_call", "custom_tool_call"):
            self._tools = True
            if it is None or it.kind != "call":
                self._added(oi, item, out)
                it = self._items[oi]
            full = item.get("arguments") if t == "function_call" else item.get("input")
            if not it.deltas and full:
                out.append(ArgsDelta(index=it.index, fragment=full))
            self._close(it.index, out)
        else:
            for part in item_parts(item, self._names):
                i = self._open_part(part, out)
                self._close(i, out)
        self._items.setdefault(oi, _Item(str(t), -1)).done = True

    def _completed(self, resp: dict[str, Any], out: list[Event]) -> None:
        for oi, item in enumerate(resp.get("output") or []):
            if isinstance(item, dict) and (oi not in self._items or not self._items[oi].done):
                self._item_done(oi, item, out)
        for i in list(self._open):
            self._close(i, out)
        u = resp.get("usage")
        if isinstance(u, dict):
            out.append(UsageEvent(usage=usage_in(u)))
        status = resp.get("status") or "completed"
        if status == "failed":
            err = resp.get("error") or {}
            out.extend(self._fail(str(err.get("code") or "api_error"), err.get("message") or "upstream response failed"))
            return
        fin = finish_in(status, resp.get("incomplete_details"), self._tools)
        if fin is not None:
            out.append(FinishEvent(reason=fin, native=status))
        if not self._done:
            self._done = True
            out.append(End())

    def _fail(self, code: str, message: str) -> list[Event]:
        if self._done:
            return []
        self._done = True
        status = {"rate_limit_exceeded": 429, "invalid_request_error": 400, "context_length_exceeded": 400,
                  "insufficient_quota": 403, "invalid_api_key": 401}.get(code, 500)
        return [ErrorEvent(status=status, type=code, message=message), End()]

    def finish(self) -> list[Event]:
        if self._done:
            return []
        out: list[Event] = []
        self._start(out)
        for i in list(self._open):
            self._close(i, out)
        out.extend(self._fail("api_error", "upstream stream ended before response.completed"))
        return out

