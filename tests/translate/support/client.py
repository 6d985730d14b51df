"""Check what a client receives, with the official SDKs as the judge, and reduce it to facts.

For each client dialect: the stream framing the SDK needs (Anthropic ``event:`` lines, no
``event:``/``[DONE]`` for Gemini, ``[DONE]`` last for chat, ``sequence_number`` steps for
Responses); every event and body validated by the SDK's own types (``ChatCompletionChunk``,
``RawMessageStreamEvent``, ``ResponseStreamEvent``, ``GenerateContentResponse``…) with unknown
fields refused except a short allow-list of documented extensions; streams accumulated with the
SDK's own stream helpers. The result is a neutral answer:
``{"text", "reasoning", "tool_calls": [{"name", "args"}], "finish", "usage": {"input", "output"}}``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pydantic
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from google.genai import types as gtypes
from openai import omit
from openai.lib.streaming.chat._completions import ChatCompletionStreamState
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent

from cliproxy.dialects.ids import Dialect

_anthropic_event = pydantic.TypeAdapter(RawMessageStreamEvent)
_responses_event = pydantic.TypeAdapter(ResponseStreamEvent)

# fields outside the SDK models that we emit on purpose (documented extensions)
ALLOWED_EXTRAS = {"reasoning_content", "images", "native_finish_reason", "store"}


class ClientError(AssertionError):
    """The client (or its SDK) would reject or misread what we sent."""


def assert_no_extras(obj: Any, path: str = "$") -> None:
    """Walk a validated SDK model: any field the SDK does not know is a mistake."""
    if isinstance(obj, pydantic.BaseModel):
        extra = set((obj.model_extra or {}).keys()) - ALLOWED_EXTRAS
        if extra:
            raise ClientError(f"{path}: unknown fields {sorted(extra)}")
        for name in type(obj).model_fields:
            assert_no_extras(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            assert_no_extras(v, f"{path}[{i}]")


def parse_sse(raw: bytes) -> list[tuple[str | None, str]]:
    """A small reference SSE parser (test side): [(event name or None, data)]."""
    text = raw.decode("utf-8")  # strict: a split UTF-8 character fails here
    text = text.replace("\r\n", "\n")
    out: list[tuple[str | None, str]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
            else:
                raise ClientError(f"unexpected SSE line {line!r}")
        out.append((event, "\n".join(data)))
    return out


# ------------------------------------------------------------------ finish / usage normalisation

def _claude_finish(r: str | None) -> str | None:
    return {"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
            "tool_use": "tool_calls", "refusal": "content_filter",
            "model_context_window_exceeded": "length"}.get(r or "", r)


def _gemini_finish(r: str | None, tools: bool) -> str | None:
    if r == "STOP":
        return "tool_calls" if tools else "stop"
    return {"MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
            "MALFORMED_FUNCTION_CALL": "malformed", "OTHER": "other"}.get(r or "", r)


def _facts(text: str, reasoning: str, calls: list[dict[str, Any]], finish: str | None,
           usage: tuple[int, int] | None, signatures: list[str] | None = None) -> dict[str, Any]:
    return {"text": text, "reasoning": reasoning, "tool_calls": calls, "finish": finish,
            "usage": None if usage is None else {"input": usage[0], "output": usage[1]},
            "signatures": signatures or []}


def _args(s: Any) -> Any:
    if isinstance(s, str):
        return json.loads(s) if s.strip() else {}
    return s


# ------------------------------------------------------------------ OpenAI chat

def openai_chat_body(body: bytes) -> dict[str, Any]:
    c = ChatCompletion.model_validate_json(body)
    assert_no_extras(c)
    if c.object != "chat.completion":
        raise ClientError("object must be chat.completion")
    m = c.choices[0].message
    raw = json.loads(body)["choices"][0]["message"]
    calls = [{"name": t.function.name, "args": _args(t.function.arguments)} for t in m.tool_calls or []]
    u = c.usage
    return _facts(m.content or "", raw.get("reasoning_content") or "", calls, c.choices[0].finish_reason,
                  None if u is None else (u.prompt_tokens, u.completion_tokens))


def openai_chat_stream(chunks: list[bytes]) -> dict[str, Any]:
    events = parse_sse(b"".join(chunks))
    if not events or events[-1][1] != "[DONE]":
        raise ClientError("chat stream must end with data: [DONE]")
    state = ChatCompletionStreamState()
    reasoning, usage = [], None
    for name, data in events[:-1]:
        if name is not None:
            raise ClientError("chat streams carry no event: lines")
        if data == "[DONE]":
            raise ClientError("[DONE] twice")
        obj = json.loads(data)
        if "error" in obj:
            raise ClientError(f"error chunk: {obj}")
        chunk = ChatCompletionChunk.model_validate(obj)
        assert_no_extras(chunk)
        if chunk.object != "chat.completion.chunk" or any(ch.index is None for ch in chunk.choices):
            raise ClientError("chunks need object and choices[].index (SDK stream helper)")
        state.handle_chunk(chunk)
        for ch in obj["choices"]:
            if ch.get("index") == 0 and ch["delta"].get("reasoning_content"):
                reasoning.append(ch["delta"]["reasoning_content"])
        if chunk.usage is not None:
            usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
    final = state.current_completion_snapshot  # get_final_completion() raises on length/content_filter
    m = final.choices[0].message
    calls = [{"name": t.function.name, "args": _args(t.function.arguments)} for t in m.tool_calls or []]
    return _facts(m.content or "", "".join(reasoning), calls, final.choices[0].finish_reason, usage)


# ------------------------------------------------------------------ Anthropic

def _claude_message(m: Any, body_usage: Any) -> dict[str, Any]:
    text = "".join(b.text for b in m.content if b.type == "text")
    reasoning = "".join(b.thinking for b in m.content if b.type == "thinking")
    sigs = [b.signature for b in m.content if b.type == "thinking" and b.signature]
    calls = [{"name": b.name, "args": b.input} for b in m.content if b.type == "tool_use"]
    u = body_usage
    usage = None if u is None else (u.input_tokens + (u.cache_read_input_tokens or 0)
                                    + (u.cache_creation_input_tokens or 0), u.output_tokens)
    return _facts(text, reasoning, calls, _claude_finish(m.stop_reason), usage, sigs)


def claude_body(body: bytes) -> dict[str, Any]:
    m = Message.model_validate_json(body)
    assert_no_extras(m)
    return _claude_message(m, m.usage)


def claude_stream(chunks: list[bytes]) -> dict[str, Any]:
    snapshot = None
    bufs: dict[int, bytes] = {}
    names = []
    for name, data in parse_sse(b"".join(chunks)):
        obj = json.loads(data)
        if name is None or name != obj.get("type"):
            raise ClientError(f"Anthropic events need a matching event: line (got {name!r} for {obj.get('type')})")
        if name == "ping":
            continue  # the SDK skips pings
        names.append(name)
        if name == "error":
            raise ClientError(f"error event: {obj}")
        ev = _anthropic_event.validate_python(obj)
        assert_no_extras(ev)
        snapshot = accumulate_event(event=ev, current_snapshot=snapshot, json_bufs=bufs)
    if not names or names[0] != "message_start" or names[-1] != "message_stop":
        raise ClientError(f"Anthropic stream must run message_start … message_stop, got {names[:1]}…{names[-1:]}")
    if names.count("message_delta") != 1:
        raise ClientError("exactly one message_delta expected")
    assert snapshot is not None
    return _claude_message(snapshot, snapshot.usage)


# ------------------------------------------------------------------ Responses

def _response_facts(r: Response) -> dict[str, Any]:
    text, reasoning, calls, sigs = [], [], [], []
    for item in r.output:
        if item.type == "message":
            text.extend(c.text for c in item.content if c.type == "output_text")
        elif item.type == "reasoning":
            reasoning.extend(s.text for s in item.summary)
            if item.encrypted_content:
                sigs.append(item.encrypted_content)
        elif item.type == "function_call":
            calls.append({"name": item.name, "args": _args(item.arguments)})
    if r.status == "completed":
        finish = "tool_calls" if calls else "stop"
    elif r.status == "incomplete":
        reason = r.incomplete_details.reason if r.incomplete_details else None
        finish = "content_filter" if reason == "content_filter" else "length"
    else:
        finish = r.status
    u = r.usage
    return _facts("".join(text), "".join(reasoning), calls, finish,
                  None if u is None else (u.input_tokens, u.output_tokens), sigs)


def responses_body(body: bytes) -> dict[str, Any]:
    r = Response.model_validate_json(body)
    assert_no_extras(r)
    return _response_facts(r)


def responses_stream(chunks: list[bytes]) -> dict[str, Any]:
    state = ResponseStreamState(input_tools=[], text_format=omit)
    final: Response | None = None
    seq = []
    for name, data in parse_sse(b"".join(chunks)):
        obj = json.loads(data)
        if name is not None and name != obj.get("type"):
            raise ClientError("event: name must match data.type")
        if obj.get("type") == "error":
            raise ClientError(f"error event: {obj}")
        ev = _responses_event.validate_python(obj)
        assert_no_extras(ev)
        seq.append(obj["sequence_number"])
        state.handle_event(ev)  # raises when created/added come late
        if obj["type"] in ("response.completed", "response.incomplete", "response.failed"):
            final = Response.model_validate(obj["response"])
    if seq != list(range(seq[0], seq[0] + len(seq))) if seq else True:
        raise ClientError(f"sequence numbers must step by one: {seq}")
    if final is None:
        raise ClientError("no response.completed")
    return _response_facts(final)


# ------------------------------------------------------------------ Gemini

def _gemini_accumulate(objs: list[dict[str, Any]]) -> dict[str, Any]:
    text, reasoning, calls, sigs = [], [], [], []
    finish, usage = None, None
    for obj in objs:
        if "error" in obj:
            raise ClientError(f"error chunk: {obj}")
        r = gtypes.GenerateContentResponse.model_validate(obj)
        for cand in r.candidates or []:
            if (cand.index or 0) != 0:
                continue
            for p in (cand.content.parts if cand.content and cand.content.parts else []):
                if p.thought_signature:
                    sigs.append(p.thought_signature)
                if p.function_call is not None:
                    calls.append({"name": p.function_call.name, "args": p.function_call.args or {}})
                elif p.text is not None:
                    (reasoning if p.thought else text).append(p.text)
            if cand.finish_reason is not None:
                finish = cand.finish_reason.value
        if r.usage_metadata is not None:
            um = r.usage_metadata
            usage = (um.prompt_token_count or 0, (um.candidates_token_count or 0) + (um.thoughts_token_count or 0))
    sig_text = [base64.b64encode(s).decode() if isinstance(s, bytes) else s for s in sigs]
    return _facts("".join(text), "".join(reasoning), calls, _gemini_finish(finish, bool(calls)), usage,
                  [s for s in sig_text if s])


def gemini_body(body: bytes) -> dict[str, Any]:
    return _gemini_accumulate([json.loads(body)])


def gemini_stream(chunks: list[bytes]) -> dict[str, Any]:
    objs = []
    for name, data in parse_sse(b"".join(chunks)):
        if name is not None:
            raise ClientError("google-genai fails on event: lines")
        if data == "[DONE]":
            raise ClientError("google-genai fails on [DONE]")
        objs.append(json.loads(data))
    return _gemini_accumulate(objs)


def body_facts(dialect: Dialect, body: bytes) -> dict[str, Any]:
    match dialect:
        case Dialect.OPENAI_CHAT:
            return openai_chat_body(body)
        case Dialect.ANTHROPIC:
            return claude_body(body)
        case Dialect.OPENAI_RESPONSES:
            return responses_body(body)
        case Dialect.GEMINI:
            return gemini_body(body)
    raise KeyError(dialect)


def stream_facts(dialect: Dialect, chunks: list[bytes]) -> dict[str, Any]:
    match dialect:
        case Dialect.OPENAI_CHAT:
            return openai_chat_stream(chunks)
        case Dialect.ANTHROPIC:
            return claude_stream(chunks)
        case Dialect.OPENAI_RESPONSES:
            return responses_stream(chunks)
        case Dialect.GEMINI:
            return gemini_stream(chunks)
    raise KeyError(dialect)
