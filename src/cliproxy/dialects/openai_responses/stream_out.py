"""IR events → OpenAI Responses SSE (client side).

``response.created`` and ``response.in_progress`` come first; every output item is announced with
``output_item.added`` before any delta (the SDK's stream helper requires both); every event has a
``sequence_number`` increasing by one; ``response.completed`` (or ``response.incomplete`` for
length / content-filter finishes) carries the whole response with usage. No ``[DONE]``.
"""

from __future__ import annotations

from typing import Any, assert_never

import msgspec

from cliproxy.dialects.openai_responses.common import response_shell, status_out, usage_out
from cliproxy.dialects.openai_responses.response_out import call_item, resp_id, text_part
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
    args_text,
)
from cliproxy.ir.options import ClientMeta
from cliproxy.ir.signatures import to_client
from cliproxy.ir.util import new_id, now

_encode = msgspec.json.encode


class _Open:
    __slots__ = ("buf", "item", "kind", "oi", "origin", "sig", "summary")

    def __init__(self, kind: str, oi: int, item: dict[str, Any]) -> None:
        self.kind = kind
        self.oi = oi
        self.item = item
        self.buf: list[str] = []
        self.summary = False
        self.sig = ""
        self.origin = ""


class StreamEncoder:
    def __init__(self, meta: ClientMeta) -> None:
        self.meta = meta
        self._seq = 0
        self._started = False
        self._closed = False
        self._id = ""
        self._created = 0
        self._output: list[dict[str, Any]] = []
        self._open: dict[int, _Open] = {}
        self._finish: FinishEvent | None = None
        self._usage: Usage | None = None

    def _ev(self, typ: str, obj: dict[str, Any]) -> bytes:
        obj["type"] = typ
        obj["sequence_number"] = self._seq
        self._seq += 1
        return b"event: " + typ.encode() + b"\ndata: " + _encode(obj) + b"\n\n"

    def _shell(self, status: str) -> dict[str, Any]:
        obj = response_shell(self._id, self._created, self.meta.model, self.meta.body)
        obj["status"] = status
        return obj

    def feed(self, ev: Event) -> list[bytes]:
        if self._closed:
            return []
        match ev:
            case Start():
                return self._start(ev)
            case PartStart():
                if ev.choice:
                    self.meta.warn("openai-response: only the first of several candidates is streamed")
                    return []
                return self._pre() + self._part_start(ev.index, ev.part)
            case TextDelta():
                o = self._open.get(ev.index)
                if o is None or o.kind != "text" or not ev.text or ev.choice:
                    return []
                o.buf.append(ev.text)
                return [self._ev("response.output_text.delta", {
                    "item_id": o.item["id"], "output_index": o.oi, "content_index": 0, "delta": ev.text,
                    "logprobs": []})]
            case ThinkingDelta():
                o = self._open.get(ev.index)
                if o is None or o.kind != "reasoning" or not ev.text or ev.choice:
                    return []
                out = self._summary_start(o)
                o.buf.append(ev.text)
                out.append(self._ev("response.reasoning_summary_text.delta", {
                    "item_id": o.item["id"], "output_index": o.oi, "summary_index": 0, "delta": ev.text}))
                return out
            case SignatureDelta():
                o = self._open.get(ev.index)
                if o is not None and o.kind == "reasoning":
                    o.sig += ev.signature
                    o.origin = ev.origin or o.origin
                return []
            case ArgsDelta():
                o = self._open.get(ev.index)
                if o is None or o.kind != "call" or not ev.fragment or ev.choice:
                    return []
                o.buf.append(ev.fragment)
                return [self._ev("response.custom_tool_call_input.delta" if o.item["type"] == "custom_tool_call"
                                 else "response.function_call_arguments.delta",
                                 {"item_id": o.item["id"], "output_index": o.oi, "delta": ev.fragment})]
            case PartEnd():
                o = self._open.pop(ev.index, None)
                return [] if o is None or ev.choice else self._part_end(o)
            case UsageEvent():
                self._usage = ev.usage
                return []
            case FinishEvent():
                if ev.choice == 0:
                    self._finish = ev
                return []
            case ErrorEvent():
                self._closed = True
                code = ev.type if ev.type not in ("", "api_error") else (
                    "rate_limit_exceeded" if ev.status == 429 else "server_error" if ev.status >= 500
                    else "invalid_request_error")
                return self._pre() + [self._ev("error", {"code": code, "message": ev.message, "param": None})]
            case End():
                return self._end()
            case _:
                assert_never(ev)

    def _start(self, ev: Start) -> list[bytes]:
        if self._started:
            return []
        self._started = True
        self._id = resp_id(ev.id)
        self._created = ev.created or now()
        return [self._ev("response.created", {"response": self._shell("in_progress")}),
                self._ev("response.in_progress", {"response": self._shell("in_progress")})]

    def _pre(self) -> list[bytes]:
        return [] if self._started else self._start(Start())

    def _add(self, idx: int, kind: str, item: dict[str, Any]) -> list[bytes]:
        oi = len(self._output)
        self._output.append(item)
        self._open[idx] = _Open(kind, oi, item)
        return [self._ev("response.output_item.added", {"output_index": oi, "item": dict(item)})]

    def _part_start(self, idx: int, p: Any) -> list[bytes]:
        base = self._id[5:]
        match p:
            case Text():
                item = {"id": f"msg_{base}_{len(self._output)}", "type": "message", "status": "in_progress",
                        "role": "assistant", "content": []}
                out = self._add(idx, "text", item)
                out.append(self._ev("response.content_part.added", {
                    "item_id": item["id"], "output_index": self._open[idx].oi, "content_index": 0,
                    "part": text_part("")}))
                if p.text:
                    out.extend(self.feed(TextDelta(index=idx, text=p.text)))
                return out
            case Thinking():
                item = {"id": p.item_id or f"rs_{base}_{len(self._output)}", "type": "reasoning", "summary": []}
                out = self._add(idx, "reasoning", item)
                if p.signature:
                    self._open[idx].sig, self._open[idx].origin = p.signature, p.origin
                if p.text:
                    out.extend(self.feed(ThinkingDelta(index=idx, text=p.text)))
                return out
            case ToolCall():
                item = call_item(p, f"fc_{p.id or new_id('')}", status="in_progress")
                if p.custom:
                    item["input"] = ""
                out = self._add(idx, "call", item)
                if p.arguments or p.args is not None:
                    out.extend(self.feed(ArgsDelta(index=idx, fragment=args_text(p))))
                return out
            case Image():
                if not p.data:
                    return []
                item = {"id": f"ig_{base}_{len(self._output)}", "type": "image_generation_call",
                        "status": "completed", "result": p.data}
                return self._add(idx, "done", item)
            case Opaque():
                if p.origin != "openai-response":
                    self.meta.warn(f"openai-response: {p.origin} {p.kind} output has no Responses equivalent; dropped")
                    return []
                return self._add(idx, "done", dict(p.data))
            case File() | ToolResult():
                self.meta.warn("openai-response: an output part has no Responses equivalent; dropped")
                return []
            case _:
                assert_never(p)

    def _summary_start(self, o: _Open) -> list[bytes]:
        if o.summary:
            return []
        o.summary = True
        return [self._ev("response.reasoning_summary_part.added", {
            "item_id": o.item["id"], "output_index": o.oi, "summary_index": 0,
            "part": {"type": "summary_text", "text": ""}})]

    def _part_end(self, o: _Open) -> list[bytes]:
        item, oi, iid = o.item, o.oi, o.item["id"]
        out: list[bytes] = []
        text = "".join(o.buf)
        if o.kind == "text":
            part = text_part(text)
            out.append(self._ev("response.output_text.done", {"item_id": iid, "output_index": oi,
                                                              "content_index": 0, "text": text, "logprobs": []}))
            out.append(self._ev("response.content_part.done", {"item_id": iid, "output_index": oi,
                                                               "content_index": 0, "part": part}))
            item["content"] = [part]
            item["status"] = "completed"
        elif o.kind == "reasoning":
            if o.summary:
                part = {"type": "summary_text", "text": text}
                out.append(self._ev("response.reasoning_summary_text.done", {
                    "item_id": iid, "output_index": oi, "summary_index": 0, "text": text}))
                out.append(self._ev("response.reasoning_summary_part.done", {
                    "item_id": iid, "output_index": oi, "summary_index": 0, "part": part}))
                item["summary"] = [part]
            if o.sig:
                item["encrypted_content"] = to_client(o.sig, o.origin, "openai")
        elif o.kind == "call":
            if item["type"] == "custom_tool_call":
                item["input"] = text
                out.append(self._ev("response.custom_tool_call_input.done", {
                    "item_id": iid, "output_index": oi, "input": text}))
            else:
                item["arguments"] = text or "{}"
                out.append(self._ev("response.function_call_arguments.done", {
                    "item_id": iid, "output_index": oi, "arguments": item["arguments"]}))
            item["status"] = "completed"
        out.append(self._ev("response.output_item.done", {"output_index": oi, "item": item}))
        return out

    def _end(self) -> list[bytes]:
        out = self._pre()
        for idx in sorted(self._open, key=lambda i: self._open[i].oi):
            out.extend(self._part_end(self._open[idx]))
        self._open.clear()
        self._closed = True
        status, details = status_out(self._finish.reason if self._finish else None)
        resp = self._shell(status)
        resp["incomplete_details"] = details
        resp["output"] = self._output
        resp["usage"] = usage_out(self._usage)
        out.append(self._ev("response.completed" if status == "completed" else "response.incomplete",
                            {"response": resp}))
        return out

    def finish(self) -> list[bytes]:
        return [] if self._closed else self._end()
