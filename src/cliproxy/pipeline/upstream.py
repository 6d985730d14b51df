"""One upstream exchange: build the call, send it, and read the answer in the client's dialect.

Passthrough streams are cut into whole SSE events and forwarded as bytes (model name swapped
back, usage tapped on the side). Translated streams are decoded into events and fed to the
translator's state machine. Either way memory per open stream stays flat: nothing accumulates
beyond the partial event in hand.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import msgspec

from cliproxy.dialects.ids import Action
from cliproxy.dialects.sse import EventSplitter, SSEDecoder, SSEOverflow
from cliproxy.errors import BadRequest, Scope, UpstreamError
from cliproxy.pipeline.count import local_count_answer
from cliproxy.pipeline.request import ClientRequest
from cliproxy.providers.base import UpstreamCall
from cliproxy.routing.payload import apply_payload_rules, has_rules
from cliproxy.routing.registry import Route
from cliproxy.routing.thinking import ThinkingRequest
from cliproxy.translate.base import TranslateContext, UpstreamEvent, Usage
from cliproxy.translate.passthrough import ModelRenamer
from cliproxy.translate.select import translator_for
from cliproxy.translate.usage_tap import StreamUsageTap, usage_from_obj

if TYPE_CHECKING:
    from cliproxy.app import AppState, Runtime

log = logging.getLogger("cliproxy.upstream")
_MAX_ERROR_BODY = 1 << 20
_JSON = "application/json"


def _looks_like_sse(events: bytes) -> bool:
    """The first event of a passthrough stream must be SSE fields, not an HTML page or binary."""
    head = events.lstrip(b"\r\n")[:6]
    return head.startswith((b"data:", b"event:", b":", b"id:", b"retry:"))


def _garbage(provider: str, detail: str) -> UpstreamError:
    return UpstreamError(f"upstream {provider} answered with an invalid response: {detail}",
                         status=502, scope=Scope.TRANSIENT)


class Exchange:
    __slots__ = ("_decoder", "_rename", "_seq", "_splitter", "_st", "_tap", "ctx", "ended", "local_body",
                 "passthrough", "resp", "route", "translator", "upstream_stream", "usage")

    def __init__(self, *, route: Route, ctx: TranslateContext, translator: Any,
                 resp: Any, upstream_stream: bool, local_body: bytes | None = None) -> None:
        self.route = route
        self.ctx = ctx
        self.translator = translator
        self.resp = resp
        self.upstream_stream = upstream_stream
        self.local_body = local_body
        self.usage: Usage | None = None
        self.passthrough = bool(getattr(translator, "is_passthrough", False))
        self._rename = ModelRenamer(ctx.upstream_model, ctx.client_model)
        # stream state is built only for streams, and only the half this exchange needs
        self._splitter: EventSplitter | None = None
        self._decoder: SSEDecoder | None = None
        self._tap: StreamUsageTap | None = None
        self._st: Any = None
        self._seq = 0
        self.ended = False

    def _init_stream(self) -> None:
        if self.passthrough:
            self._splitter = EventSplitter()
            self._tap = StreamUsageTap(self.ctx.src)
        else:
            self._decoder = SSEDecoder()
            self._st = self.translator.stream(self.ctx)

    # ------------------------------------------------------------------ non-stream
    async def read_all(self) -> tuple[bytes, str]:
        if self.local_body is not None:
            return self.local_body, _JSON
        assert self.resp is not None
        name = self.route.cred.provider
        try:
            if self.upstream_stream:
                events = await self._collect_events()
                from cliproxy.translate.select import assemble

                body = assemble(self.route.provider.dialect, events)
            else:
                body = await self.resp.read()
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
            raise self.stream_failure(exc) from exc
        finally:
            self.resp.release()
        obj = self._check_json(body, name)
        if self.ctx.action is Action.COUNT_TOKENS:
            return self.translator.count_tokens_response(self.ctx, body), _JSON
        if self.passthrough:  # one decode serves validation and the usage tap
            self.usage = usage_from_obj(self.ctx.src, obj)
            return (self._rename(body) if self._rename else body), _JSON
        out, self.usage = self.translator.response(self.ctx, body)
        return out, _JSON

    @staticmethod
    def _check_json(body: bytes, name: str) -> Any:
        try:
            return msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            raise _garbage(name, f"expected JSON ({exc}), got {body[:80]!r}") from exc

    async def _collect_events(self) -> list[UpstreamEvent]:
        assert self.resp is not None
        dec = SSEDecoder()
        events: list[UpstreamEvent] = []
        async for chunk in self.resp.content.iter_any():
            events.extend(dec.feed(chunk))
        events.extend(dec.flush())
        if not events:
            raise _garbage(self.route.cred.provider, "empty stream")
        return events

    # ------------------------------------------------------------------ stream
    def convert(self, chunk: bytes) -> bytes:
        if self.passthrough:
            assert self._splitter is not None
            out = self._splitter.feed(chunk)
            if out:
                if self._rename:
                    out = self._rename(out)
                assert self._tap is not None
                self._tap.feed(out)
                self.usage = self._tap.usage
            return out
        assert self._st is not None and self._decoder is not None
        outs: list[bytes] = []
        for ev in self._decoder.feed(chunk):
            self._seq += 1
            outs.extend(self._st.feed(ev))
        self.usage = self._st.usage
        return b"".join(outs)

    def finish(self) -> bytes:
        if self.passthrough:
            assert self._splitter is not None
            rest = self._splitter.flush()
            if rest.strip():
                rest = self._rename(rest) if self._rename else rest
                return rest if rest.endswith(b"\n\n") else rest.rstrip(b"\n") + b"\n\n"
            return b""
        assert self._st is not None and self._decoder is not None
        outs: list[bytes] = []
        for ev in self._decoder.flush():
            outs.extend(self._st.feed(ev))
        outs.extend(self._st.finish())
        self.usage = self._st.usage
        return b"".join(outs)

    async def first_events(self) -> bytes:
        """Read until the first client bytes exist. Failures here still fail over."""
        assert self.resp is not None
        self._init_stream()
        ctype = self.resp.headers.get("Content-Type", "").lower()
        if ctype and "event-stream" not in ctype:
            # a stream was asked for and something else came back: an error object or garbage
            body = await self.resp.content.read(_MAX_ERROR_BODY)
            self.resp.release()
            if "json" in ctype and body.lstrip()[:1] == b"{":
                raise self.route.provider.classify(502, body, self.resp.headers)
            raise _garbage(self.route.cred.provider, f"expected an event stream, got {ctype}: {body[:80]!r}")
        try:
            async for chunk in self.resp.content.iter_any():
                out = self.convert(chunk)
                if out:
                    if self.passthrough and not _looks_like_sse(out):
                        raise _garbage(self.route.cred.provider, f"not an event stream: {out[:80]!r}")
                    return out
            out = self.finish()
            if out and self.passthrough and not _looks_like_sse(out):
                raise _garbage(self.route.cred.provider, f"not an event stream: {out[:80]!r}")
        except (TimeoutError, aiohttp.ClientError, ConnectionError, SSEOverflow) as exc:
            self.resp.release()
            raise self.stream_failure(exc, before_first=True) from exc
        if not out:
            self.resp.release()
            raise _garbage(self.route.cred.provider, "the stream ended before any event")
        self.ended = True
        return out

    def stream_failure(self, exc: BaseException, before_first: bool = False) -> UpstreamError:
        name = self.route.cred.provider
        if isinstance(exc, asyncio.TimeoutError):
            return UpstreamError(f"upstream {name} stalled past the idle timeout", status=504,
                                 scope=Scope.TRANSIENT)
        what = "before the first event" if before_first else "mid-stream"
        return UpstreamError(f"upstream {name} connection failed {what}: {exc.__class__.__name__} {exc}",
                             status=502, scope=Scope.TRANSIENT)

    def sequence_number(self) -> int:
        return self._seq

    async def close(self) -> None:
        if self.resp is not None:
            self.resp.close()


async def open_exchange(state: AppState, rt: Runtime, req: ClientRequest, route: Route, base: str,
                        upstream_model: str, thinking: ThinkingRequest | None) -> Exchange:
    prov = route.provider
    cred = route.cred
    translator = translator_for(req.dialect, prov.dialect)
    ctx = TranslateContext(src=req.dialect, dst=prov.dialect, action=req.action, client_model=base,
                           upstream_model=upstream_model, stream=req.stream, client_body=req.body,
                           query=dict(req.query))
    body = translator.request(ctx)
    if ctx.warnings:
        note_translation_warnings(state, rt, ctx)
    if thinking is not None or route.entry.thinking is not None:
        # the suffix wins; without one, the body's own settings are checked against the model's
        # capabilities (e.g. Gemini 2.x takes a budget, not a level)
        from cliproxy.translate.select import apply_thinking

        body = apply_thinking(body, prov.dialect, thinking, route.entry.thinking)
    if has_rules(rt.config.payload):
        apply_payload_rules(rt.config.payload, body, original=req.body, protocol=prov.protocol,
                            upstream_model=upstream_model, requested_model=base)
    generate = req.action is Action.GENERATE
    # a translator may ask for a stream even for a non-stream client (it assembles the answer;
    # e.g. Claude upstreams keep tool calls intact that way): honour the body's own flag
    upstream_stream = generate and (req.stream or prov.always_stream or body.get("stream") is True)
    call = UpstreamCall(req.action, upstream_model, body, upstream_stream, req.headers, req.query)
    if req.action is Action.COUNT_TOKENS and not prov.count_upstream:
        # no count endpoint upstream: count the client's own request locally, answer in its dialect
        return Exchange(route=route, ctx=ctx, translator=translator, resp=None, upstream_stream=False,
                        local_body=local_count_answer(req.dialect, req.body, upstream_model))
    prov.patch_body(cred, call)
    token = cred.secret if cred.tokens is None else await cred.tokens.access_token()
    send = state.http.sender(cred.proxy_url)
    # a provider may offer several endpoints in fallback order (Antigravity: daily, then prod)
    bases: tuple[str, ...] = prov.endpoint_bases(cred) if hasattr(prov, "endpoint_bases") else ("",)
    for i, base in enumerate(bases):
        last = i == len(bases) - 1
        out = prov.build(cred, token, call, base=base) if base else prov.build(cred, token, call)  # type: ignore[call-arg]
        try:
            resp = await send(out.method, state.http.rewrite(out.url), out.body, out.headers)
        except TimeoutError as exc:
            if not last:
                continue
            raise UpstreamError(f"upstream {cred.provider} did not answer in time", status=504,
                                scope=Scope.TRANSIENT) from exc
        except (aiohttp.ClientError, OSError) as exc:
            if not last:
                continue
            raise UpstreamError(f"cannot reach upstream {cred.provider}: {exc}", status=502,
                                scope=Scope.TRANSIENT) from exc
        if resp.status < 400:
            break
        try:
            err_body = await resp.content.read(_MAX_ERROR_BODY)
        except (TimeoutError, aiohttp.ClientError):
            err_body = b""
        finally:
            resp.release()
        if not last and prov.try_next_base(resp.status, err_body):  # type: ignore[attr-defined]
            log.info("upstream %s endpoint %s answered %d; trying the next endpoint", cred.provider, base,
                     resp.status)
            continue
        raise prov.classify(resp.status, err_body, resp.headers)
    return Exchange(route=route, ctx=ctx, translator=translator, resp=resp, upstream_stream=upstream_stream)


def note_translation_warnings(state: AppState, rt: Runtime, ctx: TranslateContext) -> None:
    """What the target cannot express is logged and counted, never dropped silently; with
    ``translation-strict: true`` it is refused with a 400 instead of being sent."""
    for w in ctx.warnings:
        state.translation_warnings[w] += 1
    log.warning("translation %s -> %s (%s): %s", ctx.src, ctx.dst, ctx.upstream_model, "; ".join(ctx.warnings))
    if rt.config.translation_strict:
        raise BadRequest("translation-strict: the upstream cannot express this request: " + "; ".join(ctx.warnings))
