"""The Antigravity envelope (providers.md §6.3, translation.md §4.9, patches 003–005).

Like Gemini CLI, plus ``userAgent``, ``requestType``, ``requestId`` and a per-conversation
``request.sessionId``; no ``safetySettings``; ``toolConfig`` inside ``request``; tool schemas
under ``parameters``. Claude models behind Antigravity run tools in VALIDATED mode (which needs
at least one required property) and reject the thought sentinel and thought parts from Gemini.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from cliproxy.dialects.gemini.schema_clean import clean_schema, lower_types
from cliproxy.dialects.gemini_cli.envelope import normalise as cli_normalise
from cliproxy.ir.signatures import GEMINI_SKIP


def is_claude(model: str) -> bool:
    return "claude" in model.lower()


def strict_schemas(model: str) -> bool:
    """Models whose tool schemas need the Antigravity cleaner variant (placeholders)."""
    m = model.lower()
    return is_claude(m) or "gemini-3-pro" in m or "gemini-3.1-pro" in m


def session_id(body: dict[str, Any]) -> str:
    for c in body.get("contents") or []:
        if isinstance(c, dict) and c.get("role") == "user":
            for p in c.get("parts") or []:
                if isinstance(p, dict) and isinstance(p.get("text"), str) and p["text"]:
                    n = int.from_bytes(hashlib.sha256(p["text"].encode()).digest()[:8], "big") >> 1
                    return f"-{n}"
    return f"-{uuid.uuid4().int >> 65}"


def wrap(body: dict[str, Any], model: str, *, count_only: bool = False) -> dict[str, Any]:
    inner = {k: v for k, v in body.items() if k not in ("model", "safetySettings", "safety_settings")}
    if count_only:
        return {"request": {"contents": inner.get("contents") or []}}
    if is_claude(model) and inner.get("tools"):
        tc = dict(inner.get("toolConfig") or {})
        fcc = dict(tc.get("functionCallingConfig") or {})
        if fcc.get("mode") in (None, "AUTO"):
            fcc["mode"] = "VALIDATED"
        tc["functionCallingConfig"] = fcc
        inner["toolConfig"] = tc
    image = "image" in model.lower()
    env: dict[str, Any] = {"model": model, "userAgent": "antigravity", "project": "",
                           "requestType": "image_gen" if image else "agent",
                           "requestId": f"agent-{uuid.uuid4()}", "request": inner}
    if not image:
        inner["sessionId"] = session_id(inner)
    return env


def continue_prefill(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Claude behind Antigravity rejects a trailing model turn (prefill): ask it to continue
    instead (patch 004). A tail with a function call or a thought is left alone."""
    if not contents or contents[-1].get("role") != "model":
        return contents
    last = contents[-1]["parts"]
    if any("functionCall" in p or p.get("thought") for p in last):
        return contents
    text = "".join(p.get("text") or "" for p in last)
    return [*contents[:-1], {"role": "user", "parts": [{"text": "Continue from: " + text}]}]


def _merge_same_role(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in contents:
        if out and out[-1].get("role") == c.get("role"):
            out[-1] = {**out[-1], "parts": list(out[-1]["parts"]) + list(c["parts"])}
        else:
            out.append(c)
    return out


def normalise(body: dict[str, Any], model: str) -> dict[str, Any]:
    """A Gemini client's body made fit for Antigravity (patches 003, 004, 005)."""
    out = cli_normalise(body)
    claude = is_claude(model)
    contents = []
    for c in out.get("contents") or []:
        parts = []
        for p in c.get("parts") or []:
            if not isinstance(p, dict):
                continue
            p = {k: v for k, v in p.items() if k != "thought_signature"}
            if c.get("role") == "model":
                if claude:
                    if p.get("thought") is True:
                        continue
                    p.pop("thoughtSignature", None)
                elif p.get("thought") is True or ("functionCall" in p and len(str(p.get("thoughtSignature") or "")) < 50):
                    p["thoughtSignature"] = GEMINI_SKIP
            parts.append(p)
        if parts:
            contents.append({**c, "parts": parts})
    contents = _merge_same_role(contents)
    out["contents"] = continue_prefill(contents) if claude else contents
    if isinstance(out.get("tools"), list):
        out["tools"] = [_tool(t, strict_schemas(model)) for t in out["tools"]]
    return out


def _tool(t: Any, strict: bool) -> Any:
    """Antigravity reads tool schemas from ``parameters``; they are cleaned (tools only, §5.12 FIX)."""
    if not isinstance(t, dict):
        return t
    decls = t.get("functionDeclarations", t.get("function_declarations"))
    if not isinstance(decls, list):
        return t
    out = []
    for d in decls:
        if not isinstance(d, dict):
            continue
        schema = d.get("parametersJsonSchema", d.get("parameters_json_schema"))
        if not isinstance(schema, dict):
            schema = lower_types(d.get("parameters") or {})
        nd = {k: v for k, v in d.items() if k in ("name", "description", "behavior", "response")}
        nd["parameters"] = clean_schema(schema, antigravity=strict)
        out.append(nd)
    rest = {k: v for k, v in t.items() if k not in ("functionDeclarations", "function_declarations")}
    return {**rest, "functionDeclarations": out}
