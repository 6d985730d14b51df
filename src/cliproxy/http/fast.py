"""A lean HTTP/1.1 client for the inference hot path.

aiohttp's ClientSession is general: cookies, redirects, traces, proxies, multipart, a timer re-armed
on every read. Upstream model calls need none of that, and on one core the general path was the
largest single cost of a proxied request. This client does only what those calls need:

- one request at a time per keep-alive connection, pooled per origin (no limit, like ``limit=0``);
- any method but HEAD (upstream model calls never need it);
- a request body sent with Content-Length in one write;
- responses framed by Content-Length, chunked encoding or connection close (httptools, in C);
- gzip/deflate bodies, an idle read timeout, and back-pressure (reading pauses while a slow
  client has not taken what arrived).

Calls through an HTTP or SOCKS proxy, websockets and the OAuth flows stay on aiohttp
(:class:`cliproxy.http.client.HttpPool` chooses). Errors are ``aiohttp.ClientError`` subclasses and
``TimeoutError``, so callers handle both clients the same way.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httptools
from multidict import CIMultiDict, CIMultiDictProxy

_HIGH_WATER = 256 * 1024  # pause reading the upstream socket above this much unread body
_LOW_WATER = 64 * 1024
_FORBIDDEN = ("\r", "\n", "\0")


class FastClientError(aiohttp.ClientError):
    """The upstream connection or its answer failed."""


class ServerDisconnected(FastClientError):
    """The upstream closed the connection before the answer was complete."""


class Body:
    """The answer's body as it arrives (what ``aiohttp``'s ``resp.content`` offers to callers)."""

    __slots__ = ("_chunks", "_conn", "_eof", "_exc", "_size", "_waiter")

    def __init__(self, conn: _Conn) -> None:
        self._conn: _Conn | None = conn
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._eof = False
        self._exc: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    # -- producer side (the connection)
    def feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        if self._size > _HIGH_WATER and self._conn is not None:
            self._conn.pause()
        self._wake()

    def feed_eof(self) -> None:
        self._eof = True
        self._wake()

    def fail(self, exc: BaseException) -> None:
        if not self._eof:
            self._exc = exc
            self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None:
            self._waiter = None
            if not w.done():
                w.set_result(None)

    # -- consumer side
    def at_eof(self) -> bool:
        return self._eof and not self._chunks

    async def readany(self) -> bytes:
        """Everything that has arrived (at least one byte), or ``b""`` at the end."""
        while not self._chunks:
            if self._exc is not None:
                raise self._exc
            if self._eof:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        data = self._chunks.popleft() if len(self._chunks) == 1 else b"".join(self._take_all())
        self._size -= len(data)
        if self._conn is not None and self._size < _LOW_WATER:
            self._conn.resume()
        return data

    def _take_all(self) -> list[bytes]:
        out = list(self._chunks)
        self._chunks.clear()
        return out

    async def read(self, n: int = -1) -> bytes:
        """The whole body, or its first ``n`` bytes (waiting for them, unlike aiohttp's ``read(n)``)."""
        parts: list[bytes] = []
        got = 0
        while n < 0 or got < n:
            chunk = await self.readany()
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        return data if n < 0 else data[:n]

    def iter_any(self) -> _Chunks:
        return _Chunks(self)


class _Chunks:
    __slots__ = ("_body",)

    def __init__(self, body: Body) -> None:
        self._body = body

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        data = await self._body.readany()
        if not data:
            raise StopAsyncIteration
        return data


class FastResponse:
    """Status, headers and the streaming body of one answer."""

    __slots__ = ("_conn", "content", "headers", "reason", "status")

    def __init__(self, conn: _Conn, status: int, reason: str, headers: CIMultiDictProxy[str], body: Body) -> None:
        self._conn: _Conn | None = conn
        self.status = status
        self.reason = reason
        self.headers = headers
        self.content = body

    async def read(self) -> bytes:
        return await self.content.read()

    def release(self) -> None:
        """Done with the answer: a fully read one gives its connection back, anything else closes it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.detach(self, reuse=self.content.at_eof())

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.detach(self, reuse=False)


class _Conn(asyncio.Protocol):
    """One keep-alive connection; it carries at most one exchange at a time."""

    def __init__(self, client: FastClient, key: tuple[str, str, int], idle_timeout: float) -> None:
        self.client = client
        self.key = key
        self.idle_timeout = idle_timeout
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self._paused = False
        self._resp: FastResponse | None = None
        self._body: Body | None = None
        self._head: asyncio.Future[FastResponse] | None = None
        self._hdrs: list[tuple[str, str]] = []
        self._framed = False  # the answer says where it ends (Content-Length or chunked)
        self._done = False
        self._inflate: Any = None
        self._last_io = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        self._last_io = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._abort(FastClientError(f"invalid HTTP answer from upstream: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.client.forget(self)
        self._cancel_timer()
        if self._head is not None and not self._head.done():
            self._head.set_exception(ServerDisconnected(
                "upstream closed the connection before answering" + (f": {exc}" if exc else "")))
        elif self._body is not None and not self._done:
            if not self._framed and exc is None:
                self._finish_body()  # an answer delimited by the connection's end
            else:
                self._body.fail(ServerDisconnected(
                    "upstream closed the connection mid-answer" + (f": {exc}" if exc else "")))

    # ------------------------------------------------------------ httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._hdrs.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            self._hdrs = []
            return
        headers = CIMultiDictProxy(CIMultiDict(self._hdrs))
        self._hdrs = []
        te = headers.get("Transfer-Encoding", "").lower()
        self._framed = "Content-Length" in headers or "chunked" in te
        enc = headers.get("Content-Encoding", "").lower().strip()
        if enc in ("gzip", "x-gzip", "deflate"):
            self._inflate = zlib.decompressobj(wbits=47 if enc != "deflate" else 15)
        elif enc not in ("", "identity"):
            self._abort(FastClientError(f"upstream answered with an unsupported Content-Encoding {enc!r}"))
            return
        self._body = Body(self)
        self._resp = FastResponse(self, status, "", headers, self._body)
        if self._head is not None and not self._head.done():
            self._head.set_result(self._resp)

    def on_body(self, data: bytes) -> None:
        if self._body is None:
            return
        if self._inflate is not None:
            try:
                data = self._inflate.decompress(data)
            except zlib.error as exc:
                self._abort(FastClientError(f"upstream sent a corrupt compressed body: {exc}"))
                return
            if not data:
                return
        self._body.feed(data)

    def on_message_complete(self) -> None:
        if self._body is None:  # the end of an interim answer
            return
        self._finish_body()

    # ------------------------------------------------------------ exchange
    def _finish_body(self) -> None:
        self._done = True
        self._cancel_timer()
        body = self._body
        assert body is not None
        if self._inflate is not None:
            tail = self._inflate.flush()
            if tail:
                body.feed(tail)
        keep = not self.closed and self.parser.should_keep_alive()
        body._conn = None
        body.feed_eof()
        resp = self._resp
        if resp is not None and resp._conn is self:
            resp._conn = None  # the caller's release()/close() has nothing left to do
        self._reset()
        if keep:
            self.client.give_back(self)
        else:
            self._close()

    def _reset(self) -> None:
        self._resp = None
        self._body = None
        self._head = None
        self._framed = False
        self._inflate = None
        self.parser = httptools.HttpResponseParser(self)
        if self._paused:
            self.resume()

    def start(self, data: bytes) -> asyncio.Future[FastResponse]:
        self._done = False
        self._head = self.loop.create_future()
        self._last_io = self.loop.time()
        if self.idle_timeout > 0:
            self._timer = self.loop.call_at(self._last_io + self.idle_timeout, self._check_idle)
        assert self.transport is not None
        self.transport.write(data)
        return self._head

    def detach(self, resp: FastResponse, *, reuse: bool) -> None:
        if self._resp is resp and not self._done:
            self._abort(None)  # the caller gave up on an unfinished answer

    def _check_idle(self) -> None:
        self._timer = None
        if self._done or self.closed:
            return
        if self._paused:  # the client is slow, not the upstream: look again later
            self._last_io = self.loop.time()
        due = self._last_io + self.idle_timeout
        if self.loop.time() < due:
            self._timer = self.loop.call_at(due, self._check_idle)
            return
        self._abort(TimeoutError(f"upstream sent nothing for {self.idle_timeout:g}s"))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _abort(self, exc: BaseException | None) -> None:
        """End the exchange in progress with ``exc`` (None: the caller left) and drop the connection."""
        if exc is not None:
            if self._head is not None and not self._head.done():
                self._head.set_exception(exc)
            elif self._body is not None:
                self._body.fail(exc)
        self._done = True
        self._close()

    def _close(self) -> None:
        self._cancel_timer()
        if not self.closed:
            self.closed = True
            self.client.forget(self)
            if self.transport is not None:
                self.transport.close()

    def pause(self) -> None:
        if not self._paused and self.transport is not None and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()


class FastClient:
    """Keep-alive pools per origin. ``await request(...)``; ``await close()`` on shutdown."""

    def __init__(self, *, connect_timeout: float = 30.0, idle_timeout: float = 300.0,
                 keepalive: float = 30.0) -> None:
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.keepalive = keepalive
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._all: set[_Conn] = set()
        self._urls: dict[str, tuple[tuple[str, str, int], bytes]] = {}
        self._ssl: ssl.SSLContext | None = None

    def reconfigure(self, *, connect_timeout: float, idle_timeout: float) -> None:
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout

    def _target(self, url: str) -> tuple[tuple[str, str, int], bytes]:
        hit = self._urls.get(url)
        if hit is not None:
            return hit
        u = urlsplit(url)
        scheme = u.scheme.lower()
        if scheme not in ("http", "https") or not u.hostname:
            raise FastClientError(f"cannot call {url!r}: only http:// and https:// URLs are supported")
        port = u.port or (443 if scheme == "https" else 80)
        host = u.hostname
        default = port == (443 if scheme == "https" else 80)
        host_hdr = (f"[{host}]" if ":" in host else host) + ("" if default else f":{port}")
        target = (u.path or "/") + (f"?{u.query}" if u.query else "")
        head = f" {target} HTTP/1.1\r\nHost: {host_hdr}\r\n".encode("latin-1")
        hit = ((scheme, host, port), head)
        if len(self._urls) > 4096:
            self._urls.clear()
        self._urls[url] = hit
        return hit

    async def request(self, method: str, url: str, *, data: bytes | None = None,
                      headers: dict[str, str] | None = None) -> FastResponse:
        if method == "HEAD":  # its answer has headers that describe a body that never comes
            raise FastClientError("HEAD requests are not supported by the fast client; use aiohttp")
        key, head = self._target(url)
        parts = [method.encode("ascii"), head]
        has_accept = has_enc = False
        for k, v in (headers or {}).items():
            if any(c in k or c in v for c in _FORBIDDEN):
                raise FastClientError(f"header {k!r} contains a line break or NUL; not sent")
            lk = k.lower()
            if lk in ("content-length", "host", "transfer-encoding", "connection"):
                continue
            has_accept = has_accept or lk == "accept"
            has_enc = has_enc or lk == "accept-encoding"
            parts.append(f"{k}: {v}\r\n".encode("latin-1"))
        if not has_accept:
            parts.append(b"Accept: */*\r\n")
        if not has_enc:
            parts.append(b"Accept-Encoding: gzip, deflate\r\n")
        body = data or b""
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            parts.append(b"Content-Length: %d\r\n" % len(body))
        parts.append(b"\r\n")
        parts.append(body)
        conn = self._reuse(key) or await self._connect(key)
        head_fut = conn.start(b"".join(parts))
        try:
            return await head_fut
        except BaseException:
            if not head_fut.done():
                head_fut.cancel()
            conn._abort(None)
            raise

    def _reuse(self, key: tuple[str, str, int]) -> _Conn | None:
        idle = self._idle.get(key)
        if not idle:
            return None
        horizon = time.monotonic() - self.keepalive
        while idle:
            conn = idle.pop()
            if (not conn.closed and conn.idle_since > horizon and conn._body is None
                    and conn.transport is not None and not conn.transport.is_closing()):
                return conn
            conn._close()
        return None

    async def _connect(self, key: tuple[str, str, int]) -> _Conn:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        ctx = self._ssl_context() if scheme == "https" else None
        try:
            async with asyncio.timeout(self.connect_timeout if self.connect_timeout > 0 else None):
                _, proto = await loop.create_connection(
                    lambda: _Conn(self, key, self.idle_timeout), host, port, ssl=ctx,
                    server_hostname=host if ctx is not None else None)
        except TimeoutError:
            raise TimeoutError(f"connecting to {host}:{port} took longer than {self.connect_timeout:g}s") from None
        except ssl.SSLError as exc:
            raise FastClientError(f"TLS handshake with {host}:{port} failed: {exc}") from exc
        except OSError as exc:
            raise FastClientError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc
        conn = proto
        assert isinstance(conn, _Conn)
        self._all.add(conn)
        return conn

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:  # built on first use: loading the CA store takes tens of ms
            ctx = ssl.create_default_context()
            ctx.set_alpn_protocols(["http/1.1"])
            self._ssl = ctx
        return self._ssl

    def give_back(self, conn: _Conn) -> None:
        conn.idle_since = time.monotonic()
        self._idle.setdefault(conn.key, []).append(conn)

    def forget(self, conn: _Conn) -> None:
        self._all.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    def open_connections(self) -> int:
        return len(self._all)

    async def close(self) -> None:
        for conn in list(self._all):
            conn._abort(FastClientError("the client was closed"))
        self._all.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # let transports run their close callbacks
