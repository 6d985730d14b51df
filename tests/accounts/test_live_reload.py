"""Auth files dropped in, edited or deleted by hand take effect while the server runs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from cliproxy.config.watch import ConfigWatcher

from .support import claude_file, config, proxy, write

MODEL = "claude-sonnet-4-6"


async def _until(cond: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_auth_dir_edits_are_live(tmp_path: Path, auth_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(f"auth-dir: {json.dumps(str(auth_dir))}\n")
    async with proxy(config(auth_dir)) as px:
        watcher = ConfigWatcher(cfg_path, on_config=lambda loaded: None, on_auth_change=px.accounts.on_auth_change,
                                auth_dir=px.accounts.auth_dir, debounce_ms=30)
        await watcher.start()

        def routes() -> list[str]:
            return [r.cred.id for r in px.state.runtime.registry.resolve(MODEL)]

        try:
            assert routes() == []
            write(auth_dir, "claude-a.json", claude_file("t-a", "r-a", email="a@example.com"))
            await _until(lambda: routes() == ["claude-a.json"], "a dropped-in file")
            write(auth_dir, "claude-b.json", claude_file("t-b", "r-b", email="b@example.com", prefix="team"))
            await _until(lambda: routes() == ["claude-a.json", "claude-b.json"], "a second file")
            assert [r.cred.id for r in px.state.runtime.registry.resolve("team/" + MODEL)] == ["claude-b.json"]
            write(auth_dir, "claude-a.json", claude_file("t-a", "r-a", email="a@example.com", disabled=True))
            await _until(lambda: routes() == ["claude-b.json"], "a file disabled by hand")
            with caplog.at_level(logging.ERROR):
                (auth_dir / "claude-broken.json").write_text("{oops")
                (auth_dir / "claude-b.json").unlink()
                await _until(lambda: routes() == [], "a deleted file")
            assert any("claude-broken.json" in r.getMessage() for r in caplog.records)  # reported, not fatal
            st = {s.name: s.status for s in px.accounts.states()}
            assert st == {"claude-a.json": "disabled"}
        finally:
            await watcher.stop()
