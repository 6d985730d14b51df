"""Anthropic wire facts shared by the response and stream codecs."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from cliproxy.ir import Finish, Usage

STOP_IN = MappingProxyType({
    "end_turn": Finish.STOP, "stop_sequence": Finish.STOP_SEQUENCE, "max_tokens": Finish.LENGTH,
    "tool_use": Finish.TOOL_CALLS, "pause_turn": Finish.PAUSE, "refusal": Finish.REFUSAL,
    "model_context_window_exceeded": Finish.CONTEXT_WINDOW,
})

STOP_OUT = MappingProxyType({
    Finish.STOP: "end_turn", Finish.STOP_SEQUENCE: "stop_sequence", Finish.LENGTH: "max_tokens",
    Finish.TOOL_CALLS: "tool_use", Finish.CONTENT_FILTER: "refusal", Finish.REFUSAL: "refusal",
    Finish.PAUSE: "pause_turn", Finish.CONTEXT_WINDOW: "model_context_window_exceeded",
    Finish.MALFORMED_CALL: "end_turn", Finish.ERROR: "end_turn", Finish.OTHER: "end_turn",
})

ERROR_STATUS = MappingProxyType({
    "invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
    "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
    "overloaded_error": 529,
})

ERROR_TYPE = MappingProxyType({v: k for k, v in ERROR_STATUS.items()})


def _int(v: Any) -> int:
    return v if isinstance(v, int) else 0


def usage_in(u: dict[str, Any]) -> Usage:
    cr, cw = _int(u.get("cache_read_input_tokens")), _int(u.get("cache_creation_input_tokens"))
    return Usage(input_tokens=_int(u.get("input_tokens")) + cr + cw, output_tokens=_int(u.get("output_tokens")),
                 cache_read_tokens=cr, cache_write_tokens=cw)


def usage_out(u: Usage | None) -> dict[str, Any]:
    if u is None:
        return {"input_tokens": 0, "output_tokens": 0}
    out: dict[str, Any] = {
        "input_tokens": max(0, u.input_tokens - u.cache_read_tokens - u.cache_write_tokens),
        "output_tokens": u.output_tokens,
    }
    if u.cache_read_tokens:
        out["cache_read_input_tokens"] = u.cache_read_tokens
    if u.cache_write_tokens:
        out["cache_creation_input_tokens"] = u.cache_write_tokens
    return out


def error_type(status: int) -> str:
    return ERROR_TYPE.get(status) or ("api_error" if status >= 500 else "invalid_request_error")
