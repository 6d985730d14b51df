"""``proxy-url``: upstream calls go through an HTTP or SOCKS5 proxy, per entry or globally, and
``direct`` bypasses the global one. Real proxies on loopback record what they carried."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

import openai
import pytest

from emulators import OpenAIEmulator
from proxy_harness import ProxyServer


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(Exception):
        writer.close()


class LoopbackProxy:
    """A minimal HTTP forward proxy (absolute-form requests) or SOCKS5 (no auth, CONNECT)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.targets: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()

    def __enter__(self) -> LoopbackProxy:
        self.thread.start()
        handler = self._http if self.kind == "http" else self._socks
        fut = asyncio.run_coroutine_threadsafe(asyncio.start_server(handler, "127.0.0.1", self.port), self.loop)
        self.server = fut.result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        async def shutdown() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    @property
    def url(self) -> str:
        return f"{'http' if self.kind == 'http' else 'socks5'}://127.0.0.1:{self.port}"

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line, _, rest = head.partition(b"\r\n")
        method, url, version = line.split(b" ")
        hostport, _, path = url.split(b"://", 1)[1].partition(b"/")
        host, _, port = hostport.partition(b":")
        self.targets.append(url.decode())
        up_r, up_w = await asyncio.open_connection(host.decode(), int(port or 80))
        up_w.write(method + b" /" + path + b" " + version + b"\r\n" + rest)
        await asyncio.gather(_pipe(reader, up_w), _pipe(up_r, writer))

    async def _socks(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _ver, n = await reader.readexactly(2)
        await reader.readexactly(n)
        writer.write(b"\x05\x00")
        _, _cmd, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntoa(await reader.readexactly(4))
        else:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        port = int.from_bytes(await reader.readexactly(2), "big")
        self.targets.append(f"{host}:{port}")
        up_r, up_w = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        await asyncio.gather(_pipe(reader, up_w), _pipe(up_r, writer))


@pytest.fixture(scope="module")
def upstream():
    with OpenAIEmulator(api_key="up") as emu:
        yield emu


def _cfg(emu, *, entry_proxy="", global_proxy=""):
    return {"api-keys": ["k"], "proxy-url": global_proxy,
            "openai-compatibility": [{"name": "oc", "base-url": emu.url + "/v1",
                                      "api-key-entries": [{"api-key": "up", "proxy-url": entry_proxy}],
                                      "models": [{"name": "gpt-4o", "alias": "gpt-4o"}]}]}


def _ask(px, stream=False):
    with openai.OpenAI(base_url=px.url + "/v1", api_key="k", max_retries=0) as c:
        if stream:
            return "".join(ch.choices[0].delta.content or "" for ch in c.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "via proxy"}], stream=True) if ch.choices)
        return c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "via proxy"}]
                                         ).choices[0].message.content


@pytest.mark.parametrize("kind", ["http", "socks5"])
def test_entry_proxy_carries_the_upstream_call(upstream, kind):
    with LoopbackProxy(kind) as proxy, ProxyServer(_cfg(upstream, entry_proxy=proxy.url)) as px:
        assert "EMU_OK via proxy" in _ask(px)
        assert "EMU_OK via proxy" in _ask(px, stream=True)
        port = str(upstream.port)
    assert proxy.targets and all(port in t for t in proxy.targets), proxy.targets


def test_global_proxy_and_direct_bypass(upstream):
    with LoopbackProxy("http") as proxy:
        with ProxyServer(_cfg(upstream, global_proxy=proxy.url)) as px:
            assert "EMU_OK" in _ask(px)
        used = len(proxy.targets)
        with ProxyServer(_cfg(upstream, global_proxy=proxy.url, entry_proxy="direct")) as px:
            assert "EMU_OK" in _ask(px)
    assert used >= 1
    assert len(proxy.targets) == used  # `direct` did not touch the proxy
