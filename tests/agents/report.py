"""Translation report: run every agent CLI through cliproxy against every upstream kind and print a
markdown table (CLI × upstream, one-turn and tool round), followed by the reason for each failure.

    python tests/agents/report.py [--jobs N] [--details] [--clients claude,codex] [--upstreams claude,openai]

Installs the CLIs first if needed (cached in .test-cache/agents/). Exit status 0 when every cell
passes, 1 otherwise. The same checks as ``tests/agents/test_agents.py`` (``harness.check_cell``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
for p in (str(TESTS), str(REPO / "src")):
    if p not in sys.path:
        sys.path.insert(0, p)

from agents.harness import (  # noqa: E402
    AUTO_MODE,
    CLIENTS,
    ERROR_MODE,
    NATIVE,
    UPSTREAM_ORDER,
    UPSTREAMS,
    CellResult,
    CellRunner,
    all_cells,
)
from agents.install import PACKAGES, AgentInstallError, ensure_agents  # noqa: E402

CLIENT_LABEL = {
    "claude": f"Claude Code {PACKAGES['@anthropic-ai/claude-code']} (Messages)",
    "codex": f"Codex CLI {PACKAGES['@openai/codex']} (Responses)",
    "gemini": f"Gemini CLI {PACKAGES['@google/gemini-cli']} (Gemini)",
    "opencode": f"opencode {PACKAGES['opencode-ai']} (Chat Completions)",
}


def _mark(res: CellResult | None) -> str:
    return "—" if res is None else "✅" if res.ok else "❌"


def render(results: dict[tuple[str, str, str], CellResult], clients: list[str], upstreams: list[str],
           seconds: float, details: bool) -> str:
    head = "| client \\ upstream | " + " | ".join(
        f"{UPSTREAMS[u].kind} (`{UPSTREAMS[u].model}`)" for u in upstreams) + " |"
    lines = [
        "Each cell: one-turn / tool round. ✅ = exit 0, the expected markers in stdout, every upstream "
        "request on the upstream's own path with its credential and answered 200, the tool output sent "
        "back in the upstream's own tool-result shape, nothing outside loopback. *Italic* = the client's "
        "own dialect (passthrough).",
        "",
        head,
        "|" + "---|" * (len(upstreams) + 1),
    ]
    for c in clients:
        cells = []
        for u in upstreams:
            cell = f"{_mark(results.get((c, u, 'one-turn')))} / {_mark(results.get((c, u, 'tool')))}"
            cells.append(f"*{cell}*" if NATIVE[c] == u else cell)
        lines.append(f"| {CLIENT_LABEL[c]} | " + " | ".join(cells) + " |")
        if c == "gemini":
            lines.append("| ↳ Gemini CLI default model `auto` (router call in JSON mode, then the main call) | "
                         + " | ".join(_mark(results.get((c, u, AUTO_MODE))) for u in upstreams) + " |")
    errs = [r for r in results.values() if r.mode == ERROR_MODE]
    if errs:
        lines += ["", "Upstream answers 500 to everything (the CLI must exit non-zero within 30 s and show the "
                  "error): " + ", ".join(f"{r.client} {_mark(r)} ({r.run.seconds:.1f}s)" for r in errs) + "."]
    passed = sum(r.ok for r in results.values())
    lines += ["", f"{passed}/{len(results)} runs passed in {seconds:.0f}s."]
    failures = [r for r in results.values() if not r.ok]
    if failures:
        lines += ["", "Failures:", ""]
        for r in failures:
            lines.append(f"- **{r.client} → {UPSTREAMS[r.upstream].kind}, {r.mode}**: {'; '.join(r.problems)}")
            if details:
                lines += ["", "```", r.report, "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2, help="CLI runs at a time (default 2)")
    ap.add_argument("--details", action="store_true", help="print the full evidence of each failure")
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--upstreams", default=",".join(UPSTREAM_ORDER))
    args = ap.parse_args(argv)
    clients = [c for c in args.clients.split(",") if c]
    upstreams = [u for u in args.upstreams.split(",") if u]
    bad = [c for c in clients if c not in CLIENTS] + [u for u in upstreams if u not in UPSTREAMS]
    if bad:
        ap.error(f"unknown client/upstream: {bad}; clients {CLIENTS}, upstreams {UPSTREAM_ORDER}")
    try:
        ensure_agents(lambda m: print(m, file=sys.stderr, flush=True))
    except AgentInstallError as exc:
        print(f"cannot install the agent CLIs: {exc}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    results: dict[tuple[str, str, str], CellResult] = {}
    with tempfile.TemporaryDirectory(prefix="cliproxy-agents-") as tmp, \
            CellRunner(Path(tmp), jobs=args.jobs) as runner:
        keys = [k for k in all_cells() if k[0] in clients and k[1] in upstreams]
        for k in keys:
            runner.submit(*k)
        for k in keys:
            res = runner.result(*k)
            results[k] = res
            print(f"[{'pass' if res.ok else 'FAIL'}] {k[0]} → {k[1]} {k[2]} ({res.run.seconds:.1f}s)",
                  file=sys.stderr, flush=True)
    print(render(results, clients, upstreams, time.monotonic() - t0, args.details))
    return 0 if all(r.ok for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
