"""Gemini wire facts shared by the codecs: roles, finish reasons, usage, names, part keys."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from cliproxy.ir import Finish, Usage

_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")

FINISH_IN = MappingProxyType({
    "STOP": Finish.STOP, "MAX_TOKENS": Finish.LENGTH, "SAFETY": Finish.CONTENT_FILTER,
    "RECITATION": Finish.CONTENT_FILTER, "BLOCKLIST": Finish.CONTENT_FILTER,
    "PROHIBITED_CONTENT": Finish.CONTENT_FILTER, "SPII": Finish.CONTENT_FILTER,
    "IMAGE_SAFETY": Finish.CONTENT_FILTER, "IMAGE_PROHIBITED_CONTENT": Finish.CONTENT_FILTER,
    "IMAGE_RECITATION": Finish.CONTENT_FILTER, "LANGUAGE": Finish.CONTENT_FILTER,
    "MALFORMED_FUNCTION_CALL": Finish.MALFORMED_CALL, "UNEXPECTED_TOOL_CALL": Finish.MALFORMED_CALL,
    "TOO_MANY_TOOL_CALLS": Finish.MALFORMED_CALL, "OTHER": Finish.OTHER,
    "FINISH_REASON_UNSPECIFIED": Finish.OTHER, "IMAGE_OTHER": Finish.OTHER, "NO_IMAGE": Finish.OTHER,
})

FINISH_OUT = MappingProxyType({
    Finish.STOP: "STOP", Finish.STOP_SEQUENCE: "STOP", Finish.TOOL_CALLS: "STOP", Finish.PAUSE: "STOP",
    Finish.LENGTH: "MAX_TOKENS", Finish.CONTEXT_WINDOW: "MAX_TOKENS", Finish.CONTENT_FILTER: "SAFETY",
    Finish.REFUSAL: "SAFETY", Finish.MALFORMED_CALL: "MALFORMED_FUNCTION_CALL", Finish.ERROR: "OTHER",
    Finish.OTHER: "OTHER",
})

STATUS_NAME = MappingProxyType({
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
})

DEFAULT_SAFETY = (
    {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "OFF"},
    {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "OFF"},
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "threshold": "OFF"},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "OFF"},
    {"category": "HARM_CATEGORY_CIVIC_INTEGRITY", "threshold": "BLOCK_NONE"},
)


def safe_name(name: str) -> str:
    """Gemini function names: ``[a-zA-Z0-9_.:-]``, first a letter or ``_``, at most 64."""
    if name and len(name) <= 64 and name[0] in _FIRST and all(c in _OK for c in name):
        return name
    out = "".join(c if c in _OK else "_" for c in name)
    if not out or out[0] not in _FIRST:
        out = "_" + out
    return out[:64]


def get(d: dict[str, Any], camel: str, snake: str) -> Any:
    """Gemini clients send camelCase or snake_case (google-genai mixes both)."""
    v = d.get(camel)
    return v if v is not None else d.get(snake)


def _int(v: Any) -> int:
    return v if isinstance(v, int) else 0


def usage_in(u: dict[str, Any]) -> Usage:
    thoughts = _int(u.get("thoughtsTokenCount"))
    prompt = _int(u.get("promptTokenCount")) + _int(u.get("toolUsePromptTokenCount"))
    cand = _int(u.get("candidatesTokenCount"))
    if not cand and not thoughts and _int(u.get("totalTokenCount")) > prompt:
        cand = _int(u.get("totalTokenCount")) - prompt
    return Usage(input_tokens=prompt, output_tokens=cand + thoughts,
                 cache_read_tokens=_int(u.get("cachedContentTokenCount")), reasoning_tokens=thoughts)


def usage_out(u: Usage) -> dict[str, Any]:
    out: dict[str, Any] = {"promptTokenCount": u.input_tokens,
                           "candidatesTokenCount": max(0, u.output_tokens - u.reasoning_tokens),
                           "totalTokenCount": u.input_tokens + u.output_tokens}
    if u.reasoning_tokens:
        out["thoughtsTokenCount"] = u.reasoning_tokens
    if u.cache_read_tokens:
        out["cachedContentTokenCount"] = u.cache_read_tokens
    return out
