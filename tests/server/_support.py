"""Helpers shared by the proxy-core integration tests (config builders, SDK clients, raw HTTP)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from emulators import OpenAIEmulator
from proxy_harness import ProxyServer

CLIENT_KEY = "sk-client-0123456789"
OTHER_CLIENT_KEY = "sk-client-other-9876"
OPENAI_UP_KEY = "sk-up-openai-1111"
CODEX_UP_KEY = "sk-up-codex-2222"
CLAUDE_UP_KEY = "sk-ant-up-3333"
GEMINI_UP_KEY = "AIza-up-gemini-4444"
VERTEX_UP_KEY = "AIza-up-vertex-5555"

BASH_TOOL_SCHEMA = {
    "type": "object",
    "properties": {"command": {"type": "string", "description": "the shell command"}},
    "required": ["command"],
}
TOOL_OUTPUT = "EMU_TOOL_OK"


# ---------------------------------------------------------------- config helpers


def compat_block(emu: OpenAIEmulator, *, name: str = "emu", models: dict[str, str] | list[tuple[str, str]]
                 | None = None, keys: tuple[str, ...] = (OPENAI_UP_KEY,), **extra: Any) -> dict[str, Any]:
    """One ``openai-compatibility`` entry pointing at an emulator; ``models`` maps alias → upstream name."""
    pairs = list(models.items()) if isinstance(models, dict) else list(models or [("gpt-4o", "gpt-4o")])
    block = {
        "name": name,
        "base-url": emu.base_url(),
        "api-key-entries": [{"api-key": k} for k in keys],
        "models": [{"name": up, "alias": alias} for alias, up in pairs],
    }
    block.update(extra)
    return block


def base_config(**extra: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {"host": "127.0.0.1", "api-keys": [CLIENT_KEY, OTHER_CLIENT_KEY]}
    cfg.update(extra)
    return cfg


# ---------------------------------------------------------------- SDK clients


def openai_client(px: ProxyServer, key: str | None = CLIENT_KEY, **kw: Any):
    import openai

    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", 20.0)
    if key is None:
        # no key on the wire: pass ``extra_headers=NO_OPENAI_KEY`` on each call
        key = "unused"
    return openai.OpenAI(base_url=px.url + "/v1", api_key=key, **kw)


def no_openai_key() -> dict[str, Any]:
    """``extra_headers`` that make the openai SDK send no ``Authorization`` header at all."""
    import openai

    return {"Authorization": openai.Omit()}


def anthropic_client(px: ProxyServer, key: str | None = CLIENT_KEY, **kw: Any):
    import anthropic

    kw.setdefault("max_retries", 0)
    kw.setdefault("timeout", 20.0)
    if key is None:
        return anthropic.Anthropic(base_url=px.url, api_key=None, auth_token=None,
                                   default_headers={"Authorization": anthropic.Omit()}, **kw)
    return anthropic.Anthropic(base_url=px.url, api_key=key, **kw)


def genai_client(px: ProxyServer, key: str = CLIENT_KEY, api_version: str | None = "v1beta",
                 headers: dict[str, str] | None = None):
    from google import genai
    from google.genai import types

    opts: dict[str, Any] = {"base_url": px.url, "timeout": 20_000}
    if api_version is not None:
        opts["api_version"] = api_version
    if headers:
        opts["headers"] = headers
    return genai.Client(api_key=key, http_options=types.HttpOptions(**opts))


# ---------------------------------------------------------------- raw HTTP


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw(px: ProxyServer, method: str, path: str, *, body: bytes | str | dict | None = None,
        headers: dict[str, str] | None = None, timeout: float = 20.0, chunked: bool = False) -> RawResponse:
    """A plain HTTP call (no SDK), for malformed input and header checks."""
    import http.client

    if isinstance(body, dict):
        data: bytes | None = json.dumps(body).encode()
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body
    conn = http.client.HTTPConnection("127.0.0.1", px.port, timeout=timeout)
    try:
        h = {"Content-Type": "application/json"}
        if data is None:
            h.pop("Content-Type")
        h.update(headers or {})
        if chunked and data is not None:
            pieces = [data[i:i + 256] for i in range(0, len(data), 256)]
            conn.request(method, path, body=iter(pieces), headers=h, encode_chunked=True)
        else:
            conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def bearer(key: str = CLIENT_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# ---------------------------------------------------------------- polling


def eventually(check: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Poll ``check`` until it returns a truthy value (no timing assertion: only "eventually")."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except AssertionError as exc:  # a check may assert; keep polling
            last_exc = exc
        if time.monotonic() >= deadline:
            if last_exc is not None:
                raise last_exc
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def upstream_json(rec: Any) -> dict[str, Any]:
    """The JSON body an emulator recorded (asserting it was JSON)."""
    assert isinstance(rec.json, dict), f"upstream body was not a JSON object: {rec.body[:200]!r}"
    return rec.json


# ---------------------------------------------------------------- a controllable upstream


class ControlledUpstream:
    """A tiny OpenAI-compatible upstream whose timing the test controls (for disconnects and reloads).

    ``POST /v1/chat/completions``: a stream sends ``first `` at once, then either waits until
    ``release`` is set (``mode="gate"``) and finishes, or trickles ``more `` every 20 ms forever
    (``mode="forever"``). A non-stream request waits for ``release`` before answering. When the
    proxy drops the connection, the handler is cancelled and ``disconnected`` is set: that is what
    "the upstream saw its connection closed" means here.
    """

    def __init__(self, mode: str = "gate") -> None:
        import threading

        self.mode = mode
        self.release = threading.Event()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.finished = threading.Event()
        self.events_sent = 0
        self.requests: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None
        self._loop: Any = None
        self._runner: Any = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        obj = {"id": "chatcmpl-ctl", "object": "chat.completion.chunk", "created": 1, "model": "ctl-model",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    async def _wait_release(self) -> None:
        import asyncio

        while not self.release.is_set():
            await asyncio.sleep(0.01)

    async def _chat(self, request: Any) -> Any:
        import asyncio

        from aiohttp import web

        body = await request.json()
        self.requests.append(body)
        self.connected.set()
        try:
            if not body.get("stream"):
                await self._wait_release()
                self.finished.set()
                return web.json_response({
                    "id": "chatcmpl-ctl", "object": "chat.completion", "created": 1, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": "released"}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            await resp.write(self._chunk({"role": "assistant", "content": "first "}))
            self.events_sent = 1
            if self.mode == "forever":
                while True:
                    await asyncio.sleep(0.02)
                    await resp.write(self._chunk({"content": "more "}))
                    self.events_sent += 1
            await self._wait_release()
            await resp.write(self._chunk({"content": "second"}))
            await resp.write(self._chunk({}, "stop"))
            self.finished.set()  # before the last bytes: a client that saw [DONE] can rely on it
            await resp.write(b"data: [DONE]\n\n")
            await resp.write_eof()
            return resp
        except (asyncio.CancelledError, ConnectionError):
            if not self.finished.is_set():
                self.disconnected.set()
            raise

    def start(self) -> ControlledUpstream:
        import asyncio
        import threading

        from aiohttp import web

        ready = threading.Event()

        async def boot() -> None:
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._chat)
            self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(boot())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="controlled-upstream", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def close(self) -> None:
        self.release.set()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> ControlledUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
