"""Print the translation conformance matrix (client × upstream × feature) as markdown.

    python tests/translate/report.py [--details]

Built from the same cases and checks as the tests (``support/checks.py``): ✅ pass, 🟡 the target
cannot express the feature and it was dropped *with* a warning, ❌ fail, · no case. Passthrough
pairs forward bytes, so upstream quirks kept verbatim show as ·.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cliproxy.translate.router import CLIENT_DIALECTS, UPSTREAM_DIALECTS, kind
from translate.support.cases import request_cases, streams_for
from translate.support.checks import request_case, stream_case

MARK = {"pass": "✅", "warn": "🟡", "fail": "❌", None: "·"}


def _merge(old: str | None, new: str) -> str:
    order = {None: 0, "pass": 1, "warn": 2, "fail": 3}
    return new if order[new] > order[old] else old  # type: ignore[return-value]


def main() -> int:
    details = "--details" in sys.argv
    cells: dict[tuple[str, str, str], str | None] = defaultdict(lambda: None)
    failures: list[str] = []
    features: dict[str, set[str]] = defaultdict(set)
    for src in CLIENT_DIALECTS:
        for case in request_cases(src):
            for dst in UPSTREAM_DIALECTS:
                errs, degraded = request_case(case, dst)
                for x in case.features:
                    f = "request:" + x
                    status = "fail" if errs else "warn" if x in degraded else "pass"
                    features[src.value].add(f)
                    cells[(src.value, dst.value, f)] = _merge(cells[(src.value, dst.value, f)], status)
                if errs:
                    failures.append(f"{src.value}:{case.name} -> {dst.value}: {errs[0]}")
        for dst in UPSTREAM_DIALECTS:
            for case in streams_for(dst):
                if kind(src, dst) != "hub" and "robustness" in case.features:
                    continue
                errs = stream_case(src, dst, case)
                for f in ("answer:" + x for x in case.features):
                    features[src.value].add(f)
                    cells[(src.value, dst.value, f)] = _merge(cells[(src.value, dst.value, f)], "fail" if errs else "pass")
                if errs:
                    failures.append(f"{src.value} <- {dst.value}:{case.name}: {errs[0]}")
    total = sum(1 for v in cells.values() if v)
    bad = sum(1 for v in cells.values() if v == "fail")
    print("# cliproxy translation matrix\n")
    print(f"{total} client × upstream × feature cells, {bad} failing. "
          "✅ pass · 🟡 not expressible by the target: dropped with a warning · ❌ fail\n")
    print("Pair kinds: " + ", ".join(f"{s.value}→{d.value}: {kind(s, d)}" for s in CLIENT_DIALECTS
                                      for d in UPSTREAM_DIALECTS if kind(s, d) != "hub") + "; every other pair: hub.\n")
    for src in CLIENT_DIALECTS:
        print(f"## client: {src.value}\n")
        print("| feature | " + " | ".join(d.value for d in UPSTREAM_DIALECTS) + " |")
        print("|---|" + "---|" * len(UPSTREAM_DIALECTS))
        for f in sorted(features[src.value]):
            row = [MARK[cells[(src.value, d.value, f)]] for d in UPSTREAM_DIALECTS]
            print(f"| {f} | " + " | ".join(row) + " |")
        print()
    if failures:
        print("## failures\n")
        for line in failures if details else failures[:50]:
            print(f"- {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
