"""Summary, ratios to the same-run baselines, the target check, and the markdown tables (stdlib only)."""
from __future__ import annotations

from statistics import median

from workload import SCENARIOS

BASELINES = ("direct", "nginx", "floor")


def _ref_conc(concs: list[int], want: int | None) -> int | None:
    if not concs:
        return None
    return want if want in concs else max(concs)


def _delta(x, y) -> float | None:
    return round(x - y, 3) if x is not None and y is not None else None


def summarize(runs: list[dict], starts: dict, a) -> dict:
    ok_runs = [r for r in runs if "error" not in r]
    by = {(r["target"], r["scenario"], r["conc"]): r for r in ok_runs}
    S: dict = {}
    for name in dict.fromkeys(r["target"] for r in runs):
        st = starts.get(name) or []
        cold = [s["cold_start_s"] for s in st if s.get("cold_start_s") is not None]
        idle = [s["idle_rss_mb"] for s in st if s.get("idle_rss_mb") is not None]
        T: dict = {"cold_start_s": {"min": round(min(cold), 3), "median": round(median(cold), 3), "n": len(cold)}
                   if cold else None, "idle_rss_mb": round(median(idle), 1) if idle else None,
                   "failed_runs": [f"{r['scenario']} c={r['conc']}: {r['error'][:300]}" for r in runs
                                   if r["target"] == name and "error" in r],
                   "scenarios": {}}
        for scen, (_dialect, stream, kind) in SCENARIOS.items():
            rs = sorted((r for r in ok_runs if r["target"] == name and r["scenario"] == scen), key=lambda r: r["conc"])
            if not rs:
                continue
            e: dict = {"errors": sum(r.get("errors") or 0 for r in rs),
                       "upstream_paths": sorted({p for r in rs for p in r.get("upstream_paths", {})}),
                       "noisy_runs": sum(1 for r in rs if r.get("noisy"))}
            if stream:
                e["streamed"] = all(r.get("buffered", 0) == 0 and r.get("ended_ok") == r.get("ok") for r in rs)
                e["reads_per_stream"] = min(r.get("reads_mean", 0) for r in rs)
            if kind == "hold":
                r = rs[0]
                e.update(streams=r["conc"], held_ok=r.get("ok"), ttft_p50_ms=(r.get("ttft_ms") or {}).get("p50"),
                         ttft_p99_ms=(r.get("ttft_ms") or {}).get("p99"), rss_per_stream_kb=r.get("rss_per_stream_kb"),
                         rss_base_mb=r.get("rss_base_mb"), rss_peak_mb=r.get("rss_peak_mb"),
                         max_inflight=r.get("max_inflight"))
                T["scenarios"][scen] = e
                continue
            concs = [r["conc"] for r in rs]
            ref = _ref_conc(concs, a.cpu_ref_conc if not stream else a.chunk_ref_conc)
            rr = by[(name, scen, ref)]
            e["ref_conc"] = ref
            e["cpu_us_per_req"] = rr.get("cpu_us_per_req")
            e["cpu_us_per_chunk"] = rr.get("cpu_us_per_chunk")
            e["max_rps"] = max(r.get("rps") or 0 for r in rs)
            e["by_conc"] = {}
            for r in rs:
                d = by.get(("direct", scen, r["conc"]))
                lat, tt = r.get("lat_ms") or {}, r.get("ttft_ms") or {}
                dl, dt = (d or {}).get("lat_ms") or {}, (d or {}).get("ttft_ms") or {}
                pc = {"rps": r.get("rps"), "p50_ms": lat.get("p50"), "p99_ms": lat.get("p99"),
                      "cpu_us_per_req": r.get("cpu_us_per_req"), "errors": r.get("errors")}
                if name != "direct" and d:
                    pc["added_p50_ms"], pc["added_p99_ms"] = _delta(lat.get("p50"), dl.get("p50")), _delta(lat.get("p99"), dl.get("p99"))
                    if stream:
                        pc["added_ttft_p50_ms"] = _delta(tt.get("p50"), dt.get("p50"))
                        pc["added_ttft_p99_ms"] = _delta(tt.get("p99"), dt.get("p99"))
                e["by_conc"][str(r["conc"])] = pc
            T["scenarios"][scen] = e
        S[name] = T
    return {"targets": S, "ratios": ratios(S)}


def ratios(S: dict) -> dict:
    out: dict = {}
    for name, T in S.items():
        if name == "direct":
            continue
        for base in ("floor", "nginx"):
            if base == name or base not in S:
                continue
            x: dict = {}
            for scen, e in T["scenarios"].items():
                b = S[base]["scenarios"].get(scen) or {}
                for k in ("cpu_us_per_req", "cpu_us_per_chunk", "rss_per_stream_kb"):
                    if e.get(k) and b.get(k) and e.get("ref_conc") == b.get("ref_conc"):
                        x[f"{scen}.{k}"] = round(e[k] / b[k], 2)
            if S[base].get("idle_rss_mb") and T.get("idle_rss_mb"):
                x["idle_rss"] = round(T["idle_rss_mb"] / S[base]["idle_rss_mb"], 2)
            out.setdefault(name, {})["vs_" + base] = x
    return out


# ---------------------------------------------------------------- target check
def _g(S, name, scen, *keys):
    v = S.get(name, {}).get("scenarios", {}).get(scen)
    for k in keys:
        if not isinstance(v, dict):
            return None
        v = v.get(k)
    return v


def check_targets(summary: dict, name: str) -> list[dict]:
    """The issue's targets for one target, against the same-run floor. verdict: pass / MISS / n/a."""
    S = summary["targets"]
    rows = []

    def row(metric, value, floor, goal, ok, shown=None, floor_shown=None):
        verdict = "n/a" if ok is None else ("pass" if ok else "MISS")
        rows.append({"metric": metric, "value": value, "floor": floor, "target": goal, "verdict": verdict,
                     "shown": shown if shown is not None else _s(value),
                     "floor_shown": floor_shown if floor_shown is not None else _s(floor)})

    for scen, key, limit, what in (("a", "cpu_us_per_req", 1.5, "CPU µs per request, passthrough (a)"),
                                   ("c", "cpu_us_per_req", 2.0, "CPU µs per request, Anthropic→OpenAI (c)"),
                                   ("b", "cpu_us_per_chunk", 1.5, "CPU µs per stream chunk, passthrough (b)"),
                                   ("cs", "cpu_us_per_chunk", 2.0, "CPU µs per stream chunk, translated (cs)")):
        v, f = _g(S, name, scen, key), _g(S, "floor", scen, key)
        ref = _g(S, name, scen, "ref_conc")
        ratio = round(v / f, 2) if v and f else None
        row(f"{what}, c={ref}", v, f, f"≤ {limit}× floor", None if ratio is None else ratio <= limit,
            shown=f"{_s(v)} ({_s(ratio)}×)" if ratio else _s(v))
    for scen in ("a", "c"):
        p50, p99 = _g(S, name, scen, "by_conc", "1", "added_p50_ms"), _g(S, name, scen, "by_conc", "1", "added_p99_ms")
        f50, f99 = _g(S, "floor", scen, "by_conc", "1", "added_p50_ms"), _g(S, "floor", scen, "by_conc", "1", "added_p99_ms")
        ok = None if p50 is None or p99 is None else p50 <= 0.5 and p99 <= 2.0
        row(f"added p50 / p99 ms at c=1 ({scen})", p50, f50, "≤ 0.5 / ≤ 2 ms", ok,
            shown=f"{_sd(p50)} / {_sd(p99)}", floor_shown=f"{_sd(f50)} / {_sd(f99)}")
    for scen in ("b", "cs"):
        t1, t64 = _g(S, name, scen, "by_conc", "1", "added_ttft_p50_ms"), _g(S, name, scen, "by_conc", "64", "added_ttft_p50_ms")
        f1, f64 = _g(S, "floor", scen, "by_conc", "1", "added_ttft_p50_ms"), _g(S, "floor", scen, "by_conc", "64", "added_ttft_p50_ms")
        ok = None if t1 is None or t64 is None else t1 <= 1.0 and t64 <= 5.0
        row(f"added TTFT p50 ms at c=1 / c=64 ({scen})", t1, f1, "≤ 1 / ≤ 5 ms", ok,
            shown=f"{_sd(t1)} / {_sd(t64)}", floor_shown=f"{_sd(f1)} / {_sd(f64)}")
    kb, fkb = _g(S, name, "d", "rss_per_stream_kb"), _g(S, "floor", "d", "rss_per_stream_kb")
    row("memory per open stream, KB (d)", kb, fkb, "≤ 25 KB", None if kb is None else kb <= 25)
    idle, fidle = S.get(name, {}).get("idle_rss_mb"), S.get("floor", {}).get("idle_rss_mb")
    row("idle RSS, MB", idle, fidle, "≤ 80 MB", None if idle is None else idle <= 80)
    d = _g(S, name, "d")
    if d:
        fd = _g(S, "floor", "d") or {}
        ok = d["held_ok"] == d["streams"] and d["errors"] == 0 and (d["ttft_p99_ms"] or 1e9) <= 100
        row("concurrent slow streams held, errors, TTFT p99", d["held_ok"], fd.get("held_ok"),
            f"{d['streams']}/{d['streams']}, 0, ≤ 100 ms", ok,
            shown=f"{d['held_ok']}/{d['streams']}, {d['errors']}, {_s(d['ttft_p99_ms'])} ms",
            floor_shown=f"{fd.get('held_ok')}/{fd.get('streams')}, {fd.get('errors')}, {_s(fd.get('ttft_p99_ms'))} ms"
            if fd else "-")
    cs, fcs = (S.get(name, {}).get("cold_start_s") or {}).get("median"), (S.get("floor", {}).get("cold_start_s") or {}).get("median")
    row("cold start to first answered request, s (median)", cs, fcs, "≤ 0.5 s", None if cs is None else cs <= 0.5)
    T = S.get(name, {})
    errs = sum(e.get("errors", 0) for e in T.get("scenarios", {}).values()) + len(T.get("failed_runs", []))
    streamed = all(e.get("streamed", True) for e in T.get("scenarios", {}).values())
    row("errors (all runs); every stream streamed", errs, None, "0; yes", errs == 0 and streamed,
        shown=f"{errs}; {'yes' if streamed else 'NO'}")
    for scen in ("c", "cs"):
        paths = _g(S, name, scen, "upstream_paths")
        if paths:
            ok = paths == ["/v1/chat/completions"]
            row(f"upstream path hit by {scen}", None, None, "/v1/chat/completions", ok, shown=", ".join(paths), floor_shown="-")
    return rows


def _sd(v) -> str:
    """signed: +0.36, -0.01"""
    return "-" if v is None else ("+" if v >= 0 else "") + _s(v)


def _s(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


# ---------------------------------------------------------------- markdown
def markdown(summary: dict, runs: list[dict], meta: dict, candidates: list[str]) -> str:
    S = summary["targets"]
    L = [f"**{meta['date']}** · {meta['machine'].get('cpu', '?')}, {meta['machine']['nproc']} vCPU, "
         f"kernel {meta['machine']['kernel']} · `{meta['command']}`", ""]
    L += ["One proxy core (CPU 1); fake upstream, load generator and harness on CPU 0. CPU = the proxy's "
          "process tree, from `/proc/<pid>/stat`. ×floor = ratio to the aiohttp floor measured in this run.", ""]
    L += ["| target | CPU µs/req a | CPU µs/req c | CPU µs/chunk b | CPU µs/chunk cs | +p50 / +p99 ms c=1 (a) "
          "| +TTFT p50 ms c=1 / c=64 (b) | KB / open stream | idle RSS MB | slow streams held (TTFT p99) "
          "| cold start s | errors | streamed |", "|" + "---|" * 13]
    for name, T in S.items():
        sc = T["scenarios"]

        def cpu(scen, key, sc=sc, name=name):
            v, f = (sc.get(scen) or {}).get(key), _g(S, "floor", scen, key)
            if v is None:
                return "-"
            return f"{_s(v)} ({v / f:.2f}×)" if f and name != "floor" else _s(v)
        a1 = (sc.get("a") or {}).get("by_conc", {}).get("1", {})
        b1 = (sc.get("b") or {}).get("by_conc", {}).get("1", {})
        b64 = (sc.get("b") or {}).get("by_conc", {}).get("64", {})
        d = sc.get("d") or {}
        errs = sum(e.get("errors", 0) for e in sc.values()) + len(T["failed_runs"])
        streamed = all(e.get("streamed", True) for e in sc.values())
        lat = "-" if name == "direct" else f"{_sd(a1.get('added_p50_ms'))} / {_sd(a1.get('added_p99_ms'))}"
        ttft = "-" if name == "direct" else f"{_sd(b1.get('added_ttft_p50_ms'))} / {_sd(b64.get('added_ttft_p50_ms'))}"
        held = f"{d['held_ok']}/{d['streams']} ({_s(d['ttft_p99_ms'])} ms)" if d else "-"
        cold = (T.get("cold_start_s") or {}).get("median")
        L.append(f"| {name} | {cpu('a', 'cpu_us_per_req')} | {cpu('c', 'cpu_us_per_req')} | "
                 f"{cpu('b', 'cpu_us_per_chunk')} | {cpu('cs', 'cpu_us_per_chunk')} | {lat} | {ttft} | "
                 f"{_s(d.get('rss_per_stream_kb'))} | {_s(T.get('idle_rss_mb'))} | {held} | {_s(cold)} | {errs} | "
                 f"{'yes' if streamed else 'NO'} |")
    refs = {s: _g(S, "floor", s, "ref_conc") for s in ("a", "b")}
    L += ["", f"CPU per request at c={refs['a']}, per chunk at c={refs['b']} "
          f"({meta['config']['chunks']} chunks × {meta['config']['delay_ms']} ms per stream); "
          f"slow streams: {meta['config']['hold_streams']} × {meta['config']['hold_chunks']} chunks × "
          f"{meta['config']['hold_delay_ms']:.0f} ms. Scenario c/cs: nginx and the floor pass the Anthropic "
          "request through to the upstream's /v1/messages; cliproxy and LiteLLM translate it to /v1/chat/completions."]
    measured = [r for r in runs if "error" not in r]
    noisy = [r for r in measured if r.get("noisy")]
    if noisy:
        L += ["", f"**Noise: {len(noisy)} of {len(measured)} runs were NOISY** (other programs on the box used more "
              f"than {meta['config']['max_foreign_pct']:.0f} % of a core in every attempt). A ratio between a NOISY "
              "run and a clean one can be off by 2× or more: see the flags under All runs."]
    for name in candidates:
        if name not in S:
            continue
        L += ["", f"**Targets: {name}** (same-run floor in the second column)", "",
              f"| metric | floor | {name} | target | |", "|---|---|---|---|---|"]
        for r in check_targets(summary, name):
            L.append(f"| {r['metric']} | {r['floor_shown']} | {r['shown']} | {r['target']} | {r['verdict']} |")
        for f in S[name]["failed_runs"]:
            L.append(f"\nfailed: {f}")
    L += ["", "<details><summary>All runs</summary>", "",
          "| target | scenario | c | req/s | p50 ms | p99 ms | TTFT p50 / p99 ms | CPU µs/req | µs/chunk "
          "| reads/stream | errors | proxy core % | foreign % | flags |", "|" + "---|" * 14]
    L.insert(len(L) - 2, "~ = under 20 clock ticks of proxy CPU (coarse). NOISY = other programs used more than "
             "the allowed share of a core in every attempt. HARNESS-BOUND = the load core was over 90 % busy.\n")
    for r in runs:
        if "error" in r:
            L.append(f"| {r['target']} | {r['scenario']} | {r['conc']} | error: {r['error'][:120]} |" + " |" * 10)
            continue
        lat, tt = r.get("lat_ms") or {}, r.get("ttft_ms") or {}
        stream = SCENARIOS[r["scenario"]][1]
        flags = " ".join(f for f, on in (("NOISY", r.get("noisy")), ("HARNESS-BOUND", r.get("harness_bound"))) if on)
        L.append(f"| {r['target']} | {r['scenario']} | {r['conc']} | {_s(r.get('rps'))} | {_s(lat.get('p50'))} | "
                 f"{_s(lat.get('p99'))} | {(_s(tt.get('p50')) + ' / ' + _s(tt.get('p99'))) if stream else '-'} | "
                 f"{_cpu(r, 'cpu_us_per_req')} | {_cpu(r, 'cpu_us_per_chunk')} | "
                 f"{_s(r.get('reads_mean')) if stream else '-'} | {r.get('errors')} | {_s(r.get('proxy_cpu_pct'))} | "
                 f"{_s(r.get('foreign_cpu_pct'))} | {flags} |")
    L += ["", "</details>"]
    if meta.get("notes"):
        L += ["", "Notes: " + "; ".join(meta["notes"])]
    return "\n".join(L) + "\n"


def _cpu(r: dict, key: str) -> str:
    """'~' marks a figure from fewer than 20 clock ticks (10 ms each) of proxy CPU: coarse."""
    v = r.get(key)
    return "-" if v is None else ("~" if r.get("proxy_cpu_s", 1) < 0.2 else "") + _s(v)
