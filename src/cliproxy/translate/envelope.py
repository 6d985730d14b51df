"""Envelope pairs: same semantics, different wrapping (no IR round trip).

- Gemini client → Gemini CLI / Antigravity: wrap the request in the Code Assist envelope (with its
  hygiene rules); unwrap ``{"response": …}`` from every answer and stream chunk.
- Responses client → Codex: apply the Codex request rules; answers are already Responses.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.antigravity import envelope as ag_env
from cliproxy.dialects.codex import envelope as codex_env
from cliproxy.dialects.gemini.response_out import count_body as gemini_count_body
from cliproxy.dialects.gemini_cli import envelope as cli_env
from cliproxy.dialects.ids import Action, Dialect
from cliproxy.dialects.sse import frame
from cliproxy.translate.base import TranslateContext, UpstreamEvent, Usage
from cliproxy.translate.passthrough import ModelRenamer
from cliproxy.translate.usage_tap import usage_from_obj

_decode = msgspec.json.decode
_encode = msgspec.json.encode


class _GeminiUnwrapStream:
    """Code Assist stream → Gemini client stream (``data:`` lines, or a JSON array for ``alt=json``)."""

    __slots__ = ("_array", "_first", "_rename", "usage")

    def __init__(self, ctx: TranslateContext) -> None:
        self._rename = ModelRenamer(ctx.upstream_model, ctx.client_model)
        self._array = ctx.query.get("alt", "sse") not in ("", "sse")
        self._first = True
        self.usage: Usage | None = None

    def feed(self, ev: UpstreamEvent) -> list[bytes]:
        if not ev.data or ev.data == b"[DONE]":
            return []
        obj: Any = _decode(ev.data)
        inner = cli_env.unwrap(obj)
        if isinstance(inner, dict) and "usageMetadata" in inner:
            self.usage = usage_from_obj(Dialect.GEMINI, inner)
        data = self._rename(_encode(inner))
        if not self._array:
            return [b"data: " + data + b"\n\n"]
        head, self._first = (b"[" if self._first else b",\r\n"), False
        return [head + data]

    def finish(self) -> list[bytes]:
        if self._array:
            return [b"[]"] if self._first else [b"]"]
        return []


class _CodexStream:
    __slots__ = ("_rename", "usage")

    def __init__(self, ctx: TranslateContext) -> None:
        self._rename = ModelRenamer(ctx.upstream_model, ctx.client_model)
        self.usage: Usage | None = None

    def feed(self, ev: UpstreamEvent) -> list[bytes]:
        if not ev.data or ev.data == b"[DONE]":
            return []
        if b'"usage"' in ev.data and b"response." in ev.data:
            try:
                self.usage = usage_from_obj(Dialect.OPENAI_RESPONSES, _decode(ev.data)) or self.usage
            except msgspec.DecodeError:
                pass
        name = ev.event
        if not name:  # Responses clients parse by data.type, but Codex-style tools want event: lines
            try:
                obj = _decode(ev.data)
                name = str(obj.get("type") or "") if isinstance(obj, dict) else ""
            except msgspec.DecodeError:
                name = ""
        return [frame(self._rename(ev.data), name)]

    def finish(self) -> list[bytes]:
        return []


class GeminiEnvelopeTranslator:
    is_passthrough = False

    def __init__(self, dst: Dialect) -> None:
        self.src = Dialect.GEMINI
        self.dst = dst

    def request(self, ctx: TranslateContext) -> dict[str, Any]:
        count = ctx.action is Action.COUNT_TOKENS
        if self.dst is Dialect.ANTIGRAVITY:
            return ag_env.wrap(ag_env.normalise(ctx.client_body, ctx.upstream_model), ctx.upstream_model,
                               count_only=count)
        return cli_env.wrap(cli_env.normalise(ctx.client_body), ctx.upstream_model, count_only=count)

    def response(self, ctx: TranslateContext, body: bytes) -> tuple[bytes, Usage | None]:
        inner = cli_env.unwrap(_decode(body))
        return (ModelRenamer(ctx.upstream_model, ctx.client_model)(_encode(inner)),
                usage_from_obj(Dialect.GEMINI, inner))

    def stream(self, ctx: TranslateContext) -> _GeminiUnwrapStream:
        return _GeminiUnwrapStream(ctx)

    def count_tokens_response(self, ctx: TranslateContext, body: bytes) -> bytes:
        obj = cli_env.unwrap(_decode(body))
        n = obj.get("totalTokens", 0) if isinstance(obj, dict) else 0
        return gemini_count_body(int(n or 0))


class CodexEnvelopeTranslator:
    is_passthrough = False

    def __init__(self) -> None:
        self.src = Dialect.OPENAI_RESPONSES
        self.dst = Dialect.CODEX

    def request(self, ctx: TranslateContext) -> dict[str, Any]:
        body = dict(ctx.client_body)
        body["model"] = ctx.upstream_model
        out, removed = codex_env.force(body, compact=ctx.action is Action.COMPACT)
        ctx.warnings.extend(f"codex: field {k!r} is not accepted upstream; dropped" for k in removed)
        return out

    def response(self, ctx: TranslateContext, body: bytes) -> tuple[bytes, Usage | None]:
        obj = _decode(body)
        if isinstance(obj, dict) and isinstance(obj.get("response"), dict) and "output" not in obj:
            body = _encode(obj["response"])
            obj = obj["response"]
        return ModelRenamer(ctx.upstream_model, ctx.client_model)(body), usage_from_obj(
            Dialect.OPENAI_RESPONSES, obj)

    def stream(self, ctx: TranslateContext) -> _CodexStream:
        return _CodexStream(ctx)

    def count_tokens_response(self, ctx: TranslateContext, body: bytes) -> bytes:
        return body


def envelope_translator(src: Dialect, dst: Dialect) -> GeminiEnvelopeTranslator | CodexEnvelopeTranslator:
    if src is Dialect.GEMINI and dst in (Dialect.GEMINI_CLI, Dialect.ANTIGRAVITY):
        return GeminiEnvelopeTranslator(dst)
    if src is Dialect.OPENAI_RESPONSES and dst is Dialect.CODEX:
        return CodexEnvelopeTranslator()
    raise KeyError(f"no envelope pair {src} → {dst}")
