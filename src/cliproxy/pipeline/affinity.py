"""Session keys for ``routing.session-affinity`` (upstream-server.md §5.3), in upstream's order."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import msgspec

_SESSION_IN_USER_ID = re.compile(r"_session_([0-9a-fA-F-]{8,})")


def _first_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                return part["text"]
    return ""


def session_key(headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
    meta = body.get("metadata")
    user_id = meta.get("user_id") if isinstance(meta, dict) else None
    if isinstance(user_id, str) and user_id:
        m = _SESSION_IN_USER_ID.search(user_id)
        if m:
            return "cc:" + m.group(1)
        if user_id.startswith("{"):
            try:
                sid = msgspec.json.decode(user_id).get("session_id")
            except (msgspec.DecodeError, AttributeError):
                sid = None
            if isinstance(sid, str) and sid:
                return "cc:" + sid
    for h in ("X-Session-ID", "Session_id", "X-Amp-Thread-Id", "X-Client-Request-Id"):
        v = headers.get(h)
        if v:
            return f"{h.lower()}:{v}"
    if isinstance(user_id, str) and user_id:
        return "user:" + user_id
    conv = body.get("conversation_id") or body.get("prompt_cache_key")
    if isinstance(conv, str) and conv:
        return "conv:" + conv
    digest = hashlib.sha256()
    system = body.get("system") or body.get("instructions") or body.get("systemInstruction") or ""
    digest.update(_first_text(system).encode() if not isinstance(system, dict) else
             msgspec.json.encode(system))
    turns = body.get("messages") or body.get("input") or body.get("contents") or []
    if isinstance(turns, list):
        seen = 0
        for t in turns:
            if not isinstance(t, dict):
                continue
            role = t.get("role")
            if role in ("system", "developer"):
                digest.update(_first_text(t.get("content")).encode())
                continue
            digest.update(str(role).encode())
            digest.update(_first_text(t.get("content") or t.get("parts")).encode())
            seen += 1
            if seen >= 2:
                break
    elif isinstance(turns, str):
        digest.update(turns.encode())
    return "hash:" + digest.hexdigest()[:32]
