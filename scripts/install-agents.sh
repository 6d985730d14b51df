#!/usr/bin/env bash
# Install (once per machine) the agent CLIs the acceptance tests in tests/agents drive:
# Claude Code, Codex CLI, opencode and Gemini CLI, pinned, into .test-cache/agents/ (git-ignored).
# The pytest suite does this by itself on first use; this script is for doing it ahead of time.
# Skips when the cached versions match. Needs node/npm and access to registry.npmjs.org.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec "$PY" tests/agents/install.py "$@"
