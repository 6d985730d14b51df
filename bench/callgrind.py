#!/usr/bin/env python3
"""Instructions per request under valgrind's callgrind: a noise-free companion to run.py.

    python bench/callgrind.py                        # floor and cliproxy; a, c, b, cs
    python bench/callgrind.py --scenarios a,c --requests 500

Timings on a shared VM move by tens of percent from run to run; instruction counts do not: the
same build, inputs and workload give the same count whatever else the machine is doing. So this
is the tool for deciding whether a change to the hot path helped. It is not a latency figure:
kernel time (syscalls) and cache misses are not in it.

For each target and scenario: start the fake upstream, start the proxy under
``valgrind --tool=callgrind``, send --warmup requests one at a time, zero the counters
(``callgrind_control -z``), send --requests more, dump the counters (``callgrind_control -d``),
and divide. Streams use --chunks chunks --delay-ms apart, so that each chunk is its own read, as
in run.py; a shorter pause lets chunks merge under valgrind's slowness, and the count then
depends on timing. Repeat runs agree to about 0.1 %. About 5 minutes with the defaults. Prints a
table and writes JSON (and a .md beside it) to bench/results/.
"""
from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import signal
import subprocess
import sys
import time

import prereq
import targets as tg
from measure import machine_info
from workload import ANTHROPIC_BODY, OPENAI_BODY, PATHS, SCENARIOS, headers

STREAMING = {"a": False, "b": True, "c": False, "cs": True}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", default="a,c,b,cs", help="from a,b,c,cs (d holds streams open: not here)")
    ap.add_argument("--targets", default="floor,candidate", help="floor and/or candidate (this repo's cliproxy)")
    ap.add_argument("--requests", type=int, default=100, help="measured requests per scenario")
    ap.add_argument("--warmup", type=int, default=100, help="requests before the counters are zeroed")
    ap.add_argument("--chunks", type=int, default=10, help="chunks per stream (b, cs)")
    ap.add_argument("--delay-ms", type=float, default=20.0,
                    help="pause between stream chunks; long enough that each chunk is its own read even under valgrind")
    ap.add_argument("--start-timeout", type=float, default=180.0, help="valgrind makes start-up slow")
    ap.add_argument("--out", help="JSON path (default bench/results/<date>-callgrind.json)")
    ap.add_argument("--workdir", help="logs, configs and callgrind files (default /tmp/cliproxy-bench/callgrind-<time>)")
    ap.add_argument("--no-install", action="store_true", help="never run apt-get or pip; just say what is missing")
    a = ap.parse_args(argv)
    a.scenarios = [s for s in a.scenarios.split(",") if s]
    bad = [s for s in a.scenarios if s not in STREAMING]
    if bad:
        ap.error(f"unknown scenarios {bad}; choose from {','.join(STREAMING)}")
    a.targets = [t for t in a.targets.split(",") if t]
    if not set(a.targets) <= {"floor", "candidate"} or not a.targets:
        ap.error("--targets takes floor and/or candidate")
    return a


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Upstream:
    def __init__(self, workdir: str, chunks: int, delay_ms: float) -> None:
        self.port = tg.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with open(os.path.join(workdir, "upstream.log"), "ab") as out:
            self.proc = subprocess.Popen(
                [tg.BENCH_PY, os.path.join(tg.BENCH_DIR, "fake_upstream.py"), "--port", str(self.port),
                 "--chunks", str(chunks), "--delay-ms", str(delay_ms)], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if tg.call(self.url, "/health", timeout=1)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        sys.exit("[callgrind] the fake upstream did not start; see upstream.log in the workdir")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def proxy_cmd(target: str, workdir: str, up_url: str) -> tuple[list[str], str, dict]:
    """The target's command (without valgrind), its base URL and extra environment."""
    if target == "floor":
        t = tg.floor_target(up_url)
        return t.cmd, t.url, {}
    d = os.path.join(workdir, "cliproxy")
    os.makedirs(os.path.join(d, "auth"), exist_ok=True)
    port = tg.free_port()
    config = os.path.join(d, "config.yaml")
    with open(config, "w") as f:
        f.write(tg.fill(tg.CLIPROXY_CONFIG, {"port": str(port), "upstream": up_url, "model": "bench-model",
                                             "auth_dir": os.path.join(d, "auth")}))
    tg.precompile_repo()
    py = os.path.join(tg.REPO_DIR, ".venv", "bin", "python")
    if not os.path.exists(py):
        sys.exit(f"[callgrind] {py} is missing: run `bash scripts/test.sh` (or create .venv) first")
    return [py, "-m", "cliproxy", "--config", config], f"http://127.0.0.1:{port}", {}


class Client:
    """One keep-alive connection; every answer is read to its end and must be a 200."""

    def __init__(self, url: str, scenario: str) -> None:
        dialect, stream, _ = SCENARIOS[scenario]
        body = dict(ANTHROPIC_BODY if dialect == "anthropic" else OPENAI_BODY)
        if stream:
            body["stream"] = True
        self.body = json.dumps(body).encode()
        self.path = PATHS[dialect]
        self.headers = {"Content-Type": "application/json"}
        for h in headers(dialect, "bench-key"):
            k, v = h.split(": ", 1)
            self.headers[k] = v
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def send(self, n: int) -> None:
        for _ in range(n):
            self.conn.request("POST", self.path, body=self.body, headers=self.headers)
            r = self.conn.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}: {data[:300]!r}")


def wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the proxy exited with {proc.returncode} while starting")
        try:
            if tg.call(url, "/v1/models", headers=["Authorization: Bearer bench-key"], timeout=5)[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the proxy did not answer within {timeout:g}s")


def total_ir(path: str) -> int:
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def measure(a, target: str, scenario: str, workdir: str) -> dict:
    d = os.path.join(workdir, f"{target}-{scenario}")
    os.makedirs(d, exist_ok=True)
    up = Upstream(d, a.chunks, a.delay_ms)
    cmd, url, env = proxy_cmd(target, d, up.url)
    out = os.path.join(d, "callgrind.out")
    vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    penv = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with open(os.path.join(d, "proxy.log"), "ab") as plog:
        proc = subprocess.Popen(vg + cmd, stdout=plog, stderr=subprocess.STDOUT, env={**penv, **env},
                                start_new_session=True)
    try:
        wait_ready(url, proc, a.start_timeout)
        client = Client(url, scenario)
        client.send(a.warmup)
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True)
        client.send(a.requests)
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
        dumps = sorted(glob.glob(out + ".*"), key=os.path.getmtime)
        if not dumps:
            raise RuntimeError("callgrind wrote no dump")
        ir = total_ir(dumps[-1])
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        up.stop()
    per_req = ir / a.requests
    res = {"target": target, "scenario": scenario, "requests": a.requests, "ir_total": ir,
           "ir_per_request": round(per_req)}
    if STREAMING[scenario]:
        res["ir_per_chunk"] = round(per_req / a.chunks)
    return res


def render(results: list[dict], a, info: dict) -> str:
    by = {(r["target"], r["scenario"]): r for r in results}
    lines = [f"**{info['date']}** · {info.get('cpu', '?')}, {info['nproc']} vCPU · `{info['command']}`", "",
             f"Instructions per request (callgrind), after {a.warmup} warm-up requests, {a.requests} measured, "
             f"one at a time; streams: {a.chunks} chunks {a.delay_ms:g} ms apart. ×floor = ratio to the aiohttp floor.",
             "", "| scenario | floor Ir/req | cliproxy Ir/req | ×floor |", "|---|---|---|---|"]
    for s in a.scenarios:
        f, c = by.get(("floor", s)), by.get(("candidate", s))
        ratio = f"{c['ir_per_request'] / f['ir_per_request']:.2f}×" if f and c else "-"
        lines.append(f"| {s} ({'stream' if STREAMING[s] else 'non-stream'}) | {_n(f)} | {_n(c)} | {ratio} |")
    lines += ["", "c / cs: cliproxy translates the Anthropic request to the OpenAI upstream; the floor passes it "
              "through to the upstream's /v1/messages."]
    return "\n".join(lines)


def _n(r: dict | None) -> str:
    return f"{r['ir_per_request']:,}" if r else "-"


def main(argv=None) -> int:
    a = parse_args(argv)
    prereq.ensure_bench_venv()
    prereq.ensure_tools(["valgrind", "callgrind_control"], install=not a.no_install)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    workdir = a.workdir or f"/tmp/cliproxy-bench/callgrind-{stamp}"
    os.makedirs(workdir, exist_ok=True)
    info = machine_info()
    info["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    info["command"] = ("python bench/callgrind.py " + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    results = []
    for target in a.targets:
        for s in a.scenarios:
            log(f"[callgrind] {target} {s}: {a.warmup} + {a.requests} requests under valgrind …")
            t0 = time.monotonic()
            try:
                r = measure(a, target, s, workdir)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                log(f"[callgrind] {target} {s} failed: {exc} (logs: {workdir}/{target}-{s})")
                return 1
            results.append(r)
            log(f"[callgrind]   {r['ir_per_request']:,} instructions per request ({time.monotonic() - t0:.0f} s)")
    md = render(results, a, info)
    print(md)
    out = a.out or os.path.join(tg.BENCH_DIR, "results", time.strftime("%Y-%m-%d") + "-callgrind.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"machine": info, "config": {k: getattr(a, k) for k in ("requests", "warmup", "chunks", "delay_ms")},
                   "results": results}, f, indent=1)
    with open(os.path.splitext(out)[0] + ".md", "w") as f:
        f.write(md + "\n")
    log(f"JSON: {out}\nlogs: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
