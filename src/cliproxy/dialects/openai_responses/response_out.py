"""IR answer → OpenAI Responses ``response`` object (client side)."""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.openai_responses.common import response_shell, status_out, usage_out
from cliproxy.ir import File, Image, Opaque, Part, Response, Text, Thinking, ToolCall, ToolResult, args_text
from cliproxy.ir.options import ClientMeta
from cliproxy.ir.signatures import to_client
from cliproxy.ir.util import new_id, now


def resp_id(raw: str) -> str:
    return raw if raw.startswith("resp_") else "resp_" + (raw or new_id("", 24))


def reasoning_item(p: Thinking, item_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": p.item_id or item_id, "type": "reasoning",
                            "summary": [{"type": "summary_text", "text": p.text}] if p.text else []}
    if p.signature:
        item["encrypted_content"] = to_client(p.signature, p.origin, "openai")
    return item


def call_item(p: ToolCall, item_id: str, status: str = "completed") -> dict[str, Any]:
    if p.custom:
        return {"id": item_id, "type": "custom_tool_call", "call_id": p.id, "name": p.name,
                "input": p.arguments, "status": status}
    item: dict[str, Any] = {"id": item_id, "type": "function_call", "call_id": p.id, "name": p.name,
                            "arguments": args_text(p) if status == "completed" else "", "status": status}
    if p.namespace:
        item["namespace"] = p.namespace
    return item


def text_part(text: str, refusal: bool = False) -> dict[str, Any]:
    if refusal:
        return {"type": "refusal", "refusal": text}
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def output_items(parts: list[Part], base: str, meta: ClientMeta) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    msg: dict[str, Any] | None = None
    for i, p in enumerate(parts):
        if isinstance(p, Text):
            if msg is None:
                msg = {"id": f"msg_{base}_{i}", "type": "message", "status": "completed", "role": "assistant",
                       "content": []}
                items.append(msg)
            msg["content"].append(text_part(p.text, p.refusal))
            continue
        msg = None
        if isinstance(p, Thinking):
            items.append(reasoning_item(p, f"rs_{base}_{i}"))
        elif isinstance(p, ToolCall):
            items.append(call_item(p, f"fc_{p.id}" if not p.id.startswith("fc_") else p.id))
        elif isinstance(p, Image) and p.data:
            items.append({"id": f"ig_{base}_{i}", "type": "image_generation_call", "status": "completed",
                          "result": p.data})
        elif isinstance(p, Opaque) and p.origin == "openai-response":
            items.append(p.data)
        elif isinstance(p, Opaque | File | Image | ToolResult):
            meta.warn("openai-response: an output part has no Responses equivalent; dropped")
    return items


def encode_response(resp: Response, meta: ClientMeta) -> bytes:
    choice = resp.choices[0] if resp.choices else None
    if len(resp.choices) > 1:
        meta.warn("openai-response: only the first of several candidates is returned")
    rid = resp_id(resp.id)
    obj = response_shell(rid, resp.created or now(), meta.model, meta.body)
    obj["output"] = output_items(choice.parts if choice else [], rid[5:], meta)
    obj["status"], obj["incomplete_details"] = status_out(choice.finish if choice else None)
    obj["usage"] = usage_out(resp.usage)
    return msgspec.json.encode(obj)


def count_body(n: int) -> bytes:
    return msgspec.json.encode({"object": "response.input_tokens", "input_tokens": n})
