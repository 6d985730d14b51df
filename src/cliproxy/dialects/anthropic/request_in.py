"""Anthropic Messages request (client side) → IR."""

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

_KNOWN = frozenset({
    "model", "messages", "system", "max_tokens", "temperature", "top_p", "top_k", "stop_sequences",
    "stream", "tools", "tool_choice", "thinking", "metadata", "output_config", "output_format",
})


def _cache(block: dict[str, Any]) -> bool:
    return isinstance(block.get("cache_control"), dict)


def decode_source(block: dict[str, Any], kind: str) -> Part | None:
    src = block.get("source")
    if not isinstance(src, dict):
        return None
    t = src.get("type")
    mime = src.get("media_type") or src.get("mime_type") or ""
    cache = _cache(block)
    if kind == "image":
        if t == "base64":
            return Image(mime=mime or "image/png", data=src.get("data") or "", cache=cache)
        if t == "url":
            return Image(url=src.get("url") or "", cache=cache)
        if t == "file":
            return Image(file_id=src.get("file_id") or "", cache=cache)
        return None
    title = block.get("title") or ""
    if t == "base64":
        return File(mime=mime or "application/pdf", data=src.get("data") or "", filename=title, cache=cache)
    if t == "url":
        return File(url=src.get("url") or "", mime=mime, filename=title, cache=cache)
    if t == "text":
        return File(mime=mime or "text/plain", text=src.get("data") or "", filename=title, cache=cache)
    if t == "file":
        return File(file_id=src.get("file_id") or "", filename=title, cache=cache)
    if t == "content" and isinstance(src.get("content"), list | str):
        c = src["content"]
        text = c if isinstance(c, str) else "\n".join(
            b.get("text", "") for b in c if isinstance(b, dict) and b.get("type") == "text")
        return File(mime="text/plain", text=text, filename=title, cache=cache)
    return None


def _result_content(content: Any, warnings: list[str]) -> list[Text | Image | File]:
    if content is None:
        return []
    if isinstance(content, str):
        return [Text(text=content)]
    out: list[Text | Image | File] = []
    for b in content if isinstance(content, list) else [content]:
        if not isinstance(b, dict):
            continue
        t = b.get("type")
        if t == "text":
            out.append(Text(text=b.get("text") or ""))
        elif t in ("image", "document"):
            p = decode_source(b, t)
            if isinstance(p, Image | File):
                out.append(p)
        elif t == "search_result":
            texts = [c.get("text", "") for c in b.get("content") or [] if isinstance(c, dict)]
            out.append(Text(text="\n".join([b.get("title") or "", *texts]).strip()))
        else:
            warnings.append(f"claude tool_result block {t!r} not translated")
    return out


def decode_blocks(content: Any, role: str, warnings: list[str]) -> list[Part]:
    if isinstance(content, str):
        return [Text(text=content)]
    parts: list[Part] = []
    for b in content or []:
        if not isinstance(b, dict):
            continue
        t = b.get("type")
        if t == "text":
            parts.append(Text(text=b.get("text") or "", cache=_cache(b)))
        elif t in ("image", "document"):
            p = decode_source(b, t)
            if p is None:
                warnings.append(f"claude {t} source not translated")
            else:
                parts.append(p)
        elif t == "tool_use":
            inp = b.get("input")
            parts.append(ToolCall(id=b.get("id") or "", name=b.get("name") or "",
                                  args=inp if isinstance(inp, dict) else {}))
        elif t == "tool_result":
            parts.append(ToolResult(call_id=b.get("tool_use_id") or "",
                                    content=_result_content(b.get("content"), warnings),
                                    is_error=bool(b.get("is_error")), cache=_cache(b)))
        elif t == "thinking":
            origin, sig = from_client(b.get("signature") or "", "claude")
            parts.append(Thinking(text=b.get("thinking") or "", signature=sig, origin=origin))
        elif t == "redacted_thinking":
            parts.append(Thinking(signature=b.get("data") or "", origin="claude", redacted=True))
        else:
            parts.append(Opaque(origin="claude", kind=str(t), data=b))
    return parts


def _tools(body: dict[str, Any], req: Request) -> None:
    for t in body.get("tools") or []:
        if not isinstance(t, dict):
            continue
        typ = t.get("type")
        if typ is None or typ == "custom":
            schema = t.get("input_schema")
            req.tools.append(Tool(name=t.get("name") or "", description=t.get("description") or "",
                                  parameters=schema if isinstance(schema, dict) else {},
                                  strict=t.get("strict"), cache=_cache(t)))
        elif isinstance(typ, str) and typ.startswith("web_search"):
            cfg = {k: v for k, v in t.items() if k in ("max_uses", "allowed_domains",
                                                       "blocked_domains", "user_location")}
            req.builtin_tools.append(BuiltinTool(kind="web_search", config=cfg, origin="claude"))
        else:
            req.builtin_tools.append(BuiltinTool(kind=str(typ), config=t, origin="claude"))


def _thinking(body: dict[str, Any]) -> ThinkingConfig | None:
    th = body.get("thinking")
    oc = body.get("output_config") if isinstance(body.get("output_config"), dict) else {}
    effort = oc.get("effort") if isinstance(oc, dict) else None
    if not isinstance(th, dict):
        return ThinkingConfig(mode="level", level=str(effort)) if effort else None
    typ = th.get("type")
    if typ == "disabled":
        return ThinkingConfig(mode="none", budget=0)
    if typ == "enabled":
        b = th.get("budget_tokens")
        if isinstance(b, int):
            return ThinkingConfig(mode="budget", budget=b, include_thoughts=True)
        return ThinkingConfig(mode="auto", include_thoughts=True)
    if typ in ("adaptive", "auto"):
        if effort:
            return ThinkingConfig(mode="level", level=str(effort), include_thoughts=True)
        return ThinkingConfig(mode="auto", include_thoughts=True)
    return None


def decode_request(body: dict[str, Any], warnings: list[str]) -> Request:
    req = Request(model=body.get("model") or "", stream=bool(body.get("stream")))
    sys = body.get("system")
    if isinstance(sys, str):
        if sys:
            req.system.append(Text(text=sys))
    elif isinstance(sys, list):
        req.system.extend(decode_blocks(sys, "system", warnings))
    for m in body.get("messages") or []:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if role not in ("user", "assistant", "system"):
            warnings.append(f"claude message role {role!r} treated as user")
            role = "user"
        req.messages.append(Message(role=role, parts=decode_blocks(m.get("content"), role, warnings)))  # type: ignore[arg-type]
    _tools(body, req)
    tc = body.get("tool_choice")
    if isinstance(tc, dict):
        mode = {"auto": "auto", "any": "required", "tool": "tool", "none": "none"}.get(str(tc.get("type")), "auto")
        req.tool_choice = ToolChoice(mode=mode, name=tc.get("name") or "")  # type: ignore[arg-type]
        if tc.get("disable_parallel_tool_use"):
            req.parallel_tool_calls = False
    req.max_tokens = body.get("max_tokens") if isinstance(body.get("max_tokens"), int) else None
    req.temperature = body.get("temperature")
    req.top_p = body.get("top_p")
    req.top_k = body.get("top_k")
    stops = body.get("stop_sequences")
    if isinstance(stops, list):
        req.stop = [s for s in stops if isinstance(s, str)]
    req.thinking = _thinking(body)
    meta = body.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("user_id"), str):
        req.user = meta["user_id"]
    oc = body.get("output_config")
    fmt = (oc.get("format") if isinstance(oc, dict) else None) or body.get("output_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        req.response_format = ResponseFormat(type="json_schema", name="output",
                                             schema=fmt.get("schema"), strict=True)
    req.dropped = [k for k in body if k not in _KNOWN]
    return req


def tool_names(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [("", t["name"]) for t in body.get("tools") or []
            if isinstance(t, dict) and isinstance(t.get("name"), str) and t.get("type") in (None, "custom")]
