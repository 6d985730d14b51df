"""OpenAI Chat Completions request (client side) → IR."""

from __future__ import annotations

from typing import Any

from cliproxy.ir import (
    BuiltinTool,
    File,
    Image,
    Message,
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
from cliproxy.ir.util import AUDIO_FORMAT_MIME, mime_from_name, parse_data_url

_KNOWN = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
    "stop", "n", "seed", "presence_penalty", "frequency_penalty", "response_format",
    "reasoning_effort", "tools", "tool_choice", "parallel_tool_calls", "stream", "stream_options",
    "user", "metadata", "modalities", "verbosity", "web_search_options", "store", "service_tier",
    "prompt_cache_key", "safety_identifier", "functions", "function_call", "image_config",
})


def content_parts(content: Any, warnings: list[str]) -> list[Part]:
    if content is None:
        return []
    if isinstance(content, str):
        return [Text(text=content)]
    parts: list[Part] = []
    for p in content if isinstance(content, list) else []:
        if not isinstance(p, dict):
            continue
        t = p.get("type")
        if t in ("text", "input_text", "output_text"):
            parts.append(Text(text=p.get("text") or ""))
        elif t == "refusal":
            parts.append(Text(text=p.get("refusal") or "", refusal=True))
        elif t == "image_url":
            iu = p.get("image_url")
            url = iu.get("url", "") if isinstance(iu, dict) else (iu if isinstance(iu, str) else "")
            detail = iu.get("detail", "") if isinstance(iu, dict) else ""
            du = parse_data_url(url)
            parts.append(Image(mime=du[0], data=du[1], detail=detail or "") if du
                         else Image(url=url, detail=detail or ""))
        elif t == "input_audio":
            a = p.get("input_audio") or {}
            fmt = str(a.get("format") or "wav")
            parts.append(File(mime=AUDIO_FORMAT_MIME.get(fmt, "audio/" + fmt), data=a.get("data") or ""))
        elif t == "file":
            f = p.get("file") or {}
            name = f.get("filename") or ""
            du = parse_data_url(f.get("file_data") or "")
            if du:
                parts.append(File(mime=du[0], data=du[1], filename=name))
            elif f.get("file_data"):
                parts.append(File(mime=mime_from_name(name, "application/pdf"), data=f["file_data"],
                                  filename=name))
            else:
                parts.append(File(file_id=f.get("file_id") or "", filename=name))
        else:
            warnings.append(f"openai content part {t!r} not translated")
    return parts


def _reasoning(m: dict[str, Any]) -> list[Part]:
    r = m.get("reasoning_content") or m.get("reasoning")
    if isinstance(r, str) and r:
        return [Thinking(text=r, origin="openai")]
    return []


def _assistant(m: dict[str, Any], warnings: list[str]) -> Message:
    parts: list[Part] = _reasoning(m)
    parts.extend(content_parts(m.get("content"), warnings))
    if isinstance(m.get("refusal"), str) and m["refusal"]:
        parts.append(Text(text=m["refusal"], refusal=True))
    for tc in m.get("tool_calls") or []:
        if not isinstance(tc, dict):
            continue
        fn = tc.get("function") or {}
        if tc.get("type") == "custom" or "custom" in tc:
            cu = tc.get("custom") or {}
            parts.append(ToolCall(id=tc.get("id") or "", name=cu.get("name") or "",
                                  arguments=cu.get("input") or "", custom=True))
            continue
        args = fn.get("arguments")
        parts.append(ToolCall(id=tc.get("id") or "", name=fn.get("name") or "",
                              arguments=args if isinstance(args, str) else "",
                              args=args if isinstance(args, dict) else None))
    fc = m.get("function_call")
    if isinstance(fc, dict):
        parts.append(ToolCall(id="call_" + str(fc.get("name") or ""), name=fc.get("name") or "",
                              arguments=fc.get("arguments") or ""))
    return Message(role="assistant", parts=parts, name=m.get("name") or "")


def _tool_result(m: dict[str, Any], names: dict[str, str], warnings: list[str]) -> ToolResult:
    cid = m.get("tool_call_id") or ("call_" + str(m.get("name") or ""))
    content = [p for p in content_parts(m.get("content"), warnings) if isinstance(p, Text | Image | File)]
    return ToolResult(call_id=cid, name=names.get(cid, m.get("name") or ""), content=content)


def _messages(body: dict[str, Any], req: Request, warnings: list[str]) -> None:
    names: dict[str, str] = {}
    leading = True
    for m in body.get("messages") or []:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if role in ("system", "developer"):
            parts = content_parts(m.get("content"), warnings)
            if leading:
                req.system.extend(parts)
            else:
                req.messages.append(Message(role="system", parts=parts, developer=role == "developer"))
            continue
        leading = False
        if role == "assistant":
            msg = _assistant(m, warnings)
            for p in msg.parts:
                if isinstance(p, ToolCall):
                    names[p.id] = p.name
            req.messages.append(msg)
        elif role in ("tool", "function"):
            res = _tool_result(m, names, warnings)
            last = req.messages[-1] if req.messages else None
            if last is not None and last.role == "user" and last.parts and all(
                    isinstance(p, ToolResult) for p in last.parts):
                last.parts.append(res)
            else:
                req.messages.append(Message(role="user", parts=[res]))
        else:
            if role != "user":
                warnings.append(f"openai message role {role!r} treated as user")
            req.messages.append(Message(role="user", parts=content_parts(m.get("content"), warnings),
                                        name=m.get("name") or ""))


def _tools(body: dict[str, Any], req: Request, warnings: list[str]) -> None:
    defs = list(body.get("tools") or [])
    defs += [{"type": "function", "function": f} for f in body.get("functions") or []]
    for t in defs:
        if not isinstance(t, dict):
            continue
        if t.get("type") == "function" or ("function" in t and "type" not in t):
            fn = t.get("function") or {}
            params = fn.get("parameters") or fn.get("parametersJsonSchema")
            req.tools.append(Tool(name=fn.get("name") or "", description=fn.get("description") or "",
                                  parameters=params if isinstance(params, dict) else {},
                                  strict=fn.get("strict")))
        elif t.get("type") == "custom":
            cu = t.get("custom") or {}
            req.tools.append(Tool(name=cu.get("name") or "", description=cu.get("description") or "",
                                  custom=True))
        elif t.get("type") in ("web_search", "google_search", "googleSearch"):
            req.builtin_tools.append(BuiltinTool(kind="web_search", origin="openai"))
        elif t.get("type") in ("code_execution", "codeExecution"):
            req.builtin_tools.append(BuiltinTool(kind="code_execution", origin="openai"))
        elif t.get("type") in ("url_context", "urlContext"):
            req.builtin_tools.append(BuiltinTool(kind="url_context", origin="openai"))
        else:
            warnings.append(f"openai tool type {t.get('type')!r} not translated")
    if isinstance(body.get("web_search_options"), dict):
        req.builtin_tools.append(BuiltinTool(kind="web_search", config=body["web_search_options"],
                                             origin="openai"))


def _tool_choice(v: Any) -> ToolChoice | None:
    if isinstance(v, str):
        return ToolChoice(mode={"auto": "auto", "none": "none", "required": "required"}.get(v, "auto"))  # type: ignore[arg-type]
    if isinstance(v, dict):
        if v.get("type") == "function":
            return ToolChoice(mode="tool", name=(v.get("function") or {}).get("name") or v.get("name") or "")
        if v.get("type") == "custom":
            return ToolChoice(mode="tool", name=(v.get("custom") or {}).get("name") or "")
        if v.get("type") == "allowed_tools":
            mode = (v.get("allowed_tools") or {}).get("mode", "auto")
            return ToolChoice(mode="required" if mode == "required" else "auto")
        if "name" in v:
            return ToolChoice(mode="tool", name=str(v["name"]))
    return None


def thinking_from_effort(effort: Any) -> ThinkingConfig | None:
    if not isinstance(effort, str) or not effort:
        return None
    e = effort.lower()
    if e == "none":
        return ThinkingConfig(mode="none", budget=0)
    if e == "auto":
        return ThinkingConfig(mode="auto")
    return ThinkingConfig(mode="level", level=e)


def decode_request(body: dict[str, Any], warnings: list[str]) -> Request:
    req = Request(model=body.get("model") or "", stream=bool(body.get("stream")))
    _messages(body, req, warnings)
    _tools(body, req, warnings)
    req.tool_choice = _tool_choice(body.get("tool_choice") or body.get("function_call"))
    if isinstance(body.get("parallel_tool_calls"), bool):
        req.parallel_tool_calls = body["parallel_tool_calls"]
    mt = body.get("max_completion_tokens") or body.get("max_tokens")
    req.max_tokens = mt if isinstance(mt, int) else None
    req.temperature = body.get("temperature")
    req.top_p = body.get("top_p")
    req.top_k = body.get("top_k")
    stop = body.get("stop")
    req.stop = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str)]
    req.n = body.get("n")
    req.seed = body.get("seed")
    req.presence_penalty = body.get("presence_penalty")
    req.frequency_penalty = body.get("frequency_penalty")
    rf = body.get("response_format")
    if isinstance(rf, dict):
        js = rf.get("json_schema") or {}
        rtype = rf.get("type")
        req.response_format = ResponseFormat(type=rtype if rtype in ("json_object", "json_schema") else "text",
            name=js.get("name") or "",
            schema=js.get("schema"), strict=js.get("strict"), description=js.get("description") or "")
    req.thinking = thinking_from_effort(body.get("reasoning_effort"))
    so = body.get("stream_options")
    if isinstance(so, dict) and isinstance(so.get("include_usage"), bool):
        req.include_usage = so["include_usage"]
    req.user = body.get("user") if isinstance(body.get("user"), str) else None
    req.metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
    req.modalities = [m for m in body.get("modalities") or [] if isinstance(m, str)]
    req.image_config = body.get("image_config") if isinstance(body.get("image_config"), dict) else None
    req.verbosity = body.get("verbosity")
    req.cache_key = body.get("prompt_cache_key")
    req.dropped = [k for k in body if k not in _KNOWN]
    return req


def tool_names(body: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for t in body.get("tools") or []:
        if isinstance(t, dict):
            fn = t.get("function") or t.get("custom") or {}
            if isinstance(fn.get("name"), str):
                out.append(("", fn["name"]))
    return out
