"""The Code Assist envelope: ``{"model","project","request":{…Gemini body…}}`` upstream and
``{"response":{…},"traceId"}`` back (providers.md §2.2, translation.md §4.9).

``normalise`` applies the Code Assist hygiene to a Gemini body that came straight from a Gemini
client: snake_case keys camelCased where it matters, missing roles filled by alternation, empty
contents removed, function responses regrouped right after their calls (FIFO, names back-filled),
and the skip sentinel on model function calls that carry no signature.
"""

from __future__ import annotations

from collections import deque
from types import MappingProxyType
from typing import Any

from cliproxy.ir.signatures import GEMINI_SKIP

_RENAME = (("system_instruction", "systemInstruction"), ("tool_config", "toolConfig"),
           ("generation_config", "generationConfig"), ("safety_settings", "safetySettings"))
_PART_KEYS = MappingProxyType({"inline_data": "inlineData", "file_data": "fileData", "function_call": "functionCall",
              "function_response": "functionResponse", "thought_signature": "thoughtSignature",
              "executable_code": "executableCode", "code_execution_result": "codeExecutionResult",
              "video_metadata": "videoMetadata"})
_BLOB_KEYS = MappingProxyType({"mime_type": "mimeType", "file_uri": "fileUri"})


def camel_part(p: Any) -> Any:
    """google-genai mixes snake_case into otherwise camelCase JSON; Code Assist wants one spelling."""
    if not isinstance(p, dict) or not any(k in _PART_KEYS for k in p):
        return p
    out = {}
    for k, v in p.items():
        k2 = _PART_KEYS.get(k, k)
        if k2 in ("inlineData", "fileData") and isinstance(v, dict):
            v = {_BLOB_KEYS.get(a, a): b for a, b in v.items()}
        out[k2] = v
    return out


def wrap(body: dict[str, Any], model: str, *, count_only: bool = False) -> dict[str, Any]:
    inner = {k: v for k, v in body.items() if k != "model"}
    if count_only:
        return {"request": {"contents": inner.get("contents") or []}}
    return {"model": model, "project": "", "request": inner}


def unwrap(obj: Any) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get("response"), dict) and "candidates" not in obj:
        return obj["response"]
    return obj


def _fc(part: dict[str, Any]) -> dict[str, Any] | None:
    v = part.get("functionCall", part.get("function_call"))
    return v if isinstance(v, dict) else None


def _fr(part: dict[str, Any]) -> dict[str, Any] | None:
    v = part.get("functionResponse", part.get("function_response"))
    return v if isinstance(v, dict) else None


def regroup_responses(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each model turn with N calls is followed by one content holding their N responses."""
    responses: deque[dict[str, Any]] = deque()
    stripped: list[dict[str, Any]] = []
    for c in contents:
        parts = c.get("parts") or []
        rest = [p for p in parts if not (isinstance(p, dict) and _fr(p) is not None)]
        responses.extend(p for p in parts if isinstance(p, dict) and _fr(p) is not None)
        if rest:
            stripped.append({**c, "parts": rest})
    if not responses:
        return stripped
    out: list[dict[str, Any]] = []
    for c in stripped:
        out.append(c)
        calls = [_fc(p) for p in c["parts"] if isinstance(p, dict) and _fc(p) is not None]
        if c.get("role") != "model" or not calls:
            continue
        group = []
        for call in calls:
            if not responses:
                break
            r = responses.popleft()
            fr = dict(_fr(r) or {})
            if not fr.get("name") and call is not None:
                fr["name"] = call.get("name", "")
            if not fr.get("id") and call is not None and call.get("id"):
                fr["id"] = call["id"]
            group.append({"functionResponse": fr})
        if group:
            out.append({"role": "user", "parts": group})
    if responses:
        out.append({"role": "user", "parts": [{"functionResponse": _fr(r)} for r in responses]})
    return out


def normalise(body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    for snake, camel in _RENAME:
        if snake in out and camel not in out:
            out[camel] = out.pop(snake)
    contents = []
    prev = ""
    for c in out.get("contents") or []:
        if not isinstance(c, dict) or not c.get("parts"):
            continue
        role = c.get("role")
        if role not in ("user", "model"):
            role = "model" if prev == "user" else "user"
        prev = role
        parts = []
        for p in c["parts"]:
            p = camel_part(p)
            if isinstance(p, dict) and role == "model" and _fc(p) is not None \
                    and not (p.get("thoughtSignature") or p.get("thought_signature")):
                p = {**p, "thoughtSignature": GEMINI_SKIP}
            parts.append(p)
        contents.append({**c, "role": role, "parts": parts})
    out["contents"] = regroup_responses(contents)
    if isinstance(out.get("tools"), list):
        out["tools"] = [_camel_tool(t) for t in out["tools"]]
    return out


def _camel_tool(t: Any) -> Any:
    """google-genai sends ``parameters_json_schema`` inside otherwise camelCase declarations."""
    if not isinstance(t, dict):
        return t
    decls = t.get("functionDeclarations", t.get("function_declarations"))
    if not isinstance(decls, list):
        return t
    fixed = [{("parametersJsonSchema" if k == "parameters_json_schema" else k): v for k, v in d.items()}
             if isinstance(d, dict) else d for d in decls]
    rest = {k: v for k, v in t.items() if k not in ("functionDeclarations", "function_declarations")}
    return {**rest, "functionDeclarations": fixed}
