"""OpenAI Responses request (client side) → IR.

``instructions`` and leading system/developer items become the system prompt (FIX: REF turned
them into a user message for Claude). Function calls join the assistant turn before them and
outputs join the user turn after them, so each round becomes assistant(text, calls…) followed by
user(results…, text) whatever order the client listed the items in (patches 011/012 generalised).
"""

from __future__ import annotations

from typing import Any

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
from cliproxy.ir.signatures import from_client
from cliproxy.ir.util import AUDIO_FORMAT_MIME, mime_from_name, parse_data_url

_KNOWN = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
    "max_output_tokens", "temperature", "top_p", "reasoning", "text", "stream", "store", "include",
    "metadata", "user", "prompt_cache_key", "service_tier", "truncation", "stream_options",
    "client_metadata", "safety_identifier", "background", "top_k", "stop_sequences",
})


def content_parts(content: Any, warnings: list[str]) -> list[Part]:
    if isinstance(content, str):
        return [Text(text=content)]
    parts: list[Part] = []
    for p in content or []:
        if not isinstance(p, dict):
            continue
        t = p.get("type")
        if t in ("input_text", "output_text", "text", "summary_text", "reasoning_text"):
            parts.append(Text(text=p.get("text") or ""))
        elif t == "refusal":
            parts.append(Text(text=p.get("refusal") or "", refusal=True))
        elif t in ("input_image", "image_url"):
            url = p.get("image_url") or p.get("url") or ""
            if isinstance(url, dict):
                url = url.get("url") or ""
            du = parse_data_url(url)
            if du:
                parts.append(Image(mime=du[0], data=du[1], detail=p.get("detail") or ""))
            elif url:
                parts.append(Image(url=url, detail=p.get("detail") or ""))
            else:
                parts.append(Image(file_id=p.get("file_id") or "", detail=p.get("detail") or ""))
        elif t == "input_file":
            name = p.get("filename") or ""
            du = parse_data_url(p.get("file_data") or "")
            if du:
                parts.append(File(mime=du[0], data=du[1], filename=name))
            elif p.get("file_data"):
                parts.append(File(mime=mime_from_name(name, "application/pdf"), data=p["file_data"], filename=name))
            elif p.get("file_url"):
                parts.append(File(url=p["file_url"], filename=name, mime=mime_from_name(p["file_url"])))
            else:
                parts.append(File(file_id=p.get("file_id") or "", filename=name))
        elif t == "input_audio":
            a = p.get("input_audio") or p
            fmt = str(a.get("format") or "wav")
            parts.append(File(mime=AUDIO_FORMAT_MIME.get(fmt, "audio/" + fmt), data=a.get("data") or ""))
        else:
            warnings.append(f"openai-response content part {t!r} not translated")
    return parts


class _Builder:
    def __init__(self, req: Request, warnings: list[str]) -> None:
        self.req = req
        self.warnings = warnings
        self.leading = True
        self.names: dict[str, str] = {}

    def _last(self, role: str) -> Message:
        msgs = self.req.messages
        if msgs and msgs[-1].role == role:
            return msgs[-1]
        m = Message(role=role)  # type: ignore[arg-type]
        msgs.append(m)
        return m

    def message(self, item: dict[str, Any]) -> None:
        role = item.get("role") or "user"
        parts = content_parts(item.get("content"), self.warnings)
        if role in ("system", "developer"):
            if self.leading:
                self.req.system.extend(parts)
            else:
                self.req.messages.append(Message(role="system", parts=parts, developer=role == "developer"))
            return
        self.leading = False
        if role == "assistant":
            self._last("assistant").parts.extend(parts)
        else:
            self._user_parts(parts)

    def _user_parts(self, parts: list[Part]) -> None:
        self._last("user").parts.extend(parts)

    def call(self, item: dict[str, Any], custom: bool) -> None:
        self.leading = False
        cid = item.get("call_id") or item.get("id") or ""
        name = item.get("name") or ""
        self.names[cid] = name
        args = item.get("input") if custom else item.get("arguments")
        self._last("assistant").parts.append(ToolCall(
            id=cid, name=name, namespace=item.get("namespace") or "", custom=custom,
            arguments=args if isinstance(args, str) else "", args=args if isinstance(args, dict) else None))

    def output(self, item: dict[str, Any]) -> None:
        self.leading = False
        cid = item.get("call_id") or ""
        out = item.get("output")
        content: list[Text | Image | File] = [
            p for p in content_parts(out, self.warnings) if isinstance(p, Text | Image | File)
        ] if isinstance(out, list | str) else [Text(text="" if out is None else str(out))]
        res = ToolResult(call_id=cid, name=self.names.get(cid, ""), content=content)
        m = self._last("user")
        # results go before the user's own text of the same turn (Anthropic requires it)
        pos = next((i for i, p in enumerate(m.parts) if not isinstance(p, ToolResult)), len(m.parts))
        m.parts.insert(pos, res)

    def reasoning(self, item: dict[str, Any]) -> None:
        self.leading = False
        summary = "\n\n".join(s.get("text") or "" for s in item.get("summary") or [] if isinstance(s, dict))
        if not summary:
            summary = "\n\n".join(s.get("text") or "" for s in item.get("content") or [] if isinstance(s, dict))
        origin, sig = from_client(item.get("encrypted_content") or "", "openai")
        self._last("assistant").parts.append(
            Thinking(text=summary, signature=sig, origin=origin if sig else "openai", item_id=item.get("id") or ""))


def _input(body: dict[str, Any], b: _Builder) -> None:
    inp = body.get("input")
    if isinstance(inp, str):
        b.message({"role": "user", "content": inp})
        return
    for item in inp or []:
        if not isinstance(item, dict):
            continue
        t = item.get("type") or "message"
        if t == "message":
            b.message(item)
        elif t in ("function_call", "custom_tool_call"):
            b.call(item, t == "custom_tool_call")
        elif t in ("function_call_output", "custom_tool_call_output"):
            b.output(item)
        elif t == "reasoning":
            b.reasoning(item)
        else:
            b.leading = False
            role = "user" if t.endswith("_output") else "assistant"
            b._last(role).parts.append(Opaque(origin="openai-response", kind=t, data=item))


def _tools(body: dict[str, Any], req: Request, warnings: list[str]) -> None:
    def add(t: dict[str, Any], ns: str) -> None:
        typ = t.get("type") or "function"
        if typ == "function":
            params = t.get("parameters")
            req.tools.append(Tool(name=t.get("name") or "", description=t.get("description") or "",
                                  parameters=params if isinstance(params, dict) else {},
                                  strict=t.get("strict"), namespace=ns))
        elif typ == "custom":
            req.tools.append(Tool(name=t.get("name") or "", description=t.get("description") or "",
                                  custom=True, namespace=ns))
        elif typ == "namespace":
            for child in t.get("tools") or []:
                if isinstance(child, dict):
                    add(child, t.get("name") or "")
        elif typ.startswith("web_search"):
            if t.get("external_web_access") is False:
                warnings.append("openai-response: cached-only web_search has no equivalent; dropped")
                return
            cfg: dict[str, Any] = {}
            filt = t.get("filters") or {}
            if isinstance(filt, dict) and filt.get("allowed_domains"):
                cfg["allowed_domains"] = filt["allowed_domains"]
            if t.get("user_location"):
                cfg["user_location"] = t["user_location"]
            req.builtin_tools.append(BuiltinTool(kind="web_search", config=cfg, origin="openai-response"))
        else:
            req.builtin_tools.append(BuiltinTool(kind=typ, config=t, origin="openai-response"))

    for t in body.get("tools") or []:
        if isinstance(t, dict):
            add(t, "")


def _tool_choice(v: Any) -> ToolChoice | None:
    if isinstance(v, str):
        return ToolChoice(mode={"none": "none", "required": "required"}.get(v, "auto"))  # type: ignore[arg-type]
    if isinstance(v, dict):
        if v.get("type") in ("function", "custom") and v.get("name"):
            return ToolChoice(mode="tool", name=v["name"], namespace=v.get("namespace") or "")
        if v.get("type") == "allowed_tools":
            return ToolChoice(mode="required" if v.get("mode") == "required" else "auto")
        return ToolChoice(mode="required")
    return None


def decode_request(body: dict[str, Any], warnings: list[str]) -> Request:
    req = Request(model=body.get("model") or "", stream=bool(body.get("stream")))
    if isinstance(body.get("instructions"), str) and body["instructions"]:
        req.system.append(Text(text=body["instructions"]))
    b = _Builder(req, warnings)
    _input(body, b)
    _tools(body, req, warnings)
    req.tool_choice = _tool_choice(body.get("tool_choice"))
    if isinstance(body.get("parallel_tool_calls"), bool):
        req.parallel_tool_calls = body["parallel_tool_calls"]
    mt = body.get("max_output_tokens")
    req.max_tokens = mt if isinstance(mt, int) else None
    req.temperature = body.get("temperature")
    req.top_p = body.get("top_p")
    req.top_k = body.get("top_k")
    ss = body.get("stop_sequences")
    req.stop = [s for s in ss if isinstance(s, str)] if isinstance(ss, list) else []
    r = body.get("reasoning")
    if isinstance(r, dict):
        eff = r.get("effort")
        if isinstance(eff, str) and eff:
            e = eff.lower()
            req.thinking = ThinkingConfig(mode="none" if e == "none" else "level", level=e,
                                          summary=r.get("summary"))
        elif r.get("summary"):
            req.thinking = ThinkingConfig(mode="auto", summary=r.get("summary"))
    text = body.get("text")
    if isinstance(text, dict):
        fmt = text.get("format")
        if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
            req.response_format = ResponseFormat(type=fmt["type"], name=fmt.get("name") or "",
                                                 schema=fmt.get("schema"), strict=fmt.get("strict"),
                                                 description=fmt.get("description") or "")
        req.verbosity = text.get("verbosity")
    req.user = body.get("user") if isinstance(body.get("user"), str) else None
    req.metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
    req.cache_key = body.get("prompt_cache_key")
    req.dropped = [k for k in body if k not in _KNOWN]
    return req


def tool_names(body: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for t in body.get("tools") or []:
        if not isinstance(t, dict):
            continue
        if t.get("type") == "namespace":
            out.extend((t.get("name") or "", c["name"]) for c in t.get("tools") or []
                       if isinstance(c, dict) and isinstance(c.get("name"), str))
        elif t.get("type") in ("function", "custom", None) and isinstance(t.get("name"), str):
            out.append(("", t["name"]))
    return out
