"""Real agent CLIs through cliproxy (``tests/agents``).

The session fixture installs the pinned CLIs into ``.test-cache/agents/`` on first use (about
35 s; cached afterwards) and prints its progress even under pytest's output capture. When npm
cannot install them the tests FAIL with npm's output: a missing client must not look like a pass.
Select or deselect the module with ``-m agents`` / ``-m "not agents"``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import CellRunner
from .install import AgentInstallError, ensure_agents


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "agents: real agent CLIs (Claude Code, Codex, Gemini CLI, opencode) "
                                       "driven through cliproxy against the upstream emulators")


@pytest.fixture(scope="session")
def agent_clis(request: pytest.FixtureRequest) -> dict[str, Path]:
    capman = request.config.pluginmanager.getplugin("capturemanager")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        if capman is not None:
            with capman.global_and_fixture_disabled():
                return ensure_agents(log)
        return ensure_agents(log)
    except AgentInstallError as exc:
        error = str(exc)
    pytest.fail(f"could not install the agent CLIs with npm, so none of tests/agents can run.\n{error}\n"
                "Fix npm's access to the registry (HTTPS_PROXY, ~/.npmrc) or run scripts/install-agents.sh.",
                pytrace=False)


@pytest.fixture(scope="module")
def agent_runner(agent_clis: dict[str, Path], request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[CellRunner]:
    """Runs the selected cells on ``CLIPROXY_AGENTS_JOBS`` workers (default 2), all queued at once.

    Each worker owns a ``Matrix``: every upstream emulator, one cliproxy serving all of them and
    the refusing proxy. Tests then wait for their own cell, so results appear in order. Module
    scope: nothing keeps running once the module is done.
    """
    runner = CellRunner(tmp_path_factory.mktemp("agents"), jobs=int(os.environ.get("CLIPROXY_AGENTS_JOBS", "2")))
    try:
        for item in request.session.items:
            if item.module is not request.module:
                continue
            spec = getattr(item, "callspec", None)
            if spec is not None and {"client", "upstream", "mode"} <= spec.params.keys() \
                    and item.get_closest_marker("agents") is not None:
                runner.submit(spec.params["client"], spec.params["upstream"], spec.params["mode"])
        yield runner
    finally:
        runner.close()
