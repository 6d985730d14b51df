"""IR → OpenAI Responses request (upstream side: the Responses API, and Codex via its envelope).

Stateless by construction: ``store:false`` with ``include:["reasoning.encrypted_content"]`` so
reasoning can be replayed from history. System text becomes developer messages (the Codex backend
only accepts its own ``instructions``). Function tools are sent with ``strict:false`` unless the
client asked for strict (Responses defaults to strict, which rejects ordinary schemas).
"""

from __future__ import annotations

import base64
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
from cliproxy.ir.thinking import budget_to_level
from cliproxy.ir.util import data_url


def media_part(p: Image | File, opts: EncodeOptions) -> dict[str, Any] | None:
    if isinstance(p, Image) or (p.mime.startswith("image/") and (p.data or p.url)):
        url = data_url(p.mime, p.data) if p.data else p.url
        if url:
            d: dict[str, Any] = {"type": "input_image", "image_url": url}
        elif p.file_id:
            d = {"type": "input_image", "file_id": p.file_id}
        else:
            return None
        d["detail"] = (p.detail if isinstance(p, Image) and p.detail else "auto")
        return d
    if p.text:
        return {"type": "input_text", "text": p.text}
    if p.data and p.mime.startswith("text/"):
        return {"type": "input_text", "text": base64.b64decode(p.data).decode("utf-8", "replace")}
    if p.mime.startswith("audio/"):
        opts.warn("openai-response: audio input has no Responses equivalent; dropped")
        return None
    if p.data:
        return {"type": "input_file", "file_data": data_url(p.mime or "application/pdf", p.data),
                "filename": p.filename or "file.pdf"}
    if p.url:
        return {"type": "input_file", "file_url": p.url}
    if p.file_id:
        return {"type": "input_file", "file_id": p.file_id}
    return None


def _content(parts: list[Part], opts: EncodeOptions) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in parts:
        if isinstance(p, Text):
            if p.text:
                out.append({"type": "input_text", "text": p.text})
        elif isinstance(p, Image | File):
            mp = media_part(p, opts)
            if mp is not None:
                out.append(mp)
    return out


def _result(p: ToolResult, opts: EncodeOptions) -> dict[str, Any]:
    if all(isinstance(c, Text) for c in p.content):
        output: Any = "".join(c.text for c in p.content if isinstance(c, Text))
    else:
        output = _content(list(p.content), opts)
    return {"type": "function_call_output", "call_id": p.call_id,
            "output": output}


def _assistant(m: Message, items: list[dict[str, Any]], opts: EncodeOptions) -> None:
    texts: list[dict[str, Any]] = []

    def flush() -> None:
        if texts:
            items.append({"type": "message", "role": "assistant", "content": list(texts)})
            texts.clear()

    for p in m.parts:
        match p:
            case Text():
                if p.text:
                    texts.append({"type": "refusal", "refusal": p.text} if p.refusal
                                 else {"type": "output_text", "text": p.text, "annotations": []})
            case Thinking():
                if p.origin == "openai" and p.signature and not p.redacted:
                    flush()
                    item: dict[str, Any] = {"type": "reasoning", "summary": (
                        [{"type": "summary_text", "text": p.text}] if p.text else []),
                        "encrypted_content": p.signature}
                    if p.item_id:
                        item["id"] = p.item_id
                    items.append(item)
                elif p.signature or p.text:
                    opts.warn("openai-response: reasoning from another model family dropped from history")
            case ToolCall():
                flush()
                name = opts.names.upstream(p.name, p.namespace)
                if p.custom:
                    items.append({"type": "custom_tool_call", "call_id": p.id, "name": name, "input": p.arguments})
                else:
                    items.append({"type": "function_call", "call_id": p.id, "name": name,
                                  "arguments": args_text(p)})
            case Opaque():
                if p.origin == "openai-response":
                    flush()
                    items.append(p.data)
                else:
                    opts.warn(f"openai-response: {p.origin} {p.kind} block has no Responses equivalent; dropped")
            case Image() | File():
                opts.warn("openai-response: media in an assistant turn dropped")
            case ToolResult():
                pass
            case _:
                assert_never(p)
    flush()


def _input(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    sys = _content(req.system, opts)
    if sys:
        items.append({"type": "message", "role": "developer", "content": sys})
    for m in req.messages:
        if m.role == "system":
            c = _content(m.parts, opts)
            if c:
                items.append({"type": "message", "role": "developer", "content": c})
        elif m.role == "assistant":
            _assistant(m, items, opts)
        else:
            for p in m.parts:
                if isinstance(p, ToolResult):
                    items.append(_result(p, opts))
                elif isinstance(p, Opaque) and p.origin == "openai-response":
                    items.append(p.data)
            c = _content(m.parts, opts)
            if c:
                items.append({"type": "message", "role": "user", "content": c})
    return items


def _tools(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for t in req.tools:
        name = opts.names.upstream(t.name, t.namespace)
        if t.custom:
            d: dict[str, Any] = {"type": "custom", "name": name}
        else:
            d = {"type": "function", "name": name,
                 "parameters": t.parameters or {"type": "object", "properties": {}},
                 "strict": bool(t.strict)}
        if t.description:
            d["description"] = t.description
        tools.append(d)
    for b in req.builtin_tools:
        tools.extend(_builtin(b, opts))
    return tools


def _builtin(b: BuiltinTool, opts: EncodeOptions) -> list[dict[str, Any]]:
    if b.kind == "web_search":
        d: dict[str, Any] = {"type": "web_search"}
        if b.config.get("allowed_domains"):
            d["filters"] = {"allowed_domains": b.config["allowed_domains"]}
        if isinstance(b.config.get("user_location"), dict):
            d["user_location"] = b.config["user_location"]
        return [d]
    if b.origin == "openai-response":
        return [b.config]
    if b.kind == "code_execution":
        return [{"type": "code_interpreter", "container": {"type": "auto"}}]
    opts.warn(f"openai-response: built-in tool {b.kind!r} has no Responses equivalent; dropped")
    return []


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
        return "medium" if lv == "auto" else lv
    return "medium"


def encode_request(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    body: dict[str, Any] = {"model": opts.model, "input": _input(req, opts)}
    tools = _tools(req, opts)
    if tools:
        body["tools"] = tools
        tc = req.tool_choice
        if tc is not None:
            body["tool_choice"] = ({"type": "function", "name": opts.names.upstream(tc.name, tc.namespace)}
                                   if tc.mode == "tool" else tc.mode)
        if req.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = req.parallel_tool_calls
    if req.max_tokens is not None:
        body["max_output_tokens"] = req.max_tokens
    if req.temperature is not None:
        body["temperature"] = req.temperature
    if req.top_p is not None:
        body["top_p"] = req.top_p
    for name, val in (("stop", req.stop), ("top_k", req.top_k), ("seed", req.seed),
                      ("presence_penalty", req.presence_penalty), ("frequency_penalty", req.frequency_penalty)):
        if val:
            opts.warn(f"openai-response: {name} has no Responses equivalent; dropped")
    if req.n is not None and req.n > 1:
        opts.warn("openai-response: n > 1 not supported; one answer returned")
    eff = effort(req)
    if eff is not None:
        r: dict[str, Any] = {"effort": eff}
        if eff != "none" and req.thinking is not None and req.thinking.include_thoughts is not False:
            r["summary"] = req.thinking.summary or "auto"
        body["reasoning"] = r
    rf = req.response_format
    text: dict[str, Any] = {}
    if rf is not None and rf.type != "text":
        if rf.type == "json_schema":
            fmt: dict[str, Any] = {"type": "json_schema", "name": rf.name or "output", "schema": rf.schema or {}}
            if rf.strict is not None:
                fmt["strict"] = rf.strict
            if rf.description:
                fmt["description"] = rf.description
            text["format"] = fmt
        else:
            text["format"] = {"type": "json_object"}
    if req.verbosity:
        text["verbosity"] = req.verbosity
    if text:
        body["text"] = text
    if req.user:
        body["user"] = req.user
    if req.metadata:
        body["metadata"] = {k: str(v) for k, v in list(req.metadata.items())[:16]}
    if req.cache_key:
        body["prompt_cache_key"] = req.cache_key
    body["store"] = False
    replay = any(isinstance(p, Thinking) and p.origin == "openai" and p.signature
                 for m in req.messages for p in m.parts)
    if (req.thinking is not None and req.thinking.mode != "none") or replay:
        body["include"] = ["reasoning.encrypted_content"]
    body["stream"] = opts.stream
    return body
