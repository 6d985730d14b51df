"""Acceptance: the real agent CLIs, run headless, through cliproxy, against every upstream kind.

Clients (pinned, installed once into ``.test-cache/agents/`` by the ``agent_clis`` fixture):
Claude Code (Anthropic Messages), Codex CLI (OpenAI Responses), Gemini CLI (Gemini) and opencode
(OpenAI Chat Completions). Upstreams (``harness.UPSTREAMS``, one emulator each): ``claude-api-key``,
``codex-api-key``, ``gemini-api-key``, ``vertex-api-key`` and ``openai-compatibility``. The first
upstream of each client is its own dialect (passthrough); every other one needs translation.

Modes per (client, upstream):

* ``one-turn``: ``Say hello EMU_PING`` → the fake model's ``EMU_OK …`` reaches stdout;
* ``tool``: ``USE_TOOL: run echo`` → the model calls the shell tool with ``echo EMU_TOOL_OK``, the CLI
  really runs it and sends the output back, and the final ``EMU_RESULT: … EMU_TOOL_OK`` reaches stdout;
* ``auto-router`` (Gemini CLI only): its default model ``auto`` first makes a router call in JSON
  mode, then the main call; both are aliases of the upstream under test;
* ``upstream-500`` (native upstream; not opencode, which retries 5xx for ~70 s whatever its settings):
  the CLI must exit non-zero within 30 s and show the error.

Each run is judged on evidence (``harness.check_cell``): exit code 0; the stdout markers; every
upstream request on that upstream's own path, with its credential (and never the client's cliproxy
key), answered 200, for the right model; the tool output carried back as a tool result in the
*upstream's* own shape; no request at any other upstream; a few rules real upstreams enforce that
the emulators do not yet (``real_upstream_violations``); and no connection attempt through the
refusing proxy, i.e. nothing left loopback. A failure prints the CLI's output, the upstream requests
and cliproxy's log lines for that run.

``python tests/agents/report.py`` runs the same cells and prints the markdown matrix.
"""

from __future__ import annotations

import pytest

from .harness import NATIVE, UPSTREAMS, CellRunner, all_cells

pytestmark = pytest.mark.agents

CLIENT_NAMES = {"claude": "claude-code", "codex": "codex", "gemini": "gemini-cli", "opencode": "opencode"}


def _id(client: str, upstream: str, mode: str) -> str:
    tag = "native" if NATIVE[client] == upstream else "cross"
    return f"{CLIENT_NAMES[client]}:{UPSTREAMS[upstream].kind}:{tag}:{mode}"


CASES = [pytest.param(c, u, mode, id=_id(c, u, mode)) for c, u, mode in all_cells()]


@pytest.mark.parametrize(("client", "upstream", "mode"), CASES)
def test_agent_through_cliproxy(client: str, upstream: str, mode: str, agent_runner: CellRunner) -> None:
    res = agent_runner.result(client, upstream, mode)
    if not res.ok:
        pytest.fail(res.report, pytrace=False)


def test_refusing_proxy_records_outside_connections() -> None:
    """The loopback check means something: a client honouring HTTPS_PROXY is seen and refused."""
    import urllib.error
    import urllib.request

    from .harness import DenyProxy

    with DenyProxy() as deny:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"https": deny.url, "http": deny.url}))
        with pytest.raises((urllib.error.URLError, OSError)):
            opener.open("https://registry.npmjs.org/opencode-ai", timeout=10)
        seen = deny.snapshot()
        assert len(seen) == 1 and seen[0].startswith("CONNECT registry.npmjs.org:443 "), seen
