"""IR answer → OpenAI chat completion body (client side)."""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.openai_chat.common import FINISH_OUT, usage_out
from cliproxy.ir import Choice, File, Finish, Image, Opaque, Response, Text, Thinking, ToolCall, args_text
from cliproxy.ir.options import ClientMeta
from cliproxy.ir.util import data_url, new_id, now


def finish_reason(finish: Finish | None, has_tools: bool) -> str:
    if has_tools and finish in (None, Finish.STOP, Finish.TOOL_CALLS):
        return "tool_calls"
    return FINISH_OUT[finish] if finish is not None else "stop"


def _message(ch: Choice, meta: ClientMeta) -> dict[str, Any]:
    texts: list[str] = []
    reasoning: list[str] = []
    refusal: list[str] = []
    calls: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    for p in ch.parts:
        if isinstance(p, Text):
            (refusal if p.refusal else texts).append(p.text)
        elif isinstance(p, Thinking):
            if p.text:
                reasoning.append(p.text)
            if p.signature:
                meta.warn("openai: reasoning signatures cannot be carried by chat completions")
        elif isinstance(p, ToolCall):
            calls.append({"id": p.id, "type": "function",
                          "function": {"name": p.name, "arguments": args_text(p)}})
        elif isinstance(p, Image) and (p.data or p.url):
            images.append({"type": "image_url", "index": len(images),
                           "image_url": {"url": data_url(p.mime or "image/png", p.data) if p.data else p.url}})
        elif isinstance(p, Opaque | File):
            meta.warn("openai: non-text output dropped")
    msg: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if refusal:
        msg["refusal"] = "".join(refusal)
    if reasoning:
        msg["reasoning_content"] = "".join(reasoning)
    if calls:
        msg["tool_calls"] = calls
    if images:
        msg["images"] = images
    return msg


def encode_response(resp: Response, meta: ClientMeta) -> bytes:
    choices = []
    for ch in resp.choices or [Choice()]:
        msg = _message(ch, meta)
        choices.append({"index": ch.index, "message": msg, "logprobs": None,
                        "finish_reason": finish_reason(ch.finish, bool(msg.get("tool_calls")))})
    body: dict[str, Any] = {
        "id": resp.id if resp.id.startswith("chatcmpl") else "chatcmpl-" + (resp.id or new_id("", 24)),
        "object": "chat.completion", "created": resp.created or now(), "model": meta.model,
        "choices": choices,
    }
    if resp.usage is not None:
        body["usage"] = usage_out(resp.usage)
    return msgspec.json.encode(body)
