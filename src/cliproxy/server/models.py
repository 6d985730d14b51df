"""Model listings in the OpenAI, Anthropic and Gemini shapes (upstream-server.md §5.1).

``GET /v1/models`` is one path for three dialects; the headers tell them apart
(clients.md §2): ``anthropic-version`` or a ``claude-cli`` user agent → Anthropic,
``x-goog-api-key`` → Gemini, otherwise OpenAI.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import msgspec

from cliproxy.dialects.ids import Dialect
from cliproxy.providers.base import ModelEntry
from cliproxy.routing.registry import ModelRegistry

_CREATED = int(time.time())
_OWNERS = {"claude": "anthropic", "gemini": "google", "vertex": "google", "codex": "openai"}


def listing_dialect(headers: Mapping[str, str]) -> Dialect:
    ua = headers.get("User-Agent", "")
    if ua.startswith("claude-cli") or headers.get("anthropic-version"):
        return Dialect.ANTHROPIC
    if headers.get("x-goog-api-key") or "google-genai" in headers.get("x-goog-api-client", ""):
        return Dialect.GEMINI
    return Dialect.OPENAI_CHAT


def _owner(provider: str) -> str:
    kind, _, name = provider.partition(":")
    return name or _OWNERS.get(kind, kind)


def openai_list(reg: ModelRegistry) -> bytes:
    data = [{"id": mid, "object": "model", "created": _CREATED, "owned_by": _owner(owner)}
            for mid, _e, owner in reg.listing()]
    return msgspec.json.encode({"object": "list", "data": data})


def _anthropic_model(mid: str, e: ModelEntry, owner: str) -> dict[str, Any]:
    th = e.thinking or {}
    return {
        "type": "model", "id": mid, "display_name": e.display_name or mid,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_CREATED)),
        "object": "model", "owned_by": _owner(owner),
        "thinking": bool(th),
        "extended_thinking": {"supported": bool(th), "min": th.get("min"), "max": th.get("max"),
                              "zero_allowed": th.get("zero_allowed", False),
                              "dynamic_allowed": th.get("dynamic_allowed", False)},
        "context_length": e.context_length or None,
        "max_completion_tokens": e.max_output_tokens or None,
    }


def anthropic_list(reg: ModelRegistry) -> bytes:
    data = [_anthropic_model(mid, e, owner) for mid, e, owner in reg.listing()]
    return msgspec.json.encode({"data": data, "has_more": False,
                                "first_id": data[0]["id"] if data else None,
                                "last_id": data[-1]["id"] if data else None})


def gemini_model(mid: str, e: ModelEntry) -> dict[str, Any]:
    th = e.thinking or {}
    return {
        "name": f"models/{mid}", "baseModelId": mid, "version": "001",
        "displayName": e.display_name or mid, "description": e.display_name or mid,
        "inputTokenLimit": e.context_length or 1048576, "outputTokenLimit": e.max_output_tokens or 65536,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
        "thinking": bool(th),
    }


def gemini_list(reg: ModelRegistry) -> bytes:
    return msgspec.json.encode({"models": [gemini_model(mid, e) for mid, e, _o in reg.listing()]})


def gemini_one(reg: ModelRegistry, model: str) -> bytes | None:
    mid = model.removeprefix("models/")
    for lid, e, _o in reg.listing():
        if lid == mid:
            return msgspec.json.encode(gemini_model(lid, e))
    return None
