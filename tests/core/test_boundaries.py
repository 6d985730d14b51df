"""House rule 4, enforced: provider knowledge stays in providers; dialects and ir stay pure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cliproxy"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def _ours(pkg: str):
    base = SRC / pkg
    return [p for p in base.rglob("*.py")] if base.exists() else []


def test_ir_imports_nothing_of_ours():
    for f in _ours("ir"):
        bad = {m for m in _imports(f) if m.startswith("cliproxy") and not m.startswith("cliproxy.ir")}
        assert not bad, f"{f}: {bad}"


def test_dialects_import_no_providers_server_or_accounts():
    for f in _ours("dialects"):
        bad = {m for m in _imports(f) if m.startswith(("cliproxy.providers", "cliproxy.server", "cliproxy.accounts"))}
        assert not bad, f"{f}: {bad}"


def test_no_provider_imports_another():
    mods = {p.stem for p in (SRC / "providers").glob("*.py")}
    shared = {"base", "catalog", "models_catalog", "__init__"}
    for f in (SRC / "providers").glob("*.py"):
        if f.stem in shared:
            continue
        for m in _imports(f):
            if m.startswith("cliproxy.providers."):
                other = m.split(".")[2]
                assert other in shared or other == f.stem or other not in mods or (other == "claude" and m.endswith("claude")), \
                    f"{f.name} imports provider {other}"


def test_import_cliproxy_loads_no_provider():
    code = ("import sys, cliproxy, cliproxy.cli; "
            "bad=[m for m in sys.modules if m.startswith('cliproxy.providers.') and m.split('.')[-1] not in ('base',)]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
