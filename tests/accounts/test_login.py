"""Logins driven end to end without a human: follow the authorize URL, hit the callback, check the file."""

from __future__ import annotations

import asyncio
import json
import re
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cliproxy.cli_accounts import login
from cliproxy.oauth.client import jwt_claims
from cliproxy.oauth.flow import LoginError, LoginOptions, parse_pasted
from emulators import AnthropicOAuthEmulator, OpenAIAuthEmulator

from .support import ScriptedIO, config, redirect_of

CLAUDE_OVERRIDES = "https://claude.ai", "https://api.anthropic.com/v1/oauth"


def _claude_cfg(auth_dir: Path, oauth: AnthropicOAuthEmulator):
    return config(auth_dir, {"https://claude.ai": oauth.url,
                             "https://api.anthropic.com/v1/oauth": oauth.url + "/v1/oauth"})


def _opts(**kw) -> LoginOptions:
    kw.setdefault("callback_port", 0)  # the real ports (54545, 1455, …) may be busy on a test machine
    kw.setdefault("poll_scale", 0.01)
    return LoginOptions(**kw)


def _printed_url(io: ScriptedIO) -> str:
    m = re.search(r"(http://127\.0\.0\.1:\d+/\S+)", io.text())
    assert m, io.text()
    return m.group(1)


async def test_claude_login_end_to_end(auth_dir: Path) -> None:
    with AnthropicOAuthEmulator(email="max@example.com") as oauth:
        io = ScriptedIO()
        path = await login("claude", _claude_cfg(auth_dir, oauth), io, _opts())
        assert path == auth_dir / "claude-max@example.com.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        data = json.loads(path.read_text())
        assert set(data) == {"id_token", "access_token", "refresh_token", "last_refresh", "email", "type", "expired"}
        assert data["type"] == "claude" and data["email"] == "max@example.com"
        assert data["access_token"].startswith("sk-ant-oat01-") and oauth.is_valid_access_token(data["access_token"])
        q = parse_qs(urlsplit(io.opened[0]).query)
        assert q["client_id"] == ["9d1c250a-e61b-44d9-88ed-5944d1962f5e"] and q["code"] == ["true"]
        assert q["code_challenge_method"] == ["S256"] and len(q["state"][0]) == 32
        assert q["redirect_uri"][0].startswith("http://localhost:") and q["redirect_uri"][0].endswith("/callback")
        sent = oauth.requests_to("/v1/oauth/token")[-1].json
        assert sent["grant_type"] == "authorization_code" and sent["state"] == q["state"][0]
        assert sent["code_verifier"] and sent["redirect_uri"] == q["redirect_uri"][0]
        # a second login uses a different state (random, never a constant)
        io2 = ScriptedIO()
        await login("claude", _claude_cfg(auth_dir, oauth), io2, _opts())
        assert parse_qs(urlsplit(io2.opened[0]).query)["state"] != q["state"]


async def test_relogin_keeps_per_file_settings(auth_dir: Path) -> None:
    with AnthropicOAuthEmulator(email="max@example.com") as oauth:
        (auth_dir / "claude-max@example.com.json").write_text(json.dumps(
            {"type": "claude", "access_token": "old", "refresh_token": "old", "prefix": "team", "priority": 3,
             "disabled": True}))
        path = await login("claude", _claude_cfg(auth_dir, oauth), ScriptedIO(), _opts())
        data = json.loads(path.read_text())
        assert data["prefix"] == "team" and data["priority"] == 3 and "disabled" not in data
        assert data["access_token"] != "old"


async def test_paste_the_redirect_url(auth_dir: Path) -> None:
    """--no-browser on a headless machine: the user pastes the URL the browser was sent to."""
    with AnthropicOAuthEmulator() as oauth:
        io = ScriptedIO(follow=False)

        async def paste() -> str:
            return await redirect_of(_printed_url(io))

        io.lines = ["not a url", paste]
        path = await login("claude", _claude_cfg(auth_dir, oauth), io, _opts(no_browser=True))
        assert io.opened == []  # no browser was opened
        assert "does not look like the redirect URL" in io.text()
        assert json.loads(path.read_text())["refresh_token"]


async def test_paste_claude_code_hash_state(auth_dir: Path) -> None:
    with AnthropicOAuthEmulator() as oauth:
        io = ScriptedIO(follow=False)

        async def paste() -> str:
            q = parse_qs(urlsplit(await redirect_of(_printed_url(io))).query)
            return f"{q['code'][0]}#{q['state'][0]}"  # what Claude's manual page shows

        io.lines = [paste]
        path = await login("claude", _claude_cfg(auth_dir, oauth), io, _opts(no_browser=True))
        assert path.exists()


def test_parse_pasted() -> None:
    assert parse_pasted("http://localhost:1455/auth/callback?code=a&state=b") == {"code": "a", "state": "b"}
    assert parse_pasted("code=a&state=b") == {"code": "a", "state": "b"}
    assert parse_pasted("a#b", "#") == {"code": "a", "state": "b"}
    assert parse_pasted("just-a-code") is None  # without the state it cannot be checked


async def test_state_mismatch_is_refused(auth_dir: Path) -> None:
    with AnthropicOAuthEmulator() as oauth:
        io = ScriptedIO(transform=lambda loc: re.sub(r"state=[0-9a-f]+", "state=forged", loc))
        with pytest.raises(LoginError, match="wrong state"):
            await login("claude", _claude_cfg(auth_dir, oauth), io, _opts())
        assert oauth.token_calls == 0 and list(auth_dir.iterdir()) == []


async def test_denial_is_reported(auth_dir: Path) -> None:
    with AnthropicOAuthEmulator() as oauth:
        oauth.authorize_error = "access_denied"
        with pytest.raises(LoginError, match=r"denied.*access_denied"):
            await login("claude", _claude_cfg(auth_dir, oauth), ScriptedIO(), _opts())
        assert list(auth_dir.iterdir()) == []


async def test_timeout_is_reported(auth_dir: Path) -> None:
    with AnthropicOAuthEmulator() as oauth, pytest.raises(LoginError, match="Timed out after 0s"):
        await login("claude", _claude_cfg(auth_dir, oauth), ScriptedIO(follow=False), _opts(timeout=0.3))


async def test_busy_callback_port_is_explained(auth_dir: Path) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with AnthropicOAuthEmulator() as oauth, pytest.raises(OSError, match="--oauth-callback-port"):
            await login("claude", _claude_cfg(auth_dir, oauth), ScriptedIO(), _opts(callback_port=port))
    finally:
        server.close()
        await server.wait_closed()


def _codex_cfg(auth_dir: Path, oauth: OpenAIAuthEmulator):
    return config(auth_dir, {"https://auth.openai.com": oauth.url})


async def test_codex_browser_login(auth_dir: Path) -> None:
    with OpenAIAuthEmulator(email="dev@example.com", plan_type="pro") as oauth:
        io = ScriptedIO()
        path = await login("codex", _codex_cfg(auth_dir, oauth), io, _opts())
        assert path.name == "codex-dev@example.com-pro.json"
        data = json.loads(path.read_text())
        assert data["type"] == "codex" and data["account_id"] == "acc-emulator" and data["email"] == "dev@example.com"
        assert jwt_claims(data["id_token"])["email"] == "dev@example.com"
        q = parse_qs(urlsplit(io.opened[0]).query)
        assert q["redirect_uri"][0].endswith("/auth/callback") and q["scope"] == ["openid email profile offline_access"]
        assert q["code_challenge_method"] == ["S256"]


async def test_codex_team_file_name(auth_dir: Path) -> None:
    with OpenAIAuthEmulator(email="dev@example.com", plan_type="team") as oauth:
        path = await login("codex", _codex_cfg(auth_dir, oauth), ScriptedIO(), _opts())
        assert re.fullmatch(r"codex-[0-9a-f]{8}-dev@example\.com-team\.json", path.name)


async def test_codex_device_login(auth_dir: Path) -> None:
    with OpenAIAuthEmulator(email="dev@example.com", device_polls_pending=2) as oauth:
        io = ScriptedIO(follow=False)
        path = await login("codex", _codex_cfg(auth_dir, oauth), io, _opts(device=True))
        assert path.name == "codex-dev@example.com-plus.json"
        assert re.search(r"enter the code:\s+[0-9A-F]{4}-[0-9A-F]{5}", io.text())
        assert oauth.url + "/codex/device" in io.text()
        assert len(oauth.requests_to("/deviceauth/token")) == 3  # two pending polls, then approved
        sent = oauth.requests_to("/oauth/token")[-1].body.decode()
        assert "redirect_uri=https%3A%2F%2Fauth.openai.com%2Fdeviceauth%2Fcallback" in sent
        assert oauth.is_valid_access_token(json.loads(path.read_text())["access_token"])
