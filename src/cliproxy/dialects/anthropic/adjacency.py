"""Anthropic turn-structure repairs on wire dicts, for bodies that skip the IR (Claude passthrough).

Anthropic requires every ``tool_use`` of an assistant turn to be answered by a ``tool_result`` at
the start of the very next user turn, and every ``tool_result`` to answer a ``tool_use`` of the
turn before ("tool_use ids were found without tool_result blocks immediately after", "unexpected
tool_use_id found in tool_result blocks"); compaction in Claude Code / OpenCode breaks this
(patch 013). It also rejects thinking blocks signed by another model family, which a client
carries after it was served by Gemini or Codex through cliproxy (signatures tagged ``<family>#``).

The hub does the same repairs on the IR (``ir.normalize``); these helpers are for the same-dialect
passthrough: ``repair_claude_body(body)`` returns the repaired body and the warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cliproxy.ir.signatures import FAMILIES

PLACEHOLDER = "[result not available]"


def merge_same_role(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in msgs:
        if out and out[-1]["role"] == m["role"]:
            out[-1] = {"role": m["role"], "content": out[-1]["content"] + m["content"]}
        else:
            out.append(m)
    return out


def _result_text(block: dict[str, Any]) -> str:
    c = block.get("content")
    if isinstance(c, str):
        return c
    if isinstance(c, list):
        return "\n".join(b.get("text", "") for b in c if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [b for b in content or [] if isinstance(b, dict)]


def ensure_adjacency(msgs: list[dict[str, Any]], warn: Callable[[str], None]) -> list[dict[str, Any]]:
    """``msgs`` with list content; returns a repaired copy (the input is not mutated)."""
    msgs = [dict(m) for m in msgs]
    results: dict[str, dict[str, Any]] = {}
    for m in msgs:
        if m["role"] == "user":
            for b in m["content"]:
                if b.get("type") == "tool_result":
                    results.setdefault(b["tool_use_id"], b)
    if not results and not any(b.get("type") == "tool_use" for m in msgs for b in m["content"]):
        return msgs
    used: set[str] = set()
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(msgs):
        m = msgs[i]
        if m["role"] != "assistant":
            keep = []
            for b in m["content"]:
                if b.get("type") != "tool_result":
                    keep.append(b)
                elif b["tool_use_id"] in used:
                    continue  # already placed right after its tool_use
                else:
                    warn("claude: a tool_result without a matching tool_use was sent as text")
                    keep.append({"type": "text", "text": f"[tool result {b['tool_use_id']}]\n{_result_text(b)}"})
            if keep:
                if out and out[-1]["role"] == m["role"]:
                    out[-1] = {"role": m["role"], "content": out[-1]["content"] + keep}
                else:
                    out.append({**m, "content": keep})
            i += 1
            continue
        out.append(m)
        ids = [b["id"] for b in m["content"] if b.get("type") == "tool_use"]
        i += 1
        if not ids:
            continue
        answers = []
        for tid in ids:
            if tid in used:
                continue
            b = results.get(tid)
            if b is None:
                warn(f"claude: tool_use {tid} had no tool_result; a placeholder result was added")
                b = {"type": "tool_result", "tool_use_id": tid, "content": PLACEHOLDER}
            answers.append(b)
            used.add(tid)
        out.append({"role": "user", "content": answers})
    return out


def _foreign(sig: Any) -> bool:
    if not isinstance(sig, str):
        return False
    head, sep, _ = sig.partition("#")
    return bool(sep) and head in FAMILIES and head != "claude"


def repair_claude_body(body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Adjacency repair plus removal of thinking blocks another family signed. Copy on change."""
    warnings: list[str] = []

    def warn(msg: str) -> None:
        if msg not in warnings:
            warnings.append(msg)

    msgs = body.get("messages")
    if not isinstance(msgs, list):
        return body, warnings
    typed = []
    for m in msgs:
        if not isinstance(m, dict):
            continue
        blocks = _blocks(m.get("content"))
        if m.get("role") == "assistant":
            kept = [b for b in blocks if not (b.get("type") == "thinking" and _foreign(b.get("signature")))]
            if len(kept) != len(blocks):
                warn("claude: thinking signed by another model family dropped from history")
            blocks = kept
        typed.append({**m, "content": blocks})
    fixed = ensure_adjacency([m for m in typed if m["role"] in ("user", "assistant") or m["content"]], warn)
    if not warnings:
        return body, warnings
    return {**body, "messages": fixed}, warnings
