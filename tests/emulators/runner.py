"""The server runner every emulator is built on.

Owns: running an aiohttp app on 127.0.0.1 with an ephemeral port inside a
background thread with its own event loop (so sync SDK tests, async tests and
the proxy under test can all talk to it), the request log, the fault script,
auth-hook and fault-hook plumbing, deterministic ids and interruptible sleeps.

Subclasses register routes in `setup()` with `add_route()` and override the
hooks `model_of`, `authenticate`, `error_for_fault` and `not_found` to speak
their provider's dialect.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

from .faults import Fault, FaultKind, FaultScript, ScriptEntry
from .sse import StreamAborted, abort_connection

DEFAULT_SECRET = b"cliproxy-emulator-secret"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KeySpec = str | Sequence[str] | Callable[[str], bool] | None


class _Invalid:
    """Marker for a body that is present but is not JSON."""

    def __repr__(self) -> str:
        return "INVALID_JSON"


INVALID_JSON: Any = _Invalid()
BODY = web.RequestKey("emu_body", object)
FAULT = web.RequestKey("emu_fault", object)
RECORD = web.RequestKey("emu_record", object)


@dataclass
class RecordedRequest:
    """One request as the emulator saw it.  `json` is None for an empty body, INVALID_JSON if unparsable."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    model: str | None = None
    status: int | None = None
    fault: str | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default


def key_checker(spec: KeySpec) -> Callable[[str], bool] | None:
    """Normalise an expected-credential spec (one key, several, or a predicate) into a predicate."""
    if spec is None:
        return None
    if callable(spec):
        return spec
    allowed = {spec} if isinstance(spec, str) else set(spec)
    return allowed.__contains__


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, if present."""
    value = request.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class EmulatorServer:
    """Base class: an aiohttp app on a private loop thread, with a request log and a fault script."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, secret: bytes = DEFAULT_SECRET,
                 chunk_delay: float = 0.0, seed: str = "emu", clock: Callable[[], float] = time.time) -> None:
        self.host = host
        self.secret = secret
        self.chunk_delay = chunk_delay
        self.clock = clock
        self.faults = FaultScript()
        self._seed = seed
        self._port = port
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []
        self._counter = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None
        self._app = web.Application(middlewares=[self._middleware], client_max_size=256 * 1024 * 1024)
        self._app.on_response_prepare.append(self._on_prepare)
        self.setup(self._app)

    # -- subclass hooks -------------------------------------------------------
    def setup(self, app: web.Application) -> None:
        """Register routes with `add_route`."""
        raise NotImplementedError

    def model_of(self, request: web.Request, body: Any) -> str | None:
        """The model a request targets (used by fault filters and the log)."""
        return body.get("model") if isinstance(body, dict) and isinstance(body.get("model"), str) else None

    def authenticate(self, request: web.Request) -> web.StreamResponse | None:
        """Return the provider's auth-failure response, or None when the credential is accepted."""
        return None

    def error_for_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        """The provider's error response for a response-level fault."""
        return web.json_response({"error": fault.kind.value}, status=fault.status or 500)

    def not_found(self, request: web.Request) -> web.StreamResponse:
        """The provider's answer for an unknown URL."""
        return web.Response(status=404, text="404 page not found")

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> Self:
        """Start serving (idempotent); returns self so `emu = X().start()` works."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        errors: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(ready, errors),
                                        name=f"{type(self).__name__}-loop", daemon=True)
        self._thread.start()
        ready.wait(timeout=10)
        if errors:
            raise RuntimeError(f"{type(self).__name__} failed to start") from errors[0]
        return self

    def _serve(self, ready: threading.Event, errors: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # surfaced to start()
            errors.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    async def _startup(self) -> None:
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        assert self._closing is not None and self._runner is not None
        self._closing.set()
        await self._runner.cleanup()

    def close(self) -> None:
        """Stop serving and join the thread; stalled handlers are woken so this is quick."""
        if self._thread is None or self._loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.close)

    # -- test-facing API ------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:PORT` (no trailing slash, no API prefix)."""
        if self._thread is None:
            raise RuntimeError("emulator not started; use `with` or .start()")
        return f"http://{self.host}:{self._port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every recorded request, oldest first."""
        with self._lock:
            return list(self._log)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            return self._log[-1]

    def requests_to(self, path_part: str) -> list[RecordedRequest]:
        """Recorded requests whose path contains `path_part`."""
        return [r for r in self.requests if path_part in r.path]

    def reset(self) -> None:
        """Forget recorded requests, scripted faults and id counters."""
        with self._lock:
            self._log.clear()
            self._counter = itertools.count(1)
        self.faults.clear()
        self.on_reset()

    def on_reset(self) -> None:
        """Subclass hook to clear provider state (stored responses, tokens …)."""

    def script(self, fault: Fault, *, times: int | None = 1, path: str | None = None,
               model: str | None = None) -> ScriptEntry:
        """Make the next `times` requests (None = all) matching `path` substring / `model` misbehave."""
        return self.faults.add(fault, times=times, path=path, model=model)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least `count` requests were recorded (for fire-and-forget clients)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.requests

    # -- helpers for subclasses -----------------------------------------------
    def add_route(self, method: str, path: str, handler: Handler, *, auth: bool = True) -> None:
        self._app.router.add_route(method, path, self._wrap(handler, auth))

    def next_id(self, prefix: str = "", length: int = 24) -> str:
        """A deterministic, realistic-looking id (`prefix` + hex)."""
        with self._lock:
            n = next(self._counter)
        digest = hashlib.sha256(f"{self._seed}:{prefix}:{n}".encode()).hexdigest()
        return prefix + digest[:length]

    async def sleep(self, seconds: float) -> None:
        """Sleep that ends early when the server closes, so stalled tests shut down fast."""
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=max(seconds, 0.0))

    @staticmethod
    def body_of(request: web.Request) -> Any:
        return request[BODY]

    @staticmethod
    def record_of(request: web.Request) -> RecordedRequest:
        return request[RECORD]  # type: ignore[return-value]

    @staticmethod
    def fault_of(request: web.Request) -> Fault | None:
        fault = request.get(FAULT)
        return fault if isinstance(fault, Fault) else None

    # -- plumbing -------------------------------------------------------------
    def _wrap(self, handler: Handler, auth: bool) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            record: RecordedRequest = request[RECORD]  # type: ignore[assignment]
            record.model = self.model_of(request, request[BODY])
            if auth:
                denial = self.authenticate(request)
                if denial is not None:
                    return denial
            fault = self.faults.take(request.path, record.model)
            if fault is not None:
                record.fault = fault.kind.value
                if fault.kind in (FaultKind.HTTP, FaultKind.GARBAGE):
                    return web.Response(status=fault.status or 200, body=fault.body or b"",
                                        headers=dict(fault.headers), content_type=fault.content_type)
                if fault.is_response:
                    return self.error_for_fault(request, fault)
                if fault.after_events == 0 and fault.kind is FaultKind.STALL:
                    await self.sleep(fault.seconds)
                if fault.after_events == 0 and fault.kind is FaultKind.RESET:
                    abort_connection(request)
                request[FAULT] = fault
            return await handler(request)

        return wrapped

    @staticmethod
    async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        """Record the status before the first byte leaves, so a test never sees a half-filled record."""
        record = request.get(RECORD)
        if isinstance(record, RecordedRequest):
            record.status = response.status

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = INVALID_JSON
        request[BODY] = parsed
        record = RecordedRequest(request.method, request.path, dict(request.query), dict(request.headers),
                                 raw, parsed)
        with self._lock:
            self._log.append(record)
        request[RECORD] = record
        try:
            response = await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            response = self.not_found(request)
        except (StreamAborted, ConnectionResetError):
            # A scripted reset, or the client hung up during a stall: end quietly, like a dropped socket.
            record.status = 0
            raise asyncio.CancelledError from None
        record.status = response.status
        return response
