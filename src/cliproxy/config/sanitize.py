"""CLIProxyAPI's load-time sanitisation (upstream-server.md §2.2), applied to the plain values.

Each rule mirrors ``internal/config/config.go`` at the reference commit: the same trimming,
normalising, de-duplication and dropping. Where CLIProxyAPI silently drops something we keep
the behaviour and add a warning, so ``cliproxy config check`` can say *why* an entry vanished.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import urlsplit

from cliproxy.config.errors import Problem
from cliproxy.config.walk import join

DEFAULT_PPROF_ADDR = "127.0.0.1:8316"
DEFAULT_PANEL_REPO = "https://github.com/router-for-me/Cli-Proxy-API-Management-Center"
DEFAULT_AUTH_REFRESH_WORKERS = 16
_STRATEGIES = {"": "round-robin", "round-robin": "round-robin", "roundrobin": "round-robin",
               "rr": "round-robin", "fill-first": "fill-first", "fillfirst": "fill-first", "ff": "fill-first"}
_PROXY_SCHEMES = ("socks5", "socks5h", "http", "https")
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_LOOPBACK = ("127.", "::1", "localhost", "[::1]")

# (key-path glob, reason): keys that parse but do nothing in cliproxy. Warned when set to a
# non-default value. ``*`` matches one list index.
INERT_KEYS: tuple[tuple[str, str], ...] = (
    ("quota-exceeded.switch-project", "accepted for compatibility; has no effect (none in CLIProxyAPI either)"),
    ("quota-exceeded.switch-preview-model",
     "accepted for compatibility; has no effect (none in CLIProxyAPI either)"),
    ("pprof.enable", "pprof is Go's profiler; cliproxy has no equivalent, ignored"),
    ("claude-api-key[*].cloak", "cliproxy never disguises traffic as Claude Code; cloak is ignored"),
    ("claude-api-key[*].experimental-cch-signing",
     "cliproxy never disguises traffic as Claude Code; ignored"),
)


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go ``time.ParseDuration`` string (``1h30m``, ``90s``, ``1.5h``), or None."""
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    if s == "0":
        return 0.0
    if not s:
        return None
    total, pos = 0.0, 0
    for m in _DURATION.finditer(s):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    return sign * total if pos == len(s) else None


def expand_home(path: str) -> str:
    """CLIProxyAPI's ResolveAuthDir: a leading ``~`` is the home directory; the result is cleaned."""
    if not path:
        return ""
    if path.startswith("~"):
        rest = path[1:].lstrip("/\\").replace("\\", "/")
        home = os.path.expanduser("~")
        return os.path.normpath(os.path.join(home, rest)) if rest else os.path.normpath(home)
    return os.path.normpath(path)


def is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Sanitiser:
    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines
        self.warnings: list[Problem] = []
        self.problems: list[Problem] = []

    def _line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Problem(path, self._line(path), "", "", message))

    def error(self, path: str, expected: str, got: Any, message: str = "") -> None:
        self.problems.append(Problem(path, self._line(path), expected, _show(got), message))

    # -- entry point -------------------------------------------------------------------------
    def run(self, d: dict[str, Any]) -> None:
        self._scalars(d)
        self._api_keys(d)
        for block in ("gemini-api-key", "vertex-api-key"):
            self._deduped_block(d, block)
        self._claude(d)
        self._codex(d)
        self._compat(d)
        self._kiro(d)
        for block in ("claude-header-defaults", "codex-header-defaults"):
            if isinstance(d.get(block), dict):
                d[block] = {k: v.strip() if isinstance(v, str) else v for k, v in d[block].items()}
        self._oauth_excluded(d)
        self._oauth_alias(d)
        self._payload(d)
        self._routing(d)
        self._urls(d)
        self._inert(d)
        self._security(d)

    # -- top-level scalars -------------------------------------------------------------------
    def _scalars(self, d: dict[str, Any]) -> None:
        port = d.get("port")
        if isinstance(port, int) and not 0 <= port <= 65535:
            self.error("port", "a port number 0-65535", port)
        v = d.get("redis-usage-queue-retention-seconds")
        if isinstance(v, int) and v <= 0:
            d["redis-usage-queue-retention-seconds"] = 60
            self.warn("redis-usage-queue-retention-seconds", f"{v} is not positive; using 60")
        elif isinstance(v, int) and v > 3600:
            d["redis-usage-queue-retention-seconds"] = 3600
            self.warn("redis-usage-queue-retention-seconds", f"{v} is above the maximum; clamped to 3600")
        if d.get("logs-max-total-size-mb", 0) < 0:
            self.warn("logs-max-total-size-mb", "negative; using 0 (no size limit)")
            d["logs-max-total-size-mb"] = 0
        if d.get("error-logs-max-files", 0) < 0:
            self.warn("error-logs-max-files", "negative; using the default 10")
            d["error-logs-max-files"] = 10
        if d.get("max-retry-credentials", 0) < 0:
            d["max-retry-credentials"] = 0  # CLIProxyAPI: negative means "all", same as 0
        if "auth-auto-refresh-workers" in d and d["auth-auto-refresh-workers"] <= 0:
            d["auth-auto-refresh-workers"] = DEFAULT_AUTH_REFRESH_WORKERS  # <= 0 means "the default"
        for key in ("max-body-bytes", "upstream-connect-timeout", "upstream-idle-timeout"):
            if key in d and d[key] <= 0:
                self.error(key, "a number greater than 0", d[key])
        pprof = d.get("pprof")
        if isinstance(pprof, dict) and "addr" in pprof:
            pprof["addr"] = pprof["addr"].strip() or DEFAULT_PPROF_ADDR
        rm = d.get("remote-management")
        if isinstance(rm, dict) and "panel-github-repository" in rm:
            rm["panel-github-repository"] = rm["panel-github-repository"].strip() or DEFAULT_PANEL_REPO
        if "auth-dir" in d:
            d["auth-dir"] = expand_home(d["auth-dir"].strip())
        ep = d.get("kiro-preferred-endpoint")
        if isinstance(ep, str) and ep.strip().lower() not in ("", "ide", "cli"):
            self.warn("kiro-preferred-endpoint", f'"{ep}" is not "ide" or "cli"; Kiro uses "ide"')
        tls = d.get("tls")
        if isinstance(tls, dict) and tls.get("enable") and not (tls.get("cert") and tls.get("key")):
            self.warn("tls.enable", "TLS is enabled but tls.cert or tls.key is empty; the server cannot start HTTPS")

    def _api_keys(self, d: dict[str, Any]) -> None:
        if "api-keys" not in d:
            return
        out: list[str] = []
        for i, raw in enumerate(d["api-keys"]):
            key = raw.strip()
            if not key:
                self.warn(f"api-keys[{i}]", "empty key ignored")
            elif key in out:
                self.warn(f"api-keys[{i}]", "duplicate key ignored")
            else:
                out.append(key)
        d["api-keys"] = out

    # -- shared per-entry rules --------------------------------------------------------------
    def _prefix(self, e: dict[str, Any], path: str) -> None:
        if "prefix" not in e:
            return
        raw = e["prefix"]
        p = raw.strip().strip("/")
        if "/" in p:
            self.warn(join(path, "prefix"), f'"{raw}" contains "/" inside; prefix ignored')
            p = ""
        e["prefix"] = p

    def _headers(self, e: dict[str, Any], path: str) -> None:
        if "headers" not in e:
            return
        clean: dict[str, str] = {}
        for k, v in e["headers"].items():
            key, val = k.strip(), (v or "").strip()
            if not key or not val:
                self.warn(join(join(path, "headers"), k), "header with an empty name or value dropped")
                continue
            clean[key] = val
        e["headers"] = clean

    @staticmethod
    def _excluded(e: dict[str, Any]) -> None:
        if "excluded-models" in e:
            e["excluded-models"] = normalise_models(e["excluded-models"])

    def _common(self, e: dict[str, Any], path: str) -> None:
        for k in ("api-key", "base-url", "proxy-url"):
            if isinstance(e.get(k), str):
                e[k] = e[k].strip()
        self._prefix(e, path)
        self._headers(e, path)
        self._excluded(e)
        if e.get("proxy-url"):
            self._proxy(e["proxy-url"], join(path, "proxy-url"))

    def _deduped_block(self, d: dict[str, Any], block: str) -> None:
        """gemini-api-key / vertex-api-key: need an api-key; unique on api-key|base-url."""
        if block not in d:
            return
        seen: set[str] = set()
        out = []
        for i, e in enumerate(d[block]):
            path = f"{block}[{i}]"
            self._common(e, path)
            if not e.get("api-key"):
                self.warn(path, "entry without api-key dropped")
                continue
            if block == "vertex-api-key" and "models" in e:
                models = []
                for j, m in enumerate(e["models"]):
                    name, alias = m.get("name", "").strip(), m.get("alias", "").strip()
                    if name and alias:
                        models.append({"name": name, "alias": alias})
                    else:
                        self.warn(f"{path}.models[{j}]", "model without both name and alias dropped")
                e["models"] = models
            ident = e["api-key"] + "|" + e.get("base-url", "")
            if ident in seen:
                self.warn(path, "duplicate of an earlier entry (same api-key and base-url) dropped")
                continue
            seen.add(ident)
            out.append(e)
        d[block] = out

    def _claude(self, d: dict[str, Any]) -> None:
        for i, e in enumerate(d.get("claude-api-key", ())):
            self._common(e, f"claude-api-key[{i}]")
            if not e.get("api-key"):
                self.warn(f"claude-api-key[{i}]", "entry without api-key is never used")

    def _codex(self, d: dict[str, Any]) -> None:
        if "codex-api-key" not in d:
            return
        out = []
        for i, e in enumerate(d["codex-api-key"]):
            self._common(e, f"codex-api-key[{i}]")
            if not e.get("base-url"):
                self.warn(f"codex-api-key[{i}]", "entry without base-url dropped (codex-api-key requires base-url)")
                continue
            out.append(e)
        d["codex-api-key"] = out

    def _compat(self, d: dict[str, Any]) -> None:
        if "openai-compatibility" not in d:
            return
        out = []
        for i, e in enumerate(d["openai-compatibility"]):
            path = f"openai-compatibility[{i}]"
            if isinstance(e.get("name"), str):
                e["name"] = e["name"].strip()
            self._common(e, path)
            for j, k in enumerate(e.get("api-key-entries", ())):
                k["api-key"] = k.get("api-key", "").strip()
                if k.get("proxy-url"):
                    k["proxy-url"] = k["proxy-url"].strip()
                    self._proxy(k["proxy-url"], f"{path}.api-key-entries[{j}].proxy-url")
            if not e.get("base-url"):
                self.warn(path, "provider without base-url dropped")
                continue
            out.append(e)
        d["openai-compatibility"] = out

    @staticmethod
    def _kiro(d: dict[str, Any]) -> None:
        for e in d.get("kiro", ()):
            for k, v in list(e.items()):
                if isinstance(v, str):
                    e[k] = v.strip()

    # -- oauth maps --------------------------------------------------------------------------
    def _oauth_excluded(self, d: dict[str, Any]) -> None:
        if "oauth-excluded-models" not in d:
            return
        out: dict[str, list[str]] = {}
        for channel, models in d["oauth-excluded-models"].items():
            key = channel.strip().lower()
            norm = normalise_models(models or [])
            if key and norm:
                out[key] = norm
        d["oauth-excluded-models"] = out

    def _oauth_alias(self, d: dict[str, Any]) -> None:
        if "oauth-model-alias" not in d:
            return
        out: dict[str, list[dict[str, Any]] | None] = {}
        for channel, aliases in d["oauth-model-alias"].items():
            key = channel.strip().lower()
            path = join("oauth-model-alias", channel)
            if not key:
                continue
            if not aliases:
                out[key] = None  # explicit empty/null channel: disables built-in default aliases
                continue
            seen: set[str] = set()
            clean = []
            for j, a in enumerate(aliases):
                name, alias = a.get("name", "").strip(), a.get("alias", "").strip()
                sub = f"{path}[{j}]"
                if not name or not alias:
                    self.warn(sub, "alias without both name and alias dropped")
                elif name.lower() == alias.lower():
                    self.warn(sub, "alias equal to its name dropped")
                elif alias.lower() in seen:
                    self.warn(sub, f'alias "{alias}" already used in this channel; dropped')
                else:
                    seen.add(alias.lower())
                    clean.append({"name": name, "alias": alias, "fork": bool(a.get("fork", False))})
            if clean:
                out[key] = clean
        d["oauth-model-alias"] = out

    # -- payload -----------------------------------------------------------------------------
    def _payload(self, d: dict[str, Any]) -> None:
        payload = d.get("payload")
        if not isinstance(payload, dict):
            return
        for section in ("default-raw", "override-raw"):
            if section not in payload:
                continue
            out = []
            for i, rule in enumerate(payload[section]):
                path = f"payload.{section}[{i}]"
                params = rule.get("params") or {}
                if not params:
                    self.warn(path, "rule without params dropped")
                    continue
                bad = next((k for k, v in params.items() if isinstance(v, str) and not _valid_json(v)), None)
                if bad is not None:
                    self.warn(join(join(path, "params"), bad), "invalid raw JSON; the whole rule is dropped")
                    continue
                out.append(rule)
            payload[section] = out

    # -- routing -----------------------------------------------------------------------------
    def _routing(self, d: dict[str, Any]) -> None:
        r = d.get("routing")
        if not isinstance(r, dict):
            return
        if "strategy" in r:
            raw = r["strategy"]
            canon = _STRATEGIES.get(raw.strip().lower())
            if canon is None:
                self.error("routing.strategy", '"round-robin" or "fill-first"', raw,
                           "aliases roundrobin/rr and fillfirst/ff are accepted")
            else:
                r["strategy"] = canon
        if r.get("claude-code-session-affinity"):
            r["session-affinity"] = True  # deprecated alias of session-affinity
        if "session-affinity-ttl" in r:
            ttl = r["session-affinity-ttl"].strip()
            secs = parse_go_duration(ttl) if ttl else None
            if ttl and (secs is None or secs <= 0):
                self.warn("routing.session-affinity-ttl", f'"{ttl}" is not a positive duration like "30m" or "1h"; using 1h')
            r["session-affinity-ttl"] = ttl if secs and secs > 0 else "1h"

    # -- URLs --------------------------------------------------------------------------------
    def _proxy(self, value: str, path: str) -> None:
        if value.lower() in ("direct", "none"):
            return
        scheme = urlsplit(value).scheme.lower() if "://" in value else ""
        if scheme not in _PROXY_SCHEMES:
            self.warn(path, f'"{_redact_url(value)}" is not a socks5://, socks5h://, http:// or https:// '
                            'proxy URL (or "direct"/"none"); requests through it will fail')

    def _urls(self, d: dict[str, Any]) -> None:
        if d.get("proxy-url", "").strip():
            d["proxy-url"] = d["proxy-url"].strip()
            self._proxy(d["proxy-url"], "proxy-url")
        overrides = d.get("upstream-url-overrides")
        if overrides is None:
            return
        clean: dict[str, str] = {}
        for k, v in overrides.items():
            path = join("upstream-url-overrides", k)
            key, val = k.strip(), (v or "").strip()
            ok = True
            if not is_http_url(key):
                self.error(path, "an http(s) URL as the key", key)
                ok = False
            if not is_http_url(val):
                self.error(path, "an http(s) URL as the value", val)
                ok = False
            if ok:
                clean[key] = val
        d["upstream-url-overrides"] = clean

    # -- notes -------------------------------------------------------------------------------
    def _inert(self, d: dict[str, Any]) -> None:
        for glob, reason in INERT_KEYS:
            for path, value in _resolve(d, glob):
                if value not in (None, False, "", {}, [], ()):
                    self.warn(path, reason)

    def _security(self, d: dict[str, Any]) -> None:
        host = d.get("host", "")
        if not d.get("api-keys") and not host.startswith(_LOOPBACK):
            where = host or "every network interface"
            self.warn("api-keys", f"no client keys and the server listens on {where}: anyone who can reach "
                                  "the port can use your accounts; add api-keys or set host: 127.0.0.1")
        if d.get("enable-gemini-cli-endpoint"):
            self.warn("enable-gemini-cli-endpoint",
                      "/v1internal:* does not check client keys (only that the caller is local)")


def normalise_models(models: list[str]) -> list[str]:
    """excluded-models: trimmed, lower-cased, de-duplicated, empties dropped, order kept."""
    out: list[str] = []
    for m in models:
        t = (m or "").strip().lower()
        if t and t not in out:
            out.append(t)
    return out


def _valid_json(text: str) -> bool:
    t = text.strip()
    if not t:
        return False
    try:
        json.loads(t)
    except ValueError:
        return False
    return True


def _resolve(d: Any, glob: str) -> list[tuple[str, Any]]:
    """Values at a key-path glob like ``claude-api-key[*].cloak``."""
    found: list[tuple[str, Any]] = [("", d)]
    for part in glob.split("."):
        name, star = (part[:-3], True) if part.endswith("[*]") else (part, False)
        nxt: list[tuple[str, Any]] = []
        for path, cur in found:
            if not isinstance(cur, dict) or name not in cur:
                continue
            sub = join(path, name)
            if star:
                nxt.extend((f"{sub}[{i}]", v) for i, v in enumerate(cur[name] or ()))
            else:
                nxt.append((sub, cur[name]))
        found = nxt
    return found


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def _show(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
