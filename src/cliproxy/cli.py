"""The ``cliproxy`` command: serve | config check | models | --version (logins and accounts join later).

Accepts CLIProxyAPI's single-dash flags too (``-config``), so existing scripts keep working.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from cliproxy import __version__

log = logging.getLogger("cliproxy")

_SUBCOMMANDS = ("serve", "config", "models", "accounts", "login")


def _normalise_argv(argv: list[str]) -> list[str]:
    """``-config x`` → ``--config x`` (CLIProxyAPI's Go flag style)."""
    out = []
    for a in argv:
        if a.startswith("-") and not a.startswith("--") and len(a) > 2:
            a = "-" + a
        out.append(a)
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cliproxy", description="Serve your AI accounts as OpenAI, Anthropic and Gemini APIs.")
    p.add_argument("--version", action="version", version=f"cliproxy {__version__}")
    p.add_argument("--config", help="path to config.yaml (default: ./config.yaml, then the user config dir)")
    p.add_argument("--log-level", default=os.environ.get("CLIPROXY_LOG_LEVEL", ""),
                   help="debug, info, warning or error (default: info; debug when 'debug: true')")
    sub = p.add_subparsers(dest="cmd")
    s = sub.add_parser("serve", help="run the server in the foreground (the default)")
    s.add_argument("--config", dest="sub_config")
    c = sub.add_parser("config", help="configuration tools")
    csub = c.add_subparsers(dest="config_cmd", required=True)
    chk = csub.add_parser("check", help="validate a config file and print every problem")
    chk.add_argument("path", nargs="?")
    m = sub.add_parser("models", help="list the models the config and the logged-in accounts expose")
    m.add_argument("--config", dest="sub_config")
    m.add_argument("--json", action="store_true")
    from cliproxy import cli_accounts

    cli_accounts.add_upstream_flags(p)
    cli_accounts.add_subparsers(sub)
    return p


def setup_logging(level: str) -> None:
    from cliproxy.observability.logs import configure

    configure(level or "info")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(_normalise_argv(list(sys.argv[1:] if argv is None else argv)))
    cfg_path = getattr(args, "sub_config", None) or args.config
    if args.cmd == "config":
        from cliproxy.config.check import run_check

        return run_check(args.path or cfg_path or "config.yaml")
    if args.cmd == "models":
        return _models(cfg_path, as_json=args.json)
    from cliproxy import cli_accounts

    if args.cmd == "login" or cli_accounts.upstream_login(args):
        return cli_accounts.run_login(args)
    if args.cmd == "accounts":
        return cli_accounts.run_accounts(args)
    return _serve(cfg_path, args.log_level)


def _load_or_create(cfg_path: str | None):
    from cliproxy.config.errors import ConfigError
    from cliproxy.config.load import find_config, load_config
    from cliproxy.config.template import write_default_config

    path = find_config(cfg_path)
    if path is None:
        if cfg_path:
            print(f"cliproxy: config file not found: {cfg_path}", file=sys.stderr)
            return None
        xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        path, key = write_default_config(xdg / "cliproxy" / "config.yaml")
        print(f"cliproxy: no config found, wrote a default one to {path}")
        print(f"cliproxy: your client API key is: {key}")
    try:
        return load_config(path)
    except ConfigError as err:
        print(f"cliproxy: the config {path} is invalid:\n{err}", file=sys.stderr)
        return None


def _models(cfg_path: str | None, *, as_json: bool) -> int:
    loaded = _load_or_create(cfg_path)
    if loaded is None:
        return 1
    from cliproxy.app import build_runtime

    rt = build_runtime(loaded.config)
    rows = rt.registry.listing()
    if as_json:
        import msgspec

        print(msgspec.json.encode([{"id": mid, "provider": owner, "upstream": list(e.upstream)}
                                   for mid, e, owner in rows]).decode())
        return 0
    if not rows:
        print("no models: add an API-key block (gemini-api-key, claude-api-key, codex-api-key, "
              "vertex-api-key, openai-compatibility) to the config")
        return 0
    width = max(len(r[0]) for r in rows)
    for mid, e, owner in rows:
        up = ",".join(e.upstream)
        print(f"{mid:<{width}}  {owner}" + (f"  -> {up}" if up != mid else ""))
    return 0


def _serve(cfg_path: str | None, level: str) -> int:
    loaded = _load_or_create(cfg_path)
    if loaded is None:
        return 1
    cfg = loaded.config
    setup_logging(level or ("debug" if cfg.debug else "info"))
    for w in loaded.warnings:
        log.warning("config: %s", w)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - Windows
        pass
    from cliproxy.server.runner import StartupError

    try:
        return asyncio.run(_run(loaded))
    except StartupError as err:
        print(f"cliproxy: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"cliproxy: cannot listen: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


async def _run(loaded) -> int:
    from cliproxy.app import AppState
    from cliproxy.service import Service

    state = AppState(loaded.config, config_path=str(loaded.path))
    service = Service(state, loaded)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":  # the Windows event loop has no signal handlers; Ctrl-C still works
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    port = await service.start()
    cfg = loaded.config
    shown = cfg.host or "0.0.0.0"
    scheme = "https" if cfg.tls.enable else "http"
    print(f"cliproxy {__version__} listening on {scheme}://{shown}:{port}  (config: {loaded.path})", flush=True)
    if not cfg.api_keys:
        print("cliproxy: warning: 'api-keys' is empty, so any local program can use this server", flush=True)
    await stop.wait()
    await service.stop()
    from cliproxy.observability.logs import access_log

    access_log.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
