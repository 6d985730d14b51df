#!/usr/bin/env bash
# The one test command: builds the venv (first run or when pyproject.toml changed), makes sure
# PostgreSQL and Redis run, lints, then runs the whole pytest suite. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
step() { printf '\n==> %s\n' "$*"; }

if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.cliproxy-deps
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "installing cliproxy and the test dependencies"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import cliproxy, openai, anthropic, google.genai' 
  echo "$want" > "$stamp"
fi

step "services (PostgreSQL, Redis)"
bash scripts/services.sh

step "ruff"
.venv/bin/ruff check src tests bench

step "mypy"
.venv/bin/mypy src/cliproxy

step "pytest"
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then echo "pytest collected no tests"; fi
exit $rc
