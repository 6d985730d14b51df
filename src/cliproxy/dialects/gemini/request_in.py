"""Gemini generateContent request (client side) → IR.

Both spellings are read (``systemInstruction``/``system_instruction``, ``inlineData``/
``inline_data``, ``parametersJsonSchema``/``parameters_json_schema``…): the REF bug of ignoring
camelCase in some paths is fixed. Function calls without ids get stable sequential ids and each
function response is paired FIFO with the oldest unanswered call of the same name (REF gave every
parallel result the last id).
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any

import msgspec

from cliproxy.dialects.gemini.common import get
from cliproxy.dialects.gemini.schema_clean import lower_types
from cliproxy.ir import (
    BuiltinTool,
    File,
    Image,
    Message,
    Opaque,
    Part,
    Request,
    ResponseFormat,
    Text,
    Thinking,
    ThinkingConfig,
    Tool,
    ToolCall,
    ToolChoice,
    ToolResult,
)
from cliproxy.ir.signatures import GEMINI_SKIP, from_client_full
from cliproxy.ir.util import mime_from_name

_KNOWN = frozenset({
    "contents", "systemInstruction", "system_instruction", "tools", "toolConfig", "tool_config",
    "generationConfig", "generation_config", "safetySettings", "safety_settings", "model",
})
_GEN_KNOWN = frozenset({
    "maxOutputTokens", "temperature", "topP", "topK", "stopSequences", "candidateCount", "seed",
    "presencePenalty", "frequencyPenalty", "responseMimeType", "responseSchema", "responseJsonSchema",
    "responseModalities", "thinkingConfig", "imageConfig", "max_output_tokens", "top_p", "top_k",
    "stop_sequences", "candidate_count", "presence_penalty", "frequency_penalty",
    "response_mime_type", "response_schema", "response_json_schema", "response_modalities",
    "thinking_config", "image_config",
})


class _Ids:
    """Stable ids for calls that came without one, and FIFO pairing of their responses."""

    def __init__(self) -> None:
        self.n = 0
        self.pending: defaultdict[str, deque[str]] = defaultdict(deque)

    def call(self, name: str, given: str) -> str:
        cid = given or f"call_{self.n}"
        self.n += 1
        self.pending[name].append(cid)
        return cid

    def response(self, name: str, given: str) -> str:
        q = self.pending.get(name)
        if given:
            if q and given in q:
                q.remove(given)
            return given
        if q:
            return q.popleft()
        cid = f"call_{self.n}"
        self.n += 1
        return cid


def _media(d: dict[str, Any], inline: bool) -> Part:
    mime = get(d, "mimeType", "mime_type") or ""
    if inline:
        data = d.get("data") or ""
        return Image(mime=mime, data=data) if mime.startswith("image/") else File(mime=mime, data=data)
    uri = get(d, "fileUri", "file_uri") or ""
    mime = mime or mime_from_name(uri)
    return Image(mime=mime, url=uri) if mime.startswith("image/") else File(mime=mime, url=uri)


def _response_content(resp: Any, parts: Any) -> tuple[list[Text | Image | File], bool]:
    is_error = False
    if isinstance(resp, dict) and set(resp) <= {"output", "result", "content", "error"} and len(resp) == 1:
        key, val = next(iter(resp.items()))
        is_error = key == "error"
        text = val if isinstance(val, str) else msgspec.json.encode(val).decode()
    else:
        text = msgspec.json.encode(resp if resp is not None else {}).decode()
    out: list[Text | Image | File] = [Text(text=text)]
    for p in parts or []:
        if isinstance(p, dict):
            inl = get(p, "inlineData", "inline_data")
            if isinstance(inl, dict):
                m = _media(inl, True)
                if isinstance(m, Image | File):
                    out.append(m)
    return out, is_error


def _sign(out: list[Part], sig: str, origin: str, text: str = "") -> None:
    """A signature on a text/functionCall part belongs to the thinking right before it."""
    last = out[-1] if out else None
    if isinstance(last, Thinking) and not last.signature:
        last.signature, last.origin = sig, origin
        last.text = last.text or text
    else:
        out.append(Thinking(text=text, signature=sig, origin=origin))


def decode_parts(parts: Any, role: str, ids: _Ids, warnings: list[str]) -> list[Part]:
    out: list[Part] = []
    for p in parts or []:
        if not isinstance(p, dict):
            continue
        sig = get(p, "thoughtSignature", "thought_signature") or ""
        origin, sig, carried = from_client_full(sig, "gemini", b64=True) if sig and sig != GEMINI_SKIP else ("", "", "")
        fc = get(p, "functionCall", "function_call")
        fr = get(p, "functionResponse", "function_response")
        inl = get(p, "inlineData", "inline_data")
        fd = get(p, "fileData", "file_data")
        if isinstance(fc, dict):
            name = fc.get("name") or ""
            args = fc.get("args")
            if sig and role == "model":
                _sign(out, sig, origin, carried)
            out.append(ToolCall(id=ids.call(name, fc.get("id") or ""), name=name,
                                args=args if isinstance(args, dict) else {}))
        elif isinstance(fr, dict):
            name = fr.get("name") or ""
            content, is_error = _response_content(fr.get("response"), fr.get("parts"))
            out.append(ToolResult(call_id=ids.response(name, fr.get("id") or ""), name=name,
                                  content=content, is_error=is_error))
        elif p.get("thought") is True:
            out.append(Thinking(text=p.get("text") or carried, signature=sig, origin=origin))
        elif "text" in p:
            if sig and role == "model":
                _sign(out, sig, origin, carried)
            if p.get("text"):
                out.append(Text(text=p["text"]))
        elif isinstance(inl, dict):
            out.append(_media(inl, True))
        elif isinstance(fd, dict):
            out.append(_media(fd, False))
        elif sig and role == "model":
            out.append(Thinking(text=carried, signature=sig, origin=origin))
        else:
            out.append(Opaque(origin="gemini", kind=next(iter(p), "part"), data=p))
    return out


def _tools(body: dict[str, Any], req: Request, warnings: list[str]) -> None:
    for t in body.get("tools") or []:
        if not isinstance(t, dict):
            continue
        decls = get(t, "functionDeclarations", "function_declarations")
        for fd in decls or []:
            if not isinstance(fd, dict):
                continue
            js = get(fd, "parametersJsonSchema", "parameters_json_schema")
            schema = js if isinstance(js, dict) else lower_types(fd.get("parameters") or {})
            req.tools.append(Tool(name=fd.get("name") or "", description=fd.get("description") or "",
                                  parameters=schema if isinstance(schema, dict) else {}))
        for camel, snake, kind in (("googleSearch", "google_search", "web_search"),
                                   ("googleSearchRetrieval", "google_search_retrieval", "web_search"),
                                   ("codeExecution", "code_execution", "code_execution"),
                                   ("urlContext", "url_context", "url_context")):
            if get(t, camel, snake) is not None:
                req.builtin_tools.append(BuiltinTool(kind=kind, config=get(t, camel, snake) or {},
                                                     origin="gemini"))
        other = set(t) - {"functionDeclarations", "function_declarations", "googleSearch", "google_search",
                          "googleSearchRetrieval", "google_search_retrieval", "codeExecution",
                          "code_execution", "urlContext", "url_context"}
        for k in other:
            req.builtin_tools.append(BuiltinTool(kind=k, config={k: t[k]}, origin="gemini"))


def _tool_choice(body: dict[str, Any]) -> ToolChoice | None:
    tc = get(body, "toolConfig", "tool_config")
    fcc = get(tc, "functionCallingConfig", "function_calling_config") if isinstance(tc, dict) else None
    if not isinstance(fcc, dict):
        return None
    mode = str(fcc.get("mode") or "AUTO").upper()
    allowed = get(fcc, "allowedFunctionNames", "allowed_function_names") or []
    if mode in ("ANY", "VALIDATED") and len(allowed) == 1:
        return ToolChoice(mode="tool", name=allowed[0])
    return ToolChoice(mode={"ANY": "required", "NONE": "none"}.get(mode, "auto"))  # type: ignore[arg-type]


def _generation(gc: dict[str, Any], req: Request) -> None:
    req.max_tokens = get(gc, "maxOutputTokens", "max_output_tokens")
    req.temperature = gc.get("temperature")
    req.top_p = get(gc, "topP", "top_p")
    req.top_k = get(gc, "topK", "top_k")
    req.stop = list(get(gc, "stopSequences", "stop_sequences") or [])
    req.n = get(gc, "candidateCount", "candidate_count")
    req.seed = gc.get("seed")
    req.presence_penalty = get(gc, "presencePenalty", "presence_penalty")
    req.frequency_penalty = get(gc, "frequencyPenalty", "frequency_penalty")
    mime = get(gc, "responseMimeType", "response_mime_type")
    js = get(gc, "responseJsonSchema", "response_json_schema")
    schema = js if isinstance(js, dict) else get(gc, "responseSchema", "response_schema")
    if mime == "application/json" or schema:
        req.response_format = ResponseFormat(
            type="json_schema" if isinstance(schema, dict) else "json_object", name="response",
            schema=lower_types(schema) if isinstance(schema, dict) else None)
    req.modalities = [str(m).lower() for m in get(gc, "responseModalities", "response_modalities") or []]
    ic = get(gc, "imageConfig", "image_config")
    req.image_config = ic if isinstance(ic, dict) else None
    tc = get(gc, "thinkingConfig", "thinking_config")
    if isinstance(tc, dict):
        include = get(tc, "includeThoughts", "include_thoughts")
        level = get(tc, "thinkingLevel", "thinking_level")
        budget = get(tc, "thinkingBudget", "thinking_budget")
        if isinstance(level, str) and level:
            lv = level.lower()
            req.thinking = ThinkingConfig(mode="none" if lv == "none" else "level", level=lv,
                                          include_thoughts=include)
        elif isinstance(budget, int):
            mode = "none" if budget == 0 else "auto" if budget < 0 else "budget"
            req.thinking = ThinkingConfig(mode=mode, budget=budget, include_thoughts=include)  # type: ignore[arg-type]
        elif include is not None:
            req.thinking = ThinkingConfig(mode="auto" if include else "none", include_thoughts=include)
    req.dropped.extend(f"generationConfig.{k}" for k in gc if k not in _GEN_KNOWN)


def decode_request(body: dict[str, Any], warnings: list[str]) -> Request:
    req = Request(model=body.get("model") or "")
    si = get(body, "systemInstruction", "system_instruction")
    ids = _Ids()
    if isinstance(si, dict):
        req.system.extend(decode_parts(si.get("parts"), "user", ids, warnings))
    elif isinstance(si, str) and si:
        req.system.append(Text(text=si))
    prev = ""
    for c in body.get("contents") or []:
        if not isinstance(c, dict):
            continue
        role = c.get("role")
        if role not in ("user", "model", "function", "tool"):
            role = "model" if prev == "user" else "user"
        prev = "model" if role == "model" else "user"
        parts = decode_parts(c.get("parts"), role, ids, warnings)
        if parts:
            req.messages.append(Message(role="assistant" if role == "model" else "user", parts=parts))
    _tools(body, req, warnings)
    req.tool_choice = _tool_choice(body)
    gc = get(body, "generationConfig", "generation_config")
    if isinstance(gc, dict):
        _generation(gc, req)
    req.dropped.extend(k for k in body if k not in _KNOWN)
    if get(body, "safetySettings", "safety_settings"):
        req.dropped.append("safetySettings")
    return req


def tool_names(body: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for t in body.get("tools") or []:
        if isinstance(t, dict):
            for fd in get(t, "functionDeclarations", "function_declarations") or []:
                if isinstance(fd, dict) and isinstance(fd.get("name"), str):
                    out.append(("", fd["name"]))
    return out
