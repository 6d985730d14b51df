"""The running service: server + config/auth watcher (+ account store and refresher later).

Owns start/stop order: the server listens first, then background components start; stop runs
in reverse. Hot reload swaps ``AppState.runtime`` in one assignment.
"""

from __future__ import annotations

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
            from cliproxy.config.watch import ConfigWatcher

            self.watcher = ConfigWatcher(
                self.loaded.path, auth_dir=self.accounts.auth_dir if self.accounts else None,
                on_config=self._on_config, on_error=self._on_error, on_auth_change=self._on_auth_change,
                debounce_ms=self.debounce_ms, initial_sha256=getattr(self.loaded, "sha256", None))
            await self.watcher.start()
        return port

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
        if self.watcher is not None:
            await self.watcher.stop()
        await self.server.stop()
        if self.accounts is not None:
            await self.accounts.stop()
