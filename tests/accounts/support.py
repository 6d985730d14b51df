"""Helpers for the account tests: CLIProxyAPI-format auth files, a proxy with accounts, a scripted login IO."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from cliproxy.accounts.service import AccountsService
from cliproxy.accounts.timeutil import format_time
from cliproxy.app import AppState
from cliproxy.config.schema import Config
from cliproxy.http.client import HttpPool
from cliproxy.oauth.client import OAuthClient
from cliproxy.oauth.flow import LoginContext, LoginOptions
from cliproxy.server.runner import Server
from emulators import Signer

CLIENT_KEY = "sk-client-accounts-0001"
EXTRA_PROVIDERS = {
    "gemini-cli": "cliproxy.providers.gemini_cli:GeminiCliProvider",
    "antigravity": "cliproxy.providers.antigravity:AntigravityProvider",
    "claude-oauth": "cliproxy.providers.claude_oauth:ClaudeOAuthProvider",
}


def config(auth_dir: Path, overrides: dict[str, str] | None = None, **extra: Any) -> Config:
    data: dict[str, Any] = {"host": "127.0.0.1", "api-keys": [CLIENT_KEY], "auth-dir": str(auth_dir),
                            "upstream-url-overrides": overrides or {}}
    data.update(extra)
    return msgspec.convert(data, Config, str_keys=True)


def write(auth_dir: Path, name: str, data: dict[str, Any]) -> Path:
    auth_dir.mkdir(parents=True, exist_ok=True)
    p = auth_dir / name
    p.write_text(json.dumps(data))
    return p


def read(auth_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((auth_dir / name).read_text())


def rfc3339(offset: float) -> str:
    return format_time(time.time() + offset)


# ---------------------------------------------------------------- files as CLIProxyAPI writes them


def claude_file(access: str, refresh: str, *, email: str = "claude@example.com", expires_in: float = 3600,
                **extra: Any) -> dict[str, Any]:
    return {"id_token": "", "access_token": access, "refresh_token": refresh,
            "last_refresh": rfc3339(-60), "email": email, "type": "claude", "expired": rfc3339(expires_in),
            **extra}


def codex_id_token(*, email: str = "codex@example.com", account_id: str = "acc-emulator",
                   plan: str = "plus") -> str:
    now = int(time.time())
    return Signer(b"compat").jwt({"iss": "https://auth.openai.com", "aud": ["app_EMoamEEZ73f0CkXaXp7hrann"],
                                  "email": email, "iat": now, "exp": now + 3600,
                                  "https://api.openai.com/auth": {"chatgpt_account_id": account_id,
                                                                  "chatgpt_plan_type": plan}})


def codex_file(access: str, refresh: str, *, email: str = "codex@example.com", account_id: str = "acc-emulator",
               plan: str = "plus", expires_in: float = 86400 * 10, **extra: Any) -> dict[str, Any]:
    return {"id_token": codex_id_token(email=email, account_id=account_id, plan=plan), "access_token": access,
            "refresh_token": refresh, "account_id": account_id, "last_refresh": rfc3339(-60), "email": email,
            "type": "codex", "expired": rfc3339(expires_in), **extra}


def gemini_file(access: str, refresh: str, *, project: str = "emu-project-123", email: str = "gem@example.com",
                expires_in: float = 3600, client_secret: str = "emu-secret", **extra: Any) -> dict[str, Any]:
    return {"token": {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
                      "expiry": rfc3339(expires_in), "token_uri": "https://oauth2.googleapis.com/token",
                      "client_id": "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
                      "client_secret": client_secret,
                      "scopes": ["https://www.googleapis.com/auth/cloud-platform",
                                 "https://www.googleapis.com/auth/userinfo.email",
                                 "https://www.googleapis.com/auth/userinfo.profile"],
                      "universe_domain": "googleapis.com"},
            "project_id": project, "email": email, "auto": False, "checked": True, "type": "gemini", **extra}


def antigravity_file(access: str, refresh: str, *, project: str = "emu-project-123",
                     email: str = "ag@example.com", expires_in: float = 3599, **extra: Any) -> dict[str, Any]:
    return {"type": "antigravity", "access_token": access, "refresh_token": refresh, "expires_in": 3599,
            "timestamp": int(time.time() * 1000), "expired": rfc3339(expires_in), "email": email,
            "project_id": project, **extra}


# ---------------------------------------------------------------- a proxy with accounts


class Proxy:
    def __init__(self, state: AppState, accounts: AccountsService, url: str) -> None:
        self.state = state
        self.accounts = accounts
        self.url = url

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> tuple[int, bytes]:
        hdrs = {"Authorization": f"Bearer {CLIENT_KEY}", **headers}
        async with aiohttp.ClientSession() as s, s.post(self.url + path, json=body, headers=hdrs) as r:
            return r.status, await r.read()

    async def get(self, path: str) -> tuple[int, bytes]:
        async with aiohttp.ClientSession() as s, s.get(self.url + path,
                                                       headers={"Authorization": f"Bearer {CLIENT_KEY}"}) as r:
            return r.status, await r.read()


@contextlib.asynccontextmanager
async def proxy(cfg: Config) -> AsyncIterator[Proxy]:
    state = AppState(cfg)
    accounts = AccountsService(state, cfg)
    await accounts.start()
    server = Server(state, host="127.0.0.1", port=0)
    port = await server.start()
    try:
        yield Proxy(state, accounts, f"http://127.0.0.1:{port}")
    finally:
        await server.stop()
        await accounts.stop()
        await state.close()


# ---------------------------------------------------------------- logins without a human


class ScriptedIO:
    """A login terminal + browser: ``open_browser`` follows the authorize URL like a browser would."""

    def __init__(self, *, follow: bool = True, lines: list[str] | None = None, transform=None) -> None:
        self.said: list[str] = []
        self.opened: list[str] = []
        self.follow = follow
        self.lines = list(lines or [])
        self.transform = transform  # edit the redirect before the "browser" follows it
        self.browser_result: asyncio.Future[tuple[int, str]] | None = None
        self._tasks: list[asyncio.Task] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def open_browser(self, url: str) -> bool:
        self.opened.append(url)
        if self.follow:
            self._tasks.append(asyncio.get_running_loop().create_task(self._browse(url)))
        return True

    async def _browse(self, url: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as s:
            async with s.get(url, allow_redirects=False) as r:
                location = r.headers.get("Location", "")
            if self.transform is not None:
                location = self.transform(location)
            async with s.get(location) as r2:
                return r2.status, await r2.text()

    async def read_line(self, prompt: str) -> str | None:
        self.said.append(prompt)
        if self.lines:
            line = self.lines.pop(0)
            if callable(line):
                line = await line()
            return line
        await asyncio.sleep(3600)
        return None

    def text(self) -> str:
        return "\n".join(self.said)


async def redirect_of(url: str) -> str:
    """Where the authorize endpoint sends the browser (what a user would copy and paste)."""
    async with aiohttp.ClientSession() as s, s.get(url, allow_redirects=False) as r:
        return r.headers.get("Location", "")


def login_context(pool: HttpPool, io: ScriptedIO, **opts: Any) -> LoginContext:
    opts.setdefault("callback_port", 0)
    opts.setdefault("poll_scale", 0.01)
    return LoginContext(OAuthClient(pool), io, LoginOptions(**opts))
