"""IR → OpenAI Chat Completions request (upstream side: OpenAI-compatible APIs).

Tool results become ``role:"tool"`` messages placed right after the assistant turn that called
them (before that user turn's own content); images inside tool results move to a user message
(chat tool messages carry text only). Empty assistant turns are skipped.
"""

from __future__ import annotations

import base64
from types import MappingProxyType
from typing import Any, assert_never

from cliproxy.ir import (
    BuiltinTool,
    File,
    Image,
    Message,
    Opaque,
    Part,
    Request,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    args_text,
)
from cliproxy.ir.options import EncodeOptions
from cliproxy.ir.parts import content_text
from cliproxy.ir.thinking import budget_to_level
from cliproxy.ir.util import data_url

_AUDIO_FORMATS = MappingProxyType({"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/wav": "wav", "audio/x-wav": "wav"})


def media_part(p: Image | File, opts: EncodeOptions) -> dict[str, Any] | None:
    if isinstance(p, Image):
        url = data_url(p.mime, p.data) if p.data else p.url
        if not url:
            opts.warn("openai: image given only as a provider file id dropped")
            return None
        iu: dict[str, Any] = {"url": url}
        if p.detail:
            iu["detail"] = p.detail
        return {"type": "image_url", "image_url": iu}
    if p.mime.startswith("image/") and (p.data or p.url):
        return media_part(Image(mime=p.mime, data=p.data, url=p.url), opts)
    if p.mime.startswith("audio/") and p.data:
        fmt = _AUDIO_FORMATS.get(p.mime)
        if fmt:
            return {"type": "input_audio", "input_audio": {"data": p.data, "format": fmt}}
    if p.text:
        return {"type": "text", "text": p.text}
    if p.data and p.mime.startswith("text/"):
        return {"type": "text", "text": base64.b64decode(p.data).decode("utf-8", "replace")}
    if p.data:
        f: dict[str, Any] = {"file_data": data_url(p.mime or "application/pdf", p.data)}
        f["filename"] = p.filename or "file.pdf"
        return {"type": "file", "file": f}
    if p.file_id:
        return {"type": "file", "file": {"file_id": p.file_id}}
    if p.url:
        opts.warn("openai: a file given by URL was passed as a link in text")
        return {"type": "text", "text": p.url}
    return None


def _content(parts: list[Part], opts: EncodeOptions) -> str | list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = []
    for p in parts:
        if isinstance(p, Text):
            if p.text:
                items.append({"type": "text", "text": p.text})
        elif isinstance(p, Image | File):
            mp = media_part(p, opts)
            if mp is not None:
                items.append(mp)
    if not items:
        return None
    if all(i["type"] == "text" for i in items):
        return "".join(i["text"] for i in items) if len(items) == 1 else "\n\n".join(i["text"] for i in items)
    return items


def _assistant(m: Message, opts: EncodeOptions) -> dict[str, Any] | None:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for p in m.parts:
        match p:
            case Text():
                if p.text:
                    texts.append(p.text)
            case Thinking():
                # replayed as ``reasoning_content`` (DeepSeek/Kimi need it for tool turns) only when
                # it came from an OpenAI-compatible model; another family's signed thinking is dropped
                if p.text and p.origin in ("", "openai") and not p.signature:
                    reasoning.append(p.text)
                elif p.text or p.signature:
                    opts.warn("openai: thinking from another model family dropped from history")
            case ToolCall():
                calls.append({"id": p.id, "type": "function",
                              "function": {"name": opts.names.upstream(p.name, p.namespace),
                                           "arguments": args_text(p)}})
            case Image() | File():
                opts.warn("openai: media in an assistant turn dropped")
            case ToolResult():
                pass
            case Opaque():
                opts.warn(f"openai: {p.origin} {p.kind} block has no chat equivalent; dropped")
            case _:
                assert_never(p)
    if not texts and not calls:
        return None
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if reasoning:
        out["reasoning_content"] = "\n\n".join(reasoning)
    if calls:
        out["tool_calls"] = calls
    return out


def _user(m: Message, opts: EncodeOptions, out: list[dict[str, Any]]) -> None:
    moved: list[dict[str, Any]] = []
    for p in m.parts:
        if isinstance(p, ToolResult):
            text = content_text(p.content)
            for c in p.content:
                if isinstance(c, Image | File) and not (isinstance(c, File) and c.text):
                    mp = media_part(c, opts)
                    if mp is not None:
                        moved.append(mp)
                elif isinstance(c, File) and c.text:
                    text += c.text
            if p.is_error and not text.startswith("Error"):
                text = "Error: " + text
            out.append({"role": "tool", "tool_call_id": p.call_id, "content": text})
    if moved:
        opts.warn("openai: images in tool results were moved to a user message")
    content = _content([p for p in m.parts if not isinstance(p, ToolResult)], opts)
    if moved:
        if content is None:
            content = moved
        else:
            content = ([{"type": "text", "text": content}] if isinstance(content, str) else content) + moved
    if content is not None:
        msg: dict[str, Any] = {"role": "user", "content": content}
        if m.name:
            msg["name"] = m.name
        out.append(msg)


def _messages(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    sys = _content(req.system, opts)
    if sys is not None:
        out.append({"role": "system", "content": sys})
    for m in req.messages:
        if m.role == "system":
            c = _content(m.parts, opts)
            if c is not None:
                out.append({"role": "system", "content": c})
        elif m.role == "assistant":
            a = _assistant(m, opts)
            if a is not None:
                out.append(a)
        else:
            _user(m, opts, out)
    return out


def _tools(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for t in req.tools:
        params = t.parameters or {"type": "object", "properties": {}}
        fn: dict[str, Any] = {"name": opts.names.upstream(t.name, t.namespace), "parameters": params}
        if t.description:
            fn["description"] = t.description
        if t.strict is not None:
            fn["strict"] = t.strict
        tools.append({"type": "function", "function": fn})
    return tools


def _builtins(bs: list[BuiltinTool], body: dict[str, Any], opts: EncodeOptions) -> None:
    for b in bs:
        if b.kind == "web_search":
            body["web_search_options"] = {}
            opts.warn("openai: web search mapped to web_search_options (search models only)")
        else:
            opts.warn(f"openai: built-in tool {b.kind!r} has no chat equivalent; dropped")


def effort(req: Request) -> str | None:
    th = req.thinking
    if th is None:
        return None
    if th.mode == "none":
        return "none"
    if th.mode == "level" and th.level:
        return "high" if th.level == "max" else th.level
    if th.mode == "budget" and th.budget is not None:
        lv = budget_to_level(th.budget)
        return None if lv == "auto" else lv
    # "auto" (dynamic thinking, or a Responses request that only asked for summaries): leave the
    # model's own default; inventing an effort makes non-reasoning models reject the request
    return None


def encode_request(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    body: dict[str, Any] = {"model": opts.model, "messages": _messages(req, opts)}
    tools = _tools(req, opts)
    if tools:
        body["tools"] = tools
        tc = req.tool_choice
        if tc is not None:
            body["tool_choice"] = ({"type": "function", "function": {"name": opts.names.upstream(tc.name, tc.namespace)}}
                                   if tc.mode == "tool" else tc.mode)
        if req.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = req.parallel_tool_calls
    _builtins(req.builtin_tools, body, opts)
    if req.max_tokens is not None:
        body["max_tokens"] = req.max_tokens
    for k, v in (("temperature", req.temperature), ("top_p", req.top_p), ("n", req.n),
                 ("seed", req.seed), ("presence_penalty", req.presence_penalty),
                 ("frequency_penalty", req.frequency_penalty), ("verbosity", req.verbosity)):
        if v is not None:
            body[k] = v
    if req.top_k is not None:
        opts.warn("openai: top_k is not an OpenAI parameter; dropped")
    if req.stop:
        body["stop"] = req.stop
    rf = req.response_format
    if rf is not None:
        if rf.type == "json_schema":
            js: dict[str, Any] = {"name": rf.name or "output", "schema": rf.schema or {}}
            if rf.strict is not None:
                js["strict"] = rf.strict
            if rf.description:
                js["description"] = rf.description
            body["response_format"] = {"type": "json_schema", "json_schema": js}
        else:
            body["response_format"] = {"type": rf.type}
    eff = effort(req)
    if eff is not None:
        body["reasoning_effort"] = eff
    if req.user:
        body["user"] = req.user
    if req.modalities:
        body["modalities"] = req.modalities
    if req.metadata:
        opts.warn("openai: metadata dropped (needs stored completions)")
    body["stream"] = opts.stream
    if opts.stream:
        body["stream_options"] = {"include_usage": True}
    return body
