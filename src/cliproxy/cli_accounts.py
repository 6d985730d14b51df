"""``cliproxy login <provider>`` and ``cliproxy accounts [--json]``.

The lead wires these into ``cli.py``: ``add_subparsers(sub)`` adds both subcommands,
``add_upstream_flags(parser)`` adds CLIProxyAPI's login flags to the top-level parser
(``--login``, ``--antigravity-login``, ``--claude-login``, ``--codex-login``,
``--codex-device-login``, ``--no-browser``, ``--project_id``, ``--oauth-callback-port``), and
``upstream_login(args)`` says whether one of them was given; ``run_login`` / ``run_accounts``
return the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

LOGIN_PROVIDERS = ("gemini-cli", "antigravity", "claude", "codex")
_UPSTREAM_FLAGS = (("login", "gemini-cli"), ("antigravity_login", "antigravity"), ("claude_login", "claude"),
                   ("codex_login", "codex"), ("codex_device_login", "codex"))
# generic per-file keys a re-login keeps from the file it replaces
_KEEP_ON_RELOGIN = ("prefix", "priority", "proxy_url", "headers", "excluded_models", "excluded-models", "note",
                    "disable_cooling", "disable-cooling", "request_retry", "request-retry", "websockets", "base_url")


def _login_options(p: argparse.ArgumentParser, *, top_level: bool) -> None:
    hide = argparse.SUPPRESS if top_level else None
    p.add_argument("--no-browser", action="store_true", default=False,
                   help=hide or "print the login URL instead of opening a browser")
    p.add_argument("--project_id", "--project-id", dest="project_id", default="",
                   help=hide or "Gemini CLI: a Google Cloud project id, a comma list, or ALL")
    p.add_argument("--oauth-callback-port", dest="oauth_callback_port", type=int, default=None,
                   help=hide or "listen for the login callback on this port instead of the provider's")


def add_subparsers(sub: Any) -> None:
    lg = sub.add_parser("login", help="log in to a subscription and save it in the auth dir")
    lg.add_argument("provider", choices=LOGIN_PROVIDERS)
    lg.add_argument("--device", action="store_true", help="codex: log in with a device code (headless machines)")
    _login_options(lg, top_level=False)
    lg.add_argument("--config", dest="sub_config")
    ac = sub.add_parser("accounts", help="list the subscription accounts in the auth dir and their state")
    ac.add_argument("--json", action="store_true", help="machine-readable output")
    ac.add_argument("--config", dest="sub_config")


def add_upstream_flags(p: argparse.ArgumentParser) -> None:
    """CLIProxyAPI's flags (``-claude-login`` …) on the top-level parser, hidden from --help."""
    for dest, _ in _UPSTREAM_FLAGS:
        p.add_argument("--" + dest.replace("_", "-"), dest=dest, action="store_true", help=argparse.SUPPRESS)
    _login_options(p, top_level=True)


def upstream_login(args: argparse.Namespace) -> str | None:
    for dest, provider in _UPSTREAM_FLAGS:
        if getattr(args, dest, False):
            return provider
    return None


# ------------------------------------------------------------------ login


def _load_config(args: argparse.Namespace):
    from cliproxy.config.errors import ConfigError
    from cliproxy.config.load import find_config, load_config
    from cliproxy.config.schema import Config

    explicit = getattr(args, "sub_config", None) or getattr(args, "config", None)
    path = find_config(explicit)
    if path is None:
        if explicit:
            raise SystemExit(f"cliproxy: config file not found: {explicit}")
        return Config()
    try:
        return load_config(path).config
    except ConfigError as err:
        raise SystemExit(f"cliproxy: the config {path} is invalid:\n{err}") from None


def run_login(args: argparse.Namespace) -> int:
    from cliproxy.oauth.flow import ConsoleIO, LoginError, LoginOptions

    provider = getattr(args, "provider", None) or upstream_login(args)
    if provider is None:
        print("cliproxy: say which provider to log in to: " + ", ".join(LOGIN_PROVIDERS), file=sys.stderr)
        return 2
    cfg = _load_config(args)
    opts = LoginOptions(no_browser=bool(getattr(args, "no_browser", False)),
                        callback_port=getattr(args, "oauth_callback_port", None),
                        project_id=getattr(args, "project_id", "") or "",
                        device=bool(getattr(args, "device", False) or getattr(args, "codex_device_login", False)))
    try:
        path = asyncio.run(login(provider, cfg, ConsoleIO(), opts))
    except LoginError as err:
        print(f"cliproxy: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"cliproxy: {err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ncliproxy: login cancelled; nothing was saved", file=sys.stderr)
        return 130
    print(f"Saved {path}\nA running cliproxy server picks the account up by itself; "
          "`cliproxy accounts` lists it.")
    return 0


async def login(provider: str, cfg: Any, io: Any, opts: Any, *, pool: Any = None) -> Path:
    """Run one login and save its file (atomically, 0600). Returns the file's path."""
    from cliproxy.accounts.kinds import KindCatalog
    from cliproxy.accounts.records import AuthRecord
    from cliproxy.accounts.store import FileAuthStore, resolve_auth_dir
    from cliproxy.http.client import HttpPool
    from cliproxy.oauth.client import OAuthClient
    from cliproxy.oauth.flow import LoginContext

    kind = KindCatalog().for_login(provider)
    own = pool is None
    if own:
        pool = HttpPool(global_proxy=cfg.proxy_url, overrides=cfg.upstream_url_overrides,
                        connect_timeout=cfg.upstream_connect_timeout, idle_timeout=cfg.upstream_idle_timeout)
    try:
        ctx = LoginContext(OAuthClient(pool, user_agent=cfg.client_user_agent), io, opts)
        result = await kind.login(ctx)
    finally:
        if own:
            await pool.close()
    store = FileAuthStore(resolve_auth_dir(cfg.auth_dir))
    name = result.name.replace("/", "_").replace("\\", "_")
    old = await store.load(name)
    data = dict(result.data)
    if old is not None:
        for key in _KEEP_ON_RELOGIN:
            if key in old.data and key not in data:
                data[key] = old.data[key]
    await store.save(AuthRecord(name, data))
    for note in result.notes:
        io.say(f"Note: {note}")
    return store.path_of(name)


# ------------------------------------------------------------------ accounts


def run_accounts(args: argparse.Namespace) -> int:
    cfg = _load_config(args)
    rows, location, unsupported = asyncio.run(collect_accounts(cfg))
    if getattr(args, "json", False):
        import json

        print(json.dumps([r.to_json() for r in rows], indent=2))
        return 0
    print(render_accounts(rows, location, unsupported))
    return 0


async def collect_accounts(cfg: Any) -> tuple[list[Any], str, dict[str, str]]:
    """Accounts from the auth dir, with the running server's last snapshot (cooldowns, re-login)."""
    from cliproxy.accounts.manager import AccountManager
    from cliproxy.accounts.state import merge_snapshot
    from cliproxy.accounts.store import FileAuthStore, resolve_auth_dir
    from cliproxy.http.client import HttpPool

    store = FileAuthStore(resolve_auth_dir(cfg.auth_dir))
    pool = HttpPool()  # never used: listing makes no network calls
    try:
        mgr = AccountManager(store, http=pool, config=cfg)
        await mgr.load()
        rows = merge_snapshot(mgr.states(), mgr.accounts, await store.load_state())
    finally:
        await pool.close()
    return rows, store.location, dict(mgr.unsupported)


def render_accounts(rows: list[Any], location: str, unsupported: dict[str, str], *, now: float | None = None) -> str:
    from cliproxy.accounts.state import Status
    from cliproxy.accounts.timeutil import describe_delta

    now = time.time() if now is None else now
    if not rows and not unsupported:
        return (f"No accounts in {location}.\nAdd one with `cliproxy login <provider>` "
                f"({', '.join(LOGIN_PROVIDERS)}).")
    lines = [f"Accounts in {location}:"]
    for r in rows:
        if r.status is Status.COOLING and r.cooling_until:
            state = f"cooling down until {time.strftime('%H:%M:%S', time.localtime(r.cooling_until))}"
        elif r.status is Status.NEEDS_RELOGIN:
            state = f"NEEDS RE-LOGIN (cliproxy login {r.provider})"
        else:
            state = str(r.status)
        expires = ("token expires " + describe_delta(r.expires_at - now)) if r.expires_at else "expiry unknown"
        projects = f" [{', '.join(r.projects)}]" if r.projects else ""
        lines.append(f"\n  {r.provider:<11} {r.label or '-'}{projects}")
        lines.append(f"      state: {state}; {expires}")
        lines.append(f"      file: {r.name}" + (f"; prefix {r.prefix}" if r.prefix else "")
                     + (f"; priority {r.priority}" if r.priority else ""))
        lines.append(f"      models: {', '.join(r.models) if r.models else '(none)'}")
        for model, until in sorted(r.cooling_models.items()):
            if r.status is not Status.COOLING:
                lines.append(f"      cooling: {model} until {time.strftime('%H:%M:%S', time.localtime(until))}")
        if r.last_error:
            lines.append(f"      last error: {r.last_error}")
    for name, type_ in sorted(unsupported.items()):
        lines.append(f"\n  (skipped)   {name}: type {type_!r} is not supported yet")
    return "\n".join(lines)
