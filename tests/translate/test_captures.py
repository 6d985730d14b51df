"""Real client requests (Claude Code, Codex CLI, Gemini CLI, opencode, the Python SDKs; copied
from the research captures) translated to every upstream: each result passes the destination's
strict schema and keeps every tool, call, result and piece of text."""

from __future__ import annotations

import copy

import pytest

from cliproxy.translate.router import UPSTREAM_DIALECTS, get_translator, kind
from translate.conftest import make_ctx
from translate.support import probes
from translate.support.cases import captures
from translate.support.expect import validate

PARAMS = [pytest.param(name, src, body, dst, id=f"{name}->{dst.value}")
          for name, src, body in captures() for dst in UPSTREAM_DIALECTS if kind(src, dst) != "passthrough"]


def test_captures_are_present() -> None:
    names = {n.split("#")[0] for n, _, _ in captures()}
    assert {"claude-code.oneturn.request", "claude-code.tool_result.request", "codex.tool_result.request",
            "gemini-cli.tool_result.request", "opencode.openai-compatible.tool_result.request"} <= names


def _texts(f: dict) -> str:
    return "\n".join(f["system"] + [t for turn in f["turns"] for t in turn["texts"]])


@pytest.mark.parametrize(("name", "src", "body", "dst"), PARAMS)
def test_capture_translates_without_loss(name, src, body, dst) -> None:
    original = copy.deepcopy(body)
    ctx = make_ctx(src, dst, body, stream=bool(body.get("stream")))
    out = get_translator(src, dst).request(ctx)
    assert body == original
    validate(dst, out, hub=kind(src, dst) == "hub")
    before, after = probes.facts(src, body), probes.facts(dst, out)
    n_calls = lambda f: sum(len(t["calls"]) for t in f["turns"])  # noqa: E731
    n_results = lambda f: sum(len(t["results"]) for t in f["turns"])  # noqa: E731
    assert n_calls(after) == n_calls(before) and n_results(after) == n_results(before)
    assert len(after["tools"]) >= len(before["tools"]), "every function tool declared"
    joined = "".join(_texts(after).split())
    for text in before["system"] + [t for turn in before["turns"] for t in turn["texts"]]:
        snippet = "".join(text.split())[:200]
        assert snippet in joined, f"text lost: {text[:80]!r}"
