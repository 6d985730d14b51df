"""One measured run: load tool pinned on the load core, /proc accounting around it, retries when
other programs on the box took CPU during the run (stdlib only)."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from measure import Window, wait_for_quiet
from targets import BENCH_DIR, BENCH_PY, Target, call
from workload import PATHS, SCENARIOS, headers


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def upstream_control(up_url: str, path: str, payload: dict | None = None) -> dict:
    status, data = call(up_url, path, json.dumps(payload).encode() if payload is not None else None)
    if status != 200:
        raise RuntimeError(f"fake upstream {path}: HTTP {status}")
    return json.loads(data)


def chunks_of(scenario: str, a) -> int:
    return a.hold_chunks if SCENARIOS[scenario][2] == "hold" else a.chunks


def run_tool(t: Target, scenario: str, conc: int, a, bodies: dict, duration: float, warmup: float) -> dict:
    """Runs wrk (non-stream) or loadgen (streams, or non-stream without wrk) on the load core."""
    dialect, stream, kind = SCENARIOS[scenario]
    url = t.url + PATHS[dialect]
    hdrs = headers(dialect, t.key, t.bearer_for_anthropic)
    pin = ("taskset", "-c", str(a.load_cpu))
    if kind == "plain" and a.plain_tool == "wrk":
        cmd = [*pin, "wrk", "-t1", f"-c{conc}", f"-d{max(1, round(duration))}s", "--timeout", "30s",
                     "-s", os.path.join(BENCH_DIR, "wrk_post.lua"), url]
        env = {**os.environ, "BENCH_BODY": bodies[(dialect, stream)], "BENCH_HEADERS": "\n".join(hdrs)}
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=duration + 90)
        if "BENCHJSON " not in p.stdout:
            return {"error": "wrk: " + (p.stdout + p.stderr)[-600:], "tool": "wrk"}
        w = json.loads(p.stdout.split("BENCHJSON ", 1)[1].splitlines()[0])
        errs = {k: v for k, v in w["errors"].items() if v}
        return {"tool": "wrk", "completed_total": w["requests"], "requests": w["requests"],
                "ok": w["requests"] - w["errors"]["status"], "rps": round(w["requests"] / (w["duration_us"] / 1e6), 1),
                "errors": sum(errs.values()), "err_kinds": errs,
                "lat_ms": {k: round(v / 1000.0, 3) for k, v in w["lat_us"].items()}}
    n_chunks = chunks_of(scenario, a)
    cmd = [*pin, BENCH_PY, os.path.join(BENCH_DIR, "loadgen.py"), "--url", url,
                 "--body-file", bodies[(dialect, stream)], "-c", str(conc),
                 "--min-reads", str(max(2, n_chunks // 4) if stream else 0)]
    for h in hdrs:
        cmd += ["-H", h]
    if kind == "hold":
        grace = n_chunks * a.hold_delay_ms / 1000.0 + a.grace
        cmd += ["--mode", "hold", "--ramp", str(a.hold_ramp), "--grace", str(grace)]
        limit = a.hold_ramp + grace + 60
    else:
        # streams: connections open one by one over one stream length (no phase-locked bursts);
        # that ramp is part of the unmeasured warm-up
        stagger = n_chunks * a.delay_ms / 1000.0 if stream and conc > 1 else 0.0
        cmd += ["--mode", "loop", "-d", str(duration), "--warmup", str(warmup + stagger),
                "--stagger", str(stagger), "--grace", str(a.grace)]
        limit = warmup + stagger + duration + a.grace + 60
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    try:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "loadgen: " + (p.stdout + p.stderr)[-600:], "tool": "loadgen"}
    res["tool"] = "loadgen"
    return res


def measured_run(t: Target, scenario: str, conc: int, a, bodies: dict, up_url: str, up_pid: int,
                 restart=None) -> dict:
    """Measures; re-runs (up to --retries) while foreign CPU exceeds --max-foreign-pct; keeps the
    quietest attempt and marks it noisy if every attempt was disturbed. Each attempt first waits
    (bounded by --quiet-wait) for the box to calm down. `restart`, if given, is called before a
    re-run (scenario d: memory per stream needs a fresh process)."""
    best = None
    for attempt in range(1, a.retries + 2):
        if attempt > 1 and restart is not None and not restart():
            break
        waited, busy = wait_for_quiet(a.max_foreign_pct, a.quiet_wait)
        r = _one(t, scenario, conc, a, bodies, up_url, up_pid)
        r.update(attempt=attempt, quiet_wait_s=waited, busy_before_pct=busy)
        if best is None or r.get("foreign_cpu_pct", 0) < best.get("foreign_cpu_pct", 0):
            best = r
        if "error" in r or r.get("foreign_cpu_pct", 0) <= a.max_foreign_pct or attempt > a.retries:
            break
        log(f"    noisy: other programs used {r['foreign_cpu_pct']}% of a core; measuring again")
        time.sleep(a.retry_pause)
    best["noisy"] = best.get("foreign_cpu_pct", 0) > a.max_foreign_pct
    return best


def _one(t: Target, scenario: str, conc: int, a, bodies: dict, up_url: str, up_pid: int) -> dict:
    kind = SCENARIOS[scenario][2]
    upstream_control(up_url, "/_stats", {})
    w = Window(t.proc.pid if t.proc else None, up_pid, a.proxy_cpu, a.load_cpu)
    w.start()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = run_tool(t, scenario, conc, a, bodies, a.duration, a.stream_warmup)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    loadgen_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    m = w.stop(loadgen_cpu)
    stats = upstream_control(up_url, "/_stats")
    r = {"target": t.name, "scenario": scenario, "conc": conc, **res, **m,
         "upstream_paths": stats["paths"], "upstream_auth": stats["auth"]}
    n = res.get("completed_total") or 0
    if "proxy_cpu_s" in m and n:
        r["cpu_us_per_req"] = round(m["proxy_cpu_s"] * 1e6 / n, 1)
        if kind != "plain":
            r["cpu_us_per_chunk"] = round(r["cpu_us_per_req"] / chunks_of(scenario, a), 2)
    if kind == "hold" and "rss_peak_bytes" in m:
        r["rss_per_stream_kb"] = round((m["rss_peak_bytes"] - m["rss_base_bytes"]) / 1024 / conc, 1)
    if n:
        r["forwarded_per_request"] = round(sum(stats["paths"].values()) / n, 3)
    return r


def fmt(r: dict) -> str:
    """One log line per run."""
    head = f"{r['target']:>9} {r['scenario']:>2} c={r['conc']:<4}"
    if "error" in r:
        return f"{head} ERROR {r['error'][:300]}"
    lat, tt = r.get("lat_ms") or {}, r.get("ttft_ms") or {}
    s = f"{head} rps={r.get('rps')!s:>8} p50={lat.get('p50')!s:>8} p99={lat.get('p99')!s:>8}"
    if tt and SCENARIOS[r["scenario"]][1]:
        s += f" ttft50={tt.get('p50')!s:>7} ttft99={tt.get('p99')!s:>8} reads={r.get('reads_mean')}"
    s += f" err={r.get('errors')}"
    if "cpu_us_per_req" in r:
        s += f" cpu/req={r['cpu_us_per_req']}us"
    if "cpu_us_per_chunk" in r:
        s += f" cpu/chunk={r['cpu_us_per_chunk']}us"
    if "rss_per_stream_kb" in r:
        s += f" rss {r['rss_base_mb']}->{r['rss_peak_mb']}MB ({r['rss_per_stream_kb']}KB/stream)"
    s += f" proxy%={r.get('proxy_cpu_pct', '-')} load%={r.get('load_core_busy_pct')} foreign%={r.get('foreign_cpu_pct')}"
    s += " HARNESS-BOUND" if r.get("harness_bound") else ""
    s += " NOISY" if r.get("noisy") else ""
    return s
