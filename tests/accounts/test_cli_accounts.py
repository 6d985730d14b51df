"""``cliproxy accounts [--json]`` and the login argument wiring (subcommand and upstream flags)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from cliproxy.accounts.manager import AccountManager
from cliproxy.accounts.store import FileAuthStore
from cliproxy.cli_accounts import add_subparsers, add_upstream_flags, run_accounts, run_login, upstream_login
from cliproxy.errors import Scope, UpstreamError
from cliproxy.http.client import HttpPool
from cliproxy.routing.cooldown import CooldownBook

from .support import claude_file, codex_file, config, gemini_file, write


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cliproxy")
    p.add_argument("--config")
    add_upstream_flags(p)
    add_subparsers(p.add_subparsers(dest="cmd"))
    return p


def test_argument_wiring() -> None:
    p = _parser()
    a = p.parse_args(["login", "codex", "--device", "--no-browser"])
    assert (a.cmd, a.provider, a.device, a.no_browser) == ("login", "codex", True, True)
    a = p.parse_args(["login", "gemini-cli", "--project_id", "a,b", "--oauth-callback-port", "9000"])
    assert (a.project_id, a.oauth_callback_port) == ("a,b", 9000)
    assert p.parse_args(["accounts", "--json"]).json is True
    for flags, provider in ((["--login", "--project_id", "p"], "gemini-cli"), (["--claude-login"], "claude"),
                            (["--antigravity-login"], "antigravity"), (["--codex-login"], "codex"),
                            (["--codex-device-login", "--no-browser"], "codex")):
        a = p.parse_args(flags)
        assert a.cmd is None and upstream_login(a) == provider
    assert upstream_login(p.parse_args([])) is None
    with pytest.raises(SystemExit):
        p.parse_args(["login", "kiro"])


def test_login_without_provider_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_login(argparse.Namespace(provider=None)) == 2
    assert "gemini-cli, antigravity, claude, codex" in capsys.readouterr().err


async def _snapshot(auth_dir: Path) -> None:
    """What a running server leaves behind: one account needs a new login, one is cooling down."""
    pool = HttpPool()
    book = CooldownBook()
    try:
        mgr = AccountManager(FileAuthStore(auth_dir), http=pool, config=config(auth_dir), book=book)
        await mgr.load()
        mgr.accounts["claude-a.json"].needs_relogin = True
        mgr.accounts["claude-a.json"].last_error = "HTTP 400: invalid_grant: Refresh token not found or invalid"
        for cred in mgr.credentials():
            if cred.id == "codex-b@example.com-plus.json":
                for m in cred.models:
                    book.failure(cred.id, m.upstream[0], UpstreamError("usage limit", status=429,
                                                                       scope=Scope.CREDENTIAL, retry_after=600))
        await mgr.write_snapshot()
    finally:
        await pool.close()


async def test_accounts_lists_every_account(tmp_path: Path, auth_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    write(auth_dir, "claude-a.json", claude_file("t", "r", email="a@example.com"))
    write(auth_dir, "codex-b@example.com-plus.json", codex_file("t", "r", email="b@example.com"))
    write(auth_dir, "gemini-c@example.com-all.json", gemini_file("t", "r", email="c@example.com",
                                                                 project="p1,p2", disabled=True))
    write(auth_dir, "kiro-x.json", {"type": "kiro"})
    await _snapshot(auth_dir)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"auth-dir: {json.dumps(str(auth_dir))}\n")

    def run(as_json: bool) -> str:
        rc = run_accounts(argparse.Namespace(sub_config=str(cfg), config=None, json=as_json))
        assert rc == 0
        return capsys.readouterr().out

    out = await asyncio.to_thread(run, True)
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["claude-a.json"]["status"] == "needs-relogin" and "invalid_grant" in rows["claude-a.json"]["last_error"]
    assert rows["codex-b@example.com-plus.json"]["status"] == "cooling"
    assert rows["codex-b@example.com-plus.json"]["cooling_until"] > rows["codex-b@example.com-plus.json"]["expires_at"] - 86400 * 30
    gem = rows["gemini-c@example.com-all.json"]
    assert gem["status"] == "disabled" and gem["projects"] == ["p1", "p2"] and gem["provider"] == "gemini-cli"
    assert "gemini-2.5-pro" in gem["models"] and gem["expires_at"]
    assert rows["claude-a.json"]["provider"] == "claude" and rows["claude-a.json"]["label"] == "a@example.com"

    text = await asyncio.to_thread(run, False)
    assert "NEEDS RE-LOGIN (cliproxy login claude)" in text and "cooling down until" in text
    assert "token expires in" in text and "kiro-x.json" in text and "disabled" in text
    assert "last error: HTTP 400: invalid_grant" in text

    # the user logged in again: new tokens, so the stale "needs re-login" no longer applies
    write(auth_dir, "claude-a.json", claude_file("t2", "r2", email="a@example.com"))
    rows = {r["name"]: r for r in json.loads(await asyncio.to_thread(run, True))}
    assert rows["claude-a.json"]["status"] == "active"


async def test_accounts_on_an_empty_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"auth-dir: {json.dumps(str(tmp_path / 'none'))}\n")
    rc = await asyncio.to_thread(run_accounts, argparse.Namespace(sub_config=str(cfg), config=None, json=False))
    assert rc == 0 and "cliproxy login <provider>" in capsys.readouterr().out
