"""The typed hub: decode the source dialect into the IR, encode the IR into the target dialect.

Used for every pair that is neither passthrough nor an envelope pair. Requests, non-stream answers
and streams all go through the same codecs; anything the target cannot express is reported in
``ctx.warnings``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cliproxy.dialects.ids import Action, Dialect
from cliproxy.errors import Scope, UpstreamError
from cliproxy.ir import Event, Usage as IRUsage, UsageEvent
from cliproxy.ir.names import NameMap
from cliproxy.ir.normalize import normalize
from cliproxy.ir.options import ClientMeta, EncodeOptions
from cliproxy.translate.base import TranslateContext, UpstreamEvent, Usage
from cliproxy.translate.codecs import Codec, StreamDecoder, StreamEncoder, codec


def base_usage(u: IRUsage | None) -> Usage | None:
    if u is None:
        return None
    return Usage(u.input_tokens, u.output_tokens, u.cache_read_tokens, u.reasoning_tokens)


def upstream_streams(src: Dialect, dst: Dialect, client_stream: bool) -> bool:
    """Does the upstream call stream? Codex always does; Claude does for non-Claude clients
    (streamed tool calls are assembled reliably; translation.md §1.2)."""
    if dst is Dialect.CODEX:
        return True
    if dst is Dialect.ANTHROPIC and src is not Dialect.ANTHROPIC:
        return True
    return client_stream


class HubStream:
    __slots__ = ("_dec", "_enc", "_warnings", "usage")

    def __init__(self, dec: StreamDecoder, enc: StreamEncoder, warnings: list[str]) -> None:
        self._dec = dec
        self._enc = enc
        self._warnings = warnings
        self.usage: Usage | None = None

    def _emit(self, events: list[Event]) -> list[bytes]:
        out: list[bytes] = []
        for e in events:
            if type(e) is UsageEvent:
                self.usage = base_usage(e.usage)
            out.extend(self._enc.feed(e))
        return out

    def feed(self, ev: UpstreamEvent) -> list[bytes]:
        try:
            events = self._dec.feed(ev.event, ev.data)
        except msgspec.DecodeError:
            msg = "an upstream stream event was not valid JSON and was skipped"
            if msg not in self._warnings:
                self._warnings.append(msg)
            return []
        return self._emit(events) if events else []

    def finish(self) -> list[bytes]:
        out = self._emit(self._dec.finish())
        out.extend(self._enc.finish())
        return out


class HubTranslator:
    is_passthrough = False

    def __init__(self, src: Dialect, dst: Dialect, src_codec: Codec | None = None,
                 dst_codec: Codec | None = None) -> None:
        self.src = src
        self.dst = dst
        self._in = src_codec or codec(src)
        self._out = dst_codec or codec(dst)

    def _names(self, ctx: TranslateContext) -> NameMap:
        return NameMap(self._in.tool_names(ctx.client_body), self._out.safe_name)

    def _meta(self, ctx: TranslateContext, names: NameMap) -> ClientMeta:
        return ClientMeta(model=ctx.client_model, body=ctx.client_body, names=names,
                          alt=ctx.query.get("alt", ""), warnings=ctx.warnings)

    def request(self, ctx: TranslateContext) -> dict[str, Any]:
        req = self._in.decode_request(ctx.client_body, ctx.warnings)
        for key in req.dropped:
            ctx.warnings.append(f"{self.src}: field {key!r} has no {self.dst} equivalent; dropped")
        names = NameMap(((t.namespace, t.name) for t in req.tools), self._out.safe_name)
        normalize(req, lambda m: None if m in ctx.warnings else ctx.warnings.append(m))
        opts = EncodeOptions(model=ctx.upstream_model, stream=upstream_streams(self.src, self.dst, ctx.stream),
                             count_only=ctx.action is Action.COUNT_TOKENS, names=names, warnings=ctx.warnings)
        return self._out.encode_request(req, opts)

    def response(self, ctx: TranslateContext, body: bytes) -> tuple[bytes, Usage | None]:
        names = self._names(ctx)
        try:
            resp = self._out.decode_response(body, names, ctx.warnings)
        except (msgspec.DecodeError, ValueError, TypeError, AttributeError) as e:
            raise UpstreamError(f"upstream {self.dst} answer could not be translated: {e}",
                                status=502, scope=Scope.TRANSIENT, body=body) from e
        return self._in.encode_response(resp, self._meta(ctx, names)), base_usage(resp.usage)

    def stream(self, ctx: TranslateContext) -> HubStream:
        names = self._names(ctx)
        return HubStream(self._out.stream_decoder(names, ctx.warnings),
                         self._in.stream_encoder(self._meta(ctx, names)), ctx.warnings)

    def count_tokens_response(self, ctx: TranslateContext, body: bytes) -> bytes:
        return self._in.count_body(self._out.read_count(body))
