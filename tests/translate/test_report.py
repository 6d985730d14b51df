"""The conformance report runs from the same cases and shows every pair."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cliproxy.translate.router import UPSTREAM_DIALECTS


def test_report_prints_the_full_matrix() -> None:
    script = Path(__file__).with_name("report.py")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    out = run.stdout
    assert ", 0 failing." in out
    header = "| feature | " + " | ".join(d.value for d in UPSTREAM_DIALECTS) + " |"
    assert out.count(header) == 4, "one table per client dialect"
    assert "| request:tool_results |" in out and "| answer:tool_calls |" in out
