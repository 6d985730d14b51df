"""Small drivers shared by the targeted tests: translate a request, a stream, a body."""

from __future__ import annotations

import json
from typing import Any

from cliproxy.dialects.ids import Dialect
from cliproxy.translate.base import UpstreamEvent
from cliproxy.translate.router import assemble_stream, get_translator
from translate.conftest import make_ctx
from translate.support.client import parse_sse


def request(src: Dialect, dst: Dialect, body: dict[str, Any], **kw: Any) -> tuple[dict[str, Any], list[str]]:
    ctx = make_ctx(src, dst, body, **kw)
    return get_translator(src, dst).request(ctx), ctx.warnings


def ev(event: str, data: Any) -> UpstreamEvent:
    return UpstreamEvent(event, data if isinstance(data, bytes) else json.dumps(data).encode())


def stream(src: Dialect, dst: Dialect, events: list[UpstreamEvent], body: dict[str, Any] | None = None,
           **kw: Any) -> tuple[list[tuple[str | None, Any]], list[str]]:
    """Client events as (event name, parsed data) plus warnings."""
    ctx = make_ctx(src, dst, body or {"model": "m", "stream": True}, stream=True, **kw)
    st = get_translator(src, dst).stream(ctx)
    raw = b"".join(b for e in events for b in st.feed(e)) + b"".join(st.finish())
    out = []
    for name, data in parse_sse(raw):
        out.append((name, data if data == "[DONE]" else json.loads(data)))
    return out, ctx.warnings


def response(src: Dialect, dst: Dialect, upstream_body: Any, body: dict[str, Any] | None = None,
             **kw: Any) -> tuple[dict[str, Any], list[str]]:
    ctx = make_ctx(src, dst, body or {"model": "m"}, **kw)
    raw = upstream_body if isinstance(upstream_body, bytes) else json.dumps(upstream_body).encode()
    out, _ = get_translator(src, dst).response(ctx, raw)
    return json.loads(out), ctx.warnings


def assembled(dst: Dialect, events: list[UpstreamEvent]) -> dict[str, Any]:
    return json.loads(assemble_stream(dst, events))
