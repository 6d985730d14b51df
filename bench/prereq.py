"""Prerequisites: the bench venv, wrk, nginx, and LiteLLM's own venv (stdlib only).

Missing Debian tools are installed with apt-get when running as root (unless --no-install);
otherwise the harness stops and says what to install.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

from targets import BENCH_DIR, BENCH_PY, LITELLM_BIN

APT = {"wrk": "wrk", "nginx": "nginx-light", "taskset": "util-linux", "valgrind": "valgrind",
       "callgrind_control": "valgrind"}


def _run(cmd: list[str], what: str) -> None:
    print(f"[bench] {what}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.exit(f"[bench] {what} failed:\n{p.stdout[-3000:]}")


def ensure_bench_venv() -> None:
    probe = [BENCH_PY, "-c", "import aiohttp, uvloop, httptools, msgspec"]
    if os.path.exists(BENCH_PY) and subprocess.run(probe, capture_output=True).returncode == 0:
        return
    venv = os.path.dirname(os.path.dirname(BENCH_PY))
    _run([sys.executable, "-m", "venv", venv], "creating the bench venv")
    _run([BENCH_PY, "-m", "pip", "install", "-q", "-r", os.path.join(BENCH_DIR, "requirements.txt")],
         "installing the bench requirements")


def ensure_tools(tools: list[str], install: bool) -> None:
    path = os.environ.get("PATH", "").split(":")
    os.environ["PATH"] = ":".join(path + [d for d in ("/usr/sbin", "/sbin") if d not in path])  # nginx
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    pkgs = sorted({APT[t] for t in missing})
    hint = f"apt-get update && apt-get install -y {' '.join(pkgs)}"
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        sys.exit(f"[bench] missing: {', '.join(missing)}. Install them with:\n    {hint}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *pkgs]):
        print(f"[bench] {' '.join(cmd)}", file=sys.stderr, flush=True)
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            sys.exit(f"[bench] {' '.join(cmd)} failed:\n{p.stdout[-2000:]}\nInstall by hand: {hint}")
    still = [t for t in missing if shutil.which(t) is None]
    if still:
        sys.exit(f"[bench] still missing after apt-get: {', '.join(still)}")


def ensure_litellm(install: bool) -> None:
    if os.path.exists(LITELLM_BIN) and litellm_version() != "?":
        return
    venv = os.path.dirname(os.path.dirname(LITELLM_BIN))
    if not install:
        sys.exit(f"[bench] LiteLLM is not installed. Install it with:\n"
                 f"    python3 -m venv {venv} && {venv}/bin/pip install 'litellm[proxy]'")
    _run([sys.executable, "-m", "venv", venv], "creating LiteLLM's venv")
    _run([os.path.join(venv, "bin", "pip"), "install", "-q", "litellm[proxy]"],
         "installing litellm[proxy] (about a minute, ~750 MB)")


def litellm_version() -> str:
    py = os.path.join(os.path.dirname(LITELLM_BIN), "python")
    p = subprocess.run([py, "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
                       capture_output=True, text=True)
    return p.stdout.strip() or "?"


def bench_versions() -> dict:
    p = subprocess.run([BENCH_PY, "-c", "import aiohttp, uvloop, httptools, msgspec, sys; "
                        "print(sys.version.split()[0], aiohttp.__version__, uvloop.__version__, "
                        "httptools.__version__, msgspec.__version__)"], capture_output=True, text=True)
    keys = ("python", "aiohttp", "uvloop", "httptools", "msgspec")
    return dict(zip(keys, p.stdout.split(), strict=False)) if p.returncode == 0 else {}
