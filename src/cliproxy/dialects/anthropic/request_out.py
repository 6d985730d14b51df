"""IR → Anthropic Messages request (upstream side).

FIX behaviour (translation.md §5): developer/system messages all reach ``system``; ``max_tokens``
and ``stop_sequences`` are kept; empty messages and empty text blocks are dropped; consecutive
same-role turns are merged; every ``tool_use`` is answered by a ``tool_result`` at the start of
the next user turn (results are moved there, missing ones get a placeholder, orphans become text);
thinking blocks are replayed only with a Claude signature; a trailing prefill loses its trailing
whitespace; ``tool_choice: none`` stays ``none``.
"""

from __future__ import annotations

from typing import Any, assert_never

from cliproxy.dialects.anthropic.adjacency import merge_same_role
from cliproxy.dialects.anthropic.names import safe_id
from cliproxy.ir import (
    BuiltinTool,
    File,
    Image,
    Opaque,
    Part,
    Request,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    args_object,
)
from cliproxy.ir.options import EncodeOptions
from cliproxy.ir.thinking import level_to_budget

DEFAULT_MAX_TOKENS = 32000
def _with_cache(block: dict[str, Any], cache: bool) -> dict[str, Any]:
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block


def media_block(p: Image | File, opts: EncodeOptions) -> dict[str, Any] | None:
    if isinstance(p, Image):
        if p.data:
            src: dict[str, Any] = {"type": "base64", "media_type": p.mime or "image/png", "data": p.data}
        elif p.url:
            src = {"type": "url", "url": p.url}
        elif p.file_id:
            src = {"type": "file", "file_id": p.file_id}
        else:
            return None
        return _with_cache({"type": "image", "source": src}, p.cache)
    if p.text:
        src = {"type": "text", "media_type": "text/plain", "data": p.text}
    elif p.data and p.mime in ("application/pdf", ""):
        src = {"type": "base64", "media_type": "application/pdf", "data": p.data}
    elif p.data and p.mime.startswith("text/"):
        import base64

        src = {"type": "text", "media_type": "text/plain",
               "data": base64.b64decode(p.data).decode("utf-8", "replace")}
    elif p.data and p.mime.startswith("image/"):
        return media_block(Image(mime=p.mime, data=p.data, cache=p.cache), opts)
    elif p.url:
        src = {"type": "url", "url": p.url}
    elif p.file_id:
        src = {"type": "file", "file_id": p.file_id}
    else:
        opts.warn(f"claude: file of type {p.mime or 'unknown'} dropped (Anthropic accepts PDF and text)")
        return None
    block: dict[str, Any] = {"type": "document", "source": src}
    if p.filename:
        block["title"] = p.filename
    return _with_cache(block, p.cache)


def _result(p: ToolResult, opts: EncodeOptions) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": safe_id(p.call_id)}
    if len(p.content) == 1 and isinstance(p.content[0], Text):
        if p.content[0].text:
            block["content"] = p.content[0].text
    elif p.content:
        items: list[dict[str, Any]] = []
        for c in p.content:
            if isinstance(c, Text):
                if c.text:
                    items.append({"type": "text", "text": c.text})
            else:
                mb = media_block(c, opts)
                if mb is not None:
                    items.append(mb)
        if items:
            block["content"] = items
    if p.is_error:
        block["is_error"] = True
    return _with_cache(block, p.cache)


def _block(p: Part, role: str, opts: EncodeOptions) -> dict[str, Any] | None:
    match p:
        case Text():
            if not p.text:
                return None
            if p.refusal and role == "assistant":
                return {"type": "text", "text": p.text}
            return _with_cache({"type": "text", "text": p.text}, p.cache)
        case Image() | File():
            if role == "assistant":
                opts.warn("claude: media in an assistant turn dropped")
                return None
            return media_block(p, opts)
        case Thinking():
            if role != "assistant":
                return None
            if p.origin != "claude" or not p.signature:
                opts.warn("claude: thinking without a Claude signature dropped from history")
                return None
            if p.redacted:
                return {"type": "redacted_thinking", "data": p.signature}
            return {"type": "thinking", "thinking": p.text, "signature": p.signature}
        case ToolCall():
            args = args_object(p)
            if args is None:
                opts.warn(f"claude: arguments of tool call {p.id} are not a JSON object; sent as {{}}")
                args = {}
            return {"type": "tool_use", "id": safe_id(p.id),
                    "name": opts.names.upstream(p.name, p.namespace), "input": args}
        case ToolResult():
            return _result(p, opts)
        case Opaque():
            if p.origin == "claude":
                return p.data
            opts.warn(f"claude: {p.origin} {p.kind} block has no Anthropic equivalent; dropped")
            return None
        case _:
            assert_never(p)


def _system(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    parts = list(req.system)
    for m in req.messages:
        if m.role == "system":
            if m is not req.messages[0] or parts:
                opts.warn("claude: a system message inside the conversation was moved to `system`")
            parts.extend(m.parts)
    for p in parts:
        if isinstance(p, Text):
            if p.text:
                blocks.append(_with_cache({"type": "text", "text": p.text}, p.cache))
        else:
            opts.warn("claude: non-text system content dropped")
    return blocks


def _messages(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in req.messages:
        if m.role == "system":
            continue
        blocks = [b for p in m.parts if (b := _block(p, m.role, opts)) is not None]
        if blocks:
            out.append({"role": m.role, "content": blocks})
    out = merge_same_role(out)  # the hub already made tool calls and results adjacent (ir.normalize)
    if out and out[-1]["role"] == "assistant":
        last = out[-1]["content"][-1]
        if last.get("type") == "text":
            last["text"] = last["text"].rstrip()
            if not last["text"]:
                out[-1]["content"].pop()
                if not out[-1]["content"]:
                    out.pop()
    if not out:
        out.append({"role": "user", "content": [{"type": "text", "text": "."}]})
        opts.warn("claude: request had no messages; sent a placeholder user turn")
    elif out[0]["role"] != "user":
        out.insert(0, {"role": "user", "content": [{"type": "text", "text": "."}]})
    return out


def _tools(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for t in req.tools:
        schema = dict(t.parameters) if t.parameters else {}
        if schema.get("type") != "object":
            schema = {"type": "object", "properties": {}, **({"description": schema["description"]}
                                                             if "description" in schema else {})}
        schema.setdefault("properties", {})
        d: dict[str, Any] = {"name": opts.names.upstream(t.name, t.namespace), "input_schema": schema}
        if t.description:
            d["description"] = t.description
        tools.append(_with_cache(d, t.cache))
    for b in req.builtin_tools:
        tools.extend(_builtin(b, opts))
    return tools


def _builtin(b: BuiltinTool, opts: EncodeOptions) -> list[dict[str, Any]]:
    if b.origin == "claude" and b.kind != "web_search":
        return [b.config]
    if b.kind == "web_search":
        d: dict[str, Any] = {"type": "web_search_20250305", "name": "web_search"}
        for k in ("max_uses", "allowed_domains", "blocked_domains", "user_location"):
            if k in b.config:
                d[k] = b.config[k]
        return [d]
    opts.warn(f"claude: built-in tool {b.kind!r} has no Anthropic equivalent; dropped")
    return []


def _thinking(req: Request, body: dict[str, Any], opts: EncodeOptions) -> None:
    th = req.thinking
    if th is None:
        return
    if th.mode == "none":
        body["thinking"] = {"type": "disabled"}
        return
    if th.mode == "budget" and th.budget is not None:
        budget = th.budget
    elif th.mode == "level" and th.level:
        budget = level_to_budget(th.level) or 8192
        if budget <= 0:
            if budget == 0:
                body["thinking"] = {"type": "disabled"}
                return
            budget = 8192
    else:
        budget = 8192
    if req.tool_choice is not None and req.tool_choice.mode in ("required", "tool"):
        opts.warn("claude: thinking dropped (Anthropic forbids thinking with a forced tool choice)")
        return
    last = next((m for m in reversed(body.get("messages") or []) if m["role"] == "assistant"), None)
    if last is not None and any(b.get("type") == "tool_use" for b in last["content"]) and \
            last["content"][0].get("type") not in ("thinking", "redacted_thinking"):
        opts.warn("claude: thinking disabled for this turn (the client did not replay the signed "
                  "thinking block of its last tool call)")
        return
    budget = max(1024, budget)
    max_tokens = body["max_tokens"]
    if budget >= max_tokens:
        if max_tokens <= 1024:
            opts.warn("claude: thinking dropped (max_tokens leaves no room for a 1024-token budget)")
            return
        budget = max_tokens - 1
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if body.get("temperature") not in (None, 1, 1.0):
        opts.warn("claude: temperature dropped (Anthropic requires 1 with thinking)")
        body.pop("temperature")
    if "top_k" in body:
        opts.warn("claude: top_k dropped (not allowed with thinking)")
        body.pop("top_k")
    if body.get("top_p") is not None and body["top_p"] < 0.95:
        opts.warn("claude: top_p dropped (must be ≥ 0.95 with thinking)")
        body.pop("top_p")


def _tool_choice(req: Request, body: dict[str, Any], opts: EncodeOptions) -> None:
    tc = req.tool_choice
    choice: dict[str, Any] | None = None
    if tc is not None and body.get("tools"):
        if tc.mode == "tool":
            choice = {"type": "tool", "name": opts.names.upstream(tc.name, tc.namespace)}
        else:
            choice = {"type": {"auto": "auto", "none": "none", "required": "any"}[tc.mode]}
    if req.parallel_tool_calls is False and body.get("tools"):
        choice = choice or {"type": "auto"}
        if choice["type"] != "none":
            choice["disable_parallel_tool_use"] = True
    if choice is not None:
        body["tool_choice"] = choice


def encode_request(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    body: dict[str, Any] = {"model": opts.model}
    system = _system(req, opts)
    if system:
        body["system"] = system
    body["messages"] = _messages(req, opts)
    tools = _tools(req, opts)
    if tools:
        body["tools"] = tools
    _tool_choice(req, body, opts)
    if opts.count_only:
        _thinking_for_count(req, body, opts)
        return body
    body["max_tokens"] = req.max_tokens if req.max_tokens and req.max_tokens > 0 else DEFAULT_MAX_TOKENS
    if req.temperature is not None:
        body["temperature"] = req.temperature
    if req.top_p is not None:
        if req.temperature is not None:
            opts.warn("claude: top_p dropped (Anthropic takes temperature or top_p, not both)")
        else:
            body["top_p"] = req.top_p
    if req.top_k is not None:
        body["top_k"] = req.top_k
    if req.stop:
        body["stop_sequences"] = req.stop
    _thinking(req, body, opts)
    _response_format(req, body, opts)
    if req.user:
        body["metadata"] = {"user_id": req.user}
    if req.n is not None and req.n > 1:
        opts.warn("claude: n > 1 not supported; one answer returned")
    for name, val in (("seed", req.seed), ("presence_penalty", req.presence_penalty),
                      ("frequency_penalty", req.frequency_penalty)):
        if val is not None:
            opts.warn(f"claude: {name} has no Anthropic equivalent; dropped")
    body["stream"] = opts.stream
    return body


def _thinking_for_count(req: Request, body: dict[str, Any], opts: EncodeOptions) -> None:
    probe: dict[str, Any] = {"max_tokens": 1 << 30}
    _thinking(req, probe, EncodeOptions(model=opts.model))
    if "thinking" in probe:
        body["thinking"] = probe["thinking"]


def _response_format(req: Request, body: dict[str, Any], opts: EncodeOptions) -> None:
    rf = req.response_format
    if rf is None or rf.type == "text":
        return
    if rf.type == "json_schema" and rf.schema is not None:
        body["output_config"] = {"format": {"type": "json_schema", "schema": rf.schema}}
        return
    hint = {"type": "text", "text": "Respond with a single valid JSON object and nothing else."}
    body.setdefault("system", []).append(hint)
    opts.warn("claude: response_format json_object emulated with a system instruction")
