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
                 watch: bool = True, debounce_ms: int = 150) -> None:
        self.state = state
        self.loaded = loaded
        self.server = Server(state, host=host, port=port)
        self.watch = watch
        self.debounce_ms = debounce_ms
        self.watcher: Any = None

    async def start(self) -> int:
        port = await self.server.start()
        if self.watch and getattr(self.loaded, "path", None):
            from cliproxy.config.watch import ConfigWatcher

            cfg = self.loaded.config
            self.watcher = ConfigWatcher(
                self.loaded.path, auth_dir=cfg.auth_dir or None, on_config=self._on_config,
                on_error=self._on_error, on_auth_change=self._on_auth_change, debounce_ms=self.debounce_ms,
                initial_sha256=getattr(self.loaded, "sha256", None))
            await self.watcher.start()
        return port

    def _on_config(self, loaded: Any) -> None:
        # the watcher already logged the diff, warnings and "restart needed"; apply the snapshot
        self.state.apply_config(loaded.config)
        self.loaded = loaded

    def _on_error(self, err: Exception) -> None:
        pass  # the watcher logs why the edit was rejected; the last good config stays in force

    def _on_auth_change(self, changed: set, removed: set) -> None:
        log.info("auth dir changed: %d updated, %d removed", len(changed), len(removed))

    async def stop(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()
        await self.server.stop()
