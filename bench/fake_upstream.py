#!/usr/bin/env python3
"""Fast fake LLM upstream for the cliproxy benchmark (127.0.0.1 only).

Endpoints
  POST /v1/chat/completions  OpenAI chat completion: JSON, or SSE when the body says "stream": true
  POST /v1/messages          Anthropic message: JSON, or the full SSE event sequence when streaming
  GET  /v1/models            a one-model list
  GET  /health               "ok"
  GET  /_stats               counters: requests per path, streams, Authorization values seen
  POST /_stats               reset the counters
  GET  /_config              current knobs;  POST /_config {"chunks": 100, ...} changes them

Knobs (CLI default, POST /_config at run time, or an x-fake-<knob> request header for direct tests):
  chunks      content chunks per stream                      (100)
  delay_ms    pause between stream chunks                    (0)
  ttft_ms     pause before the first stream chunk            (0)
  latency_ms  pause before a non-stream answer               (0)
  size        characters of a non-stream answer              (64)
  chunk_size  characters per stream chunk                    (4)
  status      HTTP status of chat/messages answers; not 200: an error JSON   (200)
With delay_ms 0 a stream is written in one piece, as a buffering proxy would deliver it.

Why it is never the bottleneck: no web framework, an asyncio.Protocol fed to the httptools C parser
(the one uvicorn uses) on uvloop; every answer is prebuilt bytes from a cache; a stream costs one
timer per chunk. One core serves tens of thousands of small answers per second.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys

import httptools
import msgspec

KNOBS = {"chunks": int, "delay_ms": float, "ttft_ms": float, "latency_ms": float, "size": int, "chunk_size": int,
         "status": int}
HEADER_KNOB = {b"x-fake-" + k.replace("_", "-").encode(): k for k in KNOBS}
CFG: dict = {}
STATS: dict = {"paths": {}, "streams": 0, "auth": {}}
_CACHE: dict = {}
_json = msgspec.json.Encoder()
_unjson = msgspec.json.Decoder()
LOREM = "lorem ipsum dolor sit amet, consectetur adipiscing elit "


def text(n: int) -> str:
    return (LOREM * (n // len(LOREM) + 1))[:n]


def chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def plain_body(dialect: str, model: str, size: int) -> bytes:
    key = ("plain", dialect, model, size)
    if key not in _CACHE:
        toks = max(1, size // 4)
        if dialect == "openai":
            obj = {"id": "chatcmpl-bench1", "object": "chat.completion", "created": 1700000000, "model": model,
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text(size)},
                                "logprobs": None, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 12, "completion_tokens": toks, "total_tokens": 12 + toks}}
        else:
            obj = {"id": "msg_bench1", "type": "message", "role": "assistant", "model": model,
                   "content": [{"type": "text", "text": text(size)}], "stop_reason": "end_turn",
                   "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": toks}}
        _CACHE[key] = _json.encode(obj)
    return _CACHE[key]


def openai_frames(model: str, n: int, piece: str, usage: bool) -> tuple[bytes, bytes, bytes]:
    def frame(delta, finish=None):
        return b"data: " + _json.encode({
            "id": "chatcmpl-bench1", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}) + b"\n\n"
    tail = frame({}, "stop")
    if usage:
        tail += b"data: " + _json.encode({
            "id": "chatcmpl-bench1", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
            "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n}}) + b"\n\n"
    return (frame({"role": "assistant", "content": ""}) + frame({"content": piece}),
            frame({"content": piece}), tail + b"data: [DONE]\n\n")


def anthropic_frames(model: str, n: int, piece: str) -> tuple[bytes, bytes, bytes]:
    def event(name, obj):
        return b"event: %s\ndata: %s\n\n" % (name.encode(), _json.encode(obj))
    delta = event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "text_delta", "text": piece}})
    head = (event("message_start", {"type": "message_start", "message": {
        "id": "msg_bench1", "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1}}})
        + event("content_block_start", {"type": "content_block_start", "index": 0,
                                        "content_block": {"type": "text", "text": ""}})
        + event("ping", {"type": "ping"}))
    tail = (event("content_block_stop", {"type": "content_block_stop", "index": 0})
            + event("message_delta", {"type": "message_delta",
                                      "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                      "usage": {"output_tokens": n}})
            + event("message_stop", {"type": "message_stop"}))
    return head + delta, delta, tail


def stream_frames(dialect: str, model: str, n: int, size: int, usage: bool) -> tuple[bytes, bytes, bytes]:
    """(first, middle, last) as HTTP/1.1 chunks; `middle` is sent n-1 times; `last` ends the body."""
    key = ("sse", dialect, model, n, size, usage)
    if key not in _CACHE:
        piece = text(size)
        first, mid, last = (openai_frames(model, n, piece, usage) if dialect == "openai"
                            else anthropic_frames(model, n, piece))
        _CACHE[key] = (chunked(first), chunked(mid), chunked(last) + b"0\r\n\r\n")
    return _CACHE[key]


JSON_HEAD = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n"
SSE_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"Transfer-Encoding: chunked\r\n%s\r\n")


class Conn(asyncio.Protocol):
    """One client connection. Requests are answered in order; a request that arrives while a
    stream is still running waits in `queue` (HTTP/1.1 pipelining)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.tr: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.queue: list = []
        self.busy = False
        self.timer: asyncio.TimerHandle | None = None
        self._new()

    def _new(self) -> None:
        self.url, self.hdrs, self.body = b"", {}, []

    def connection_made(self, tr) -> None:
        self.tr = tr

    def connection_lost(self, exc) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.tr = None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.send(400, b'{"error":"bad request"}', close=True)

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        n = name.lower()
        if n in HEADER_KNOB or n == b"authorization" or n == b"x-api-key":
            self.hdrs[n] = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        req = (self.parser.get_method(), self.url.split(b"?", 1)[0], self.hdrs, b"".join(self.body),
               self.parser.should_keep_alive())
        self._new()
        if self.busy:
            self.queue.append(req)
        else:
            self.handle(req)

    # ------------------------------------------------------------------ answers
    def done(self, keep: bool) -> None:
        self.busy, self.timer = False, None
        if self.tr is None:
            return
        if not keep:
            self.tr.close()
        elif self.queue:
            self.handle(self.queue.pop(0))

    def send(self, status: int, body: bytes, ctype: bytes = b"application/json", close: bool = False) -> None:
        if self.tr is None:
            return
        reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found"}.get(status, b"Error")
        conn = b"Connection: close\r\n" if close else b""
        self.tr.write(JSON_HEAD % (status, reason, ctype, len(body), conn) + body)
        self.done(not close)

    def knob(self, name: str, hdrs: dict):
        raw = hdrs.get(b"x-fake-" + name.replace("_", "-").encode())
        if raw is not None:
            try:
                return KNOBS[name](raw.decode())
            except ValueError:
                pass
        return CFG[name]

    def handle(self, req) -> None:
        method, path, hdrs, body, keep = req
        self.busy = True
        if not path.startswith(b"/_"):  # the harness's own /_stats and /_config calls are not counted
            p = path.decode("latin-1")
            STATS["paths"][p] = STATS["paths"].get(p, 0) + 1
        if path.endswith(b"/chat/completions"):
            dialect = "openai"
        elif path.endswith(b"/messages"):
            dialect = "anthropic"
        else:
            return self.control(method, path, body, keep)
        auth = (hdrs.get(b"authorization") or hdrs.get(b"x-api-key") or b"").decode("latin-1")[:80]
        if auth in STATS["auth"] or len(STATS["auth"]) < 16:
            STATS["auth"][auth] = STATS["auth"].get(auth, 0) + 1
        try:
            req_json = _unjson.decode(body)
            model = str(req_json.get("model") or "bench-model")[:100]
        except (msgspec.DecodeError, AttributeError):
            return self.send(400, b'{"error":{"message":"body is not a JSON object"}}', close=not keep)
        conn = b"" if keep else b"Connection: close\r\n"
        status = self.knob("status", hdrs)
        if status != 200:
            return self.send(status, b'{"error":{"message":"fake upstream error","type":"bench"}}', close=not keep)
        if not req_json.get("stream"):
            msg = plain_body(dialect, model, self.knob("size", hdrs))
            out = JSON_HEAD % (200, b"OK", b"application/json", len(msg), conn) + msg
            wait = self.knob("latency_ms", hdrs) / 1000.0
            if wait > 0:
                self.timer = self.loop.call_later(wait, self._write_and_finish, out, keep)
            else:
                self._write_and_finish(out, keep)
            return
        STATS["streams"] += 1
        usage = bool((req_json.get("stream_options") or {}).get("include_usage"))
        n = max(1, self.knob("chunks", hdrs))
        first, mid, last = stream_frames(dialect, model, n, self.knob("chunk_size", hdrs), usage)
        delay = self.knob("delay_ms", hdrs) / 1000.0
        ttft = self.knob("ttft_ms", hdrs) / 1000.0
        self.tr.write(SSE_HEAD % conn)
        state = [n - 1]  # middle chunks still to send

        def tick() -> None:
            if self.tr is None:
                return
            if state[0] > 0:
                state[0] -= 1
                self.tr.write(mid)
                self.timer = self.loop.call_later(delay, tick)
            else:
                self._write_and_finish(last, keep)

        def start() -> None:
            if self.tr is None:
                return
            if delay > 0:
                self.tr.write(first)
                self.timer = self.loop.call_later(delay, tick)
            else:
                self._write_and_finish(first + mid * (n - 1) + last, keep)

        if ttft > 0:
            self.timer = self.loop.call_later(ttft, start)
        else:
            start()

    def _write_and_finish(self, data: bytes, keep: bool) -> None:
        if self.tr is not None:
            self.tr.write(data)
        self.done(keep)

    def control(self, method: bytes, path: bytes, body: bytes, keep: bool) -> None:
        if path in (b"/health", b"/"):
            return self.send(200, b"ok", b"text/plain", close=not keep)
        if path == b"/_stats":
            if method == b"POST":
                STATS["paths"], STATS["streams"], STATS["auth"] = {}, 0, {}
            return self.send(200, _json.encode(STATS), close=not keep)
        if path == b"/_config":
            if method == b"POST" and body:
                try:
                    for k, v in _unjson.decode(body).items():
                        if k in KNOBS:
                            CFG[k] = KNOBS[k](v)
                except (msgspec.DecodeError, AttributeError, TypeError, ValueError):
                    return self.send(400, b'{"error":"bad config"}', close=not keep)
            return self.send(200, _json.encode(CFG), close=not keep)
        if path.endswith(b"/models"):
            return self.send(200, b'{"object":"list","data":[{"id":"bench-model","object":"model",'
                                  b'"created":1700000000,"owned_by":"bench"}]}', close=not keep)
        return self.send(404, b'{"error":{"message":"no such path"}}', close=not keep)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--host", default="127.0.0.1")
    for k, typ in KNOBS.items():
        ap.add_argument("--" + k.replace("_", "-"), dest=k, type=typ,
                        default={"chunks": 100, "size": 64, "chunk_size": 4, "status": 200}.get(k, 0))
    a = ap.parse_args()
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("fake_upstream: listens on loopback only")
    CFG.update({k: getattr(a, k) for k in KNOBS})
    async def serve() -> None:
        srv = await asyncio.get_running_loop().create_server(Conn, a.host, a.port, backlog=4096, reuse_address=True)
        print(f"fake_upstream http://{a.host}:{a.port} pid={os.getpid()}", flush=True)
        async with srv:
            await srv.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        run_loop(serve())


def run_loop(coro):
    """uvloop when installed (it is in the bench venv), else the stdlib loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


if __name__ == "__main__":
    main()
