"""Responses wire facts shared by the codecs."""

from __future__ import annotations

from typing import Any

from cliproxy.ir import Finish, Usage


def _int(v: Any) -> int:
    return v if isinstance(v, int) else 0


def usage_in(u: dict[str, Any]) -> Usage:
    idt = u.get("input_tokens_details") or {}
    odt = u.get("output_tokens_details") or {}
    return Usage(input_tokens=_int(u.get("input_tokens")), output_tokens=_int(u.get("output_tokens")),
                 cache_read_tokens=_int(idt.get("cached_tokens")) if isinstance(idt, dict) else 0,
                 reasoning_tokens=_int(odt.get("reasoning_tokens")) if isinstance(odt, dict) else 0)


def usage_out(u: Usage | None) -> dict[str, Any]:
    u = u or Usage()
    return {"input_tokens": u.input_tokens,
            "input_tokens_details": {"cached_tokens": u.cache_read_tokens, "cache_write_tokens": u.cache_write_tokens},
            "output_tokens": u.output_tokens, "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
            "total_tokens": u.input_tokens + u.output_tokens}


def finish_in(status: str | None, incomplete: Any, has_tools: bool) -> Finish | None:
    if status == "completed":
        return Finish.TOOL_CALLS if has_tools else Finish.STOP
    if status == "incomplete":
        reason = incomplete.get("reason") if isinstance(incomplete, dict) else None
        if reason == "content_filter":
            return Finish.CONTENT_FILTER
        return Finish.LENGTH
    if status == "failed":
        return Finish.ERROR
    if status == "cancelled":
        return Finish.OTHER
    return None


def status_out(finish: Finish | None) -> tuple[str, dict[str, Any] | None]:
    """(status, incomplete_details) for a finish reason (FIX: length/filter → ``incomplete``)."""
    if finish in (Finish.LENGTH, Finish.CONTEXT_WINDOW):
        return "incomplete", {"reason": "max_output_tokens"}
    if finish in (Finish.CONTENT_FILTER, Finish.REFUSAL):
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


ECHO_FIELDS = ("instructions", "max_output_tokens", "max_tool_calls", "metadata", "parallel_tool_calls",
               "previous_response_id", "prompt_cache_key", "reasoning", "safety_identifier", "service_tier",
               "temperature", "text", "tool_choice", "tools", "top_logprobs", "top_p", "truncation", "user",
               "background")


def response_shell(resp_id: str, created: int, model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The response object around ``output``, echoing the client's request fields."""
    obj: dict[str, Any] = {"id": resp_id, "object": "response", "created_at": created, "status": "in_progress",
                           "background": False, "error": None, "incomplete_details": None, "instructions": None,
                           "max_output_tokens": None, "model": model, "output": [], "parallel_tool_calls": True,
                           "previous_response_id": None, "reasoning": None, "temperature": None,
                           "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": None,
                           "truncation": "disabled", "usage": None, "user": None, "metadata": {}}
    for k in ECHO_FIELDS:
        if k in body and body[k] is not None:
            obj[k] = body[k]
    if isinstance(obj.get("instructions"), list):
        obj["instructions"] = None
    obj["model"] = model
    return obj
