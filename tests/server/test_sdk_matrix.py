"""Cross-dialect SDK matrix: every client SDK × every upstream kind × every feature, stream and not.

Clients: ``openai`` Chat Completions, ``openai`` Responses, ``anthropic`` Messages, ``google-genai``.
Upstreams (one proxy, each model routed to exactly one emulator): ``claude-api-key``,
``codex-api-key`` (the strict Codex backend), ``gemini-api-key``, ``vertex-api-key`` (an alias) and
``openai-compatibility``. Features: text, a full tool round trip, an image, max-tokens truncation,
usage, and (stream only) a mid-stream upstream error. Each cell checks both the SDK's parsed result
in the client's dialect and the emulator's recorded request in the upstream's dialect.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import anthropic
import openai
import pytest
from google.genai import errors as genai_errors, types

from emulators import Fault
from proxy_harness import ProxyServer

from ._support import (
    BASH_TOOL_SCHEMA,
    CLAUDE_UP_KEY,
    CODEX_UP_KEY,
    GEMINI_UP_KEY,
    TOOL_OUTPUT,
    VERTEX_UP_KEY,
    anthropic_client,
    base_config,
    compat_block,
    genai_client,
    openai_client,
    upstream_json,
)

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
PNG_DATA_URL = "data:image/png;base64," + PNG_B64
MAX_TOKENS = 16  # the Responses API's minimum for max_output_tokens; every dialect accepts it
LONG_PROMPT = "matrix " + "w " * 40  # the echoed answer is ~30 words: well over MAX_TOKENS

CLAUDE_MODEL = "claude-sonnet-4-6"
CODEX_MODEL = "gpt-5.4"
GEMINI_MODEL = "gemini-2.5-flash"
VERTEX_UPSTREAM = "gemini-2.5-pro"
VERTEX_ALIAS = "matrix-vertex-pro"
COMPAT_UPSTREAM = "gpt-4o"
COMPAT_ALIAS = "matrix-compat-4o"


@dataclass(frozen=True)
class Upstream:
    kind: str
    model: str  # what the client asks for
    emu: str  # emulator fixture name
    path_prefix: str  # the upstream dialect's path
    upstream_model: str
    tool_result_marker: str  # how the upstream dialect spells a tool result in its request body
    image_marker: str  # how the upstream dialect spells an image part


UPSTREAMS = [
    Upstream("claude-api-key", CLAUDE_MODEL, "anthropic_emu", "/v1/messages", CLAUDE_MODEL,
             '"type": "tool_result"', '"type": "image"'),
    Upstream("codex-api-key", CODEX_MODEL, "codex_emu", "/backend-api/codex/responses", CODEX_MODEL,
             '"type": "function_call_output"', '"type": "input_image"'),
    Upstream("gemini-api-key", GEMINI_MODEL, "gemini_emu", f"/v1beta/models/{GEMINI_MODEL}:", GEMINI_MODEL,
             '"functionResponse"', '"inlineData"'),
    Upstream("vertex-api-key", VERTEX_ALIAS, "vertex_emu", f"/v1/publishers/google/models/{VERTEX_UPSTREAM}:",
             VERTEX_UPSTREAM, '"functionResponse"', '"inlineData"'),
    Upstream("openai-compatibility", COMPAT_ALIAS, "openai_emu", "/v1/chat/completions", COMPAT_UPSTREAM,
             '"role": "tool"', '"type": "image_url"'),
]


@pytest.fixture(scope="module")
def px(openai_emu, codex_emu, anthropic_emu, gemini_emu, vertex_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{
        "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}],
        "codex-api-key": [{"api-key": CODEX_UP_KEY, "base-url": codex_emu.base_url}],
        "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url}],
        "vertex-api-key": [{"api-key": VERTEX_UP_KEY, "base-url": vertex_emu.url,
                            "models": [{"name": VERTEX_UPSTREAM, "alias": VERTEX_ALIAS}]}],
        "openai-compatibility": [compat_block(openai_emu, name="matrix",
                                              models={COMPAT_ALIAS: COMPAT_UPSTREAM})],
    })
    with ProxyServer(cfg) as px:
        yield px


@pytest.fixture(scope="module")
def sdk(px) -> Iterator[dict[str, Any]]:
    made = {"openai": openai_client(px), "anthropic": anthropic_client(px), "genai": genai_client(px)}
    yield made
    for c in made.values():
        c.close()


# ---------------------------------------------------------------- normalized results


@dataclass
class Call:
    id: str
    name: str
    args: dict[str, Any]
    raw: Any = None


@dataclass
class Result:
    text: str
    finish: str  # the client's own finish/stop reason spelling
    input_tokens: int | None
    output_tokens: int | None
    calls: list[Call] = field(default_factory=list)
    raw_turn: Any = None


class Client:
    name: str
    length_finish: str  # the client-correct "stopped at max tokens" value
    api_error: type[BaseException]

    def user(self, text: str, image: bool = False) -> Any: ...

    def run(self, sdk: dict[str, Any], model: str, history: list[Any], *, stream: bool, tools: bool = False,
            max_tokens: int | None = None) -> Result: ...

    def follow_up(self, history: list[Any], first: Result, output: str) -> list[Any]: ...


class OpenAIChat(Client):
    name = "openai-chat"
    length_finish = "length"
    api_error = openai.APIError
    tools: ClassVar[list[dict[str, Any]]] = [{"type": "function", "function": {"name": "bash", "description": "run a command",
                                               "parameters": BASH_TOOL_SCHEMA}}]

    def user(self, text, image=False):
        if not image:
            return {"role": "user", "content": text}
        return {"role": "user", "content": [{"type": "text", "text": text},
                                            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}}]}

    def run(self, sdk, model, history, *, stream, tools=False, max_tokens=None):
        kw: dict[str, Any] = {"model": model, "messages": history}
        if tools:
            kw["tools"] = self.tools
        if max_tokens is not None:
            kw["max_tokens"] = max_tokens
        c = sdk["openai"].chat.completions
        if not stream:
            r = c.create(**kw)
            msg = r.choices[0].message
            calls = [Call(tc.id, tc.function.name, json.loads(tc.function.arguments), tc)
                     for tc in msg.tool_calls or []]
            return Result(msg.content or "", r.choices[0].finish_reason, r.usage and r.usage.prompt_tokens,
                          r.usage and r.usage.completion_tokens, calls)
        text, finish, usage = "", None, None
        acc: dict[int, dict[str, str]] = {}
        for ch in c.create(stream=True, stream_options={"include_usage": True}, **kw):
            if ch.usage is not None:
                usage = ch.usage
            for choice in ch.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
                for tc in choice.delta.tool_calls or []:
                    slot = acc.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                    slot["id"] = tc.id or slot["id"]
                    if tc.function is not None:
                        slot["name"] += tc.function.name or ""
                        slot["arguments"] += tc.function.arguments or ""
        calls = [Call(s["id"], s["name"], json.loads(s["arguments"])) for _, s in sorted(acc.items())]
        return Result(text, finish or "", usage and usage.prompt_tokens, usage and usage.completion_tokens, calls)

    def follow_up(self, history, first, output):
        call = first.calls[0]
        return [*history,
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": call.id, "type": "function",
                     "function": {"name": call.name, "arguments": json.dumps(call.args)}}]},
                {"role": "tool", "tool_call_id": call.id, "content": output}]


class OpenAIResponses(Client):
    name = "openai-responses"
    length_finish = "incomplete:max_output_tokens"
    api_error = openai.APIError
    tools: ClassVar[list[dict[str, Any]]] = [{"type": "function", "name": "bash", "description": "run a command", "parameters": BASH_TOOL_SCHEMA}]

    def user(self, text, image=False):
        content: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
        if image:
            content.append({"type": "input_image", "image_url": PNG_DATA_URL})
        return {"role": "user", "content": content}

    @staticmethod
    def _finish(resp) -> str:
        if resp.status == "incomplete":
            return f"incomplete:{resp.incomplete_details.reason if resp.incomplete_details else None}"
        return resp.status

    def run(self, sdk, model, history, *, stream, tools=False, max_tokens=None):
        kw: dict[str, Any] = {"model": model, "input": history}
        if tools:
            kw["tools"] = self.tools
        if max_tokens is not None:
            kw["max_output_tokens"] = max_tokens
        c = sdk["openai"].responses
        if not stream:
            r = c.create(**kw)
            text = r.output_text
        else:
            events = list(c.create(stream=True, **kw))
            terminal = [e for e in events if e.type in ("response.completed", "response.incomplete",
                                                       "response.failed")]
            assert terminal, f"no terminal event: {[e.type for e in events]}"
            r = terminal[-1].response
            text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
            assert text == r.output_text, "streamed deltas disagree with the final response"
        calls = [Call(o.call_id, o.name, json.loads(o.arguments), o) for o in r.output if o.type == "function_call"]
        return Result(text, self._finish(r), r.usage and r.usage.input_tokens, r.usage and r.usage.output_tokens,
                      calls)

    def follow_up(self, history, first, output):
        call = first.calls[0]
        return [*history,
                {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": json.dumps(call.args)},
                {"type": "function_call_output", "call_id": call.id, "output": output}]


class AnthropicMessages(Client):
    name = "anthropic"
    length_finish = "max_tokens"
    api_error = anthropic.APIError
    tools: ClassVar[list[dict[str, Any]]] = [{"name": "bash", "description": "run a command", "input_schema": BASH_TOOL_SCHEMA}]

    def user(self, text, image=False):
        if not image:
            return {"role": "user", "content": text}
        return {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
            {"type": "text", "text": text}]}

    def run(self, sdk, model, history, *, stream, tools=False, max_tokens=None):
        kw: dict[str, Any] = {"model": model, "messages": history, "max_tokens": max_tokens or 512}
        if tools:
            kw["tools"] = self.tools
        c = sdk["anthropic"].messages
        if stream:
            with c.stream(**kw) as s:
                msg = s.get_final_message()
        else:
            msg = c.create(**kw)
        text = "".join(b.text for b in msg.content if b.type == "text")
        calls = [Call(b.id, b.name, dict(b.input), b) for b in msg.content if b.type == "tool_use"]
        return Result(text, msg.stop_reason or "", msg.usage.input_tokens, msg.usage.output_tokens, calls,
                      raw_turn=msg)

    def follow_up(self, history, first, output):
        blocks = [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.args} for c in first.calls]
        return [*history, {"role": "assistant", "content": blocks},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": first.calls[0].id,
                                              "content": output}]}]


class GenAI(Client):
    name = "genai"
    length_finish = "MAX_TOKENS"
    api_error = genai_errors.APIError
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="bash", description="run a command", parameters_json_schema=BASH_TOOL_SCHEMA)])

    def user(self, text, image=False):
        parts = [types.Part(text=text)]
        if image:
            parts.append(types.Part.from_bytes(data=base64.b64decode(PNG_B64), mime_type="image/png"))
        return types.Content(role="user", parts=parts)

    def run(self, sdk, model, history, *, stream, tools=False, max_tokens=None):
        config = types.GenerateContentConfig(tools=[self.tool] if tools else None, max_output_tokens=max_tokens)
        m = sdk["genai"].models
        if stream:
            chunks = list(m.generate_content_stream(model=model, contents=history, config=config))
        else:
            chunks = [m.generate_content(model=model, contents=history, config=config)]
        parts = [p for ch in chunks if ch.candidates for p in ((ch.candidates[0].content
                                                               and ch.candidates[0].content.parts) or [])]
        finishes = [ch.candidates[0].finish_reason for ch in chunks if ch.candidates and
                    ch.candidates[0].finish_reason]
        usages = [ch.usage_metadata for ch in chunks if ch.usage_metadata]
        usage = usages[-1] if usages else None
        text = "".join(p.text for p in parts if p.text and not p.thought)
        calls = [Call(p.function_call.id or "", p.function_call.name, dict(p.function_call.args or {}), p)
                 for p in parts if p.function_call]
        finish = finishes[-1].name if finishes else ""
        return Result(text, finish, usage and usage.prompt_token_count, usage and usage.candidates_token_count,
                      calls, raw_turn=types.Content(role="model", parts=parts))

    def follow_up(self, history, first, output):
        # replay the call without its thought signature (google-genai re-encodes it as URL-safe
        # base64, which the emulator's signature check rejects; gemini-2.5 does not require it)
        model_turn = types.Content(role="model", parts=[
            types.Part(function_call=p.function_call) if p.function_call else p for p in first.raw_turn.parts])
        result = types.Content(role="user", parts=[types.Part.from_function_response(
            name=first.calls[0].name, response={"output": output})])
        return [*history, model_turn, result]


CLIENTS = [OpenAIChat(), OpenAIResponses(), AnthropicMessages(), GenAI()]
CLIENT_PARAMS = [pytest.param(c, id=c.name) for c in CLIENTS]
UPSTREAM_PARAMS = [pytest.param(u, id=u.kind) for u in UPSTREAMS]
# The Codex backend rejects max_output_tokens (the proxy must drop it), so a codex-api-key upstream
# can never truncate at a client's max tokens: that cell cannot apply and is left out.
MAX_TOKENS_UPSTREAM_PARAMS = [pytest.param(u, id=u.kind) for u in UPSTREAMS if u.kind != "codex-api-key"]
STREAM_PARAMS = [pytest.param(False, id="non-stream"), pytest.param(True, id="stream")]


# ---------------------------------------------------------------- upstream evidence


def upstream_calls(request, up: Upstream) -> list[Any]:
    emu = request.getfixturevalue(up.emu)
    recs = [r for r in emu.requests if r.method == "POST"]
    assert recs, f"{up.kind}: the upstream saw no request"
    for r in recs:
        assert r.path.startswith(up.path_prefix), f"{up.kind}: unexpected upstream path {r.path}"
    return recs


def last_body(request, up: Upstream) -> tuple[Any, str]:
    rec = upstream_calls(request, up)[-1]
    assert rec.status == 200, f"{up.kind}: upstream answered {rec.status}: {rec.body[:300]!r}"
    body = upstream_json(rec)
    if "model" in body:
        assert body["model"] == up.upstream_model
    return body, json.dumps(body)


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("up", UPSTREAM_PARAMS)
@pytest.mark.parametrize("client", CLIENT_PARAMS)
def test_text(sdk, request, client, up, stream):
    prompt = f"hello {client.name} via {up.kind}"
    r = client.run(sdk, up.model, [client.user(prompt)], stream=stream)
    assert r.text.startswith("EMU_OK ") and prompt in r.text, r.text
    assert not r.calls
    _, dump = last_body(request, up)
    assert prompt in dump


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("up", UPSTREAM_PARAMS)
@pytest.mark.parametrize("client", CLIENT_PARAMS)
def test_tool_round_trip(sdk, request, client, up, stream):
    history = [client.user("USE_TOOL please list files")]
    first = client.run(sdk, up.model, history, stream=stream, tools=True)
    assert len(first.calls) == 1, first
    assert first.calls[0].name == "bash"
    assert first.calls[0].args == {"command": "echo EMU_TOOL_OK"}
    assert "EMU_RESULT" not in first.text
    if client.name != "genai":  # Gemini calls carry no id in the Gemini API dialect
        assert first.calls[0].id
    final = client.run(sdk, up.model, client.follow_up(history, first, TOOL_OUTPUT), stream=stream, tools=True)
    assert final.text == f"EMU_RESULT: {TOOL_OUTPUT}", final
    assert not final.calls
    _, dump = last_body(request, up)
    assert up.tool_result_marker in dump and TOOL_OUTPUT in dump, dump[:600]
    assert len(upstream_calls(request, up)) == 2


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("up", UPSTREAM_PARAMS)
@pytest.mark.parametrize("client", CLIENT_PARAMS)
def test_image(sdk, request, client, up, stream):
    r = client.run(sdk, up.model, [client.user("USE_IMAGE_CHECK what is this", image=True)], stream=stream)
    assert r.text == "EMU_IMAGES 1", r.text
    _, dump = last_body(request, up)
    assert up.image_marker in dump and PNG_B64 in dump, dump[:600]


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("up", MAX_TOKENS_UPSTREAM_PARAMS)
@pytest.mark.parametrize("client", CLIENT_PARAMS)
def test_max_tokens_truncation(sdk, request, client, up, stream):
    r = client.run(sdk, up.model, [client.user(LONG_PROMPT)], stream=stream, max_tokens=MAX_TOKENS)
    assert r.finish == client.length_finish, r
    assert r.text.startswith("EMU_OK") and len(r.text.split()) <= MAX_TOKENS, r.text
    body, _ = last_body(request, up)
    if up.kind == "claude-api-key":
        assert body["max_tokens"] == MAX_TOKENS
    elif up.kind == "openai-compatibility":
        assert body.get("max_tokens", body.get("max_completion_tokens")) == MAX_TOKENS
    else:
        assert body["generationConfig"]["maxOutputTokens"] == MAX_TOKENS


@pytest.mark.parametrize("stream", STREAM_PARAMS)
@pytest.mark.parametrize("up", UPSTREAM_PARAMS)
@pytest.mark.parametrize("client", CLIENT_PARAMS)
def test_usage(sdk, request, client, up, stream):
    r = client.run(sdk, up.model, [client.user("count these five words")], stream=stream)
    assert r.text.startswith("EMU_OK")
    assert isinstance(r.input_tokens, int) and r.input_tokens > 0, r
    assert isinstance(r.output_tokens, int) and r.output_tokens > 0, r
    upstream_calls(request, up)


@pytest.mark.parametrize("up", UPSTREAM_PARAMS)
@pytest.mark.parametrize("client", CLIENT_PARAMS)
def test_mid_stream_upstream_error(sdk, request, client, up):
    emu = request.getfixturevalue(up.emu)
    entry = emu.script(Fault.stream_error(after_events=2, message="EMU_MIDSTREAM_FAILURE"))
    history = [client.user("a few more words here to stream")]
    if client.name == "openai-responses":
        # the Responses SDK yields the failure as a typed terminal event instead of raising
        events = list(sdk["openai"].responses.create(model=up.model, input=history, stream=True))
        types_seen = [e.type for e in events]
        assert types_seen[-1] in ("response.failed", "error"), types_seen
        assert "response.completed" not in types_seen
        last = events[-1]
        message = last.response.error.message if last.type == "response.failed" else last.message
        assert "EMU_MIDSTREAM_FAILURE" in message, last
    else:
        with pytest.raises(client.api_error) as ei:
            client.run(sdk, up.model, history, stream=True)
        assert "EMU_MIDSTREAM_FAILURE" in str(ei.value), repr(ei.value)
    assert entry.hits == 1
    upstream_calls(request, up)
