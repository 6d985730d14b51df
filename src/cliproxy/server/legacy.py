"""``POST /v1/completions``: the legacy prompt API, served through chat (upstream-server.md §1.6).

The prompt becomes one user message; the chat answer is rebuilt as ``text_completion``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.sse import EventSplitter

_COPY = ("model", "max_tokens", "temperature", "top_p", "frequency_penalty", "presence_penalty", "stop",
         "stream", "logprobs", "top_logprobs", "n", "user", "seed", "stream_options")


def to_chat(body: dict[str, Any]) -> dict[str, Any]:
    prompt = body.get("prompt")
    if isinstance(prompt, list):
        prompt = "\n".join(p for p in prompt if isinstance(p, str))
    if not isinstance(prompt, str) or not prompt:
        prompt = "Complete this:"
    chat = {k: body[k] for k in _COPY if k in body}
    chat["messages"] = [{"role": "user", "content": prompt}]
    return chat


def _choice(c: dict[str, Any], delta: bool) -> dict[str, Any]:
    src = c.get("delta" if delta else "message") or {}
    return {"index": c.get("index", 0), "text": src.get("content") or "",
            "logprobs": c.get("logprobs"), "finish_reason": c.get("finish_reason")}


def from_chat(body: bytes) -> bytes:
    obj = msgspec.json.decode(body)
    out = {"id": obj.get("id", ""), "object": "text_completion", "created": obj.get("created", 0),
           "model": obj.get("model", ""), "choices": [_choice(c, False) for c in obj.get("choices") or []]}
    if obj.get("usage") is not None:
        out["usage"] = obj["usage"]
    return msgspec.json.encode(out)


class ChatToCompletionStream:
    """Rewrite chat.completion.chunk events as text_completion chunks; drop empty ones."""

    def __init__(self) -> None:
        self._split = EventSplitter()

    def __call__(self, data: bytes) -> bytes:
        events = self._split.feed(data)
        out: list[bytes] = []
        for block in events.split(b"\n\n"):
            line = block.strip()
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == b"[DONE]":
                out.append(b"data: [DONE]\n\n")
                continue
            try:
                obj = msgspec.json.decode(payload)
            except msgspec.DecodeError:
                continue
            if "error" in obj:
                out.append(b"data: " + payload + b"\n\n")
                continue
            choices = [_choice(c, True) for c in obj.get("choices") or []]
            usage = obj.get("usage")
            if not usage and not any(c["text"] or c["finish_reason"] for c in choices):
                continue
            chunk = {"id": obj.get("id", ""), "object": "text_completion", "created": obj.get("created", 0),
                     "model": obj.get("model", ""), "choices": choices}
            if usage:
                chunk["usage"] = usage
            out.append(b"data: " + msgspec.json.encode(chunk) + b"\n\n")
        return b"".join(out)
