"""Build the aiohttp application and run it: bind, TLS, hot reload hooks, graceful shutdown."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections.abc import Awaitable, Callable

from aiohttp import web

from cliproxy.app import AppState
from cliproxy.config.schema import Config
from cliproxy.server.routes import build_routes

log = logging.getLogger("cliproxy.server")


class StartupError(RuntimeError):
    """The server must not start with this configuration; the message says why and what to do."""


def is_loopback_host(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_safe_to_start(cfg: Config) -> None:
    if not cfg.api_keys and not is_loopback_host(cfg.host or ""):
        where = cfg.host or "all interfaces"
        raise StartupError(
            f"refusing to start: 'api-keys' is empty and the server would listen on {where}, so anyone "
            "who can reach the port could use your accounts. Add a key under 'api-keys', or set "
            "'host: 127.0.0.1' to serve only this machine.")


def make_app(state: AppState) -> web.Application:
    app = web.Application(client_max_size=max(1024 * 1024, state.runtime.config.max_body_bytes),
                          handler_args={"max_field_size": 65536, "max_line_size": 65536})
    build_routes(app, state)
    return app


def ssl_context(cfg: Config) -> ssl.SSLContext | None:
    if not cfg.tls.enable:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cfg.tls.cert, cfg.tls.key)
    return ctx


class Server:
    """The listening server. ``start()`` returns the bound port (use port 0 in tests)."""

    def __init__(self, state: AppState, *, host: str | None = None, port: int | None = None) -> None:
        cfg = state.runtime.config
        self.state = state
        self.host = cfg.host if host is None else host
        self.port = (cfg.port or 8317) if port is None else port
        self.runner: web.AppRunner | None = None
        self.on_stop: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> int:
        cfg = self.state.runtime.config
        check_safe_to_start(cfg if self.host == cfg.host else _with_host(cfg, self.host))
        app = make_app(self.state)
        self.runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                                    shutdown_timeout=30.0)
        await self.runner.setup()
        host = self.host or None  # None = all interfaces, IPv4 and IPv6
        site = web.TCPSite(self.runner, host, self.port, ssl_context=ssl_context(cfg), reuse_address=True,
                           backlog=2048)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) if server is not None else None
        if sockets:
            self.port = sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for cb in self.on_stop:
            await cb()
        if self.runner is not None:
            await self.runner.cleanup()
        await self.state.close()


def _with_host(cfg: Config, host: str) -> Config:
    import msgspec

    return msgspec.structs.replace(cfg, host=host)


async def serve_forever(server: Server, stop_event: asyncio.Event) -> None:
    await server.start()
    try:
        await stop_event.wait()
    finally:
        await server.stop()
