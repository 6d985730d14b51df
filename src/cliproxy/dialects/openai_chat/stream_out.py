"""IR events → OpenAI chat SSE (client side).

Every chunk carries ``object``, ``id``, ``created``, ``model`` and ``choices[].index`` (the SDK
stream helpers need them). Tool calls stream as a header (id, name, ``arguments:""``) followed by
argument fragments, with a contiguous per-choice tool index. The finish chunk goes out at ``End``
with usage attached; a separate ``choices: []`` usage chunk follows when the client asked for
``stream_options.include_usage``; then ``data: [DONE]``.
"""

from __future__ import annotations

from typing import Any, assert_never

import msgspec

from cliproxy.dialects.openai_chat.common import error_body, usage_out
from cliproxy.dialects.openai_chat.response_out import finish_reason
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
from cliproxy.ir.util import data_url, new_id, now

_encode = msgspec.json.encode
DONE = b"data: [DONE]\n\n"


class StreamEncoder:
    def __init__(self, meta: ClientMeta) -> None:
        self.meta = meta
        so = meta.body.get("stream_options")
        self._include_usage = isinstance(so, dict) and so.get("include_usage") is True
        self._id = ""
        self._created = 0
        self._started = False
        self._closed = False
        self._tool_index: dict[tuple[int, int], int] = {}  # (choice, IR index) -> tool ordinal
        self._tools_per_choice: dict[int, int] = {}
        self._finish: dict[int, FinishEvent] = {}
        self._seen: set[int] = {0}
        self._usage: Usage | None = None
        self._prefix = b""

    def _chunk(self, choice: int, delta: dict[str, Any], finish: str | None = None,
               usage: Usage | None = None) -> bytes:
        self._seen.add(choice)
        obj: dict[str, Any] = {"id": self._id, "object": "chat.completion.chunk", "created": self._created,
                               "model": self.meta.model,
                               "choices": [{"index": choice, "delta": delta, "finish_reason": finish}]}
        if usage is not None:
            obj["usage"] = usage_out(usage)
        return b"data: " + _encode(obj) + b"\n\n"

    def feed(self, ev: Event) -> list[bytes]:
        if self._closed:
            return []
        match ev:
            case Start():
                return self._start(ev)
            case TextDelta():
                return self._pre() + [self._chunk(ev.choice, {"content": ev.text})] if ev.text else []
            case ThinkingDelta():
                return self._pre() + [self._chunk(ev.choice, {"reasoning_content": ev.text})] if ev.text else []
            case ArgsDelta():
                ti = self._tool_index.get((ev.choice, ev.index))
                if ti is None or not ev.fragment:
                    return []
                return self._pre() + [self._chunk(ev.choice, {"tool_calls": [
                    {"index": ti, "function": {"arguments": ev.fragment}}]})]
            case PartStart():
                return self._pre() + self._part_start(ev)
            case SignatureDelta():
                self.meta.warn("openai: reasoning signatures cannot be carried by chat completions")
                return []
            case PartEnd():
                return []
            case UsageEvent():
                self._usage = ev.usage
                return []
            case FinishEvent():
                self._finish[ev.choice] = ev
                return []
            case ErrorEvent():
                self._closed = True
                return self._pre() + [b"data: " + _encode(error_body(ev.status, ev.type, ev.message)) + b"\n\n"]
            case End():
                return self._end()
            case _:
                assert_never(ev)

    def _start(self, ev: Start) -> list[bytes]:
        if self._started:
            return []
        self._started = True
        self._id = ev.id if ev.id.startswith("chatcmpl") else "chatcmpl-" + (ev.id or new_id("", 24))
        self._created = ev.created or now()
        if ev.usage is not None:
            self._usage = ev.usage
        return [self._chunk(0, {"role": "assistant", "content": ""})]

    def _pre(self) -> list[bytes]:
        return [] if self._started else self._start(Start())

    def _part_start(self, ev: PartStart) -> list[bytes]:
        p = ev.part
        match p:
            case Text():
                return [self._chunk(ev.choice, {"content": p.text})] if p.text else []
            case Thinking():
                return [self._chunk(ev.choice, {"reasoning_content": p.text})] if p.text else []
            case ToolCall():
                n = self._tools_per_choice.get(ev.choice, 0)
                self._tools_per_choice[ev.choice] = n + 1
                self._tool_index[(ev.choice, ev.index)] = n
                head = {"index": n, "id": p.id or new_id("call_"), "type": "function",
                        "function": {"name": p.name, "arguments": ""}}
                out = [self._chunk(ev.choice, {"tool_calls": [head]})]
                if p.arguments or p.args is not None:
                    out.append(self._chunk(ev.choice, {"tool_calls": [
                        {"index": n, "function": {"arguments": args_text(p)}}]}))
                return out
            case Image():
                if not (p.data or p.url):
                    return []
                url = data_url(p.mime or "image/png", p.data) if p.data else p.url
                return [self._chunk(ev.choice, {"images": [{"type": "image_url", "index": 0,
                                                            "image_url": {"url": url}}]})]
            case Opaque() | File() | ToolResult():
                self.meta.warn("openai: non-text output dropped")
                return []
            case _:
                assert_never(p)

    def _end(self) -> list[bytes]:
        out = self._pre()
        self._closed = True
        attach = None if self._include_usage else self._usage
        for ci in sorted(self._seen | set(self._finish)):
            fin = self._finish.get(ci)
            reason = finish_reason(fin.reason if fin else None, self._tools_per_choice.get(ci, 0) > 0)
            out.append(self._chunk(ci, {}, reason, attach if ci == 0 else None))
        if self._include_usage and self._usage is not None:
            out.append(b"data: " + _encode({"id": self._id, "object": "chat.completion.chunk",
                                            "created": self._created, "model": self.meta.model,
                                            "choices": [], "usage": usage_out(self._usage)}) + b"\n\n")
        out.append(DONE)
        return out

    def finish(self) -> list[bytes]:
        return [] if self._closed else self._end()
