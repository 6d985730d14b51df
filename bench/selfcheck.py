"""`python bench/run.py --self-check`: checks that the harness measures what it claims.
Not a timing test: it asserts counts, stream shapes and the buffering detector, never speed."""
from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time

import targets as tg
from measure import Window, cpu_seconds, process_tree, rss_bytes
from runner import run_tool, upstream_control
from workload import write_bodies

RESULTS: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    RESULTS.append((name, bool(ok), detail))
    print(f"{'PASS' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"), flush=True)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def load(t, scen, conc, a, bodies, up_url, **knobs):
    upstream_control(up_url, "/_stats", {})
    if knobs:
        upstream_control(up_url, "/_config", knobs)
    r = run_tool(t, scen, conc, a, bodies, a.duration, a.stream_warmup)
    return r, upstream_control(up_url, "/_stats")


def run(a) -> int:
    a = copy.copy(a)
    a.duration, a.stream_warmup, a.grace, a.plain_tool = 1.0, 0.2, 10.0, "loadgen"
    a.chunks, a.delay_ms, a.hold_chunks, a.hold_delay_ms, a.hold_ramp = 20, 5.0, 3, 100.0, 0.2
    work = tempfile.mkdtemp(prefix="cliproxy-bench-selfcheck-")
    bodies = write_bodies(work)
    port = tg.free_port()
    up = tg.Target("upstream", f"http://127.0.0.1:{port}",
                   [tg.BENCH_PY, os.path.join(tg.BENCH_DIR, "fake_upstream.py"), "--port", str(port)])
    tg.spawn(up, a.load_cpu, os.path.join(work, "upstream.log"))
    floor = None
    try:
        for _ in range(200):
            try:
                knobs = upstream_control(up.url, "/_config")
                break
            except (OSError, RuntimeError):
                time.sleep(0.05)
        else:
            check("fake upstream starts", False, tg.log_tail(os.path.join(work, "upstream.log")))
            return 1
        check("fake upstream starts and reports its knobs", "chunks" in knobs)
        direct = tg.Target("direct", up.url, key="upstream-key")

        for scen, path in (("a", "/v1/chat/completions"), ("c", "/v1/messages")):
            r, st = load(direct, scen, 4, a, bodies, up.url)
            check(f"loadgen non-stream {scen}: answers, no errors, clean JSON ends",
                  r.get("ok", 0) > 0 and r["errors"] == 0 and r["ended_ok"] == r["ok"], str(r)[:300])
            check(f"upstream counts every {scen} request on {path}",
                  st["paths"] == {path: r["completed_total"]}, f"{st['paths']} vs {r.get('completed_total')}")
        if shutil.which("wrk"):
            a2 = copy.copy(a)
            a2.plain_tool = "wrk"
            r, st = load(direct, "a", 4, a2, bodies, up.url)
            n = sum(st["paths"].values())
            check("wrk runs, parses, counts", r.get("requests", 0) > 0 and r["errors"] == 0
                  and r["requests"] <= n <= r["requests"] + 4, f"{r} / upstream {n}")

        expect_events = {"b": a.chunks + 3, "cs": a.chunks + 6}  # role+N+finish+[DONE]; start,block,ping,N,stop,delta,stop
        for scen in ("b", "cs"):
            r, st = load(direct, scen, 4, a, bodies, up.url, chunks=a.chunks, delay_ms=a.delay_ms)
            check(f"stream {scen}: every stream streamed (about one read per chunk)",
                  r.get("ok", 0) > 0 and r["buffered"] == 0 and r["reads_min"] >= 0.8 * a.chunks, str(r)[:400])
            check(f"stream {scen}: SSE events and clean end", r["events_mean"] == expect_events[scen]
                  and r["ended_ok"] == r["ok"], f"events {r['events_mean']} ended {r['ended_ok']}/{r['ok']}")
            check(f"stream {scen}: TTFT well before the end", r["ttft_ms"]["p50"] < r["lat_ms"]["p50"] / 5, str(r["ttft_ms"]))
            check(f"stream {scen}: upstream counted the streams", st["streams"] == r["completed_total"],
                  f"{st} vs {r['completed_total']}")
        r, _ = load(direct, "b", 2, a, bodies, up.url, chunks=a.chunks, delay_ms=0)
        check("buffering detector: an all-at-once answer is flagged", r.get("ok", 0) > 0 and r["buffered"] == r["ok"],
              f"reads_mean {r.get('reads_mean')} buffered {r.get('buffered')}/{r.get('ok')}")

        upstream_control(up.url, "/_config", {"chunks": a.hold_chunks, "delay_ms": a.hold_delay_ms})
        r = run_tool(direct, "d", 20, a, bodies, 0, 0)
        check("hold mode: 20 streams open together, all end", r.get("ok") == 20 and r["max_inflight"] == 20
              and r["errors"] == 0, str(r)[:300])

        upstream_control(up.url, "/_config", {"status": 503})
        r = run_tool(direct, "a", 2, a, bodies, 0.3, 0.0)
        upstream_control(up.url, "/_config", {"status": 200})
        check("HTTP errors are counted and sampled", r.get("errors", 0) == r.get("completed_total", -1) > 0
              and "503" in r.get("err_sample", ""), str(r)[:300])

        floor = tg.floor_target(up.url)
        t0 = time.perf_counter()
        tg.spawn(floor, a.proxy_cpu, os.path.join(work, "floor.log"))
        cold, why = tg.wait_ready(floor, "openai", read(bodies[("openai", False)]), ["Authorization: Bearer x"], t0)
        check("floor proxy starts and answers (cold start measured)", cold is not None, why)
        if cold is not None:
            upstream_control(up.url, "/_config", {"chunks": a.chunks, "delay_ms": a.delay_ms})
            w = Window(floor.proc.pid, up.proc.pid, a.proxy_cpu, a.load_cpu)
            w.start()
            r = run_tool(floor, "b", 8, a, bodies, a.duration, a.stream_warmup)
            m = w.stop(0.0)
            check("streams through the floor stay streamed", r.get("ok", 0) > 0 and r["buffered"] == 0, str(r)[:300])
            check("/proc: proxy CPU and RSS are measured", m.get("proxy_cpu_s", -1) >= 0 and m["rss_peak_mb"] > 5
                  and m["foreign_cpu_pct"] is not None, str(m))
            check("/proc: process tree and CPU of the upstream", up.proc.pid in process_tree(up.proc.pid)
                  and cpu_seconds([up.proc.pid]) > 0 and rss_bytes([up.proc.pid]) > 0)
        if shutil.which("nginx"):
            ng = tg.nginx_target(work, port)
            t0 = time.perf_counter()
            tg.spawn(ng, a.proxy_cpu, os.path.join(work, "nginx.log"))
            cold, why = tg.wait_ready(ng, "anthropic", read(bodies[("anthropic", False)]),
                                      ["x-api-key: x", "anthropic-version: 2023-06-01"], t0)
            check("nginx config starts and proxies", cold is not None and len(process_tree(ng.proc.pid)) >= 2, why)
            tg.stop(ng)
    finally:
        if floor is not None:
            tg.stop(floor)
        tg.stop(up)
    failed = sum(1 for _, ok, _ in RESULTS if not ok)
    print(f"{len(RESULTS) - failed} passed, {failed} failed")
    if not failed:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs: {work}")
    return 1 if failed else 0
