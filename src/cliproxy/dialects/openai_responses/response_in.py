"""OpenAI Responses answer (upstream side, non-stream ``response`` object) → IR."""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.openai_responses.common import finish_in, usage_in
from cliproxy.ir import Choice, Image, Opaque, Part, Response, Text, Thinking, ToolCall
from cliproxy.ir.names import NameMap
from cliproxy.ir.util import new_id


def reasoning_text(item: dict[str, Any]) -> str:
    texts = [s.get("text") or "" for s in item.get("summary") or [] if isinstance(s, dict)]
    if not texts:
        texts = [s.get("text") or "" for s in item.get("content") or [] if isinstance(s, dict)]
    return "\n\n".join(t for t in texts if t)


def item_parts(item: dict[str, Any], names: NameMap) -> list[Part]:
    t = item.get("type")
    if t == "message":
        out: list[Part] = []
        for c in item.get("content") or []:
            if not isinstance(c, dict):
                continue
            if c.get("type") == "output_text":
                out.append(Text(text=c.get("text") or ""))
            elif c.get("type") == "refusal":
                out.append(Text(text=c.get("refusal") or "", refusal=True))
        return out
    if t == "reasoning":
        return [Thinking(text=reasoning_text(item), signature=item.get("encrypted_content") or "",
                         origin="openai", item_id=item.get("id") or "")]
    if t in ("function_call", "custom_tool_call"):
        ns, name = names.client(item.get("name") or "")
        ns = item.get("namespace") or ns
        args = item.get("arguments") if t == "function_call" else item.get("input")
        return [ToolCall(id=item.get("call_id") or item.get("id") or new_id("call_"), name=name, namespace=ns,
                         arguments=args if isinstance(args, str) else "", custom=t == "custom_tool_call")]
    if t == "image_generation_call" and item.get("result"):
        fmt = item.get("output_format") or "png"
        return [Image(mime="image/" + ("jpeg" if fmt == "jpg" else fmt), data=item["result"])]
    return [Opaque(origin="openai-response", kind=str(t), data=item)]


def decode_obj(obj: dict[str, Any], names: NameMap) -> Response:
    parts: list[Part] = []
    for item in obj.get("output") or []:
        if isinstance(item, dict):
            parts.extend(item_parts(item, names))
    has_tools = any(isinstance(p, ToolCall) for p in parts)
    status = obj.get("status")
    finish = finish_in(status, obj.get("incomplete_details"), has_tools)
    u = obj.get("usage")
    return Response(id=obj.get("id") or "", model=obj.get("model") or "", created=obj.get("created_at") or 0,
                    choices=[Choice(parts=parts, finish=finish, native_finish=status or "")],
                    usage=usage_in(u) if isinstance(u, dict) else None)


def decode_response(body: bytes, names: NameMap, warnings: list[str]) -> Response:
    obj = msgspec.json.decode(body)
    if isinstance(obj, dict) and isinstance(obj.get("response"), dict) and "output" not in obj:
        obj = obj["response"]
    if not isinstance(obj, dict):
        raise ValueError("Responses answer is not a JSON object")
    if obj.get("status") == "failed" and isinstance(obj.get("error"), dict):
        warnings.append(f"upstream response failed: {obj['error'].get('message', '')}")
    return decode_obj(obj, names)


def read_count(body: bytes) -> int:
    obj: Any = msgspec.json.decode(body)
    return int(obj.get("input_tokens") or 0) if isinstance(obj, dict) else 0
