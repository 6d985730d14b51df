"""Install the four agent CLIs once per machine into ``.test-cache/agents/`` (git-ignored).

``ensure_agents()`` is idempotent: when ``.test-cache/agents/installed.json`` records the pinned
versions and every binary is present, it returns at once. Otherwise it runs one ``npm install``
with ``HOME``/``TMPDIR`` pointed at scratch directories inside the cache (the CLIs' install scripts
write into ``$HOME``), and an npm cache inside the cache dir, printing progress as it goes.
A file lock serialises concurrent sessions. Failure raises ``AgentInstallError`` with npm's output.

Run by hand: ``python tests/agents/install.py`` (or ``scripts/install-agents.sh``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("CLIPROXY_AGENTS_CACHE", REPO / ".test-cache" / "agents"))
PKG_DIR = CACHE / "pkg"
BIN_DIR = PKG_DIR / "node_modules" / ".bin"
MANIFEST = CACHE / "installed.json"
OPENCODE_CONFIG_TEMPLATE = CACHE / "opencode-config"
INSTALL_TIMEOUT = float(os.environ.get("CLIPROXY_AGENTS_INSTALL_TIMEOUT", "900"))

# Pinned: the versions /work/shared/research/clients.md measured (all available on npm).
PACKAGES: dict[str, str] = {
    "@anthropic-ai/claude-code": "2.1.197",
    "@openai/codex": "0.169.0",
    "opencode-ai": "1.18.33",
    "@google/gemini-cli": "0.61.0",
}
# opencode npm-installs this into its config dir on every run (a registry call) unless it is
# already there; the tests hard-link this pre-installed config dir into each run's HOME.
OPENCODE_PLUGIN = ("@opencode-ai/plugin", "1.18.33")
BINARIES = {"claude": "claude", "codex": "codex", "opencode": "opencode", "gemini": "gemini"}


class AgentInstallError(RuntimeError):
    pass


def _say(log: Callable[[str], None], msg: str) -> None:
    log(f"[agents-install] {msg}")


def _installed_version(pkg: str, where: Path = PKG_DIR) -> str | None:
    pj = where / "node_modules" / pkg / "package.json"
    try:
        return str(json.loads(pj.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def is_installed() -> bool:
    try:
        recorded = json.loads(MANIFEST.read_text()).get("packages")
    except (OSError, ValueError):
        return False
    if recorded != _wanted():
        return False
    if any(_installed_version(p) != v for p, v in PACKAGES.items()):
        return False
    if _installed_version(OPENCODE_PLUGIN[0], OPENCODE_CONFIG_TEMPLATE) != OPENCODE_PLUGIN[1]:
        return False
    return all((BIN_DIR / b).exists() for b in BINARIES.values())


def _wanted() -> dict[str, str]:
    return {**PACKAGES, f"opencode-config:{OPENCODE_PLUGIN[0]}": OPENCODE_PLUGIN[1]}


def binary(name: str) -> Path:
    return BIN_DIR / BINARIES[name]


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _install(log: Callable[[str], None]) -> None:
    npm = shutil.which("npm")
    node = shutil.which("node")
    if npm is None or node is None:
        raise AgentInstallError("node/npm not found on PATH: the agent CLIs need Node >= 20 and npm")
    home, tmp = CACHE / "install-home", CACHE / "install-tmp"
    for d in (home, tmp):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    PKG_DIR.mkdir(parents=True, exist_ok=True)
    MANIFEST.unlink(missing_ok=True)
    (PKG_DIR / "package.json").write_text(json.dumps(
        {"name": "cliproxy-agent-clis", "private": True, "description": "test cache, see tests/agents",
         "dependencies": PACKAGES}, indent=2) + "\n")
    # npm must not see a global/location override from a parent `npm run`; the user's own npmrc
    # (registry mirror, proxy, cafile) still applies although HOME points at scratch
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("npm_config_global", "npm_config_location", "npm_config_prefix")}
    user_npmrc = Path(os.environ.get("NPM_CONFIG_USERCONFIG") or Path.home() / ".npmrc")
    if user_npmrc.is_file():
        env["NPM_CONFIG_USERCONFIG"] = str(user_npmrc)
    env.update(HOME=str(home), TMPDIR=str(tmp), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_DATA_HOME=str(home / ".local/share"),
               XDG_STATE_HOME=str(home / ".local/state"), CI="1", NO_UPDATE_NOTIFIER="1",
               DISABLE_AUTOUPDATER="1")
    _say(log, f"npm install {' '.join(f'{p}@{v}' for p, v in PACKAGES.items())}")
    _say(log, f"into {PKG_DIR} (first run downloads ~400 MB; takes 20-120 s)")
    t0 = time.monotonic()
    _npm(npm, PKG_DIR, [], env, log)
    shutil.rmtree(OPENCODE_CONFIG_TEMPLATE, ignore_errors=True)
    OPENCODE_CONFIG_TEMPLATE.mkdir(parents=True)
    _say(log, f"npm install {OPENCODE_PLUGIN[0]}@{OPENCODE_PLUGIN[1]} into {OPENCODE_CONFIG_TEMPLATE}")
    _npm(npm, OPENCODE_CONFIG_TEMPLATE, [f"{OPENCODE_PLUGIN[0]}@{OPENCODE_PLUGIN[1]}"], env, log)
    missing = [f"{p}@{v} (found {_installed_version(p)})" for p, v in PACKAGES.items()
               if _installed_version(p) != v]
    missing += [f"binary {b}" for b in BINARIES.values() if not (BIN_DIR / b).exists()]
    if _installed_version(OPENCODE_PLUGIN[0], OPENCODE_CONFIG_TEMPLATE) != OPENCODE_PLUGIN[1]:
        missing.append(f"{OPENCODE_PLUGIN[0]}@{OPENCODE_PLUGIN[1]} in {OPENCODE_CONFIG_TEMPLATE}")
    if missing:
        raise AgentInstallError("npm install finished but these are missing: " + ", ".join(missing))
    _smoke(log)
    MANIFEST.write_text(json.dumps({"packages": _wanted(), "node": _node_version(),
                                    "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=2) + "\n")
    shutil.rmtree(CACHE / "install-tmp", ignore_errors=True)
    _say(log, f"done in {time.monotonic() - t0:.0f}s")


def _npm(npm: str, where: Path, args: list[str], env: dict[str, str], log: Callable[[str], None]) -> None:
    """``npm install [args]`` in ``where``, streaming progress; raises with npm's output on failure."""
    cmd = [npm, "install", "--no-audit", "--no-fund", "--loglevel=http", "--progress=false",
           # fail in seconds, not minutes, when the registry is unreachable
           "--fetch-retries=2", "--fetch-retry-mintimeout=2000", "--fetch-retry-maxtimeout=10000",
           "--fetch-timeout=120000",
           "--cache", str(CACHE / "npm-cache"), "--prefix", str(where), *args]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=where, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    tail: list[str] = []
    fetched = 0
    last_note = t0
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            line = line.rstrip()
            tail = [*tail[-59:], line]
            if "fetch GET 200" in line:
                fetched += 1
            now = time.monotonic()
            if now - last_note >= 5:
                _say(log, f"... {now - t0:.0f}s, {fetched} packages fetched")
                last_note = now
            if "ERR!" in line:
                _say(log, f"npm: {line}")
            if now - t0 > INSTALL_TIMEOUT:
                proc.kill()
                raise AgentInstallError(f"npm install took longer than {INSTALL_TIMEOUT:.0f}s:\n" + "\n".join(tail))
        rc = proc.wait(timeout=max(1.0, INSTALL_TIMEOUT - (time.monotonic() - t0)))
    except subprocess.TimeoutExpired as exc:
        raise AgentInstallError(f"npm install took longer than {INSTALL_TIMEOUT:.0f}s") from exc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if rc != 0:
        raise AgentInstallError(f"`{' '.join(cmd)}` failed (exit {rc}) after {time.monotonic() - t0:.0f}s; "
                                "the end of its output:\n" + "\n".join(tail[-25:]))
    _say(log, f"... npm finished in {time.monotonic() - t0:.0f}s ({fetched} packages fetched)")


def _node_version() -> str:
    out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def _smoke(log: Callable[[str], None]) -> None:
    """``--version`` of each CLI, in a throwaway HOME (codex and gemini write into it)."""
    home = CACHE / "install-home"
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(CACHE / "install-tmp"), "CODEX_HOME": str(home / ".codex"),
           "DISABLE_AUTOUPDATER": "1", "CI": "1"}
    for name in BINARIES:
        try:
            out = subprocess.run([str(binary(name)), "--version"], capture_output=True, text=True, timeout=60,
                                 env=env, stdin=subprocess.DEVNULL, cwd=home)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AgentInstallError(f"{name} --version failed: {exc}") from exc
        if out.returncode != 0:
            raise AgentInstallError(f"{name} --version exited {out.returncode}:\n{out.stdout}\n{out.stderr}")
        _say(log, f"{name} --version: {out.stdout.strip().splitlines()[-1] if out.stdout.strip() else '?'}")


def ensure_agents(log: Callable[[str], None] = print) -> dict[str, Path]:
    """Make sure the pinned CLIs are installed; returns ``{name: binary path}``."""
    if not is_installed():
        with _lock():
            if not is_installed():
                _install(log)
    else:
        _say(log, f"cached: {', '.join(f'{p}@{v}' for p, v in PACKAGES.items())}")
    return {name: binary(name) for name in BINARIES}


def main() -> int:
    try:
        paths = ensure_agents(lambda m: print(m, flush=True))
    except AgentInstallError as exc:
        print(f"[agents-install] FAILED: {exc}", file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
