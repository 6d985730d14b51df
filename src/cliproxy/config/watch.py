"""Hot reload: watch config.yaml and the auth directory, deliver new snapshots or say why not.

Mirrors CLIProxyAPI's watcher (upstream-server.md §2.4): config events are debounced (150 ms)
and ignored when the file is empty or its SHA-256 is unchanged; auth-file removals are debounced
longer (1 s) so an editor's delete-then-write is seen as a change, not a removal. We watch the
config's *directory*, not the file, because editors save by writing a temp file and renaming it
over the original, which replaces the inode a file watch would be attached to.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from watchfiles import Change, awatch

from cliproxy.config.errors import ConfigError
from cliproxy.config.load import LoadedConfig, diff_configs, load_config, parse_config_bytes, restart_needed

log = logging.getLogger("cliproxy.config.watch")

OnConfig = Callable[[LoadedConfig], Awaitable[None] | None]
OnError = Callable[[ConfigError], Awaitable[None] | None]
OnAuthChange = Callable[[set[Path], set[Path]], Awaitable[None] | None]


class _StopFlag:
    """The ``stop_event`` awatch polls from its thread; its first poll tells us the watch is live."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ready: asyncio.Event) -> None:
        self._loop = loop
        self._ready: asyncio.Event | None = ready
        self._set = False

    def is_set(self) -> bool:
        if self._ready is not None:
            ready, self._ready = self._ready, None
            self._loop.call_soon_threadsafe(ready.set)
        return self._set

    def set(self) -> None:
        self._set = True


class _Debounce:
    """Run ``action`` once things have been quiet for ``delay`` seconds."""

    def __init__(self, delay: float, action: Callable[[], Awaitable[None]]) -> None:
        self.delay = delay
        self._action = action
        self._task: asyncio.Task[None] | None = None
        self._deadline = 0.0

    def poke(self) -> None:
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self.delay
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._wait())

    async def _wait(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while (left := self._deadline - loop.time()) > 0:
                await asyncio.sleep(left)
            deadline = self._deadline
            try:
                await self._action()
            except Exception:  # keep watching after a bug in one reload; this task has no other caller
                log.exception("config watcher: reload step failed")
            if self._deadline == deadline:  # not poked while the action ran
                return

    async def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None


def _is_auth_file(path: Path) -> bool:
    name = path.name
    return name.endswith(".json") and not name.startswith(".")  # .oauth-* state, editor temp files


class ConfigWatcher:
    """Watches ``config_path`` and the config's ``auth-dir``; stop it with ``await stop()``.

    ``on_config`` gets each valid new snapshot; ``on_error`` gets the ConfigError of an invalid
    edit (nothing is delivered then: keep the last good config). ``on_auth_change(changed,
    removed)`` gets absolute paths of top-level ``*.json`` files; when ``auth-dir`` itself changes
    in a reload it reports every file of the new directory as changed and every file of the old
    one as removed, which is the full rescan CLIProxyAPI does. Callbacks may be sync or async.

    Pass ``initial`` (the LoadedConfig the caller runs) or at least ``initial_sha256``; without
    them the file on disk at ``start()`` is the baseline. ``auth_dir`` overrides the starting
    auth directory (default: the config's); ``debounce_ms`` / ``auth_remove_debounce_ms`` exist
    so tests can run fast.
    """

    def __init__(
        self,
        config_path: str | Path,
        *,
        on_config: OnConfig,
        on_error: OnError | None = None,
        on_auth_change: OnAuthChange | None = None,
        initial: LoadedConfig | None = None,
        initial_sha256: str | None = None,
        auth_dir: str | Path | None = None,
        debounce_ms: int = 150,
        auth_remove_debounce_ms: int | None = None,
    ) -> None:
        self.config_path = Path(os.path.abspath(Path(config_path).expanduser()))
        self._on_config = on_config
        self._on_error = on_error
        self._on_auth_change = on_auth_change
        self._current = initial
        # the hash of the config the caller is running: an edit made before start() still counts
        self._sha = initial_sha256 or (initial.sha256 if initial else "")
        self._auth_dir_override = Path(os.path.abspath(Path(auth_dir).expanduser())) if auth_dir else None
        self._auth_dir: Path | None = None
        self._debounce_ms = debounce_ms
        # CLIProxyAPI: 150 ms for config events, 1 s for auth removals; keep that ratio by default.
        remove_ms = auth_remove_debounce_ms if auth_remove_debounce_ms is not None else debounce_ms * 20 // 3
        self._config_timer = _Debounce(debounce_ms / 1000, self._reload)
        self._auth_timer = _Debounce(debounce_ms / 1000, self._flush_changed)
        self._removal_timer = _Debounce(remove_ms / 1000, self._flush_removed)
        self._pending_changed: set[Path] = set()
        self._pending_removed: set[Path] = set()
        self._task: asyncio.Task[None] | None = None
        self._flag: _StopFlag | None = None
        self._stopping = False
        self._lock = asyncio.Lock()

    @property
    def current(self) -> LoadedConfig | None:
        """The last good snapshot (the initial one until an edit succeeds)."""
        return self._current

    @property
    def auth_dir(self) -> Path | None:
        return self._auth_dir

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            return
        self._stopping = False
        if self._current is None:
            await asyncio.to_thread(self._load_baseline)
        self._auth_dir = self._auth_dir_override or self._resolve_auth_dir(self._current)
        ready = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(ready), name="config-watcher")
        waiter = asyncio.ensure_future(ready.wait())
        await asyncio.wait({waiter, self._task}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._task.done():  # the watch could not start; surface why
            task, self._task = self._task, None
            task.result()

    async def stop(self) -> None:
        self._stopping = True
        if self._flag is not None:
            self._flag.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=5)
            except TimeoutError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for timer in (self._config_timer, self._auth_timer, self._removal_timer):
            await timer.cancel()
        self._pending_changed.clear()
        self._pending_removed.clear()

    async def __aenter__(self) -> ConfigWatcher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _load_baseline(self) -> None:
        try:
            data = self.config_path.read_bytes()
        except OSError:
            return
        if not self._sha:
            self._sha = hashlib.sha256(data).hexdigest()
        try:
            self._current = load_config(self.config_path, optional=False)
        except (ConfigError, OSError) as exc:
            log.warning("config watcher: current config is not usable yet: %s", exc)

    # -- the watch loop ----------------------------------------------------------------------
    def _targets(self) -> list[Path]:
        targets = [self.config_path.parent]
        if self._auth_dir is not None:
            if self._auth_dir.is_dir():
                targets.append(self._auth_dir)
            elif self._auth_dir.parent.is_dir():
                targets.append(self._auth_dir.parent)  # to notice the directory being created
        return list(dict.fromkeys(targets))

    async def _run(self, ready: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        step = max(5, min(50, self._debounce_ms))
        first = True
        while not self._stopping:
            flag = _StopFlag(loop, ready)
            self._flag = flag
            targets = self._targets()
            log.debug("config watcher: watching %s", ", ".join(map(str, targets)))
            try:
                async for changes in awatch(*targets, watch_filter=None, step=step, debounce=max(step, 1600),
                                            stop_event=flag, recursive=False):
                    self._dispatch(changes)
            except OSError as exc:
                if first:
                    raise  # start() reports it: the config directory is not watchable
                log.warning("config watcher: cannot watch %s (%s); retrying", ", ".join(map(str, targets)), exc)
                await asyncio.sleep(1)
            first = False
            # awatch ended: either stop() or a re-target (auth-dir changed); the loop decides.

    def _retarget(self) -> None:
        if self._flag is not None:
            self._flag.set()

    def _dispatch(self, changes: set[tuple[Change, str]]) -> None:
        cfg_is_link = self.config_path.is_symlink()
        for change, raw in changes:
            path = Path(raw)
            if path == self.config_path or (cfg_is_link and path.parent == self.config_path.parent):
                self._config_timer.poke()  # symlinked configs (k8s ConfigMaps) change via their dir
            if self._auth_dir is None:
                continue
            if path == self._auth_dir:
                if change == Change.added:
                    self._retarget()
                    self._pending_changed |= self._scan(self._auth_dir)
                    self._auth_timer.poke()
                continue
            if path.parent != self._auth_dir or not _is_auth_file(path):
                continue
            if change == Change.deleted:
                self._pending_removed.add(path)
                self._pending_changed.discard(path)
                self._removal_timer.poke()
            else:
                self._pending_changed.add(path)
                self._pending_removed.discard(path)
                self._auth_timer.poke()

    # -- config reloads ----------------------------------------------------------------------
    async def _reload(self) -> None:
        async with self._lock:
            if self._stopping:
                return
            try:
                data = await asyncio.to_thread(self.config_path.read_bytes)
            except FileNotFoundError:
                return  # mid rename-on-save; the next event brings the new file
            except OSError as exc:
                log.warning("config watcher: cannot read %s: %s", self.config_path, exc)
                return
            if not data.strip():
                return  # editors truncate before writing; CLIProxyAPI ignores empty files too
            sha = hashlib.sha256(data).hexdigest()
            if sha == self._sha:
                return
            self._sha = sha
            try:
                cfg, warnings = await asyncio.to_thread(parse_config_bytes, data, str(self.config_path))
            except ConfigError as exc:
                log.error("config reload rejected, keeping the last good config:\n%s", exc)
                await self._call(self._on_error, exc)
                return
            new = LoadedConfig(cfg, warnings, self.config_path, sha)
            old, self._current = self._current, new
            for w in warnings:
                log.warning("config: %s", w)
            if old is not None:
                changes = diff_configs(old.config, cfg)
                log.info("config reloaded: %s", "; ".join(changes) if changes else "no effective change")
                restart = restart_needed(old.config, cfg)
                if restart:
                    log.warning("config: restart needed for %s to take effect", ", ".join(restart))
            await self._call(self._on_config, new)
            await self._auth_dir_changed(new)

    async def _auth_dir_changed(self, new: LoadedConfig) -> None:
        new_dir = self._resolve_auth_dir(new)
        if new_dir == self._auth_dir:
            return
        old_dir, self._auth_dir = self._auth_dir, new_dir
        log.info("config watcher: auth-dir changed from %s to %s; rescanning", old_dir, new_dir)
        self._retarget()
        removed = self._scan(old_dir) if old_dir else set()
        changed = self._scan(new_dir) if new_dir else set()
        self._pending_changed.clear()
        self._pending_removed.clear()
        if changed or removed:
            await self._call(self._on_auth_change, changed, removed)

    @staticmethod
    def _resolve_auth_dir(loaded: LoadedConfig | None) -> Path | None:
        if loaded is None:
            return None
        # CLIProxyAPI's default when empty; "~" expanded (the template writes "~/.cli-proxy-api")
        return Path(os.path.abspath(Path(loaded.config.auth_dir or "~/.cli-proxy-api").expanduser()))

    @staticmethod
    def _scan(directory: Path | None) -> set[Path]:
        if directory is None:
            return set()
        try:
            return {p for p in directory.iterdir() if _is_auth_file(p) and p.is_file()}
        except OSError:
            return set()

    # -- auth flushes ------------------------------------------------------------------------
    async def _flush_changed(self) -> None:
        changed, self._pending_changed = self._pending_changed, set()
        changed = {p for p in changed if p.exists()}
        if changed and not self._stopping:
            await self._call(self._on_auth_change, changed, set())

    async def _flush_removed(self) -> None:
        removed, self._pending_removed = self._pending_removed, set()
        back = {p for p in removed if p.exists()}  # deleted then re-created: a change, not a removal
        removed -= back
        if (removed or back) and not self._stopping:
            await self._call(self._on_auth_change, back, removed)

    # -- callbacks ---------------------------------------------------------------------------
    async def _call(self, cb: Callable[..., Any] | None, *args: Any) -> None:
        if cb is None:
            return
        try:
            result = cb(*args)
            if inspect.isawaitable(result):
                await result
        except Exception:  # a consumer's bug must not kill hot reload; this is its top-level handler
            log.exception("config watcher: callback %s failed", getattr(cb, "__name__", cb))
