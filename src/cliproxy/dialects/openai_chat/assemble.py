"""A complete OpenAI chat SSE stream → the equivalent ``chat.completion`` body (upstream side)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from cliproxy.dialects.openai_responses.assemble import scope_for
from cliproxy.errors import Scope, UpstreamError
from cliproxy.translate.base import UpstreamEvent

_decode = msgspec.json.decode


def assemble(events: Iterable[UpstreamEvent]) -> bytes:
    head: dict[str, Any] = {}
    choices: dict[int, dict[str, Any]] = {}
    tools: dict[int, dict[int, dict[str, Any]]] = {}
    usage: Any = None
    for ev in events:
        if not ev.data or ev.data == b"[DONE]":
            continue
        obj = _decode(ev.data)
        if not isinstance(obj, dict):
            continue
        if "error" in obj and not obj.get("choices"):
            err = obj["error"] if isinstance(obj["error"], dict) else {"message": str(obj["error"])}
            code = err.get("code")
            status = code if isinstance(code, int) else 502
            raise UpstreamError(str(err.get("message") or "upstream stream error"), status=status,
                                scope=scope_for(status), body=ev.data)
        for k in ("id", "created", "model", "system_fingerprint", "service_tier"):
            if k in obj and k not in head:
                head[k] = obj[k]
        if obj.get("usage"):
            usage = obj["usage"]
        for ch in obj.get("choices") or ():
            i = ch.get("index", 0)
            c = choices.setdefault(i, {"index": i, "message": {"role": "assistant", "content": None},
                                       "finish_reason": None, "logprobs": None})
            msg, d = c["message"], ch.get("delta") or {}
            for key in ("content", "reasoning_content", "reasoning", "refusal"):
                if isinstance(d.get(key), str) and d[key]:
                    msg[key] = (msg.get(key) or "") + d[key]
            if d.get("images"):
                msg.setdefault("images", []).extend(d["images"])
            for tc in d.get("tool_calls") or ():
                slot = tools.setdefault(i, {}).setdefault(tc.get("index", 0), {
                    "id": "", "type": "function", "function": {"name": "", "arguments": ""}})
                if tc.get("id"):
                    slot["id"] = tc["id"]
                fn = tc.get("function") or {}
                if fn.get("name"):
                    slot["function"]["name"] += fn["name"]
                if fn.get("arguments"):
                    slot["function"]["arguments"] += fn["arguments"]
            if ch.get("finish_reason"):
                c["finish_reason"] = ch["finish_reason"]
    if not any(c["finish_reason"] for c in choices.values()):
        raise UpstreamError("upstream stream ended before finish_reason", status=502, scope=Scope.TRANSIENT)
    for i, calls in tools.items():
        choices[i]["message"]["tool_calls"] = [calls[k] for k in sorted(calls)]
    body = {"id": head.get("id", ""), "object": "chat.completion", "created": head.get("created", 0),
            "model": head.get("model", ""), "choices": [choices[k] for k in sorted(choices)]}
    if usage is not None:
        body["usage"] = usage
    return msgspec.json.encode(body)
