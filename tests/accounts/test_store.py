"""The auth-dir store: atomic 0600 writes, corrupt files reported once and skipped, generic keys."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from cliproxy.accounts.records import AuthRecord
from cliproxy.accounts.store import FileAuthStore, resolve_auth_dir
from cliproxy.accounts.timeutil import parse_time

from .support import claude_file, write


async def test_save_is_atomic_0600_in_a_0700_dir(tmp_path: Path) -> None:
    store = FileAuthStore(tmp_path / "new" / "auths")
    rec = AuthRecord("claude-a@b.c.json", claude_file("sk-ant-oat01-x", "sk-ant-ort01-y"))
    assert await store.save(rec) is True
    path = store.directory / rec.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == rec.data
    assert [p.name for p in store.directory.iterdir()] == [rec.name]  # no temp files left behind
    assert await store.save(rec) is False  # JSON-equal: skipped
    rec.data["note"] = "hello"
    inode = path.stat().st_ino
    assert await store.save(rec) is True
    assert path.stat().st_ino != inode  # replaced by rename, never rewritten in place


async def test_corrupt_files_are_reported_once_and_skipped(auth_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(auth_dir, "claude-ok.json", claude_file("a", "b"))
    (auth_dir / "broken.json").write_text("{not json")
    (auth_dir / "list.json").write_text("[1, 2]")
    (auth_dir / "notype.json").write_text('{"email": "x@y.z"}')
    (auth_dir / ".hidden.json").write_text("{garbage")
    (auth_dir / "readme.txt").write_text("not an auth file")
    store = FileAuthStore(auth_dir)
    with caplog.at_level(logging.ERROR, logger="cliproxy.accounts.store"):
        recs = await store.list()
        again = await store.list()
    assert [r.name for r in recs] == ["claude-ok.json"] == [r.name for r in again]
    errors = [r.getMessage() for r in caplog.records]
    assert len(errors) == 3, errors  # once each, not once per scan
    assert any("broken.json" in m and "not valid JSON" in m for m in errors)
    assert any("list.json" in m and "not a JSON object" in m for m in errors)
    assert any("notype.json" in m and '"type"' in m for m in errors)
    caplog.clear()
    (auth_dir / "broken.json").write_text("{still: broken}")  # a new version is reported again
    os.utime(auth_dir / "broken.json", ns=(1, 1))
    with caplog.at_level(logging.ERROR, logger="cliproxy.accounts.store"):
        await store.list()
    assert [r.getMessage() for r in caplog.records if "broken.json" in r.getMessage()]


def test_generic_keys() -> None:
    rec = AuthRecord("x.json", {
        "type": "Claude", "email": " a@b.c ", "disabled": "true", "prefix": "/team/", "proxy_url": "direct",
        "priority": "7", "headers": {"X-A": "1", "bad": {"x": 1}}, "excluded-models": ["claude-3-*", ""],
        "disable-cooling": True, "request_retry": "2", "note": "n",
        "token": {"expiry": "2026-05-03T12:00:00.123456789+02:00"}})
    assert rec.type == "claude" and rec.email == "a@b.c" and rec.disabled
    assert rec.prefix == "team" and rec.proxy_url == "direct" and rec.priority == 7
    assert rec.headers == {"X-A": "1"} and rec.excluded_models == ("claude-3-*",)
    assert rec.disable_cooling is True and rec.request_retry == 2 and rec.note == "n"
    assert rec.expiry() == parse_time("2026-05-03T10:00:00Z") + 0.123456
    assert AuthRecord("y.json", {"priority": "high"}).priority == 0


def test_time_formats() -> None:
    assert parse_time(1714700000000) == 1714700000.0  # Antigravity's millisecond timestamp
    assert parse_time("1714700000") == 1714700000.0
    assert parse_time("0001-01-01T00:00:00Z") is None  # Go's zero time
    assert parse_time("soon") is None and parse_time(True) is None


def test_auth_dir_default_and_tilde(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_auth_dir("") == tmp_path / ".cli-proxy-api"
    assert resolve_auth_dir("~/x") == tmp_path / "x"
