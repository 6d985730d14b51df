"""The loopback callback server a browser login redirects to (``http://localhost:<port><path>``).

It listens on 127.0.0.1 (and ::1 when available) for exactly one answer on the provider's path,
hands ``code``/``state``/``error`` to the waiting flow, and shows a short page telling the user
whether to go back to the terminal. Any other path gets a 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import Mapping

from aiohttp import web

_PAGE = ("<!doctype html><html><head><meta charset='utf-8'><title>cliproxy login</title></head>"
         "<body style='font-family:sans-serif;margin:3em'><h2>{title}</h2><p>{text}</p></body></html>")


class CallbackServer:
    def __init__(self, path: str, *, port: int = 0) -> None:
        self.path = path
        self.requested_port = port
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._result: asyncio.Future[dict[str, str]] | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self._result = loop.create_future()
        app = web.Application()
        app.router.add_get(self.path, self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.requested_port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self.close()
            raise OSError(exc.errno, f"cannot listen on localhost:{self.requested_port} for the login "
                                     f"callback ({exc.strerror}); use --oauth-callback-port") from None
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.requested_port
        with contextlib.suppress(OSError):  # browsers may resolve localhost to ::1 first
            await web.TCPSite(self._runner, "::1", self.port, reuse_address=True).start()
        return self.port

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.port}{self.path}"

    async def wait(self) -> dict[str, str]:
        assert self._result is not None
        return await asyncio.shield(self._result)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params: Mapping[str, str] = request.query
        if self._result is not None and not self._result.done():
            self._result.set_result(dict(params))
        if params.get("error"):
            title, text = "Login was not completed", f"The provider answered: {html.escape(params['error'])}."
        elif params.get("code"):
            title, text = "Login received", "You can close this tab and return to the terminal."
        else:
            title, text = "Login was not completed", "This callback carried no authorization code."
        return web.Response(text=_PAGE.format(title=title, text=text), content_type="text/html")

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
