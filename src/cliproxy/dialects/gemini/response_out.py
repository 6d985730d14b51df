"""IR answer → Gemini ``GenerateContentResponse`` (client side)."""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.gemini.common import FINISH_OUT, usage_out
from cliproxy.ir import (
    Choice,
    File,
    Finish,
    Image,
    Opaque,
    Part,
    Response,
    Text,
    Thinking,
    ToolCall,
    args_object,
)
from cliproxy.ir.options import ClientMeta
from cliproxy.ir.signatures import to_client


def sig_out(p: Thinking) -> str:
    return to_client(p.signature, p.origin, "gemini", b64=True, text=p.text)


def parts_out(parts: list[Part], meta: ClientMeta) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pending = ""
    for p in parts:
        item: dict[str, Any] | None = None
        if isinstance(p, Thinking):
            if pending:
                out.append({"thought": True, "text": "", "thoughtSignature": pending})
            pending = sig_out(p) if p.signature else ""
            if p.text:
                out.append({"thought": True, "text": p.text})
            continue
        if isinstance(p, Text):
            item = {"text": p.text}
        elif isinstance(p, ToolCall):
            args = args_object(p)
            if args is None:
                meta.warn("gemini: tool call arguments were not a JSON object")
                args = {"params": p.arguments}
            fc: dict[str, Any] = {"name": p.name, "args": args}
            if p.id:
                fc["id"] = p.id
            item = {"functionCall": fc}
        elif isinstance(p, Image | File) and p.data:
            item = {"inlineData": {"mimeType": p.mime or "image/png", "data": p.data}}
        elif isinstance(p, Opaque) and p.origin == "gemini":
            item = dict(p.data)
        else:
            meta.warn("gemini: an output part has no Gemini equivalent; dropped")
            continue
        if pending:
            item["thoughtSignature"] = pending
            pending = ""
        out.append(item)
    if pending:
        out.append({"thought": True, "text": "", "thoughtSignature": pending})
    return out


def finish_out(f: Finish | None) -> str:
    return FINISH_OUT[f] if f is not None else "STOP"


def response_obj(resp: Response, meta: ClientMeta) -> dict[str, Any]:
    cands = []
    for ch in resp.choices or [Choice()]:
        cands.append({"content": {"role": "model", "parts": parts_out(ch.parts, meta)},
                      "finishReason": finish_out(ch.finish), "index": ch.index})
    body: dict[str, Any] = {"candidates": cands}
    if resp.usage is not None:
        body["usageMetadata"] = usage_out(resp.usage)
    body["modelVersion"] = meta.model
    if resp.id:
        body["responseId"] = resp.id
    return body


def encode_response(resp: Response, meta: ClientMeta) -> bytes:
    return msgspec.json.encode(response_obj(resp, meta))


def count_body(n: int) -> bytes:
    return msgspec.json.encode({"totalTokens": n, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": n}]})
