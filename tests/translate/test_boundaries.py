"""House rules for the translation layer (ARCHITECTURE.md): import boundaries, module size,
no module-level mutable state, exhaustive matches, and the router's full pair coverage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cliproxy
from cliproxy.dialects.ids import Dialect
from cliproxy.translate.router import (
    CLIENT_DIALECTS,
    UPSTREAM_DIALECTS,
    get_translator,
    kind,
    supported_pairs,
)

SRC = Path(cliproxy.__file__).resolve().parent
MINE = ("codecs.py", "envelope.py", "hub.py", "router.py", "thinking.py", "tokens.py")
OWNED = sorted([*SRC.glob("ir/*.py"), *SRC.glob("dialects/*/*.py"), *(SRC / "translate" / n for n in MINE)])


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("path", sorted(SRC.glob("ir/*.py")), ids=lambda p: p.name)
def test_ir_imports_nothing_of_ours(path: Path) -> None:
    assert not {m for m in _imports(path) if m.startswith("cliproxy") and not m.startswith("cliproxy.ir")}


@pytest.mark.parametrize("path", sorted(SRC.glob("dialects/*/*.py")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_dialects_import_no_providers_server_or_accounts(path: Path) -> None:
    bad = {m for m in _imports(path) if m.split(".")[1:2] and m.split(".")[1] in ("providers", "server", "accounts",
                                                                                    "routing", "pipeline", "config")}
    assert not bad


@pytest.mark.parametrize("path", OWNED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_modules_are_small_and_say_what_they_own(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) < 400
    assert ast.get_docstring(ast.parse(text)), "every module opens with what it owns"


@pytest.mark.parametrize("path", OWNED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_module_level_mutable_state(path: Path) -> None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]:
                continue
            value = node.value
            assert not isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp), (
                f"{path.name}:{node.lineno}: module-level mutable container (use MappingProxyType / tuple / frozenset)")


@pytest.mark.parametrize("path", OWNED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_matches_over_ir_unions_end_in_assert_never(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Match):
            subject = ast.unparse(node.subject)
            if subject in ("p", "ev", "p.part", "part") and not any(
                    isinstance(c.pattern, ast.MatchAs) and c.pattern.pattern is None and "assert_never" in ast.unparse(c)
                    for c in node.cases):
                pytest.fail(f"{path.name}:{node.lineno}: match {subject} without a final assert_never")


def test_router_covers_every_client_upstream_pair() -> None:
    assert len(supported_pairs()) == len(CLIENT_DIALECTS) * len(UPSTREAM_DIALECTS) == 28
    for src, dst in supported_pairs():
        t = get_translator(src, dst)
        assert (t.src, t.dst) == (src, dst)
    assert kind(Dialect.ANTHROPIC, Dialect.ANTHROPIC) == "passthrough"
    assert kind(Dialect.GEMINI, Dialect.GEMINI_CLI) == kind(Dialect.OPENAI_RESPONSES, Dialect.CODEX) == "envelope"
    assert kind(Dialect.ANTHROPIC, Dialect.GEMINI) == "hub"
    with pytest.raises(KeyError):
        get_translator(Dialect.CODEX, Dialect.ANTHROPIC)
