#!/usr/bin/env python3
"""cliproxy benchmark: one command, same-run baselines, a markdown table and a JSON file.

    python bench/run.py                      # full run: direct, nginx, floor, cliproxy; a,b,c,cs,d at c=1,16,64,256
    python bench/run.py --quick              # development run (~2-3 minutes)
    python bench/run.py --with-litellm       # adds LiteLLM's proxy (own venv in bench/.venv-litellm)
    python bench/run.py --self-check         # checks the harness itself (not a timing test)

Layout (2 cores): the proxy under test alone on CPU 1; fake upstream, load generator and this
harness on CPU 0; all at nice -10 when run as root. Each target is restarted before each scenario.
Method and reading of the numbers: bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time

import prereq
import report
import targets as tg
from measure import machine_info, process_tree, rss_bytes
from runner import fmt, log, measured_run, run_tool, upstream_control
from workload import ANTHROPIC_BODY, OPENAI_BODY, SCENARIOS, headers, upstream_knobs, write_bodies

FULL = {"concurrency": "1,16,64,256", "duration": 10.0, "warmup": 2.0, "stream_warmup": 0.5, "retries": 2, "quiet_wait": 20.0,
        "hold_streams": 1000, "hold_chunks": 15, "hold_ramp": 3.0}
QUICK = {"concurrency": "1,64", "duration": 3.0, "warmup": 1.0, "stream_warmup": 0.3, "retries": 1, "quiet_wait": 5.0,
         "hold_streams": 300, "hold_chunks": 5, "hold_ramp": 1.0}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_argument_group("what to run")
    g.add_argument("--quick", action="store_true", help="c=1,64; 3 s runs; 300 slow streams; 1 retry")
    g.add_argument("--scenarios", default="a,b,c,cs,d")
    g.add_argument("--concurrency", help="default 1,16,64,256 (--quick: 1,64)")
    g.add_argument("--targets", default="direct,nginx,floor,candidate",
                   help="comma list from direct,nginx,floor,litellm,candidate (in this order)")
    g.add_argument("--with-litellm", action="store_true", help="add LiteLLM's proxy as a peer")
    g.add_argument("--no-candidate", action="store_true", help="baselines only")
    g.add_argument("--self-check", action="store_true", help="check the harness itself and exit")
    g = ap.add_argument_group("the proxy under test")
    g.add_argument("--proxy-cmd", help="command template; {config} {port} {upstream} {workdir} {repo} "
                   f"{{bench_python}} are filled in (default: '{tg.DEFAULT_PROXY_CMD}')")
    g.add_argument("--proxy-name", default="cliproxy")
    g.add_argument("--proxy-config", help="config template file instead of the built-in cliproxy config.yaml")
    g.add_argument("--proxy-port", type=int, default=0, help="default: a free port")
    g.add_argument("--proxy-key", default="bench-key", help="API key the clients send to it")
    g.add_argument("--proxy-env", action="append", help="KEY=VALUE for its environment (repeatable)")
    g.add_argument("--start-timeout", type=float, default=60.0)
    g = ap.add_argument_group("workload")
    g.add_argument("--duration", type=float, help="seconds per measured run (10; --quick: 3)")
    g.add_argument("--warmup", type=float, help="seconds of unmeasured load after each start (2; --quick: 1)")
    g.add_argument("--stream-warmup", type=float, help="stream runs: first seconds left out of latency (0.5)")
    g.add_argument("--chunks", type=int, default=100)
    g.add_argument("--delay-ms", type=float, default=10.0)
    g.add_argument("--hold-streams", type=int, help="slow streams held at once (1000; --quick: 300)")
    g.add_argument("--hold-chunks", type=int, help="chunks per slow stream (15; --quick: 5)")
    g.add_argument("--hold-delay-ms", type=float, default=1000.0)
    g.add_argument("--hold-ramp", type=float, help="seconds over which the slow streams open (3; --quick: 1)")
    g.add_argument("--grace", type=float, default=30.0, help="max wait for unfinished answers after a run")
    g.add_argument("--plain-tool", choices=["wrk", "loadgen"], default="wrk", help="load tool for a and c")
    g = ap.add_argument_group("measurement")
    g.add_argument("--cpu-ref-conc", type=int, default=64, help="concurrency at which CPU/request is quoted")
    g.add_argument("--chunk-ref-conc", type=int, default=256, help="concurrency at which CPU/chunk is quoted")
    g.add_argument("--retries", type=int, help="re-runs of a run disturbed by other programs (2; --quick: 1)")
    g.add_argument("--max-foreign-pct", type=float, default=15.0, help="%% of a core other programs may use")
    g.add_argument("--retry-pause", type=float, default=3.0)
    g.add_argument("--quiet-wait", type=float, help="max seconds to wait for an idle box before each run (20; --quick: 5)")
    g.add_argument("--proxy-cpu", type=int, default=1)
    g.add_argument("--load-cpu", type=int, default=0)
    g.add_argument("--nice", type=int, default=-10 if os.geteuid() == 0 else 0)
    g = ap.add_argument_group("output")
    g.add_argument("--out", help="JSON path (default bench/results/<date>-<time>.json; a .md is written beside it)")
    g.add_argument("--workdir", help="logs and generated configs (default /tmp/cliproxy-bench/<time>)")
    g.add_argument("--update-readme", action="store_true", help="put the table into bench/README.md")
    g.add_argument("--render", metavar="JSON", help="only print the tables of an earlier run's JSON")
    g.add_argument("--no-install", action="store_true", help="never run apt-get or pip; just say what is missing")
    a = ap.parse_args(argv)
    preset = QUICK if a.quick else FULL
    for k, v in preset.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.scenarios = [s for s in a.scenarios.split(",") if s]
    bad = [s for s in a.scenarios if s not in SCENARIOS]
    if bad:
        ap.error(f"unknown scenarios {bad}; choose from {','.join(SCENARIOS)}")
    a.conc = [int(c) for c in a.concurrency.split(",")]
    a.targets = [t for t in a.targets.split(",") if t]
    if a.with_litellm and "litellm" not in a.targets:
        a.targets.insert(a.targets.index("candidate") if "candidate" in a.targets else len(a.targets), "litellm")
    if a.no_candidate:
        a.targets = [t for t in a.targets if t != "candidate"]
    return a


def setup_process(a) -> None:
    """The harness runs on the load core; nice and the open-file limit are inherited by every child."""
    os.sched_setaffinity(0, {a.load_cpu})
    if a.nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, a.nice)
        except PermissionError:
            log("[bench] cannot renice (not root): running at nice 0")
    for n in (65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1]):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
            break
        except (ValueError, OSError):
            continue


def start_upstream(a, workdir: str) -> tuple[subprocess.Popen, str]:
    port = tg.free_port()
    up = tg.Target("upstream", f"http://127.0.0.1:{port}",
                   [tg.BENCH_PY, os.path.join(tg.BENCH_DIR, "fake_upstream.py"), "--port", str(port)])
    tg.spawn(up, a.load_cpu, os.path.join(workdir, "upstream.log"))
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 20:
        try:
            upstream_control(up.url, "/_config")
            return up.proc, up.url
        except (OSError, RuntimeError):
            time.sleep(0.05)
    sys.exit("[bench] the fake upstream did not start:\n" + tg.log_tail(os.path.join(workdir, "upstream.log")))


def build_targets(a, workdir: str, up_url: str) -> list[tg.Target]:
    up_port = int(up_url.rsplit(":", 1)[1])
    out = []
    for name in a.targets:
        if name == "direct":
            out.append(tg.Target("direct", up_url, key="upstream-key"))
        elif name == "nginx":
            out.append(tg.nginx_target(workdir, up_port))
        elif name == "floor":
            out.append(tg.floor_target(up_url))
        elif name == "litellm":
            out.append(tg.litellm_target(workdir, up_url))
        elif name == "candidate":
            out.append(tg.candidate_target(a, workdir, up_url))
        else:
            sys.exit(f"[bench] unknown target {name}")
    return out


def start_fresh(t: tg.Target, scen: str, a, workdir: str, starts: dict) -> str:
    """(Re)starts t, measures the cold start to the first good answer and the idle RSS. '' if ready."""
    dialect = SCENARIOS[scen][0]
    body = json.dumps(OPENAI_BODY if dialect == "openai" else ANTHROPIC_BODY).encode()
    logf = os.path.join(workdir, f"{t.name}.{scen}.log")
    t0 = time.perf_counter()
    tg.spawn(t, a.proxy_cpu, logf)
    cold, why = tg.wait_ready(t, dialect, body, headers(dialect, t.key, t.bearer_for_anthropic), t0)
    if cold is None:
        tail = tg.log_tail(logf, 1500).strip()
        tg.stop(t)
        return f"start for {scen}: {why}" + (f"\n--- {logf} (tail) ---\n{tail}" if tail else "")
    time.sleep(0.5)
    rss = rss_bytes(process_tree(t.proc.pid))
    starts.setdefault(t.name, []).append({"scenario": scen, "cold_start_s": round(cold, 3),
                                          "idle_rss_mb": round(rss / 2**20, 1)})
    log(f"  {t.name} ready for {scen} in {cold * 1000:.0f} ms, RSS {rss / 2**20:.1f} MB")
    return ""


def run_target(t: tg.Target, a, workdir: str, bodies: dict, up_url: str, up_pid: int,
               runs: list, starts: dict) -> None:
    for scen in a.scenarios:
        kind = SCENARIOS[scen][2]
        upstream_control(up_url, "/_config", upstream_knobs(scen, a))
        if t.cmd:
            err = start_fresh(t, scen, a, workdir, starts)
            if err:
                log(f"  {t.name}: {err}")
                runs.append({"target": t.name, "scenario": scen, "conc": 0, "error": err})
                continue
        try:
            if kind == "plain" and a.warmup > 0:  # stream runs warm up inside the run (see runner)
                run_tool(t, scen, max(a.conc), a, bodies, a.warmup, 0.0)
            for c in [a.hold_streams] if kind == "hold" else a.conc:
                time.sleep(0.3)
                restart = None
                if kind == "hold" and t.cmd:
                    def restart(t=t, scen=scen):
                        tg.stop(t)
                        return not start_fresh(t, scen, a, workdir, {})
                r = measured_run(t, scen, c, a, bodies, up_url, up_pid, restart)
                runs.append(r)
                log("  " + fmt(r))
                if "error" not in r and t.proc is not None and t.proc.poll() is not None:
                    runs.append({"target": t.name, "scenario": scen, "conc": c,
                                 "error": f"process exited (code {t.proc.returncode}) during the run"})
                    break
        finally:
            tg.stop(t)


def write_outputs(a, summary: dict, runs: list, meta: dict) -> str:
    out = a.out or os.path.join(tg.BENCH_DIR, "results", time.strftime("%Y-%m-%d-%H%M%S") + ".json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    candidates = [t for t in summary["targets"] if t not in report.BASELINES]
    md = report.markdown(summary, runs, meta, candidates)
    checks = {name: report.check_targets(summary, name) for name in candidates}
    with open(out, "w") as f:
        json.dump({"meta": meta, "summary": summary, "target_checks": checks, "runs": runs}, f, indent=1)
    with open(os.path.splitext(out)[0] + ".md", "w") as f:
        f.write(md)
    if a.update_readme:
        update_readme(md)
    print(md)
    print(f"JSON: {out}\nmarkdown: {os.path.splitext(out)[0]}.md\nlogs: {meta['workdir']}")
    return out


def update_readme(md: str) -> None:
    path = os.path.join(tg.BENCH_DIR, "README.md")
    start, end = "<!-- bench:latest:start -->", "<!-- bench:latest:end -->"
    with open(path) as f:
        text = f.read()
    if start in text and end in text:
        text = text.split(start)[0] + start + "\n" + md + end + text.split(end, 1)[1]
        with open(path, "w") as f:
            f.write(text)


def render(a) -> int:
    with open(a.render) as f:
        d = json.load(f)
    candidates = [t for t in d["summary"]["targets"] if t not in report.BASELINES]
    md = report.markdown(d["summary"], d["runs"], d["meta"], candidates)
    if a.update_readme:
        update_readme(md)
    print(md)
    return 0


def main(argv=None) -> int:
    a = parse_args(argv)
    if a.render:
        return render(a)
    install = not a.no_install
    prereq.ensure_tools(["taskset", "wrk", "nginx"] if not a.self_check else ["taskset"], install)
    prereq.ensure_bench_venv()
    if "litellm" in a.targets:
        prereq.ensure_litellm(install)
    if os.cpu_count() < 2:
        log("[bench] fewer than 2 cores: proxy and load share one; ratios still hold, latencies do not")
        a.proxy_cpu = a.load_cpu = 0
    setup_process(a)
    if a.self_check:
        import selfcheck
        return selfcheck.run(a)
    workdir = a.workdir or time.strftime("/tmp/cliproxy-bench/%Y%m%d-%H%M%S")
    os.makedirs(workdir, exist_ok=True)
    bodies = write_bodies(workdir)
    cmdline = "python bench/run.py " + " ".join(shlex.quote(x) for x in (argv if argv is not None else sys.argv[1:]))
    meta = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "command": cmdline.strip(), "machine": machine_info(),
            "workdir": workdir, "scenarios": a.scenarios, "concurrency": a.conc, "targets": a.targets,
            "config": {k: getattr(a, k) for k in ("duration", "warmup", "chunks", "delay_ms", "hold_streams",
                                                  "hold_chunks", "hold_delay_ms", "hold_ramp", "retries",
                                                  "max_foreign_pct", "quiet_wait", "proxy_cpu", "load_cpu", "nice",
                                                  "cpu_ref_conc", "chunk_ref_conc", "plain_tool")},
            "versions": {**prereq.bench_versions(), "nginx": tg.version_of("nginx -v"),
                         "wrk": tg.version_of("wrk -v")}, "notes": []}
    if "litellm" in a.targets:
        meta["versions"]["litellm"] = prereq.litellm_version()
    runs: list = []
    starts: dict = {}
    up_proc, up_url = start_upstream(a, workdir)
    try:
        for t in build_targets(a, workdir, up_url):
            log(f"== {t.name}" + (f": {' '.join(t.cmd)}" if t.cmd else f": {t.url}"))
            run_target(t, a, workdir, bodies, up_url, up_proc.pid, runs, starts)
    except KeyboardInterrupt:
        meta["notes"].append("interrupted")
    finally:
        up = tg.Target("upstream", up_url)
        up.proc = up_proc
        tg.stop(up)
    summary = report.summarize(runs, starts, a)
    summary["starts"] = starts
    write_outputs(a, summary, runs, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
