"""Choose how to carry a request from the client's dialect to the upstream's.

Same dialect family (Codex is the Responses dialect plus provider rules) → passthrough;
otherwise the translation router (envelope pair or IR hub).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from cliproxy.dialects.ids import Dialect
from cliproxy.errors import BadRequest
from cliproxy.routing.thinking import ThinkingRequest
from cliproxy.translate.base import Translator, UpstreamEvent
from cliproxy.translate.passthrough import PassthroughTranslator

_FAMILY = {Dialect.CODEX: Dialect.OPENAI_RESPONSES}
# stateless, so one per dialect built at import; never mutated (house rule 3)
_PASSTHROUGH = {d: PassthroughTranslator(d) for d in Dialect}


def family(d: Dialect) -> Dialect:
    return _FAMILY.get(d, d)


def translator_for(src: Dialect, dst: Dialect) -> Translator:
    if family(src) is family(dst):
        return _PASSTHROUGH[src]
    try:
        from cliproxy.translate.router import get_translator
    except ImportError as exc:  # pragma: no cover - only while the router is absent
        raise BadRequest(f"cannot translate {src} requests to a {dst} upstream") from exc
    t2 = get_translator(src, dst)
    if t2 is None:
        raise BadRequest(f"cannot translate {src} requests to a {dst} upstream")
    return t2


def assemble(dst: Dialect, events: Iterable[UpstreamEvent]) -> bytes:
    """Turn a complete upstream stream into that dialect's non-stream body."""
    if family(dst) is Dialect.OPENAI_RESPONSES:
        return assemble_responses(events)
    from cliproxy.translate.router import assemble_stream

    return assemble_stream(dst, list(events))


def assemble_responses(events: Iterable[UpstreamEvent]) -> bytes:
    """The ``response`` of ``response.completed``; its empty ``output`` rebuilt from the items."""
    items: dict[int, Any] = {}
    final: dict[str, Any] | None = None
    for ev in events:
        if not ev.data or ev.data == b"[DONE]":
            continue
        try:
            obj = msgspec.json.decode(ev.data)
        except msgspec.DecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        typ = obj.get("type") or ev.event
        if typ == "response.output_item.done" and isinstance(obj.get("item"), dict):
            items[int(obj.get("output_index", len(items)))] = obj["item"]
        elif typ in ("response.completed", "response.incomplete", "response.failed", "response.done"):
            resp = obj.get("response")
            if isinstance(resp, dict):
                final = resp
        elif typ == "error":
            raise _stream_error(obj)
    if final is None:
        from cliproxy.errors import Scope, UpstreamError

        raise UpstreamError("stream disconnected before completion", status=408, scope=Scope.TRANSIENT)
    if not final.get("output") and items:
        final["output"] = [items[k] for k in sorted(items)]
    return msgspec.json.encode(final)


def _stream_error(obj: Mapping[str, Any]) -> Exception:
    from cliproxy.errors import Scope, UpstreamError

    e = obj.get("error")
    err: Mapping[str, Any] = e if isinstance(e, dict) else obj
    status = int(obj.get("status") or 502)
    return UpstreamError(str(err.get("message") or "upstream stream error"), status=status,
                         scope=Scope.TRANSIENT if status >= 500 else Scope.CREDENTIAL,
                         body=msgspec.json.encode({"error": err}))


def apply_thinking(body: dict[str, Any], dst: Dialect, t: ThinkingRequest | None,
                   caps: Mapping[str, Any] | None) -> dict[str, Any]:
    from cliproxy.translate.thinking import apply_thinking as apply

    if t is None:
        return apply(body, dst, None, None, None, caps)
    return apply(body, dst, t.mode, t.budget, t.level, caps)
