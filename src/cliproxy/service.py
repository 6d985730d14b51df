"""The running service: server + config/auth watcher (+ account store and refresher later).

Owns start/stop order: the server listens first, then background components start; stop runs
in reverse. Hot reload swaps ``AppState.runtime`` in one assignment.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cliproxy.app import AppState
from cliproxy.server.runner import Server

log = logging.getLogger("cliproxy.service")


class Service:
    def __init__(self, state: AppState, loaded: Any, *, host: str | None = None, port: int | None = None,
                 watch: bool = True, debounce_ms: int = 150, accounts: bool = True) -> None:
        self.state = state
        self.loaded = loaded
        self.server = Server(state, host=host, port=port)
        self.watch = watch
        self.debounce_ms = debounce_ms
        self.watcher: Any = None
        self.use_accounts = accounts
        self.accounts: Any = None

    async def start(self) -> int:
        if self.use_accounts:
            from cliproxy.accounts.service import AccountsService

            self.accounts = AccountsService(self.state, self.state.runtime.config)
            await self.accounts.start()  # load the auth dir, publish credentials, start refreshing
        port = await self.server.start()
        if self.watch and getattr(self.loaded, "path", None):
            # the watcher starts just after the server answers its first requests: importing and
            # arming it blocks the loop for ~0.1 s, which would land on the cold-start path
            self._watch_task = asyncio.get_running_loop().create_task(self._start_watcher(delay=0.3))
        return port

    async def _start_watcher(self, delay: float) -> None:
        await asyncio.sleep(delay)
        from cliproxy.config.errors import ConfigError
        from cliproxy.config.load import load_config
        from cliproxy.config.watch import ConfigWatcher

        self.watcher = ConfigWatcher(
            self.loaded.path, auth_dir=self.accounts.auth_dir if self.accounts else None,
            on_config=self._on_config, on_error=self._on_error, on_auth_change=self._on_auth_change,
            debounce_ms=self.debounce_ms, initial=self.loaded)
        await self.watcher.start()
        # an edit made before the watch was live: apply it now
        try:
            current = await asyncio.to_thread(load_config, self.loaded.path)
        except (ConfigError, OSError) as exc:  # an invalid edit is reported; the old config stays
            log.error("config edit rejected, keeping the last good config:\n%s", exc)
            return
        if current.sha256 != self.loaded.sha256:
            self._on_config(current)

    def _on_config(self, loaded: Any) -> None:
        # the watcher already logged the diff, warnings and "restart needed"; apply the snapshot
        if self.accounts is not None:
            self.state.extra_credentials = tuple(self.accounts.on_config(loaded.config))
        self.state.apply_config(loaded.config)
        self.loaded = loaded

    def _on_error(self, err: Exception) -> None:
        pass  # the watcher logs why the edit was rejected; the last good config stays in force

    async def _on_auth_change(self, changed: set, removed: set) -> None:
        if self.accounts is not None:
            await self.accounts.on_auth_change(changed, removed)

    async def stop(self) -> None:
        task = getattr(self, "_watch_task", None)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self.watcher is not None:
            await self.watcher.stop()
        await self.server.stop()
        if self.accounts is not None:
            await self.accounts.stop()
