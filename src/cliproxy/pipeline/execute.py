"""The failover loop: pick a credential, translate, call, and relay — or move on.

Rules (upstream-server.md §5.2–5.4):
- an error whose scope is ``request`` goes straight back to the client;
- otherwise the credential/model is cooled down and the next credential is tried, up to
  ``max-retry-credentials`` distinct credentials;
- when every candidate was tried, the loop may wait for the earliest cooldown if it is within
  ``max-retry-interval`` and try again, up to ``request-retry`` more rounds (streams add
  ``streaming.bootstrap-retries``);
- a stream is committed only after its first event arrived, so a failure before that byte is
  still a proper HTTP error and still fails over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp

from cliproxy.dialects.errors import render_stream_error
from cliproxy.dialects.ids import Action, Dialect
from cliproxy.dialects.sse import SSEOverflow
from cliproxy.errors import ModelCooldown, NoCredential, NoProvider, ProxyError, Scope, UpstreamError
from cliproxy.pipeline.affinity import session_key
from cliproxy.pipeline.request import ClientRequest, NonStreamOutcome, Outcome, Served, StreamOutcome
from cliproxy.pipeline.upstream import Exchange, open_exchange
from cliproxy.routing.registry import Route
from cliproxy.routing.thinking import split_suffix

if TYPE_CHECKING:
    from cliproxy.app import AppState, Runtime

log = logging.getLogger("cliproxy.pipeline")


class Pipeline:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def run(self, req: ClientRequest, rt: Runtime) -> Outcome:
        cfg = rt.config
        base, thinking, _ = split_suffix(req.model)
        if base == "auto":
            first = rt.registry.first_model()
            if first is None:
                raise NoProvider("no models are configured", status=404)
            base = first
        routes = rt.registry.resolve(base)
        if not routes and base != req.model:
            routes = rt.registry.resolve(req.model)
            base, thinking = req.model, None
        if not routes:
            raise NoProvider(f"unknown provider for model {req.model}", status=404)

        sel = self.state.selector
        skey = session_key(req.headers, req.body) if rt.affinity else None
        stream_bootstrap = cfg.streaming.bootstrap_retries if req.stream else 0
        rounds = 1 + max(0, cfg.request_retry) + max(0, stream_bootstrap)
        max_creds = cfg.max_retry_credentials
        served = Served()
        last_err: ProxyError | None = None

        for rnd in range(rounds):
            tried: set[str] = set()
            while True:
                if max_creds and len(tried) >= max_creds:
                    break
                route = sel.pick(base, routes, strategy=rt.strategy, exclude=tried,
                                 session_key=skey, affinity_ttl=rt.affinity_ttl)
                if route is None:
                    break
                tried.add(route.cred.id)
                for upstream_model in sel.rotate_pool(route):
                    served.attempts += 1
                    try:
                        return await self._attempt(req, rt, route, base, upstream_model, thinking, served)
                    except UpstreamError as err:
                        self._record_failure(rt, route, upstream_model, err)
                        last_err = err
                        if err.scope is Scope.REQUEST:
                            raise
                        log.warning("upstream %s (%s) failed for %s: %s %s", route.cred.provider,
                                    route.cred.label, upstream_model, err.status, err.message[:200])
            # every candidate was tried (or is cooling): wait for the earliest one, if allowed
            wait, quota = self._earliest(sel, routes)
            if rnd + 1 >= rounds or wait is None or wait > cfg.max_retry_interval:
                break
            if wait > 0:
                await asyncio.sleep(wait)

        wait, quota = self._earliest(sel, routes)
        providers = ",".join(rt.registry.providers_for(base))
        if quota and wait and last_err is None:
            raise ModelCooldown(base, providers, wait)
        if last_err is not None:
            # the upstream's own explanation is the most useful one; add when to come back
            if last_err.status == 429 and wait and "Retry-After" not in last_err.headers:
                last_err.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            raise last_err
        detail = self._blocked_detail(routes)
        raise NoCredential(f"no auth available (providers={providers}, model={base})"
                           + (f": every credential is cooling down for another {wait:.0f}s after errors"
                              f" ({detail})" if wait else ""))

    def _blocked_detail(self, routes: list[Route]) -> str:
        for r in routes:
            for m in r.entry.upstream:
                st = self.state.book.peek(r.cred.id, m)
                if st is not None and st.last_error:
                    return f"last error: {st.last_error}"
        return "no error recorded"

    @staticmethod
    def _earliest(sel, routes: list[Route]) -> tuple[float | None, bool]:
        best: tuple[float, bool] | None = None
        for r in routes:
            w = sel.wait_for(r)
            if best is None or w[0] < best[0]:
                best = w
        return (best[0], best[1]) if best else (None, False)

    def _record_failure(self, rt: Runtime, route: Route, model: str, err: UpstreamError) -> None:
        cooling = not (rt.config.disable_cooling or route.cred.disable_cooling)
        self.state.book.failure(route.cred.id, model, err, cooling=cooling)

    async def _attempt(self, req: ClientRequest, rt: Runtime, route: Route, base: str,
                       upstream_model: str, thinking, served: Served) -> Outcome:
        ex = await open_exchange(self.state, rt, req, route, base, upstream_model, thinking)
        served.provider, served.credential, served.upstream_model = (
            route.cred.provider, route.cred.label or route.cred.id, upstream_model)
        served.warnings = ex.ctx.warnings
        if not req.stream or req.action is not Action.GENERATE:
            body, ctype = await ex.read_all()
            self.state.book.success(route.cred.id, upstream_model)
            served.usage = ex.usage
            return NonStreamOutcome(200, body, ctype, served)
        first = await ex.first_events()
        self.state.book.success(route.cred.id, upstream_model)

        def broke(err: UpstreamError) -> None:
            self._record_failure(rt, route, upstream_model, err)
            log.warning("upstream stream broke (%s, %s): %s", route.cred.provider, upstream_model, err.message)

        return StreamOutcome(first, StreamRelay(ex, req.dialect, served, broke), ex.close, served)


class StreamRelay:
    """The rest of a stream after its first bytes: each upstream read becomes at most one client
    chunk (nothing is buffered). A broken upstream ends the stream with an error event in the
    client's dialect and cools the credential down. One flat async iterator, because every layer
    of async generators costs CPU on every chunk."""

    __slots__ = ("_done", "broke", "dialect", "ex", "served")

    def __init__(self, ex: Exchange, dialect: Dialect, served: Served,
                 broke: Callable[[UpstreamError], None]) -> None:
        self.ex = ex
        self.dialect = dialect  # the client's: an error event is written in it
        self.served = served
        self.broke = broke  # records the failure against the credential
        self._done = ex.ended  # the first read already held the whole stream

    def __aiter__(self) -> StreamRelay:
        return self

    async def __anext__(self) -> bytes:
        if self._done:
            await self.aclose()
            raise StopAsyncIteration
        ex = self.ex
        try:
            read = ex.resp.content.readany
            while True:
                data = await read()
                if not data:
                    break
                out = ex.convert(data)
                if out:
                    return out
            tail = ex.finish()
        except (TimeoutError, aiohttp.ClientError, ConnectionError, SSEOverflow) as exc:
            err = ex.stream_failure(exc)
            self.broke(err)
            self._done = True
            return render_stream_error(self.dialect, err, ex.sequence_number())
        self._done = True
        if tail:
            return tail
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self._done = True
        self.served.usage = self.ex.usage
        await self.ex.close()


def dialect_family(d: Dialect) -> Dialect:
    return Dialect.OPENAI_RESPONSES if d is Dialect.CODEX else d
