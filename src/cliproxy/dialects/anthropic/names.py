"""Anthropic naming rules: tool names and tool-use ids must match ``^[a-zA-Z0-9_-]{1,64}$``."""

from __future__ import annotations

_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def safe_name(name: str) -> str:
    if name and len(name) <= 64 and all(c in _OK for c in name):
        return name
    out = "".join(c if c in _OK else "_" for c in name)[:64]
    return out or "_"


def safe_id(tool_id: str) -> str:
    if tool_id and all(c in _OK for c in tool_id):
        return tool_id
    return "".join(c if c in _OK else "_" for c in tool_id) or "toolu_"
