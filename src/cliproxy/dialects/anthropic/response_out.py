"""IR answer → Anthropic Messages non-stream body (client side)."""

from __future__ import annotations

from typing import Any, assert_never

import msgspec

from cliproxy.dialects.anthropic.common import STOP_OUT, usage_out
from cliproxy.dialects.anthropic.names import safe_id
from cliproxy.ir import (
    File,
    Finish,
    Image,
    Opaque,
    Part,
    Response,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    args_object,
)
from cliproxy.ir.options import ClientMeta
from cliproxy.ir.signatures import to_client
from cliproxy.ir.util import new_id


def block(p: Part, meta: ClientMeta) -> dict[str, Any] | None:
    match p:
        case Text():
            return {"type": "text", "text": p.text} if p.text else None
        case Thinking():
            if p.redacted and p.origin == "claude":
                return {"type": "redacted_thinking", "data": p.signature}
            if not p.text and not p.signature:
                return None
            return {"type": "thinking", "thinking": p.text,
                    "signature": to_client(p.signature, p.origin, "claude")}
        case ToolCall():
            args = args_object(p)
            if args is None:
                meta.warn("claude: tool call arguments were not a JSON object")
                args = {}
            return {"type": "tool_use", "id": safe_id(p.id), "name": p.name, "input": args}
        case Opaque():
            if p.origin == "claude":
                return p.data
            meta.warn(f"claude: {p.origin} {p.kind} output has no Anthropic equivalent; dropped")
            return None
        case Image() | File() | ToolResult():
            meta.warn("claude: media output has no Anthropic equivalent; dropped")
            return None
        case _:
            assert_never(p)


def stop_reason(finish: Finish | None, has_tools: bool) -> str:
    if has_tools and finish in (None, Finish.STOP, Finish.TOOL_CALLS):
        return "tool_use"
    return STOP_OUT[finish] if finish is not None else "end_turn"


def encode_response(resp: Response, meta: ClientMeta) -> bytes:
    choice = resp.choices[0] if resp.choices else None
    if len(resp.choices) > 1:
        meta.warn("claude: only the first of several candidates is returned")
    content = [b for p in (choice.parts if choice else []) if (b := block(p, meta)) is not None]
    has_tools = any(b["type"] == "tool_use" for b in content)
    reason = stop_reason(choice.finish if choice else None, has_tools)
    body = {
        "id": resp.id if resp.id.startswith("msg_") else "msg_" + (resp.id or new_id("", 24)),
        "type": "message", "role": "assistant", "model": meta.model, "content": content,
        "stop_reason": reason,
        "stop_sequence": (choice.stop_sequence if choice and reason == "stop_sequence" else None),
        "usage": usage_out(resp.usage),
    }
    return msgspec.json.encode(body)


def count_body(n: int) -> bytes:
    return msgspec.json.encode({"input_tokens": n})
