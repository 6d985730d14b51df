"""The lean upstream HTTP/1.1 client (cliproxy.http.fast) against scripted raw servers."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from cliproxy.http.client import HttpPool
from cliproxy.http.fast import FastClient, FastClientError, ServerDisconnected

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A TCP server whose handler scripts each connection byte for byte."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        async def on_conn(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(r, w)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                pass  # a scripted connection may still be open when the test ends
            finally:
                w.close()

        self.server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def read_request(self, r: asyncio.StreamReader) -> bytes:
        head = await r.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await r.readexactly(length) if length else b""
        self.requests.append(head + body)
        return head + body


def answer(body: bytes, *, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (
        len(body), extra, body)


@pytest.fixture
async def client():
    c = FastClient(connect_timeout=2, idle_timeout=5)
    yield c
    await c.close()


async def test_request_bytes_and_keepalive_reuse(client: FastClient) -> None:
    async def handler(r, w):
        while True:
            await srv.read_request(r)
            w.write(answer(b'{"ok":true}'))
            await w.drain()

    async with RawServer(handler) as srv:
        port = srv.url.rsplit(":", 1)[1]
        for i in range(3):
            resp = await client.request("POST", srv.url + "/v1/chat?x=1", data=b'{"a":1}',
                                        headers={"Authorization": "Bearer k", "X-Num": str(i)})
            assert resp.status == 200
            assert resp.headers["content-type"] == "application/json"
            assert await resp.read() == b'{"ok":true}'
            resp.release()
        assert srv.connections == 1  # one keep-alive connection served all three
    req = srv.requests[0].decode()
    assert req.startswith("POST /v1/chat?x=1 HTTP/1.1\r\n")
    assert f"\r\nHost: 127.0.0.1:{port}\r\n" in req
    assert "\r\nAuthorization: Bearer k\r\n" in req and "\r\nX-Num: 0\r\n" in req
    assert "\r\nContent-Length: 7\r\n" in req and req.endswith('\r\n\r\n{"a":1}')
    assert "\r\nAccept: */*\r\n" in req and "\r\nAccept-Encoding: gzip, deflate\r\n" in req


async def test_chunked_answer_arrives_piece_by_piece(client: FastClient) -> None:
    go_on = asyncio.Event()

    async def handler(r, w):
        await srv.read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        w.write(b"7\r\ndata: 1\r\n")
        await w.drain()
        await go_on.wait()  # the second piece is sent only after the first was read
        w.write(b"7\r\ndata: 2\r\n0\r\n\r\n")
        await w.drain()
        await r.read()

    async with RawServer(handler) as srv:
        resp = await client.request("POST", srv.url + "/s", data=b"{}", headers={})
        it = resp.content.iter_any()
        assert await it.__anext__() == b"data: 1"
        go_on.set()
        assert await it.__anext__() == b"data: 2"
        with pytest.raises(StopAsyncIteration):
            await it.__anext__()
        assert resp.content.at_eof()
        resp.release()
    assert client.open_connections() in (0, 1)


async def test_close_delimited_answer_is_read_to_the_end_and_not_reused(client: FastClient) -> None:
    async def handler(r, w):
        await srv.read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
        await w.drain()

    async with RawServer(handler) as srv:
        for _ in range(2):
            resp = await client.request("POST", srv.url + "/", data=b"x", headers={})
            assert await resp.read() == b"all of it"
            resp.release()
        assert srv.connections == 2


async def test_gzip_body_is_inflated(client: FastClient) -> None:
    payload = b'{"text":"' + b"hello " * 2000 + b'"}'

    async def handler(r, w):
        await srv.read_request(r)
        w.write(answer(gzip.compress(payload), extra=b"Content-Encoding: gzip\r\n"))
        await w.drain()
        await r.read()

    async with RawServer(handler) as srv:
        resp = await client.request("POST", srv.url + "/", data=b"{}", headers={})
        assert await resp.read() == payload


async def test_interim_100_continue_is_skipped(client: FastClient) -> None:
    async def handler(r, w):
        await srv.read_request(r)
        w.write(b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b"done"))
        await w.drain()
        await r.read()

    async with RawServer(handler) as srv:
        resp = await client.request("POST", srv.url + "/", data=b"{}", headers={})
        assert resp.status == 200 and await resp.read() == b"done"


async def test_connection_closed_mid_body_is_an_error(client: FastClient) -> None:
    async def handler(r, w):
        await srv.read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
        await w.drain()

    async with RawServer(handler) as srv:
        resp = await client.request("POST", srv.url + "/", data=b"{}", headers={})
        with pytest.raises(ServerDisconnected, match="mid-answer"):
            await resp.read()


async def test_connection_closed_before_answer_is_an_error(client: FastClient) -> None:
    async def handler(r, w):
        await srv.read_request(r)

    async with RawServer(handler) as srv:
        with pytest.raises(ServerDisconnected, match="before answering") as ei:
            await client.request("POST", srv.url + "/", data=b"{}", headers={})
        assert isinstance(ei.value, aiohttp.ClientError)  # callers catch both clients alike


async def test_garbage_answer_is_an_error(client: FastClient) -> None:
    async def handler(r, w):
        await srv.read_request(r)
        w.write(b"<html>not http</html>\r\n\r\n")
        await w.drain()
        await r.read()

    async with RawServer(handler) as srv:
        with pytest.raises(FastClientError, match="invalid HTTP answer"):
            await client.request("POST", srv.url + "/", data=b"{}", headers={})


async def test_idle_upstream_times_out() -> None:
    c = FastClient(connect_timeout=2, idle_timeout=0.2)

    async def handler(r, w):
        await srv.read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        await w.drain()
        await asyncio.sleep(5)

    try:
        async with RawServer(handler) as srv:
            resp = await c.request("POST", srv.url + "/", data=b"{}", headers={})
            assert await resp.content.readany() == b"first"
            with pytest.raises(TimeoutError, match=r"sent nothing for 0\.2s"):
                await resp.content.readany()
    finally:
        await c.close()


async def test_connect_refused_is_a_client_error(client: FastClient) -> None:
    async with RawServer(lambda r, w: asyncio.sleep(0)) as srv:
        url = srv.url
    with pytest.raises(FastClientError, match="cannot connect"):
        await client.request("POST", url + "/", data=b"{}", headers={})


async def test_head_is_refused_instead_of_waiting_for_a_body_that_never_comes(client: FastClient) -> None:
    async def handler(r, w):
        await srv.read_request(r)

    async with RawServer(handler) as srv:
        with pytest.raises(FastClientError, match="HEAD"):
            await asyncio.wait_for(client.request("HEAD", srv.url + "/", headers={}), 5)
        assert srv.connections == 0


async def test_header_with_line_break_is_refused_and_nothing_is_sent(client: FastClient) -> None:
    async def handler(r, w):
        await srv.read_request(r)

    async with RawServer(handler) as srv:
        with pytest.raises(FastClientError, match="line break"):
            await client.request("POST", srv.url + "/", data=b"{}", headers={"X-Evil": "a\r\nInjected: 1"})
        assert srv.connections == 0


async def test_unfinished_answer_released_closes_its_connection(client: FastClient) -> None:
    async def handler(r, w):
        while True:
            await srv.read_request(r)
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
            await w.drain()

    async with RawServer(handler) as srv:
        resp = await client.request("POST", srv.url + "/", data=b"{}", headers={})
        assert await resp.content.readany() == b"12345"
        resp.release()  # half read: the connection cannot carry another request
        resp2 = await client.request("POST", srv.url + "/", data=b"{}", headers={})
        resp2.close()
        assert srv.connections == 2


async def test_slow_reader_pauses_the_upstream_socket(client: FastClient) -> None:
    big = b"x" * (48 * 1024 * 1024)  # more than loopback's socket buffers can hold
    sent = asyncio.Event()

    async def handler(r, w):
        await srv.read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
        await w.drain()
        sent.set()
        await r.read()

    async with RawServer(handler) as srv:
        resp = await client.request("POST", srv.url + "/", data=b"{}", headers={})
        await asyncio.sleep(0.3)
        # nothing was read: the client stopped reading, so the server cannot finish its write
        assert not sent.is_set()
        assert resp.content._size < 2 * 1024 * 1024  # reading stopped near the high-water mark
        assert len(await resp.read()) == len(big)
        await asyncio.wait_for(sent.wait(), 5)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


async def _tls_server(cert: Path, key: Path) -> asyncio.Server:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def on_conn(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            await r.readuntil(b"\r\n\r\n")
            w.write(answer(b"secure"))
            await w.drain()
            await r.read()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            w.close()

    return await asyncio.start_server(on_conn, "127.0.0.1", 0, ssl=ctx)


async def test_https_with_a_trusted_certificate(self_signed, monkeypatch) -> None:
    cert, key = self_signed
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what users set for a private CA
    server = await _tls_server(cert, key)
    c = FastClient()
    try:
        port = server.sockets[0].getsockname()[1]
        resp = await c.request("POST", f"https://localhost:{port}/x", data=b"{}", headers={})
        assert await resp.read() == b"secure"
    finally:
        await c.close()
        server.close()
        await server.wait_closed()


async def test_https_with_an_untrusted_certificate_fails(self_signed, monkeypatch) -> None:
    cert, key = self_signed
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = await _tls_server(cert, key)
    c = FastClient()
    try:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(FastClientError, match="TLS handshake"):
            await c.request("POST", f"https://localhost:{port}/x", data=b"{}", headers={})
    finally:
        await c.close()
        server.close()
        await server.wait_closed()


async def test_pool_uses_the_lean_client_only_for_direct_calls(monkeypatch) -> None:
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(k, raising=False)
    pool = HttpPool()
    try:
        assert pool.sender("") == pool._fast_send
        assert pool.sender("direct") == pool._fast_send
        assert pool.sender("http://127.0.0.1:3128") != pool._fast_send
    finally:
        await pool.close()
    monkeypatch.setenv("CLIPROXY_HTTP_CLIENT", "aiohttp")
    off = HttpPool()
    try:
        assert off.sender("") != off._fast_send
    finally:
        await off.close()
    monkeypatch.delenv("CLIPROXY_HTTP_CLIENT")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    env_pool = HttpPool()
    try:  # the environment's proxy is honoured through aiohttp
        assert env_pool.sender("") != env_pool._fast_send
    finally:
        await env_pool.close()
