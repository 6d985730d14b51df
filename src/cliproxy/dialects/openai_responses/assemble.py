"""A complete Responses / Codex SSE stream → the final ``response`` object (upstream side).

The ``response`` of ``response.completed`` (or ``incomplete`` / ``failed``) is the answer. Codex
may send it with an empty ``output``; the items from ``output_item.done`` are then put back in
``output_index`` order (translation.md §1.2). A stream that ends without a terminal event, or
with an ``error`` event, raises ``UpstreamError`` (REF answers 408) instead of pretending success.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from cliproxy.errors import Scope, UpstreamError
from cliproxy.translate.base import UpstreamEvent

_decode = msgspec.json.decode


def scope_for(status: int) -> Scope:
    if status == 429:
        return Scope.CREDENTIAL
    return Scope.TRANSIENT if status >= 500 else Scope.REQUEST


def assemble(events: Iterable[UpstreamEvent]) -> bytes:
    final: dict[str, Any] | None = None
    items: dict[int, dict[str, Any]] = {}
    error: dict[str, Any] | None = None
    for ev in events:
        if not ev.data or ev.data == b"[DONE]":
            continue
        obj = _decode(ev.data)
        if not isinstance(obj, dict):
            continue
        t = obj.get("type") or ev.event
        if t == "response.output_item.done" and isinstance(obj.get("item"), dict):
            items[obj.get("output_index", len(items))] = obj["item"]
        elif t in ("response.completed", "response.incomplete", "response.failed", "response.done"):
            final = dict(obj.get("response") or {})
        elif t == "error":
            error = obj
    if final is None:
        if error is not None:
            code = str(error.get("code") or "")
            status = 429 if "rate_limit" in code else 400 if "invalid" in code else 502
            raise UpstreamError(str(error.get("message") or "upstream stream error"), status=status,
                                scope=scope_for(status), body=msgspec.json.encode({"error": error}))
        raise UpstreamError("upstream stream ended before response.completed", status=502,
                            scope=Scope.TRANSIENT)
    if not final.get("output") and items:
        final["output"] = [items[k] for k in sorted(items)]
    final.setdefault("object", "response")
    final.setdefault("output", [])
    return msgspec.json.encode(final)
