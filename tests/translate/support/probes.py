"""Read neutral facts out of an upstream request body, one reader per wire dialect.

Written straight from the wire formats (not from the codecs under test), so a translation that
loses or garbles something shows up as a differing fact. Facts:

- ``system``: the system texts, in order
- ``turns``: ``[{"role", "texts", "calls": [[id, name, args]], "results": [[id, text]], "media": [...]}]``
  with tool results folded into the user turn that carries them
- ``tools`` (names), ``schemas`` (name → schema), ``tool_choice`` ("auto"/"none"/"required"/"tool:x")
- ``max_tokens``, ``temperature``, ``top_p``, ``top_k``, ``stop``, ``n``, ``seed``, ``user``
- ``json`` ("json_object" or the schema), ``thinking`` ("none", "auto", ("budget", n), ("level", x))
"""

from __future__ import annotations

import json
from typing import Any

from cliproxy.dialects.ids import Dialect


def _args(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v) if v.strip() else {}
        except ValueError:
            return v
    return v


def _turn(role: str) -> dict[str, Any]:
    return {"role": role, "texts": [], "calls": [], "results": [], "media": []}


def _push(turns: list[dict[str, Any]], role: str) -> dict[str, Any]:
    if turns and turns[-1]["role"] == role:
        return turns[-1]
    t = _turn(role)
    turns.append(t)
    return t


def _base(**kw: Any) -> dict[str, Any]:
    f = {"system": [], "turns": [], "tools": [], "schemas": {}, "tool_choice": None, "max_tokens": None,
         "temperature": None, "top_p": None, "top_k": None, "stop": [], "n": None, "seed": None,
         "user": None, "json": None, "thinking": None}
    f.update(kw)
    return f


# ---------------------------------------------------------------- Anthropic

def _claude_text_of(c: Any) -> str:
    if isinstance(c, str):
        return c
    return "".join(b.get("text", "") for b in c or [] if b.get("type") == "text")


def claude(body: dict[str, Any]) -> dict[str, Any]:
    sys = body.get("system")
    system = [sys] if isinstance(sys, str) else [b["text"] for b in sys or [] if b.get("type") == "text"]
    turns: list[dict[str, Any]] = []
    for m in body["messages"]:
        t = _push(turns, m["role"])
        content = m["content"]
        if isinstance(content, str):
            t["texts"].append(content)
            continue
        for b in content:
            typ = b["type"]
            if typ == "text":
                t["texts"].append(b["text"])
            elif typ == "tool_use":
                t["calls"].append([b["id"], b["name"], b["input"]])
            elif typ == "tool_result":
                t["results"].append([b["tool_use_id"], _claude_text_of(b.get("content"))])
            elif typ in ("image", "document"):
                src = b["source"]
                t["media"].append(["url", src["url"]] if src["type"] == "url" else
                                  ["data", src.get("media_type", "")] if src["type"] == "base64" else [src["type"]])
    tc = body.get("tool_choice")
    choice = None
    if tc:
        choice = {"auto": "auto", "any": "required", "none": "none"}.get(tc["type"]) or f"tool:{tc.get('name')}"
    th = body.get("thinking")
    thinking = None
    if th:
        thinking = "none" if th["type"] == "disabled" else ("budget", th["budget_tokens"]) if "budget_tokens" in th \
            else "auto"
    fmt = (body.get("output_config") or {}).get("format")
    return _base(system=system, turns=turns,
                 tools=[t["name"] for t in body.get("tools") or []],
                 schemas={t["name"]: t.get("input_schema") for t in body.get("tools") or []},
                 tool_choice=choice, max_tokens=body.get("max_tokens"), temperature=body.get("temperature"),
                 top_p=body.get("top_p"), top_k=body.get("top_k"), stop=body.get("stop_sequences") or [],
                 user=(body.get("metadata") or {}).get("user_id"), json=fmt["schema"] if fmt else None,
                 thinking=thinking)


# ---------------------------------------------------------------- OpenAI chat

def _oc_content(c: Any, t: dict[str, Any]) -> None:
    if isinstance(c, str):
        t["texts"].append(c)
        return
    for p in c or []:
        if p["type"] == "text":
            t["texts"].append(p["text"])
        elif p["type"] == "image_url":
            url = p["image_url"]["url"]
            t["media"].append(["data", url[5:url.index(";")]] if url.startswith("data:") else ["url", url])
        elif p["type"] == "file":
            t["media"].append(["data", p["file"].get("file_data", "")[5:].split(";")[0]])
        elif p["type"] == "input_audio":
            t["media"].append(["data", "audio"])


def openai_chat(body: dict[str, Any]) -> dict[str, Any]:
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for m in body["messages"]:
        role = m["role"]
        if role in ("system", "developer"):
            c = m["content"]
            system.append(c if isinstance(c, str) else "".join(p["text"] for p in c))
        elif role == "assistant":
            t = _push(turns, "assistant")
            if m.get("content"):
                _oc_content(m["content"], t)
            for tc in m.get("tool_calls") or []:
                t["calls"].append([tc["id"], tc["function"]["name"], _args(tc["function"]["arguments"])])
        elif role == "tool":
            t = _push(turns, "user")
            c = m["content"]
            t["results"].append([m["tool_call_id"], c if isinstance(c, str) else "".join(p["text"] for p in c)])
        else:
            _oc_content(m["content"], _push(turns, "user"))
    tc = body.get("tool_choice")
    choice = tc if isinstance(tc, str) else (f"tool:{tc['function']['name']}" if tc else None)
    rf = body.get("response_format") or {}
    js = rf.get("json_schema", {}).get("schema") if rf.get("type") == "json_schema" else (
        "json_object" if rf.get("type") == "json_object" else None)
    eff = body.get("reasoning_effort")
    stop = body.get("stop")
    return _base(system=system, turns=turns,
                 tools=[t["function"]["name"] for t in body.get("tools") or []],
                 schemas={t["function"]["name"]: t["function"].get("parameters") for t in body.get("tools") or []},
                 tool_choice=choice, max_tokens=body.get("max_tokens", body.get("max_completion_tokens")),
                 temperature=body.get("temperature"), top_p=body.get("top_p"),
                 stop=[stop] if isinstance(stop, str) else stop or [], n=body.get("n"), seed=body.get("seed"),
                 user=body.get("user"), json=js,
                 thinking=None if eff is None else "none" if eff == "none" else ("level", eff))


# ---------------------------------------------------------------- OpenAI Responses

def responses(body: dict[str, Any]) -> dict[str, Any]:
    system: list[str] = [body["instructions"]] if body.get("instructions") else []
    turns: list[dict[str, Any]] = []
    items = body["input"]
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    for it in items:
        typ = it.get("type", "message")
        if typ == "message":
            role = it["role"]
            c = it["content"]
            if role in ("system", "developer"):
                system.append(c if isinstance(c, str) else "".join(p.get("text", "") for p in c))
                continue
            t = _push(turns, "assistant" if role == "assistant" else "user")
            if isinstance(c, str):
                t["texts"].append(c)
                continue
            for p in c:
                if p["type"] in ("input_text", "output_text"):
                    t["texts"].append(p["text"])
                elif p["type"] == "input_image":
                    url = p.get("image_url", "")
                    t["media"].append(["data", url[5:url.index(";")]] if url.startswith("data:") else ["url", url])
                elif p["type"] == "input_file":
                    fd = p.get("file_data", "")
                    t["media"].append(["data", fd[5:].split(";")[0]] if fd else ["url", p.get("file_url")])
        elif typ in ("function_call", "custom_tool_call"):
            _push(turns, "assistant")["calls"].append(
                [it["call_id"], it["name"], _args(it.get("arguments", it.get("input")))])
        elif typ in ("function_call_output", "custom_tool_call_output"):
            out = it["output"]
            text = out if isinstance(out, str) else "".join(p.get("text", "") for p in out)
            _push(turns, "user")["results"].append([it["call_id"], text])
    tc = body.get("tool_choice")
    choice = tc if isinstance(tc, str) else (
        f"tool:{tc['namespace'] + '__' if tc.get('namespace') else ''}{tc['name']}" if tc else None)
    tools = []
    for t in body.get("tools") or []:
        if t.get("type") == "namespace":  # neutral form of a namespaced tool: ns__name
            tools.extend(dict(c, name=f"{t['name']}__{c['name']}") for c in t.get("tools") or [])
        elif t.get("type") in ("function", "custom"):
            tools.append(t)
    fmt = (body.get("text") or {}).get("format") or {}
    js = fmt.get("schema") if fmt.get("type") == "json_schema" else (
        "json_object" if fmt.get("type") == "json_object" else None)
    eff = (body.get("reasoning") or {}).get("effort")
    return _base(system=system, turns=turns, tools=[t["name"] for t in tools],
                 schemas={t["name"]: t.get("parameters") for t in tools},
                 tool_choice=choice, max_tokens=body.get("max_output_tokens"), temperature=body.get("temperature"),
                 top_p=body.get("top_p"), user=body.get("user"), json=js,
                 thinking=None if eff is None else "none" if eff == "none" else ("level", eff))


# ---------------------------------------------------------------- Gemini

def _g(d: dict[str, Any], camel: str, snake: str) -> Any:
    return d.get(camel, d.get(snake))


def _lower(schema: Any) -> Any:
    """``responseSchema`` is OpenAPI-style (``OBJECT``); compare it as JSON Schema."""
    if isinstance(schema, dict):
        return {k: (v.lower() if k == "type" and isinstance(v, str) else _lower(v)) for k, v in schema.items()}
    return schema


def gemini(body: dict[str, Any]) -> dict[str, Any]:
    if "request" in body:
        body = body["request"]
    si = _g(body, "systemInstruction", "system_instruction")
    system = [p["text"] for p in (si or {}).get("parts", []) if "text" in p]
    turns: list[dict[str, Any]] = []
    for c in body["contents"]:
        role = "assistant" if c.get("role") == "model" else "user"
        t = _push(turns, role)
        for p in c["parts"]:
            fc, fr = _g(p, "functionCall", "function_call"), _g(p, "functionResponse", "function_response")
            inl, fd = _g(p, "inlineData", "inline_data"), _g(p, "fileData", "file_data")
            if fc:
                t["calls"].append([fc.get("id"), fc["name"], fc.get("args", {})])
            elif fr:
                resp = fr["response"]
                val = resp.get("output", resp.get("result", resp.get("error", resp)))
                t["results"].append([fr.get("id"), val if isinstance(val, str) else json.dumps(val, separators=(",", ":"))])
            elif p.get("thought"):
                continue
            elif "text" in p:
                if p["text"]:
                    t["texts"].append(p["text"])
            elif inl:
                t["media"].append(["data", _g(inl, "mimeType", "mime_type")])
            elif fd:
                t["media"].append(["url", _g(fd, "fileUri", "file_uri")])
    decls = [d for tool in body.get("tools") or [] for d in _g(tool, "functionDeclarations", "function_declarations") or []]
    fcc = _g(_g(body, "toolConfig", "tool_config") or {}, "functionCallingConfig", "function_calling_config")
    choice = None
    if fcc:
        mode = fcc.get("mode")
        allowed = _g(fcc, "allowedFunctionNames", "allowed_function_names") or []
        choice = f"tool:{allowed[0]}" if mode in ("ANY", "VALIDATED") and len(allowed) == 1 else \
            {"AUTO": "auto", "ANY": "required", "NONE": "none", "VALIDATED": "auto"}[mode]
    gc = _g(body, "generationConfig", "generation_config") or {}
    tc = _g(gc, "thinkingConfig", "thinking_config")
    thinking = None
    if tc:
        lvl, bud = _g(tc, "thinkingLevel", "thinking_level"), _g(tc, "thinkingBudget", "thinking_budget")
        thinking = ("level", lvl.lower()) if lvl else "none" if bud == 0 else "auto" if bud == -1 else ("budget", bud)
    js = _g(gc, "responseJsonSchema", "response_json_schema") or _lower(_g(gc, "responseSchema", "response_schema"))
    if js is None and _g(gc, "responseMimeType", "response_mime_type") == "application/json":
        js = "json_object"
    return _base(system=system, turns=turns, tools=[d["name"] for d in decls],
                 schemas={d["name"]: d.get("parametersJsonSchema", d.get("parameters")) for d in decls},
                 tool_choice=choice, max_tokens=_g(gc, "maxOutputTokens", "max_output_tokens"),
                 temperature=gc.get("temperature"), top_p=_g(gc, "topP", "top_p"), top_k=_g(gc, "topK", "top_k"),
                 stop=_g(gc, "stopSequences", "stop_sequences") or [], n=_g(gc, "candidateCount", "candidate_count"),
                 seed=gc.get("seed"), json=js, thinking=thinking)


def facts(dialect: Dialect, body: dict[str, Any]) -> dict[str, Any]:
    match dialect:
        case Dialect.ANTHROPIC:
            return claude(body)
        case Dialect.OPENAI_CHAT:
            return openai_chat(body)
        case Dialect.OPENAI_RESPONSES | Dialect.CODEX:
            return responses(body)
        case Dialect.GEMINI | Dialect.GEMINI_CLI | Dialect.ANTIGRAVITY:
            return gemini(body)
    raise KeyError(dialect)
