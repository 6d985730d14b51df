"""ConfigWatcher over a real directory: edits, bad edits, re-saves, editor renames, auth files, stop."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from watchfiles import Change

from cliproxy.config.errors import ConfigError
from cliproxy.config.load import LoadedConfig, load_config
from cliproxy.config.watch import ConfigWatcher

QUIET = 0.35  # how long "nothing happens" is given to happen anyway


def config_text(tmp: Path, port: int = 8317, auth: str = "auths", extra: str = "") -> str:
    return f"host: 127.0.0.1\nport: {port}\napi-keys: [k]\nauth-dir: {tmp / auth}\n{extra}"


class Recorder:
    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def on_config(self, loaded: LoadedConfig) -> None:
        self.events.put_nowait(("config", loaded))

    async def on_error(self, err: ConfigError) -> None:  # async callbacks are supported too
        self.events.put_nowait(("error", err))

    def on_auth_change(self, changed: set[Path], removed: set[Path]) -> None:
        self.events.put_nowait(("auth", (changed, removed)))

    async def next(self, timeout: float = 3.0) -> tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def nothing(self, wait: float = QUIET) -> None:
        await asyncio.sleep(wait)
        assert self.events.empty(), f"unexpected event: {self.events.get_nowait()}"


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[Path, Recorder, ConfigWatcher]]:
    (tmp_path / "auths").mkdir()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text(tmp_path))
    rec = Recorder()
    watcher = ConfigWatcher(cfg, on_config=rec.on_config, on_error=rec.on_error, on_auth_change=rec.on_auth_change,
                            initial=load_config(cfg), debounce_ms=20, auth_remove_debounce_ms=80)
    await watcher.start()
    try:
        yield tmp_path, rec, watcher
    finally:
        await watcher.stop()


async def test_valid_edit_delivers_a_new_snapshot(env, caplog: pytest.LogCaptureFixture) -> None:
    tmp, rec, watcher = env
    caplog.set_level(logging.INFO, "cliproxy.config.watch")
    (tmp / "config.yaml").write_text(config_text(tmp, port=9000, extra="request-retry: 2\n"))
    kind, loaded = await rec.next()
    assert kind == "config" and loaded.config.port == 9000 and loaded.config.request_retry == 2
    assert watcher.current is loaded
    assert "restart needed for port" in caplog.text
    assert "request-retry: 0 -> 2" in caplog.text
    await rec.nothing(0.1)  # one save, one snapshot


async def test_invalid_edit_reports_and_keeps_last_good(env) -> None:
    tmp, rec, watcher = env
    good = watcher.current
    (tmp / "config.yaml").write_text(config_text(tmp).replace("port: 8317", "port: nope") + "debug: maybe\n")
    kind, err = await rec.next()
    assert kind == "error" and isinstance(err, ConfigError)
    assert [(p.key_path, p.line) for p in err.problems] == [("port", 2), ("debug", 5)]
    await rec.nothing()
    assert watcher.current is good
    (tmp / "config.yaml").write_text(config_text(tmp, port=9001))
    kind, loaded = await rec.next()
    assert kind == "config" and loaded.config.port == 9001


async def test_unchanged_resave_and_empty_file_are_ignored(env) -> None:
    tmp, rec, _ = env
    cfg = tmp / "config.yaml"
    cfg.write_bytes(cfg.read_bytes())  # same content: same SHA-256
    cfg.write_text("")  # editors truncate first; CLIProxyAPI ignores empty files
    await rec.nothing()
    cfg.write_text(config_text(tmp, port=9002))
    kind, loaded = await rec.next()  # the first event is this real change, nothing from before
    assert kind == "config" and loaded.config.port == 9002


async def test_editor_rename_on_save_is_picked_up(env) -> None:
    tmp, rec, _ = env
    tmp_file = tmp / ".config.yaml.swp"
    tmp_file.write_text(config_text(tmp, port=9003))
    os.replace(tmp_file, tmp / "config.yaml")
    kind, loaded = await rec.next()
    assert kind == "config" and loaded.config.port == 9003
    # and again, now that the watched file's inode has been replaced
    tmp_file.write_text(config_text(tmp, port=9004))
    os.replace(tmp_file, tmp / "config.yaml")
    kind, loaded = await rec.next()
    assert kind == "config" and loaded.config.port == 9004


async def test_auth_dir_add_modify_delete(env) -> None:
    tmp, rec, _ = env
    a = tmp / "auths" / "a.json"
    a.write_text("{}")
    (tmp / "auths" / ".oauth-state.json").write_text("{}")
    (tmp / "auths" / "b.json.tmp").write_text("{}")
    (tmp / "auths" / "notes.txt").write_text("x")
    assert await rec.next() == ("auth", ({a}, set()))
    await rec.nothing(0.1)
    a.write_text('{"type": "codex"}')
    assert await rec.next() == ("auth", ({a}, set()))
    a.unlink()
    assert await rec.next() == ("auth", (set(), {a}))
    await rec.nothing(0.1)


async def test_delete_then_recreate_is_a_change_not_a_removal(env) -> None:
    tmp, rec, _ = env
    a = tmp / "auths" / "a.json"
    a.write_text("{}")
    assert await rec.next() == ("auth", ({a}, set()))
    a.unlink()
    await asyncio.sleep(0.03)  # inside the removal debounce
    a.write_text('{"v": 2}')
    events = [await rec.next()]
    await asyncio.sleep(0.2)
    while not rec.events.empty():
        events.append(rec.events.get_nowait())
    assert all(not removed for _, (_, removed) in events), events
    assert any(a in changed for _, (changed, _) in events)


async def test_removal_followed_by_a_write_in_one_batch_is_a_change(env) -> None:
    """watchfiles hands over a *set*: a delete and a re-create of one file can come in any order."""
    tmp, rec, watcher = env
    a = tmp / "auths" / "a.json"
    a.write_text("{}")
    assert await rec.next() == ("auth", ({a}, set()))
    watcher._dispatch([(Change.added, str(a)), (Change.deleted, str(a))])  # type: ignore[arg-type]
    events = [await rec.next()]
    await asyncio.sleep(0.15)
    while not rec.events.empty():
        events.append(rec.events.get_nowait())
    assert ("auth", ({a}, set())) in events and all(not removed for _, (_, removed) in events), events


async def test_auth_dir_change_in_a_reload_retargets_the_watch(env) -> None:
    tmp, rec, watcher = env
    old_file = tmp / "auths" / "old.json"
    old_file.write_text("{}")
    assert await rec.next() == ("auth", ({old_file}, set()))
    (tmp / "auths2").mkdir()
    new_file = tmp / "auths2" / "new.json"
    new_file.write_text("{}")
    (tmp / "config.yaml").write_text(config_text(tmp, auth="auths2"))
    kind, loaded = await rec.next()
    assert kind == "config" and loaded.config.auth_dir == str(tmp / "auths2")
    assert await rec.next() == ("auth", ({new_file}, {old_file}))  # the full rescan
    assert watcher.auth_dir == tmp / "auths2"
    await asyncio.sleep(0.1)
    (tmp / "auths" / "ignored.json").write_text("{}")  # old dir: no longer watched
    added = tmp / "auths2" / "added.json"
    added.write_text("{}")
    assert await rec.next() == ("auth", ({added}, set()))
    await rec.nothing(0.1)


async def test_stop_is_clean_and_final(tmp_path: Path) -> None:
    (tmp_path / "auths").mkdir()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text(tmp_path))
    rec = Recorder()
    before = {t for t in asyncio.all_tasks() if not t.done()}
    for i in range(8):
        w = ConfigWatcher(cfg, on_config=rec.on_config, on_auth_change=rec.on_auth_change, debounce_ms=20)
        await w.start()
        if i % 2:
            cfg.write_text(config_text(tmp_path, port=8000 + i))  # stop with a reload pending
        await w.stop()
        await w.stop()  # idempotent
    leftover = {t for t in asyncio.all_tasks() if not t.done()} - before - {asyncio.current_task()}
    assert leftover == set()
    while not rec.events.empty():
        rec.events.get_nowait()
    cfg.write_text(config_text(tmp_path, port=7000))
    (tmp_path / "auths" / "x.json").write_text("{}")
    await rec.nothing()


async def test_one_watcher_can_be_restarted(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text(tmp_path))
    rec = Recorder()
    w = ConfigWatcher(cfg, on_config=rec.on_config, debounce_ms=20)
    for port in (8501, 8502, 8503):
        await w.start()
        cfg.write_text(config_text(tmp_path, port=port))
        kind, loaded = await rec.next()
        assert kind == "config" and loaded.config.port == port
        await w.stop()


async def test_context_manager_without_initial_snapshot(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text(tmp_path))
    rec = Recorder()
    async with ConfigWatcher(cfg, on_config=rec.on_config, debounce_ms=20) as w:
        assert w.current is not None and w.current.config.port == 8317
        assert w.auth_dir == tmp_path / "auths"  # not created yet: its parent is watched instead
        cfg.write_bytes(cfg.read_bytes())
        await rec.nothing(0.15)  # the baseline hash came from the file
        cfg.write_text(config_text(tmp_path, port=8400))
        kind, loaded = await rec.next()
        assert kind == "config" and loaded.config.port == 8400


async def test_service_style_construction_with_hash_and_auth_dir(tmp_path: Path) -> None:
    """The caller passes the hash it loaded and the auth dir it uses; an edit made before start() counts."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text(tmp_path))
    loaded = load_config(cfg)
    cfg.write_text(config_text(tmp_path, port=8600))  # edited between load and watch
    (tmp_path / "auths").mkdir()
    rec = Recorder()
    async with ConfigWatcher(cfg, on_config=rec.on_config, on_auth_change=rec.on_auth_change,
                             initial_sha256=loaded.sha256, auth_dir=str(tmp_path / "auths"), debounce_ms=20) as w:
        assert w.auth_dir == tmp_path / "auths"
        cfg.write_bytes(cfg.read_bytes())  # any event: the content differs from what the caller runs
        kind, new = await rec.next()
        assert kind == "config" and new.config.port == 8600
        f = tmp_path / "auths" / "a.json"
        f.write_text("{}")
        assert await rec.next() == ("auth", ({f}, set()))


async def test_auth_dir_created_after_start_is_watched(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(config_text(tmp_path))
    rec = Recorder()
    async with ConfigWatcher(cfg, on_config=rec.on_config, on_auth_change=rec.on_auth_change, debounce_ms=20):
        (tmp_path / "auths").mkdir()
        await asyncio.sleep(0.15)
        f = tmp_path / "auths" / "late.json"
        f.write_text("{}")
        assert await rec.next() == ("auth", ({f}, set()))


async def test_failing_callback_does_not_stop_the_watcher(env, caplog: pytest.LogCaptureFixture) -> None:
    tmp, _rec, watcher = env
    calls: list[int] = []

    def boom(loaded: LoadedConfig) -> None:
        calls.append(loaded.config.port)
        raise RuntimeError("consumer bug")

    watcher._on_config = boom
    (tmp / "config.yaml").write_text(config_text(tmp, port=9100))
    await asyncio.sleep(0.3)
    (tmp / "config.yaml").write_text(config_text(tmp, port=9101))
    for _ in range(30):
        if len(calls) == 2:
            break
        await asyncio.sleep(0.05)
    assert calls == [9100, 9101] and "consumer bug" in caplog.text
