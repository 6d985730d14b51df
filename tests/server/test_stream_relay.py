"""The stream relay after the first event: an upstream event that outgrows the SSE size cap ends
the client's stream with an error in the client's own dialect (passthrough and translated), and
the proxy keeps serving."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import anthropic
import openai
import pytest

from proxy_harness import ProxyServer

from ._support import anthropic_client, base_config, openai_client

CAP = 4096
FIRST = (b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o",'
         b'"choices":[{"index":0,"delta":{"role":"assistant","content":"EMU_FIRST"},"finish_reason":null}]}\n\n')


class OversizedEventUpstream:
    """An OpenAI chat upstream whose second event never ends: one valid chunk, then more than
    ``CAP`` bytes of a single unterminated ``data:`` line, then silence until it is closed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.served = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                got = conn.recv(65536)
                if not got:
                    return
                data += got
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(65536)
            self.served += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + FIRST)
            time.sleep(0.05)  # the first event travels on its own
            conn.sendall(b'data: {"pad":"' + b"x" * (CAP * 2) + b'"')
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not self._stop.is_set():
                try:
                    conn.settimeout(0.1)
                    if not conn.recv(1024):
                        return  # the proxy hung up, as it should
                except TimeoutError:
                    continue
                except OSError:
                    return

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture(scope="module")
def up() -> Iterator[OversizedEventUpstream]:
    server = OversizedEventUpstream()
    yield server
    server.close()


@pytest.fixture(scope="module")
def px(up) -> Iterator[ProxyServer]:
    mp = pytest.MonkeyPatch()
    mp.setattr("cliproxy.dialects.sse.MAX_EVENT_BYTES", CAP)
    cfg = base_config(**{"openai-compatibility": [{
        "name": "big", "base-url": f"http://127.0.0.1:{up.port}/v1", "api-key-entries": [{"api-key": "k"}],
        "models": [{"name": "gpt-4o", "alias": "gpt-4o"}]}]})
    with ProxyServer(cfg) as server:
        yield server
    mp.undo()


def test_passthrough_stream_ends_with_an_openai_error(px, closing):
    c = closing(openai_client(px))
    got: list[str] = []
    with pytest.raises(openai.APIError) as ei:
        for chunk in c.chat.completions.create(model="gpt-4o", stream=True,
                                               messages=[{"role": "user", "content": "hi"}]):
            if chunk.choices and chunk.choices[0].delta.content:
                got.append(chunk.choices[0].delta.content)
    assert got == ["EMU_FIRST"]  # what arrived before the failure was delivered
    assert "mid-stream" in str(ei.value) and "larger than the limit" in str(ei.value)


def test_translated_stream_ends_with_an_anthropic_error(px, up, closing):
    before = up.served
    c = closing(anthropic_client(px))
    text: list[str] = []
    with (pytest.raises(anthropic.APIError) as ei,
          c.messages.stream(model="gpt-4o", max_tokens=32, messages=[{"role": "user", "content": "hi"}]) as s):
        for t in s.text_stream:
            text.append(t)
    assert text == ["EMU_FIRST"]
    assert "larger than the limit" in str(ei.value)
    assert up.served == before + 1  # no retry once the client has bytes
