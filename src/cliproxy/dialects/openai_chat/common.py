"""OpenAI chat wire facts shared by the codecs."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from cliproxy.ir import Finish, Usage

_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

FINISH_IN = MappingProxyType({
    "stop": Finish.STOP, "length": Finish.LENGTH, "tool_calls": Finish.TOOL_CALLS,
    "function_call": Finish.TOOL_CALLS, "content_filter": Finish.CONTENT_FILTER,
})

FINISH_OUT = MappingProxyType({
    Finish.STOP: "stop", Finish.STOP_SEQUENCE: "stop", Finish.LENGTH: "length",
    Finish.TOOL_CALLS: "tool_calls", Finish.CONTENT_FILTER: "content_filter",
    Finish.REFUSAL: "content_filter", Finish.PAUSE: "stop", Finish.CONTEXT_WINDOW: "length",
    Finish.MALFORMED_CALL: "stop", Finish.ERROR: "stop", Finish.OTHER: "stop",
})


def safe_name(name: str) -> str:
    """OpenAI function names: ``^[a-zA-Z0-9_-]{1,64}$``; long MCP names keep their last segment."""
    if name and len(name) <= 64 and all(c in _OK for c in name):
        return name
    out = "".join(c if c in _OK else "_" for c in name) or "_"
    if len(out) > 64 and out.startswith("mcp__"):
        out = "mcp__" + out.rsplit("__", 1)[-1]
    return out[:64]


def _int(v: Any) -> int:
    return v if isinstance(v, int) else 0


def usage_in(u: dict[str, Any]) -> Usage:
    pd = u.get("prompt_tokens_details") or {}
    cd = u.get("completion_tokens_details") or {}
    return Usage(input_tokens=_int(u.get("prompt_tokens")), output_tokens=_int(u.get("completion_tokens")),
                 cache_read_tokens=_int(pd.get("cached_tokens")) if isinstance(pd, dict) else 0,
                 reasoning_tokens=_int(cd.get("reasoning_tokens")) if isinstance(cd, dict) else 0)


def usage_out(u: Usage) -> dict[str, Any]:
    out: dict[str, Any] = {"prompt_tokens": u.input_tokens, "completion_tokens": u.output_tokens,
                           "total_tokens": u.input_tokens + u.output_tokens}
    if u.cache_read_tokens:
        out["prompt_tokens_details"] = {"cached_tokens": u.cache_read_tokens}
    if u.reasoning_tokens:
        out["completion_tokens_details"] = {"reasoning_tokens": u.reasoning_tokens}
    return out


def error_body(status: int, etype: str, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": etype or "api_error", "param": None,
                      "code": str(status) if status else None}}
