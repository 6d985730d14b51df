#!/usr/bin/env python3
"""Asyncio HTTP/1.1 load client for streams (127.0.0.1 only); prints one JSON object on stdout.

Raw asyncio.Protocol + the httptools C response parser + uvloop, keep-alive connections.
For every request it records:
  ttfb    time to the first body byte
  ttft    time to the first read that carries a token (--marker; the fake upstream's text starts
          with "lore"), so a proxy cannot look fast by flushing headers or an empty event early
  total   time to the end of the response
  reads   socket reads that carried body bytes: a streamed answer of N chunks shows about N, a
          buffered one shows 1 or 2
  events  SSE "data:" lines;  ended: the body closed properly ([DONE], message_stop or a JSON "}")

Modes
  loop   -c connections, closed loop (the next request goes out when the answer ends), for
         --warmup + --duration seconds; requests started during the warm-up are not in the latency
         figures but are counted in `completed_total` (the harness divides CPU by it). --stagger
         opens the connections one by one over that many seconds (streams: one stream length)
  hold   open -c streams, one request each, spread over --ramp seconds, and wait until all end
Every run is bounded: --grace caps the wait for unfinished answers; reconnects are capped.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

import httptools

now = time.perf_counter


class Shared:
    def __init__(self, a, request: bytes) -> None:
        self.a, self.request, self.marker = a, request, a.marker.encode()
        self.t0 = now()
        self.records: list[tuple] = []
        self.errors: dict[str, int] = {}
        self.err_sample = ""
        self.inflight = self.max_inflight = 0
        self.running = True
        self.reconnects_left = max(100, 4 * a.concurrency)
        self.conns: list[Client] = []
        self.tasks: set[asyncio.Future] = set()

    def spawn(self, coro) -> None:
        """Runs coro in the background, holding a reference until it ends."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Client(asyncio.Protocol):
    def __init__(self, sh: Shared, once: bool) -> None:
        self.sh, self.once = sh, once
        self.tr: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.busy = False
        self.finished = asyncio.get_running_loop().create_future()

    def connection_made(self, tr) -> None:
        self.tr = tr
        self.send()

    def send(self) -> None:
        sh = self.sh
        self.busy = True
        self.t_start = now()
        self.t_read = self.tfb = self.tft = self.counted = None
        self.status = self.nbytes = self.reads = self.events = 0
        self.tail = b""
        self.errbody = b""
        sh.inflight += 1
        sh.max_inflight = max(sh.max_inflight, sh.inflight)
        self.tr.write(sh.request)

    def data_received(self, data: bytes) -> None:
        self.t_read = now()  # a new socket read; on_body counts it once per response
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.sh.error("bad_http")
            self.tr.close()

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, b: bytes) -> None:
        if self.counted is not self.t_read:
            self.counted = self.t_read
            self.reads += 1
        if self.tfb is None:
            self.tfb = self.t_read
        if self.tft is None and self.sh.marker in self.tail + b:
            self.tft = self.t_read
        self.nbytes += len(b)
        self.events += (self.tail[-4:] + b).count(b"data:")
        self.tail = (self.tail + b)[-48:]
        if self.status != 200 and len(self.errbody) < 400:
            self.errbody += b[:400]

    def on_message_complete(self) -> None:
        sh, t = self.sh, now()
        self.busy = False
        sh.inflight -= 1
        tail = self.tail.rstrip()
        ended = tail.endswith(b"[DONE]") or b"message_stop" in tail or tail.endswith(b"}")
        t0 = self.t_start
        sh.records.append((t0 - sh.t0, (self.tfb or t) - t0, (self.tft or t) - t0, t - t0, self.status,
                           self.nbytes, self.reads, self.events, ended))
        if self.status != 200:
            sh.error(f"status_{self.status}")
            if not sh.err_sample:
                sh.err_sample = f"HTTP {self.status}: " + self.errbody.decode("utf-8", "replace")[:400]
        if self.once or not sh.running:
            self.tr.close()
        elif self.parser.should_keep_alive():
            self.send()
        else:  # the server closes this connection: open another one (not an error)
            self.tr.close()
            sh.spawn(connect(sh, False, replace=True))

    def connection_lost(self, exc) -> None:
        sh = self.sh
        if self.busy:
            self.busy = False
            sh.inflight -= 1
            sh.error("conn_lost" if sh.running or self.once else "unfinished")
            if sh.running and not self.once:
                sh.spawn(connect(sh, False, replace=True))
        if not self.finished.done():
            self.finished.set_result(None)


async def connect(sh: Shared, once: bool, replace: bool = False) -> Client | None:
    loop = asyncio.get_running_loop()
    for attempt in range(3):
        if replace:
            if sh.reconnects_left <= 0 or not sh.running:
                return None
            sh.reconnects_left -= 1
            await asyncio.sleep(0.01)
        try:
            _, c = await loop.create_connection(lambda: Client(sh, once), sh.a.host, sh.a.port)
            sh.conns.append(c)
            return c
        except OSError as e:
            sh.error("connect")
            sh.err_sample = sh.err_sample or f"connect: {e}"
            await asyncio.sleep(0.05 * (attempt + 1))
    return None


async def run_loop(sh: Shared) -> float:
    a = sh.a
    if a.stagger > 0:  # spread the first requests over one stream length, so equal-length streams
        step = a.stagger / a.concurrency  # do not stay phase-locked (all starting in one burst)
        for i in range(a.concurrency):
            sh.spawn(connect(sh, False))
            await asyncio.sleep(max(0.0, sh.t0 + (i + 1) * step - now()))
    else:
        await asyncio.gather(*(connect(sh, False) for _ in range(a.concurrency)))
    await asyncio.sleep(max(0.0, sh.t0 + a.warmup + a.duration - now()))
    sh.running = False
    deadline = now() + a.grace
    while sh.inflight > 0 and now() < deadline:
        await asyncio.sleep(0.01)
    return a.duration


async def run_hold(sh: Shared) -> float:
    a = sh.a
    step = a.ramp / max(1, a.concurrency)
    tasks = []
    for i in range(a.concurrency):
        tasks.append(asyncio.ensure_future(connect(sh, True)))
        await asyncio.sleep(max(0.0, sh.t0 + (i + 1) * step - now()))
    clients = [c for c in await asyncio.gather(*tasks) if c is not None]
    left = sh.t0 + a.ramp + a.grace - now()
    if clients and left > 0:
        await asyncio.wait([c.finished for c in clients], timeout=left)
    sh.running = False
    return now() - sh.t0


def summary(vals: list[float]) -> dict:
    v = sorted(x * 1000.0 for x in vals)
    if not v:
        return {}

    def q(p: float) -> float:
        return round(v[min(len(v) - 1, int(p / 100.0 * len(v)))], 3)
    return {"n": len(v), "min": round(v[0], 3), "p50": q(50), "p90": q(90), "p99": q(99), "p999": q(99.9),
            "max": round(v[-1], 3), "mean": round(sum(v) / len(v), 3)}


def report(sh: Shared, window: float) -> dict:
    a = sh.a
    for c in sh.conns:
        if c.tr is not None and not c.tr.is_closing():
            if c.busy:
                sh.error("unfinished")
                c.busy = False
            c.tr.close()
    start = a.warmup if a.mode == "loop" else 0.0
    rec = [r for r in sh.records if r[0] >= start]
    ok = [r for r in rec if r[4] == 200]
    in_window = sum(1 for r in sh.records if start <= r[0] + r[3] <= start + window)
    reads = [r[6] for r in ok]
    return {
        "mode": a.mode, "concurrency": a.concurrency, "window_s": round(window, 3),
        "completed_total": len(sh.records), "requests": len(rec), "ok": len(ok),
        "errors": sum(sh.errors.values()), "err_kinds": sh.errors, "err_sample": sh.err_sample,
        "rps": round(in_window / window, 2) if window > 0 and a.mode == "loop" else None,
        "lat_ms": summary([r[3] for r in ok]), "ttfb_ms": summary([r[1] for r in ok]),
        "ttft_ms": summary([r[2] for r in ok]),
        "reads_mean": round(sum(reads) / len(reads), 2) if reads else 0, "reads_min": min(reads, default=0),
        "buffered": sum(1 for x in reads if x < a.min_reads),
        "events_mean": round(sum(r[7] for r in ok) / len(ok), 2) if ok else 0,
        "ended_ok": sum(1 for r in ok if r[8]), "bytes_mean": round(sum(r[5] for r in ok) / len(ok), 1) if ok else 0,
        "max_inflight": sh.max_inflight,
    }


def build_request(a) -> bytes:
    u = urlsplit(a.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loadgen: loopback targets only")
    a.host, a.port = u.hostname, u.port or 80
    body = b""
    if a.body_file:
        with open(a.body_file, "rb") as f:
            body = f.read()
    lines = [f"POST {u.path or '/'} HTTP/1.1", f"Host: {a.host}:{a.port}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *(a.header or [])]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--body-file")
    ap.add_argument("-H", "--header", action="append", help="'Name: value' (repeatable)")
    ap.add_argument("--mode", choices=["loop", "hold"], default="loop")
    ap.add_argument("-c", "--concurrency", type=int, default=1)
    ap.add_argument("-d", "--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--ramp", type=float, default=3.0, help="hold: open the streams over this many seconds")
    ap.add_argument("--stagger", type=float, default=0.0,
                    help="loop: open the connections over this many seconds (part of the warm-up)")
    ap.add_argument("--grace", type=float, default=30.0)
    ap.add_argument("--marker", default="lore", help="token text that marks the first token (TTFT)")
    ap.add_argument("--min-reads", type=int, default=0,
                    help="a stream with fewer body reads than this counts as buffered")
    a = ap.parse_args()
    request = build_request(a)

    async def go() -> dict:
        sh = Shared(a, request)
        window = await (run_loop(sh) if a.mode == "loop" else run_hold(sh))
        return report(sh, window)

    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    out = runner(go())
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
