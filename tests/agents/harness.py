"""Drive the real agent CLIs (Claude Code, Codex, Gemini CLI, opencode) through cliproxy.

Shared by the pytest module (``test_agents.py``) and the matrix report (``report.py``).

* ``Matrix`` starts one upstream emulator per upstream kind and one cliproxy with all of them
  configured, each kind behind its own model id (``UPSTREAMS``).
* ``DenyProxy`` is a refusing HTTP(S) proxy: every CLI runs with ``HTTPS_PROXY``/``HTTP_PROXY``
  pointing at it and ``NO_PROXY=127.0.0.1,localhost``, so any attempt to reach the internet is
  recorded (and refused) instead of escaping.
* ``run_agent`` runs one CLI once, isolated (own ``HOME``, ``TMPDIR``, ``XDG_*``, ``CODEX_HOME``,
  stdin ``/dev/null``, fail-fast retry settings, a hard timeout) and returns an ``AgentRun``.
* ``check_cell`` asserts on evidence: exit code, the markers in stdout, the upstream requests the
  emulator recorded (path, auth, dialect, tool result carried in the upstream's own shape) and the
  refusing proxy's log. It returns a list of problems (empty = pass) so the report can reuse it.

Nothing here reads ``/work/shared``; the facts it relies on are written down next to each CLI.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators import AnthropicEmulator, CodexEmulator, Fault, GeminiEmulator, OpenAIEmulator
from proxy_harness import ProxyServer

from .install import BIN_DIR, OPENCODE_CONFIG_TEMPLATE, binary

RUN_TIMEOUT = float(os.environ.get("CLIPROXY_AGENT_TIMEOUT", "120"))

CLIENT_KEY = "sk-cliproxy-agents-0123456789"
OPENAI_UP_KEY = "sk-up-openai-agents"
CODEX_UP_KEY = "codex-up-agents-token"
CLAUDE_UP_KEY = "sk-ant-up-agents"
GEMINI_UP_KEY = "AIza-up-gemini-agents"
VERTEX_UP_KEY = "AIza-up-vertex-agents"

ONE_TURN_PROMPT = "Say hello EMU_PING"
TOOL_PROMPT = "USE_TOOL: run echo"
# the tool's *output*, not the command line: "EMU_TOOL_OK" not preceded by "echo "
TOOL_OUTPUT_RE = re.compile(r"(?<!echo )EMU_TOOL_OK")


# ---------------------------------------------------------------- upstream kinds


@dataclass(frozen=True)
class Upstream:
    kind: str           # config block kind
    model: str          # model id the client asks for (unique to this upstream)
    upstream_model: str  # model name the emulator sees
    dialect: str        # "anthropic" | "responses" | "gemini" | "chat"
    path: str           # every upstream request must match this regex; {m} = the upstream model
    auto_model: str = ""  # upstream model behind Gemini CLI's router names (default: upstream_model)

    def path_re(self, model: str) -> str:
        return self.path.replace("{m}", re.escape(model))


UPSTREAMS: dict[str, Upstream] = {
    "claude": Upstream("claude-api-key", "claude-sonnet-4-6", "claude-sonnet-4-6", "anthropic",
                       r"^/v1/messages$"),
    "codex": Upstream("codex-api-key", "gpt-5.4", "gpt-5.4", "responses",
                      r"^/backend-api/codex/responses$"),
    # Gemini CLI sends thinkingLevel to its (Gemini 3) router/main models: serve those names with a
    # Gemini 3 model, as a user would (a 2.5 model would reject thinkingLevel)
    "gemini": Upstream("gemini-api-key", "gemini-2.5-flash", "gemini-2.5-flash", "gemini",
                       r"^/v1beta/models/{m}:(stream)?[gG]enerateContent$", auto_model="gemini-3-flash-preview"),
    "vertex": Upstream("vertex-api-key", "vertex-gemini-2.5-pro", "gemini-2.5-pro", "gemini",
                       r"^/v1(beta1)?/publishers/google/models/{m}:(stream)?[gG]enerateContent$",
                       auto_model="gemini-3-flash-preview"),
    "openai": Upstream("openai-compatibility", "gpt-4o", "gpt-4o", "chat", r"^/v1/chat/completions$"),
}

# Gemini CLI's default model "auto" first asks a flash-lite model (JSON mode) how complex the prompt
# is, then streams from the flash or pro model it picked; these aliases serve those names.
# In the "auto-router" cells both names are aliases of the upstream under test, so the router call
# (JSON mode) and the main call are translated like everything else. The pro fallback is not served
# on purpose: if the router answer is unusable the CLI falls back to it and the run fails.
GEMINI_CLI_AUTO_ALIASES = ("gemini-3.5-flash-lite", "gemini-3.8-flash")

# the client CLI → its own dialect's upstream (the first cell of each row)
NATIVE = {"claude": "claude", "codex": "codex", "gemini": "gemini", "opencode": "openai"}
CLIENTS = ("claude", "codex", "gemini", "opencode")
UPSTREAM_ORDER = ("claude", "codex", "gemini", "vertex", "openai")


MODES = ("one-turn", "tool")
# Gemini CLI's default model "auto": a router call in JSON mode, then the main call
AUTO_MODE = "auto-router"
# the native upstream answers 500 to everything: the CLI must exit non-zero, fast, showing the error.
# Not for opencode: it retries 5xx/503 on its own for ~70 s whatever its settings.
ERROR_MODE = "upstream-500"
ERROR_CLIENTS = ("claude", "codex", "gemini")
ERROR_SIGNS = {"claude": r"API Error: 500", "codex": r"(?m)^ERROR: ", "gemini": r"status: 500"}
ERROR_DEADLINE = 30.0


def all_cells() -> list[tuple[str, str, str]]:
    """Every (client, upstream, mode) the suite runs, each client's own dialect first."""
    cells = [(c, u, m) for c, u in matrix_cells() for m in MODES]
    cells += [("gemini", u, AUTO_MODE) for u in (NATIVE["gemini"], *[x for x in UPSTREAM_ORDER if x != "gemini"])]
    cells += [(c, NATIVE[c], ERROR_MODE) for c in ERROR_CLIENTS]
    return cells


def matrix_cells() -> list[tuple[str, str]]:
    """(client, upstream) with each client's own dialect first."""
    cells = []
    for c in CLIENTS:
        cells.append((c, NATIVE[c]))
        cells.extend((c, u) for u in UPSTREAM_ORDER if u != NATIVE[c])
    return cells


# ---------------------------------------------------------------- refusing proxy


class DenyProxy:
    """An HTTP proxy on 127.0.0.1 that records the request line (``CONNECT host:443`` …) and answers 403."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.attempts: list[str] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, name="deny-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DenyProxy:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            with contextlib.suppress(OSError):
                while b"\r\n" not in data and len(data) < 8192:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
            if line:
                with self._lock:
                    self.attempts.append(line)
            with contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def snapshot(self) -> list[str]:
        with self._lock:
            return list(self.attempts)

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> DenyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- proxy log capture


class LogTap(logging.Handler):
    """Collects cliproxy's log lines (INFO and up) while attached."""

    def __init__(self, thread_id: int | None = None) -> None:
        super().__init__(logging.INFO)
        self.thread_id = thread_id  # only records from this thread (one cliproxy's loop), if set
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if self.thread_id is not None and record.thread != self.thread_id:
            return
        with contextlib.suppress(Exception):
            self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")

    _users = 0
    _saved_level = logging.NOTSET
    _level_lock = threading.Lock()

    @contextlib.contextmanager
    def attached(self) -> Iterator[LogTap]:
        lg = logging.getLogger("cliproxy")
        with LogTap._level_lock:  # concurrent runs: raise the level once, restore it after the last
            if LogTap._users == 0:
                LogTap._saved_level = lg.level
                if lg.level == logging.NOTSET or lg.level > logging.INFO:
                    lg.setLevel(logging.INFO)
            LogTap._users += 1
            lg.addHandler(self)
        try:
            yield self
        finally:
            with LogTap._level_lock:
                lg.removeHandler(self)
                LogTap._users -= 1
                if LogTap._users == 0:
                    lg.setLevel(LogTap._saved_level)


# ---------------------------------------------------------------- the shared world


class Matrix:
    """Emulators for every upstream kind + one cliproxy serving them all + the refusing proxy."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.emus: dict[str, Any] = {}
        self.px: ProxyServer | None = None
        self.deny: DenyProxy | None = None
        self.auto_to = "gemini"

    def start(self) -> Matrix:
        st = self._stack
        self.emus["claude"] = st.enter_context(AnthropicEmulator(api_key=CLAUDE_UP_KEY))
        self.emus["codex"] = st.enter_context(CodexEmulator(access_token=CODEX_UP_KEY, account_id=None))
        self.emus["gemini"] = st.enter_context(GeminiEmulator(api_key=GEMINI_UP_KEY))
        self.emus["vertex"] = st.enter_context(GeminiEmulator(api_key=VERTEX_UP_KEY))
        self.emus["openai"] = st.enter_context(OpenAIEmulator(api_key=OPENAI_UP_KEY))
        self.deny = st.enter_context(DenyProxy())
        self.px = st.enter_context(ProxyServer(self.config()))
        return self

    def config(self, auto_to: str = "gemini") -> dict[str, Any]:
        """The cliproxy config; Gemini CLI's router model names are aliases on ``auto_to``."""
        e = self.emus
        u = UPSTREAMS

        def one(name: str) -> list[dict[str, str]]:
            models = [{"name": u[name].upstream_model, "alias": u[name].model}]
            if name == auto_to:
                target = u[name].auto_model or u[name].upstream_model
                models += [{"name": target, "alias": a} for a in GEMINI_CLI_AUTO_ALIASES]
            return models

        return {
            "host": "127.0.0.1",
            "api-keys": [CLIENT_KEY],
            "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": e["claude"].url, "models": one("claude")}],
            "codex-api-key": [{"api-key": CODEX_UP_KEY, "base-url": e["codex"].base_url, "models": one("codex")}],
            "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": e["gemini"].url, "models": one("gemini")}],
            "vertex-api-key": [{"api-key": VERTEX_UP_KEY, "base-url": e["vertex"].url, "models": one("vertex")}],
            "openai-compatibility": [{
                "name": "emu-openai", "base-url": e["openai"].base_url(),
                "api-key-entries": [{"api-key": OPENAI_UP_KEY}], "models": one("openai")}],
        }

    def route_gemini_auto(self, upstream: str) -> None:
        """Point Gemini CLI's router/default model names at ``upstream`` (a hot config swap)."""
        if upstream == self.auto_to or self.px is None:
            return
        from proxy_harness import config_from

        cfg = config_from(self.config(auto_to=upstream))
        state = self.px.state

        async def apply() -> None:
            state.apply_config(cfg)

        self.px.call(apply())
        self.auto_to = upstream

    def reset(self) -> None:
        for emu in self.emus.values():
            emu.reset()
        if self.px is not None:
            with contextlib.suppress(Exception):
                self.px.state.book.reset()

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Matrix:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- running one CLI


@dataclass
class AgentRun:
    client: str
    upstream: str
    mode: str             # "one-turn" | "tool" | "auto-router"
    argv: list[str]
    rc: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool
    home: Path
    escapes: list[str] = field(default_factory=list)
    proxy_log: list[str] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)  # what the upstream emulator recorded


def _isolated_env(home: Path, deny_url: str) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "USER", "LOGNAME", "SHELL", "TZ")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PATH"] = f"{BIN_DIR}:{env.get('PATH', '/usr/local/bin:/usr/bin:/bin')}"
    env.setdefault("LANG", "C.UTF-8")
    env["TERM"] = "dumb"
    tmp = home / "tmp"
    env.update(
        HOME=str(home), TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp),
        XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
        XDG_STATE_HOME=str(home / ".local/state"), XDG_CACHE_HOME=str(home / ".cache"),
        XDG_RUNTIME_DIR=str(home / "run"),
        # every outside connection goes to the refusing proxy; loopback (cliproxy) stays direct
        HTTPS_PROXY=deny_url, HTTP_PROXY=deny_url, https_proxy=deny_url, http_proxy=deny_url,
        ALL_PROXY=deny_url, all_proxy=deny_url,
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
        NO_COLOR="1", FORCE_COLOR="0", CI="1", NO_UPDATE_NOTIFIER="1",
    )
    for d in ("tmp", ".config", ".local/share", ".local/state", ".cache", "run", "work"):
        (home / d).mkdir(parents=True, exist_ok=True)
    os.chmod(home / "run", 0o700)
    return env


def _claude(env: dict[str, str], home: Path, url: str, model: str, tool: bool) -> list[str]:
    # Claude Code 2.1.197: POST /v1/messages?beta=true (stream), x-api-key; one request per turn in -p.
    env.update(
        ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY=CLIENT_KEY,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_TELEMETRY="1", DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1", CLAUDE_CODE_MAX_RETRIES="0", API_TIMEOUT_MS="60000",
    )
    argv = [str(binary("claude")), "-p", TOOL_PROMPT if tool else ONE_TURN_PROMPT, "--model", model]
    if tool:
        argv += ["--allowedTools", "Bash"]
    return argv


def _codex(env: dict[str, str], home: Path, url: str, model: str, tool: bool) -> list[str]:
    # Codex 0.169.0: POST {base_url}/responses (stream), Bearer from env_key. No retries, no plugins.
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True, exist_ok=True)
    (codex_home / "config.toml").write_text(f"""\
model = "{model}"
model_provider = "cliproxy"
check_for_update_on_startup = false

[model_providers.cliproxy]
name = "cliproxy"
base_url = "{url}/v1"
env_key = "CLIPROXY_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 60000

[analytics]
enabled = false

[feedback]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
""")
    env.update(CODEX_HOME=str(codex_home), CLIPROXY_API_KEY=CLIENT_KEY)
    return [str(binary("codex")), "exec", "--skip-git-repo-check", "--ephemeral",
            "--disable", "unbounded_connection_retries", "-m", model,
            TOOL_PROMPT if tool else ONE_TURN_PROMPT]


def _gemini(env: dict[str, str], home: Path, url: str, model: str, tool: bool) -> list[str]:
    # Gemini CLI 0.61.0: with -m there is no router side call; POST /v1beta/models/{m}:streamGenerateContent.
    gdir = home / ".gemini"
    gdir.mkdir(parents=True, exist_ok=True)
    (gdir / "settings.json").write_text(json.dumps({
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "privacy": {"usageStatisticsEnabled": False}, "telemetry": {"enabled": False},
        "general": {"disableAutoUpdate": True, "disableUpdateNag": True, "maxAttempts": 1},
        "ide": {"enabled": False},
    }))
    env.update(GEMINI_API_KEY=CLIENT_KEY, GOOGLE_GEMINI_BASE_URL=url, GEMINI_CLI_TRUST_WORKSPACE="true",
               GEMINI_TELEMETRY_ENABLED="false")
    argv = [str(binary("gemini"))]
    if model != "auto":  # with -m there is no router side call
        argv += ["-m", model]
    argv += ["-p", TOOL_PROMPT if tool else ONE_TURN_PROMPT]
    if tool:
        argv += ["--approval-mode", "yolo"]
    return argv


def _opencode(env: dict[str, str], home: Path, url: str, model: str, tool: bool) -> list[str]:
    # opencode 1.18.33 with the bundled @ai-sdk/openai-compatible provider: POST /v1/chat/completions.
    cfg_dir = home / ".config" / "opencode"
    cfg_dir.mkdir(parents=True, exist_ok=True)
    # opencode npm-installs @opencode-ai/plugin into its config dir on every run unless it is there
    # (a registry call): give it a pre-installed copy (hard links into the installer's template)
    subprocess.run(["cp", "-al", f"{OPENCODE_CONFIG_TEMPLATE}/.", str(cfg_dir)], check=True, timeout=60)
    models = {u.model: {"name": u.model, "tool_call": True} for u in UPSTREAMS.values()}
    config = {
        "$schema": "https://opencode.ai/config.json",
        "autoupdate": False, "share": "disabled",
        "model": f"cliproxy/{model}", "small_model": f"cliproxy/{model}",
        "provider": {"cliproxy": {"npm": "@ai-sdk/openai-compatible", "name": "cliproxy",
                                  "options": {"baseURL": f"{url}/v1", "apiKey": CLIENT_KEY},
                                  "models": models}},
        "permission": {"bash": "allow", "edit": "allow"},
    }
    (home / "work" / "opencode.json").write_text(json.dumps(config, indent=1))
    env.update(OPENCODE_DISABLE_AUTOUPDATE="1", OPENCODE_DISABLE_MODELS_FETCH="1",
               OPENCODE_DISABLE_LSP_DOWNLOAD="1", OPENCODE_DISABLE_SHARE="1",
               OPENCODE_DISABLE_DEFAULT_PLUGINS="1", OPENCODE_DISABLE_CLAUDE_CODE="1")
    return [str(binary("opencode")), "run", "--pure", "-m", f"cliproxy/{model}",
            TOOL_PROMPT if tool else ONE_TURN_PROMPT]


BUILDERS = {"claude": _claude, "codex": _codex, "gemini": _gemini, "opencode": _opencode}


_LIVE: set[subprocess.Popen[str]] = set()
_LIVE_LOCK = threading.Lock()


def kill_live_agents() -> None:
    """SIGKILL the process group of every CLI run still going (only the ones ``run_agent`` started)."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for p in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)


def run_agent(client: str, upstream: str, *, mode: str, matrix: Matrix, home: Path,
              timeout: float = RUN_TIMEOUT) -> AgentRun:
    """One CLI run. ``mode``: "one-turn", "tool", or "auto-router" (Gemini CLI's default model)."""
    assert matrix.px is not None and matrix.deny is not None
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    env = _isolated_env(home, matrix.deny.url)
    tool = mode == "tool"
    model = "auto" if mode == AUTO_MODE else UPSTREAMS[upstream].model
    argv = BUILDERS[client](env, home, matrix.px.url, model, tool)
    before = len(matrix.deny.snapshot())
    tap = LogTap(matrix.px.thread.ident)
    t0 = time.monotonic()
    timed_out = False
    with tap.attached():
        proc = subprocess.Popen(argv, cwd=home / "work", env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                                start_new_session=True)
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        finally:
            # the CLIs may leave helpers (MCP, sandboxes) in their process group: end only that group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        seconds = time.monotonic() - t0
        # cliproxy writes its access-log line after the response is sent, i.e. possibly after the
        # CLI has exited: give it a moment (until 0.2 s pass without a new line, at most 2 s)
        deadline, seen, quiet_since = time.monotonic() + 2.0, -1, time.monotonic()
        while time.monotonic() < deadline:
            if len(tap.lines) != seen:
                seen, quiet_since = len(tap.lines), time.monotonic()
            elif time.monotonic() - quiet_since >= 0.2:
                break
            time.sleep(0.05)
    return AgentRun(client=client, upstream=upstream, mode=mode, argv=argv,
                    rc=None if timed_out else proc.returncode, stdout=out, stderr=err, seconds=seconds,
                    timed_out=timed_out, home=home, escapes=matrix.deny.snapshot()[before:],
                    proxy_log=list(tap.lines))


# ---------------------------------------------------------------- evidence


def _texts(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _texts(v)


def tool_results_in(dialect: str, body: Any) -> list[str]:
    """The tool-result texts a request body carries, read in *that* dialect's own shape."""
    out: list[str] = []
    if not isinstance(body, dict):
        return out
    if dialect == "anthropic":
        for m in body.get("messages") or []:
            if isinstance(m, dict) and isinstance(m.get("content"), list):
                for b in m["content"]:
                    if isinstance(b, dict) and b.get("type") == "tool_result":
                        out.append(" ".join(_texts(b.get("content"))))
    elif dialect == "chat":
        for m in body.get("messages") or []:
            if isinstance(m, dict) and m.get("role") == "tool":
                out.append(" ".join(_texts(m.get("content"))))
    elif dialect == "responses":
        for it in body.get("input") or []:
            if isinstance(it, dict) and it.get("type") == "function_call_output":
                out.append(" ".join(_texts(it.get("output"))))
    elif dialect == "gemini":
        for c in body.get("contents") or []:
            for p in (c.get("parts") or []) if isinstance(c, dict) else []:
                fr = p.get("functionResponse") if isinstance(p, dict) else None
                if isinstance(fr, dict):
                    out.append(" ".join(_texts(fr.get("response"))))
    return out


def json_mode_in(dialect: str, body: Any) -> bool:
    """Does a request body ask for JSON output, in that dialect's own way?"""
    if not isinstance(body, dict):
        return False
    if dialect == "gemini":
        gc = body.get("generationConfig") or {}
        return gc.get("responseMimeType") == "application/json" or "responseJsonSchema" in gc \
            or "responseSchema" in gc
    if dialect == "chat":
        return (body.get("response_format") or {}).get("type") in ("json_schema", "json_object")
    if dialect == "responses":
        return ((body.get("text") or {}).get("format") or {}).get("type") in ("json_schema", "json_object")
    if dialect == "anthropic":
        fmt = body.get("output_format") or (body.get("output_config") or {}).get("format") or {}
        return isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json")
    return False


def real_upstream_violations(up: Upstream, model: str, body: Any) -> list[str]:
    """Rules the real upstream enforces that the emulators do not (yet): a request breaking one passes
    here but is a 400 in production. Each rule quotes the real API's error."""
    out: list[str] = []
    if not isinstance(body, dict):
        return out
    if up.dialect == "gemini" and model.startswith("gemini-2."):
        tc = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
        if "thinkingLevel" in tc or "thinking_level" in tc:
            out.append(f"sent thinkingConfig.thinkingLevel={tc.get('thinkingLevel')!r} to {model}: "
                       "Gemini 2.x models only take thinkingBudget (real API: 400 INVALID_ARGUMENT "
                       "\"Thinking level is not supported for this model.\")")
    if up.dialect == "anthropic" and (body.get("thinking") or {}).get("type") in ("enabled", "adaptive"):
        msgs = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        last_asst = next((m for m in reversed(msgs) if m.get("role") == "assistant"), None)
        content = last_asst.get("content") if last_asst else None
        if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content):
            first = content[0].get("type") if content and isinstance(content[0], dict) else None
            if first not in ("thinking", "redacted_thinking"):
                out.append("thinking is enabled but the last assistant turn (with tool_use) does not start with a "
                           "thinking block (real API: 400 \"Expected `thinking` or `redacted_thinking`, but found "
                           f"`{first}`. When `thinking` is enabled, a final `assistant` message must start with a "
                           "thinking block\")")
    return out


def auth_ok(upstream: str, rec: Any) -> bool:
    if upstream == "claude":
        return rec.header("x-api-key") == CLAUDE_UP_KEY or rec.header("authorization") == f"Bearer {CLAUDE_UP_KEY}"
    if upstream == "codex":
        return rec.header("authorization") == f"Bearer {CODEX_UP_KEY}"
    if upstream == "openai":
        return rec.header("authorization") == f"Bearer {OPENAI_UP_KEY}"
    key = GEMINI_UP_KEY if upstream == "gemini" else VERTEX_UP_KEY
    return rec.header("x-goog-api-key") == key or rec.query.get("key") == key


def _short(text: str, n: int = 1500) -> str:
    text = text.strip()
    return text if len(text) <= n else f"{text[:n // 3]}\n… [{len(text) - n} chars cut] …\n{text[-2 * n // 3:]}"


def describe_requests(requests: list[Any]) -> str:
    lines = []
    for r in requests:
        extra = ""
        if r.status != 200:
            extra = f" body[:600]={r.body[:600]!r}"
        lines.append(f"  {r.method} {r.path} {r.query or ''} -> {r.status} model={r.model}{extra}")
    return "\n".join(lines) or "  (none)"


def replay_error(emu: Any, rec: Any) -> str:
    """Re-send a request the emulator refused, to read its error body (diagnostics only)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        q = "&".join(f"{k}={v}" for k, v in rec.query.items())
        hdrs = {k: v for k, v in rec.headers.items() if k.lower() not in ("host", "content-length")}
        conn.request(rec.method, rec.path + (f"?{q}" if q else ""), body=rec.body, headers=hdrs)
        resp = conn.getresponse()
        return f"{resp.status} {resp.read()[:800].decode('utf-8', 'replace')}"
    except OSError as exc:
        return f"replay failed: {exc}"
    finally:
        conn.close()


def check_cell(run: AgentRun, matrix: Matrix) -> list[str]:
    """Every problem with one run (empty list = the cell passes)."""
    up = UPSTREAMS[run.upstream]
    emu = matrix.emus[run.upstream]
    problems: list[str] = []
    run.requests = reqs = emu.requests  # snapshot before any diagnostic replay
    if run.mode == ERROR_MODE:
        return _check_error_cell(run, up)
    if run.timed_out:
        problems.append(f"timed out after {run.seconds:.0f}s")
    elif run.rc != 0:
        problems.append(f"exit code {run.rc}")
    if not reqs:
        problems.append(f"no request reached the {run.upstream} upstream")
    want_model = (up.auto_model or up.upstream_model) if run.mode == AUTO_MODE else up.upstream_model
    for r in reqs:
        if not re.search(up.path_re(want_model), r.path):
            problems.append(f"upstream request to unexpected path {r.method} {r.path}")
        if not auth_ok(run.upstream, r):
            problems.append(f"upstream request {r.path} lacks the {up.kind} credential")
        if r.status != 200:
            problems.append(f"upstream answered {r.status} to {r.path}: {replay_error(emu, r)}")
        problems += [f"real-upstream rule: {v}" for v in real_upstream_violations(up, r.model or "", r.json)]
        if any(CLIENT_KEY in v for v in (*r.headers.values(), *r.query.values())):
            problems.append(f"the client's cliproxy key was forwarded upstream on {r.path}")
        if isinstance(r.json, dict) and r.model not in (None, want_model):
            problems.append(f"upstream saw model {r.model!r}, expected {want_model!r}")
    others = {k: len(e.requests) for k, e in matrix.emus.items() if k != run.upstream and e.requests}
    if others:
        problems.append(f"requests leaked to other upstreams: {others}")
    out = run.stdout
    if run.mode == "auto-router":
        if not any(json_mode_in(up.dialect, r.json) for r in reqs[:1]):
            problems.append(f"the first upstream request (Gemini CLI's router call) is not in {up.dialect} JSON mode")
        if len(reqs) < 2:
            problems.append("expected the router call and then the main call upstream")
    if run.mode in ("one-turn", "auto-router"):
        if "EMU_OK" not in out:
            problems.append("stdout lacks EMU_OK")
        if not any("EMU_PING" in t for r in reqs for t in _texts(r.json)):
            problems.append("the prompt (EMU_PING) is not in any upstream request")
    else:
        if "EMU_RESULT" not in out:
            problems.append("stdout lacks EMU_RESULT (the model's answer after the tool result)")
        if not TOOL_OUTPUT_RE.search(out):
            problems.append("stdout lacks the tool output EMU_TOOL_OK")
        carried = [t for r in reqs for t in tool_results_in(up.dialect, r.json)]
        if not any(TOOL_OUTPUT_RE.search(t) for t in carried):
            problems.append(f"no upstream request carried the tool output as a {up.dialect} tool result "
                            f"(found {carried[:3]!r})")
    if run.escapes:
        problems.append(f"connections tried to leave loopback: {run.escapes}")
    return list(dict.fromkeys(problems))  # each problem once (a rule may break on every request)


def _check_error_cell(run: AgentRun, up: Upstream) -> list[str]:
    problems: list[str] = []
    if run.timed_out or run.seconds > ERROR_DEADLINE:
        problems.append(f"took {run.seconds:.0f}s to give up (limit {ERROR_DEADLINE:.0f}s): not failing fast")
    elif run.rc == 0:
        problems.append("exit code 0 although every upstream call failed")
    if not run.requests or any(r.status != 500 for r in run.requests):
        problems.append(f"expected the {run.upstream} upstream to be called and answer 500: "
                        f"{[(r.path, r.status) for r in run.requests]}")
    if not any(re.search(up.path_re(up.upstream_model), r.path) for r in run.requests):
        problems.append("the upstream was not called on its own path")
    if not any(re.search(r" 500 [\d.]+ms", line) for line in run.proxy_log):
        problems.append("cliproxy did not answer the client with a 500")
    sign = ERROR_SIGNS[run.client]
    if not re.search(sign, run.stdout + "\n" + run.stderr):
        problems.append(f"the CLI's output does not show the error (/{sign}/)")
    if run.escapes:
        problems.append(f"connections tried to leave loopback: {run.escapes}")
    return problems


def failure_report(run: AgentRun, problems: list[str]) -> str:
    return "\n".join([
        f"{run.client} → {run.upstream} ({UPSTREAMS[run.upstream].kind}), {run.mode}: "
        f"{'; '.join(problems)}",
        f"argv: {' '.join(run.argv)}",
        f"rc={run.rc} in {run.seconds:.1f}s",
        "--- stdout ---", _short(run.stdout),
        "--- stderr ---", _short(run.stderr),
        f"--- {run.upstream} emulator requests ---", describe_requests(run.requests),
        "--- cliproxy log ---", _short("\n".join(run.proxy_log), 3000),
    ])


# ---------------------------------------------------------------- running many cells


@dataclass
class CellResult:
    client: str
    upstream: str
    mode: str
    run: AgentRun
    problems: list[str]
    report: str  # the failure report ("" when the cell passed)

    @property
    def ok(self) -> bool:
        return not self.problems


CODEX_DAEMON_DIR = Path("/tmp/codex-daemon-0")  # Codex hard-codes it (ignores TMPDIR)


class CellRunner:
    """Runs cells on ``jobs`` worker threads, each with its own ``Matrix`` (emulators + cliproxy).

    CLI start-up dominates (opencode and Gemini CLI take seconds of CPU each), so two runs at a
    time roughly halve the wall time on a 2-core machine. Results are cached per cell, so the
    pytest module can submit every selected cell up front and then wait for each in order.
    """

    def __init__(self, base: Path, jobs: int = 2) -> None:
        from concurrent.futures import ThreadPoolExecutor
        from queue import Queue

        self.base = base
        self.jobs = max(1, jobs)
        self._pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="agent-cell")
        self._free: Queue[Matrix] = Queue()
        self._matrices: list[Matrix] = []
        self._futures: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()
        self._codex_dir_existed = CODEX_DAEMON_DIR.exists()
        for _ in range(self.jobs):
            m = Matrix().start()
            self._matrices.append(m)
            self._free.put(m)

    def submit(self, client: str, upstream: str, mode: str) -> Any:
        key = (client, upstream, mode)
        with self._lock:
            fut = self._futures.get(key)
            if fut is None:
                fut = self._futures[key] = self._pool.submit(self._work, *key)
            return fut

    def result(self, client: str, upstream: str, mode: str) -> CellResult:
        return self.submit(client, upstream, mode).result(timeout=RUN_TIMEOUT * (len(self._futures) + 2))

    def _work(self, client: str, upstream: str, mode: str) -> CellResult:
        m = self._free.get()
        try:
            m.reset()
            home = self.base / f"{client}-{upstream}-{mode}"
            if mode == AUTO_MODE:
                m.route_gemini_auto(upstream)
            if mode == ERROR_MODE:
                m.emus[upstream].script(Fault.server_error(), times=None)
            run = run_agent(client, upstream, mode=mode, matrix=m, home=home)
            problems = check_cell(run, m)
            report = failure_report(run, problems) if problems else ""
            if not problems:
                shutil.rmtree(home, ignore_errors=True)
            return CellResult(client, upstream, mode, run, problems, report)
        finally:
            m.reset()
            self._free.put(m)

    def close(self) -> None:
        with self._lock:
            for fut in self._futures.values():
                fut.cancel()
        kill_live_agents()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for m in self._matrices:
            with contextlib.suppress(Exception):
                m.close()
        if not self._codex_dir_existed:
            with contextlib.suppress(OSError):
                CODEX_DAEMON_DIR.rmdir()  # only when empty

    def __enter__(self) -> CellRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
