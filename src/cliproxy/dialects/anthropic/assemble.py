"""A complete Anthropic SSE stream → the equivalent non-stream Messages body (upstream side).

Used when a non-stream client is served from a streamed upstream call. Works on the wire JSON so
fields we do not model survive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from cliproxy.dialects.anthropic.common import ERROR_STATUS
from cliproxy.dialects.openai_responses.assemble import scope_for
from cliproxy.errors import Scope, UpstreamError
from cliproxy.translate.base import UpstreamEvent

_decode = msgspec.json.decode


def assemble(events: Iterable[UpstreamEvent]) -> bytes:
    msg: dict[str, Any] = {"type": "message", "role": "assistant", "content": []}
    blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, list[str]] = {}
    error: dict[str, Any] | None = None
    stopped = False
    for ev in events:
        if not ev.data or ev.data == b"[DONE]":
            continue
        obj = _decode(ev.data)
        if not isinstance(obj, dict):
            continue
        t = obj.get("type") or ev.event
        if t == "message_start":
            msg.update({k: v for k, v in (obj.get("message") or {}).items() if k != "content"})
        elif t == "content_block_start":
            blocks[obj.get("index", 0)] = dict(obj.get("content_block") or {})
        elif t == "content_block_delta":
            i, d = obj.get("index", 0), obj.get("delta") or {}
            b = blocks.setdefault(i, {"type": "text", "text": ""})
            dt = d.get("type")
            if dt == "text_delta":
                b["text"] = b.get("text", "") + d.get("text", "")
            elif dt == "thinking_delta":
                b["thinking"] = b.get("thinking", "") + d.get("thinking", "")
            elif dt == "signature_delta":
                b["signature"] = b.get("signature", "") + d.get("signature", "")
            elif dt == "input_json_delta":
                partial.setdefault(i, []).append(d.get("partial_json", ""))
            elif dt == "citations_delta":
                b.setdefault("citations", []).append(d.get("citation"))
        elif t == "message_delta":
            d = obj.get("delta") or {}
            msg.update({k: v for k, v in d.items() if k in ("stop_reason", "stop_sequence")})
            u = obj.get("usage")
            if isinstance(u, dict):
                usage = dict(msg.get("usage") or {})
                usage.update({k: v for k, v in u.items() if v is not None})
                msg["usage"] = usage
        elif t == "message_stop":
            stopped = True
        elif t == "error":
            error = obj
    if error is not None:
        etype = str((error.get("error") or {}).get("type") or "api_error")
        status = ERROR_STATUS.get(etype, 500)
        raise UpstreamError(str((error.get("error") or {}).get("message") or "upstream stream error"),
                            status=status, scope=scope_for(status), body=msgspec.json.encode(error))
    if not msg.get("stop_reason") and not stopped:
        raise UpstreamError("upstream stream ended before message_stop", status=502, scope=Scope.TRANSIENT)
    for i in sorted(blocks):
        b = blocks[i]
        if i in partial:
            raw = "".join(partial[i])
            try:
                b["input"] = _decode(raw) if raw.strip() else {}
            except msgspec.DecodeError:
                b["input"] = {}
        msg["content"].append(b)
    return msgspec.json.encode(msg)
