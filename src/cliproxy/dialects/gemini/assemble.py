"""A complete Gemini stream → the equivalent non-stream ``GenerateContentResponse`` (upstream side).

Parts of each candidate are concatenated; adjacent text parts of the same kind merge (a signature
that arrives on a later empty part moves onto the merged part, never across a signed one). The
last ``finishReason`` and ``usageMetadata`` win. Works on the wire JSON so unknown fields survive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from cliproxy.dialects.gemini.common import get
from cliproxy.dialects.openai_responses.assemble import scope_for
from cliproxy.errors import Scope, UpstreamError
from cliproxy.translate.base import UpstreamEvent

_decode = msgspec.json.decode


def _merge_part(parts: list[dict[str, Any]], p: dict[str, Any]) -> None:
    last = parts[-1] if parts else None
    if (last is not None and isinstance(p.get("text"), str) and isinstance(last.get("text"), str)
            and bool(last.get("thought")) == bool(p.get("thought"))
            and not get(last, "thoughtSignature", "thought_signature")):
        last["text"] += p["text"]
        sig = get(p, "thoughtSignature", "thought_signature")
        if sig:
            last["thoughtSignature"] = sig
        return
    parts.append(dict(p))


def merge_chunks(chunks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cands: dict[int, dict[str, Any]] = {}
    for obj in chunks:
        for k, v in obj.items():
            if k != "candidates":
                out[k] = v
        for i, c in enumerate(obj.get("candidates") or ()):
            idx = c.get("index", i)
            cand = cands.setdefault(idx, {"content": {"role": "model", "parts": []}, "index": idx})
            for k, v in c.items():
                if k not in ("content", "index"):
                    cand[k] = v
            for p in (c.get("content") or {}).get("parts") or ():
                _merge_part(cand["content"]["parts"], p)
    out["candidates"] = [cands[k] for k in sorted(cands)]
    return out


def unwrap(obj: Any) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get("response"), dict) and "candidates" not in obj:
        return obj["response"]
    return obj


def assemble(events: Iterable[UpstreamEvent]) -> bytes:
    chunks: list[dict[str, Any]] = []
    for ev in events:
        if not ev.data or ev.data == b"[DONE]":
            continue
        obj = _decode(ev.data)
        for o in obj if isinstance(obj, list) else [obj]:
            o = unwrap(o)
            if isinstance(o, dict):
                if "error" in o and "candidates" not in o:
                    err = o["error"] if isinstance(o["error"], dict) else {"message": str(o["error"])}
                    code = err.get("code")
                    status = code if isinstance(code, int) else 502
                    raise UpstreamError(str(err.get("message") or "upstream stream error"), status=status,
                                        scope=scope_for(status), body=msgspec.json.encode(o))
                chunks.append(o)
    merged = merge_chunks(chunks)
    finished = any(get(c, "finishReason", "finish_reason") for c in merged["candidates"])
    blocked = get(merged.get("promptFeedback") or {}, "blockReason", "block_reason")
    if not finished and not blocked:
        raise UpstreamError("upstream stream ended without a finishReason", status=502, scope=Scope.TRANSIENT)
    return msgspec.json.encode(merged)
