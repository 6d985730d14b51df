"""Read token usage on the side of a passthrough, without touching the bytes we forward.

Only events that mention usage are parsed, so the cost per ordinary chunk is one substring test.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.ids import Dialect
from cliproxy.translate.base import Usage

_decode = msgspec.json.decode


def _int(v: Any) -> int:
    return v if isinstance(v, int) else 0


def usage_from_obj(dialect: Dialect, obj: Any) -> Usage | None:
    if not isinstance(obj, dict):
        return None
    if dialect in (Dialect.GEMINI, Dialect.GEMINI_CLI, Dialect.ANTIGRAVITY):
        if "response" in obj and isinstance(obj["response"], dict):
            obj = obj["response"]
        um = obj.get("usageMetadata")
        if not isinstance(um, dict):
            return None
        return Usage(_int(um.get("promptTokenCount")),
                     _int(um.get("candidatesTokenCount")) + _int(um.get("thoughtsTokenCount")),
                     _int(um.get("cachedContentTokenCount")), _int(um.get("thoughtsTokenCount")))
    if dialect is Dialect.ANTHROPIC:
        u = obj.get("usage")
        if not isinstance(u, dict) and isinstance(obj.get("message"), dict):
            u = obj["message"].get("usage")
        if not isinstance(u, dict):
            return None
        return Usage(_int(u.get("input_tokens")) + _int(u.get("cache_read_input_tokens"))
                     + _int(u.get("cache_creation_input_tokens")),
                     _int(u.get("output_tokens")), _int(u.get("cache_read_input_tokens")), 0)
    if dialect in (Dialect.OPENAI_RESPONSES, Dialect.CODEX):
        inner = obj.get("response")
        resp: dict[str, Any] = inner if isinstance(inner, dict) else obj
        u = resp.get("usage")
        if not isinstance(u, dict):
            return None
        return Usage(_int(u.get("input_tokens")), _int(u.get("output_tokens")),
                     _int((u.get("input_tokens_details") or {}).get("cached_tokens")),
                     _int((u.get("output_tokens_details") or {}).get("reasoning_tokens")))
    u = obj.get("usage")
    if not isinstance(u, dict):
        return None
    return Usage(_int(u.get("prompt_tokens")), _int(u.get("completion_tokens")),
                 _int((u.get("prompt_tokens_details") or {}).get("cached_tokens")),
                 _int((u.get("completion_tokens_details") or {}).get("reasoning_tokens")))


def usage_from_body(dialect: Dialect, body: bytes) -> Usage | None:
    try:
        return usage_from_obj(dialect, _decode(body))
    except msgspec.DecodeError:
        return None


class StreamUsageTap:
    """Feed it whole SSE events (bytes); it keeps the latest usage seen."""

    __slots__ = ("_needle", "dialect", "usage")

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.usage: Usage | None = None
        self._needle = b"usageMetadata" if dialect in (Dialect.GEMINI, Dialect.GEMINI_CLI,
                                                        Dialect.ANTIGRAVITY) else b'"usage"'

    def feed(self, events: bytes) -> None:
        if self._needle not in events:
            return
        for block in events.split(b"\n\n"):
            if self._needle not in block:
                continue
            for line in block.split(b"\n"):
                if line.startswith(b"data:"):
                    payload = line[5:].strip()
                    try:
                        obj = _decode(payload)
                    except msgspec.DecodeError:
                        continue
                    u = usage_from_obj(self.dialect, obj)
                    if u is not None:
                        if self.usage is not None and self.dialect is Dialect.ANTHROPIC:
                            # message_start carries input tokens, message_delta the output
                            u.input_tokens = u.input_tokens or self.usage.input_tokens
                            u.cached_tokens = u.cached_tokens or self.usage.cached_tokens
                        self.usage = u
