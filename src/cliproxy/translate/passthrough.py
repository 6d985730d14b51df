"""Same dialect on both sides: forward the bytes, change only the declared fields.

Requests: the model name is rewritten (alias/prefix/suffix removed) and nothing else, so
signatures, cache markers and fields we don't know survive. Responses: the upstream model name is
swapped back to the one the client asked for, with a bytes replace (no re-serialising).
"""

from __future__ import annotations

from typing import Any

from cliproxy.dialects.ids import Dialect
from cliproxy.dialects.sse import frame
from cliproxy.translate.base import TranslateContext, UpstreamEvent, Usage
from cliproxy.translate.usage_tap import StreamUsageTap, usage_from_body

# Gemini and Gemini CLI/Antigravity carry the model in the URL, not the body.
_MODEL_IN_BODY = {Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC, Dialect.CODEX}


class ModelRenamer:
    """Swap ``"model":"<upstream>"`` for ``"model":"<client>"`` in JSON bytes."""

    __slots__ = ("_pairs",)

    def __init__(self, upstream_model: str, client_model: str) -> None:
        if upstream_model == client_model or not upstream_model:
            self._pairs: tuple[tuple[bytes, bytes], ...] = ()
        else:
            u, c = upstream_model.encode(), client_model.encode()
            self._pairs = ((b'"model":"' + u + b'"', b'"model":"' + c + b'"'),
                           (b'"model": "' + u + b'"', b'"model": "' + c + b'"'),
                           (b'"modelVersion":"' + u + b'"', b'"modelVersion":"' + c + b'"'),
                           (b'"modelVersion": "' + u + b'"', b'"modelVersion": "' + c + b'"'))

    def __call__(self, data: bytes) -> bytes:
        for old, new in self._pairs:
            if old in data:
                data = data.replace(old, new)
        return data

    def __bool__(self) -> bool:
        return bool(self._pairs)


class _PassthroughStream:
    """Re-frames parsed events (used only when the pipeline had to parse, e.g. for assembly)."""

    def __init__(self, ctx: TranslateContext) -> None:
        self._rename = ModelRenamer(ctx.upstream_model, ctx.client_model)
        self._tap = StreamUsageTap(ctx.src)
        self.usage: Usage | None = None

    def feed(self, ev: UpstreamEvent) -> list[bytes]:
        out = frame(self._rename(ev.data), ev.event)
        self._tap.feed(out)
        self.usage = self._tap.usage
        return [out]

    def finish(self) -> list[bytes]:
        return []


class PassthroughTranslator:
    is_passthrough = True

    def __init__(self, dialect: Dialect) -> None:
        self.src = dialect
        self.dst = dialect

    def request(self, ctx: TranslateContext) -> dict[str, Any]:
        body = dict(ctx.client_body)
        if ctx.dst in _MODEL_IN_BODY and "model" in body:
            body["model"] = ctx.upstream_model
        if ctx.dst is Dialect.ANTHROPIC and "messages" in body:
            # declared patch: tool_use/tool_result adjacency, and thinking blocks another model
            # family signed (Anthropic rejects them after a mid-conversation model switch)
            from cliproxy.dialects.anthropic.adjacency import repair_claude_body

            body, warnings = repair_claude_body(body)
            ctx.warnings.extend(warnings)
        return body

    def response(self, ctx: TranslateContext, body: bytes) -> tuple[bytes, Usage | None]:
        return ModelRenamer(ctx.upstream_model, ctx.client_model)(body), usage_from_body(ctx.src, body)

    def stream(self, ctx: TranslateContext) -> _PassthroughStream:
        return _PassthroughStream(ctx)

    def count_tokens_response(self, ctx: TranslateContext, body: bytes) -> bytes:
        return body
