"""Anthropic Messages non-stream answer (upstream side) → IR."""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.anthropic.common import STOP_IN, usage_in
from cliproxy.ir import Choice, Finish, Opaque, Part, Response, Text, Thinking, ToolCall
from cliproxy.ir.names import NameMap


def decode_response(body: bytes, names: NameMap, warnings: list[str]) -> Response:
    obj = msgspec.json.decode(body)
    if not isinstance(obj, dict):
        raise ValueError("Anthropic answer is not a JSON object")
    parts: list[Part] = []
    for b in obj.get("content") or []:
        if not isinstance(b, dict):
            continue
        t = b.get("type")
        if t == "text":
            parts.append(Text(text=b.get("text") or ""))
        elif t == "thinking":
            parts.append(Thinking(text=b.get("thinking") or "", signature=b.get("signature") or "",
                                  origin="claude"))
        elif t == "redacted_thinking":
            parts.append(Thinking(signature=b.get("data") or "", origin="claude", redacted=True))
        elif t == "tool_use":
            ns, name = names.client(b.get("name") or "")
            inp = b.get("input")
            parts.append(ToolCall(id=b.get("id") or "", name=name, namespace=ns,
                                  args=inp if isinstance(inp, dict) else {}))
        else:
            parts.append(Opaque(origin="claude", kind=str(t), data=b))
    stop = obj.get("stop_reason")
    finish = STOP_IN.get(stop, Finish.STOP) if stop else None
    u = obj.get("usage")
    return Response(id=obj.get("id") or "", model=obj.get("model") or "",
                    choices=[Choice(parts=parts, finish=finish, stop_sequence=obj.get("stop_sequence"),
                                    native_finish=stop or "")],
                    usage=usage_in(u) if isinstance(u, dict) else None)


def read_count(body: bytes) -> int:
    obj: Any = msgspec.json.decode(body)
    return int(obj.get("input_tokens") or 0) if isinstance(obj, dict) else 0
