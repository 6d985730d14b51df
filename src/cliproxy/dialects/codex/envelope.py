"""Codex request rules on top of a Responses body (providers.md §8.4).

The ChatGPT Codex backend only streams, keeps no state, and rejects several platform fields, so
every request is normalised here whether it came from a Responses client (envelope pair) or from
the hub. Idempotent: applying it twice changes nothing.
"""

from __future__ import annotations

from typing import Any

DROP = ("previous_response_id", "prompt_cache_retention", "safety_identifier", "stream_options",
        "max_output_tokens", "max_completion_tokens", "temperature", "top_p", "truncation", "user",
        "context_management")
_WEB_SEARCH_ALIASES = ("web_search_preview", "web_search_preview_2025_03_11")


def _rename_search(tool: Any) -> Any:
    if isinstance(tool, dict) and tool.get("type") in _WEB_SEARCH_ALIASES:
        return {**tool, "type": "web_search"}
    return tool


def force(body: dict[str, Any], *, compact: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Return (codex body, names of the client fields that were removed)."""
    out = dict(body)
    removed = [k for k in DROP if out.pop(k, None) is not None]
    if out.get("service_tier") not in (None, "priority"):
        out.pop("service_tier")
        removed.append("service_tier")
    items = out.get("input")
    if isinstance(items, str):
        out["input"] = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": items}]}]
    elif isinstance(items, list):
        out["input"] = [{**it, "role": "developer"} if isinstance(it, dict) and it.get("role") == "system" else it
                        for it in items]
    if isinstance(out.get("tools"), list):
        out["tools"] = [_rename_search(t) for t in out["tools"]]
    if isinstance(out.get("tool_choice"), dict):
        out["tool_choice"] = _rename_search(out["tool_choice"])
    if not isinstance(out.get("instructions"), str):
        out["instructions"] = ""
    if compact:
        out.pop("stream", None)
        return out, removed
    out["stream"] = True
    out["store"] = False
    include = [i for i in out.get("include") or [] if isinstance(i, str)]
    if "reasoning.encrypted_content" not in include:
        include.append("reasoning.encrypted_content")
    out["include"] = include
    out.setdefault("parallel_tool_calls", True)
    return out, removed
