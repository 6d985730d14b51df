"""The interactive parts of a login: browser + loopback callback, "paste the redirect URL", polling.

Every browser flow starts the loopback server on the provider's real port and path, prints the
authorize URL (and opens a browser unless ``--no-browser``), and accepts whichever comes first:
the redirect to the loopback server, or the redirect URL pasted into the terminal (offered at
once with ``--no-browser``, after 15 s otherwise — for machines whose browser cannot reach this
one). The ``state`` is random and checked on both paths. Timeouts, denials and state mismatches
end with a ``LoginError`` whose message says what happened and what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import webbrowser
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from cliproxy.oauth.callback import CallbackServer
from cliproxy.oauth.client import OAuthClient

T = TypeVar("T")


class LoginError(Exception):
    """A login that cannot finish; the message is shown to the user as is."""


class LoginIO(Protocol):
    def say(self, text: str) -> None: ...

    def open_browser(self, url: str) -> bool: ...

    async def read_line(self, prompt: str) -> str | None:
        """One line typed by the user; None when there is no input (EOF)."""
        ...


class ConsoleIO:
    """The terminal. Reading stdin happens on a daemon thread, so an unanswered prompt never
    keeps the process alive after the login finished through the browser."""

    def __init__(self) -> None:
        self._pending: asyncio.Future[str] | None = None

    def say(self, text: str) -> None:
        print(text, flush=True)

    def open_browser(self, url: str) -> bool:
        try:
            return webbrowser.open(url)
        except webbrowser.Error:
            return False

    async def read_line(self, prompt: str) -> str | None:
        if prompt:
            print(prompt, end="", flush=True)
        if self._pending is None or self._pending.done():
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[str] = loop.create_future()

            def worker() -> None:
                try:
                    line = sys.stdin.readline()
                except (OSError, ValueError):
                    line = ""
                loop.call_soon_threadsafe(_resolve, fut, line)

            threading.Thread(target=worker, name="cliproxy-stdin", daemon=True).start()
            self._pending = fut
        line = await asyncio.shield(self._pending)
        self._pending = None
        return None if line == "" else line.strip()


def _resolve(fut: asyncio.Future[str], line: str) -> None:
    if not fut.done():
        fut.set_result(line)


@dataclass(slots=True)
class LoginOptions:
    no_browser: bool = False
    callback_port: int | None = None  # --oauth-callback-port; None: the provider's own port
    project_id: str = ""  # Gemini: an id, a comma list, or ALL
    device: bool = False  # Codex: device-code login
    timeout: float = 300.0
    paste_after: float = 15.0
    poll_scale: float = 1.0  # multiplies provider polling intervals (tests use a tiny value)


@dataclass(slots=True)
class LoginContext:
    client: OAuthClient
    io: LoginIO
    options: LoginOptions = field(default_factory=LoginOptions)


@dataclass(frozen=True, slots=True)
class BrowserLogin:
    """One provider's authorize step. ``params`` excludes ``redirect_uri`` and ``state``."""

    provider: str
    authorize_url: str
    params: Mapping[str, str]
    callback_path: str
    port: int
    code_state_separator: str = ""  # Claude's manual page shows "code#state"


@dataclass(frozen=True, slots=True)
class AuthCode:
    code: str
    state: str
    redirect_uri: str


async def browser_login(ctx: LoginContext, spec: BrowserLogin, state: str) -> AuthCode:
    opts = ctx.options
    port = spec.port if opts.callback_port is None else opts.callback_port
    server = CallbackServer(spec.callback_path, port=port)
    await server.start()
    try:
        if server.port != spec.port:
            ctx.io.say(f"Note: the callback listens on port {server.port} instead of {spec.port}; "
                       f"{spec.provider} may refuse a redirect to a port it does not expect.")
        query = urlencode({**spec.params, "redirect_uri": server.redirect_uri, "state": state})
        url = ctx.client.url(spec.authorize_url) + "?" + query
        ctx.io.say(f"To log in to {spec.provider}, open this URL in a browser:\n\n  {url}\n")
        if not opts.no_browser and not ctx.io.open_browser(url):
            ctx.io.say("(Could not open a browser; open the URL yourself.)")
        ctx.io.say(f"Waiting for the browser to come back to {server.redirect_uri} …")
        params = await _first_answer(ctx, server, spec)
    finally:
        await server.close()
    return _check(params, state, server.redirect_uri, spec.provider)


async def _first_answer(ctx: LoginContext, server: CallbackServer, spec: BrowserLogin) -> dict[str, str]:
    opts = ctx.options
    callback = asyncio.ensure_future(server.wait())
    paste = asyncio.ensure_future(_paste(ctx, spec, 0.0 if opts.no_browser else opts.paste_after))
    try:
        done, _ = await asyncio.wait({callback, paste}, timeout=opts.timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if not done:
            raise LoginError(f"Timed out after {opts.timeout:.0f}s waiting for the {spec.provider} login. "
                             "Nothing was saved; run the login again.")
        return (callback if callback in done else paste).result()
    finally:
        for t in (callback, paste):
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t


async def _paste(ctx: LoginContext, spec: BrowserLogin, delay: float) -> dict[str, str]:
    if delay:
        await asyncio.sleep(delay)
    prompt = ("If the browser cannot reach this machine, paste the full URL it was redirected to "
              "(it starts with http://localhost) and press Enter:\n> ")
    while True:
        line = await ctx.io.read_line(prompt)
        if line is None:  # no terminal input: only the callback can finish the login
            await asyncio.Event().wait()
        params = parse_pasted(line or "", spec.code_state_separator)
        if params is not None:
            return params
        prompt = "That does not look like the redirect URL (it must contain code= and state=). Try again:\n> "


def parse_pasted(text: str, separator: str = "") -> dict[str, str] | None:
    """The callback parameters from a pasted redirect URL, query string or ``code#state``."""
    text = text.strip()
    if not text:
        return None
    if "://" in text:
        parts = urlsplit(text)
        params = dict(parse_qsl(parts.query)) | dict(parse_qsl(parts.fragment))
    elif "=" in text:
        params = dict(parse_qsl(text.lstrip("?#")))
    elif separator and separator in text:
        code, _, state = text.partition(separator)
        params = {"code": code, "state": state}
    else:
        return None
    return params if ("code" in params or "error" in params) else None


def _check(params: Mapping[str, str], state: str, redirect_uri: str, provider: str) -> AuthCode:
    if params.get("error"):
        desc = params.get("error_description") or params["error"]
        raise LoginError(f"The {provider} login was denied or failed: {desc}. Nothing was saved.")
    if params.get("state") != state:
        raise LoginError(f"The {provider} login answer has the wrong state, so it does not belong to this "
                         "login (an old browser tab, or someone else's link). Nothing was saved; start again.")
    code = params.get("code", "")
    if not code:
        raise LoginError(f"The {provider} login answer carried no authorization code. Start again.")
    return AuthCode(code, state, redirect_uri)


async def poll_until(step: Callable[[], Awaitable[T | None]], *, interval: float, timeout: float,
                     what: str) -> T:
    """Call ``step`` every ``interval`` seconds until it returns a value; ``LoginError`` on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await step()
        if result is not None:
            return result
        if loop.time() + interval > deadline:
            raise LoginError(f"Timed out after {timeout:.0f}s waiting for {what}. Nothing was saved.")
        await asyncio.sleep(interval)
