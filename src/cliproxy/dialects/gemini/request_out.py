"""IR → Gemini generateContent request (upstream side; the CLI/Antigravity envelopes wrap it).

FIX behaviour: ``maxOutputTokens``, ``stopSequences``, ``toolConfig`` and structured output are
kept; a tool result keeps its own JSON type (never a quoted string); function-response names come
from the matching call; signatures are replayed only to the family that minted them, and every
model ``functionCall`` without one carries Google's documented skip sentinel; tool schemas are
cleaned for Gemini, and only tool schemas are touched.
"""

from __future__ import annotations

import base64
from typing import Any, assert_never

import msgspec

from cliproxy.dialects.gemini.common import DEFAULT_SAFETY
from cliproxy.dialects.gemini.schema_clean import clean_schema
from cliproxy.ir import (
    BuiltinTool,
    File,
    Image,
    Opaque,
    Request,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    args_object,
)
from cliproxy.ir.options import EncodeOptions
from cliproxy.ir.parts import content_text
from cliproxy.ir.signatures import GEMINI_SKIP
from cliproxy.ir.thinking import level_to_budget
from cliproxy.ir.util import mime_from_name

_decode = msgspec.json.decode


def media_part(p: Image | File, opts: EncodeOptions) -> dict[str, Any] | None:
    if isinstance(p, File) and p.text:
        return {"text": p.text}
    if p.data:
        mime = p.mime or ("image/png" if isinstance(p, Image) else "application/octet-stream")
        return {"inlineData": {"mimeType": mime, "data": p.data}}
    if p.url:
        mime = p.mime or mime_from_name(p.url, "image/jpeg" if isinstance(p, Image) else "application/pdf")
        return {"fileData": {"mimeType": mime, "fileUri": p.url}}
    opts.warn("gemini: media given only as a provider file id dropped")
    return None


def _response(p: ToolResult) -> dict[str, Any]:
    text = content_text(p.content)
    value: Any = text
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            value = _decode(stripped)
        except msgspec.DecodeError:
            value = text
    return {"error": value} if p.is_error else {"output": value}


def _result_part(p: ToolResult, names: dict[str, str], opts: EncodeOptions) -> dict[str, Any]:
    name = p.name or names.get(p.call_id, "")
    if not name:
        opts.warn(f"gemini: result {p.call_id} has no matching call; name set to 'unknown'")
        name = "unknown"
    fr: dict[str, Any] = {"name": opts.names.upstream(name), "response": _response(p)}
    if p.call_id:
        fr["id"] = p.call_id
    media = [m for c in p.content if isinstance(c, Image | File) and not (isinstance(c, File) and c.text)
             if (m := media_part(c, opts)) is not None]
    if media:
        fr["parts"] = media
    return {"functionResponse": fr}


class _Turn:
    """Builds one content's parts.

    A thinking signature belongs on the part right after the thought (that is where Gemini
    returns it: the first text or functionCall part after the thoughts), so a signed thinking
    part hands its signature to the next text/functionCall part of the same turn.
    """

    def __init__(self, role: str, family: str, opts: EncodeOptions) -> None:
        self.role = role
        self.family = family
        self.opts = opts
        self.parts: list[dict[str, Any]] = []
        self.sig = ""
        self.thought: dict[str, Any] | None = None  # the thought part that owns ``sig``

    def add(self, part: dict[str, Any]) -> None:
        if self.sig:
            part.setdefault("thoughtSignature", self.sig)
            self.sig, self.thought = "", None
        self.parts.append(part)

    def _settle(self) -> None:
        """No text/call follows the signed thought: the signature stays on the thought."""
        if self.sig:
            if self.thought is not None:
                self.thought["thoughtSignature"] = self.sig
            else:
                self.parts.append({"text": "", "thoughtSignature": self.sig})
            self.sig, self.thought = "", None

    def thinking(self, p: Thinking) -> None:
        own = p.origin == self.family and p.signature and not p.redacted
        if not own:
            if p.signature or p.text:
                self.opts.warn("gemini: thinking from another model family dropped from history")
            return
        self._settle()
        if p.text:
            self.thought = {"thought": True, "text": p.text}
            self.parts.append(self.thought)
        self.sig = p.signature

    def call(self, p: ToolCall) -> None:
        args = args_object(p)
        if args is None:
            self.opts.warn(f"gemini: arguments of call {p.id} are not a JSON object; wrapped as params")
            args = {"params": p.arguments}
        fc: dict[str, Any] = {"name": self.opts.names.upstream(p.name, p.namespace), "args": args}
        if p.id:
            fc["id"] = p.id
        part: dict[str, Any] = {"functionCall": fc}
        if p.signature and p.origin == self.family:
            part["thoughtSignature"] = p.signature
        self.add(part)
        part.setdefault("thoughtSignature", GEMINI_SKIP)

    def close(self) -> dict[str, Any] | None:
        self._settle()
        return {"role": self.role, "parts": self.parts} if self.parts else None


def _contents(req: Request, opts: EncodeOptions, system: list[dict[str, Any]]) -> list[dict[str, Any]]:
    family = opts.family or "gemini"
    names = {p.id: p.name for m in req.messages for p in m.parts if isinstance(p, ToolCall)}
    out: list[dict[str, Any]] = []
    for m in req.messages:
        if m.role == "system":
            opts.warn("gemini: a system message inside the conversation was moved to systemInstruction")
            system.extend(x for p in m.parts if isinstance(p, Text) and p.text for x in [{"text": p.text}])
            continue
        turn = _Turn("model" if m.role == "assistant" else "user", family, opts)
        for res in (p for p in m.parts if isinstance(p, ToolResult)):
            turn.add(_result_part(res, names, opts))
        for p in m.parts:
            match p:
                case Text():
                    if p.text:
                        turn.add({"text": p.text})
                case Image() | File():
                    mp = media_part(p, opts)
                    if mp is not None:
                        turn.add(mp)
                case Thinking():
                    if turn.role == "model":
                        turn.thinking(p)
                case ToolCall():
                    turn.call(p)
                case ToolResult():
                    pass
                case Opaque():
                    if p.origin == "gemini":
                        turn.add(dict(p.data))
                    else:
                        opts.warn(f"gemini: {p.origin} {p.kind} block has no Gemini equivalent; dropped")
                case _:
                    assert_never(p)
        c = turn.close()
        if c is None:
            continue
        if out and out[-1]["role"] == c["role"]:
            out[-1]["parts"].extend(c["parts"])
        else:
            out.append(c)
    if not out and system:
        out.append({"role": "user", "parts": system[:]})
        system.clear()
    return out


def _tools(req: Request, opts: EncodeOptions) -> list[dict[str, Any]]:
    antigravity = opts.variant == "antigravity"
    key = "parameters" if opts.family == "antigravity" else "parametersJsonSchema"
    decls = []
    for t in req.tools:
        d: dict[str, Any] = {"name": opts.names.upstream(t.name, t.namespace)}
        if t.description:
            d["description"] = t.description
        d[key] = clean_schema(t.parameters, antigravity=antigravity)
        decls.append(d)
    tools: list[dict[str, Any]] = [{"functionDeclarations": decls}] if decls else []
    for b in req.builtin_tools:
        tools.extend(_builtin(b, opts))
    return tools


def _builtin(b: BuiltinTool, opts: EncodeOptions) -> list[dict[str, Any]]:
    if b.origin == "gemini" and b.kind not in ("web_search", "code_execution", "url_context"):
        return [b.config]
    key = {"web_search": "googleSearch", "code_execution": "codeExecution", "url_context": "urlContext"}.get(b.kind)
    if key is None:
        opts.warn(f"gemini: built-in tool {b.kind!r} has no Gemini equivalent; dropped")
        return []
    return [{key: {}}]


def _thinking(req: Request, opts: EncodeOptions) -> dict[str, Any] | None:
    th = req.thinking
    if th is None:
        return None
    out: dict[str, Any] = {}
    if th.mode == "none":
        out["thinkingBudget"] = 0
    elif th.mode == "auto":
        out["thinkingBudget"] = -1
    elif th.mode == "budget" and th.budget is not None:
        out["thinkingBudget"] = th.budget
    elif th.mode == "level" and th.level:
        # without the model's capabilities a level becomes a budget: every Gemini model takes
        # thinkingBudget, while Gemini 2.x rejects thinkingLevel ("Thinking level is not supported
        # for this model"); translate.thinking.apply_thinking turns it back into a level for
        # level-only models when routing knows them
        budget = level_to_budget(th.level.lower())
        out["thinkingBudget"] = 8192 if budget is None else budget
    else:
        out["thinkingBudget"] = -1
    include = th.include_thoughts if th.include_thoughts is not None else th.mode != "none"
    out["includeThoughts"] = bool(include) and th.mode != "none"
    return out


def _generation(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    gc: dict[str, Any] = {}
    for key, val in (("maxOutputTokens", req.max_tokens), ("temperature", req.temperature),
                     ("topP", req.top_p), ("topK", req.top_k), ("candidateCount", req.n),
                     ("seed", req.seed), ("presencePenalty", req.presence_penalty),
                     ("frequencyPenalty", req.frequency_penalty)):
        if val is not None:
            gc[key] = val
    if req.stop:
        gc["stopSequences"] = req.stop[:5]
        if len(req.stop) > 5:
            opts.warn("gemini: only the first 5 stop sequences are kept")
    rf = req.response_format
    if rf is not None and rf.type != "text":
        gc["responseMimeType"] = "application/json"
        if rf.type == "json_schema" and rf.schema:
            gc["responseJsonSchema"] = {k: v for k, v in rf.schema.items() if k != "$schema"}
    if req.modalities:
        gc["responseModalities"] = [m.upper() for m in req.modalities]
    if req.image_config:
        ic = req.image_config
        gc["imageConfig"] = {("aspectRatio" if k == "aspect_ratio" else "imageSize" if k == "image_size" else k): v
                             for k, v in ic.items()}
    th = _thinking(req, opts)
    if th is not None:
        gc["thinkingConfig"] = th
    return gc


def encode_request(req: Request, opts: EncodeOptions) -> dict[str, Any]:
    system: list[dict[str, Any]] = []
    for p in req.system:
        if isinstance(p, Text):
            if p.text:
                system.append({"text": p.text})
        elif isinstance(p, Image | File):
            mp = media_part(p, opts)
            if mp is not None:
                system.append(mp)
    contents = _contents(req, opts, system)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"role": "user", "parts": system}
    tools = _tools(req, opts)
    if tools:
        body["tools"] = tools
    tc = req.tool_choice
    if tc is not None and req.tools:
        fcc: dict[str, Any] = {"mode": {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}[tc.mode]}
        if tc.mode == "tool":
            fcc["allowedFunctionNames"] = [opts.names.upstream(tc.name, tc.namespace)]
        body["toolConfig"] = {"functionCallingConfig": fcc}
    if opts.count_only:
        return body
    gc = _generation(req, opts)
    if gc:
        body["generationConfig"] = gc
    body["safetySettings"] = [dict(s) for s in DEFAULT_SAFETY]
    for name, val in (("user", req.user), ("metadata", req.metadata)):
        if val:
            opts.warn(f"gemini: {name} has no Gemini equivalent; dropped")
    return body


def b64text(data: str) -> str:
    return base64.b64decode(data).decode("utf-8", "replace")
