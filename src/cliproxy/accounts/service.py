"""The accounts component as the running service uses it: a few calls to wire into ``service.py``.

    accounts = AccountsService(state, loaded.config)
    await accounts.start()                      # load auth dir, publish credentials, start refresher
    ConfigWatcher(..., auth_dir=accounts.auth_dir, on_auth_change=accounts.on_auth_change)
    # on a config reload, before state.apply_config(cfg):
    state.extra_credentials = tuple(accounts.on_config(cfg))
    await accounts.stop()
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cliproxy.accounts.manager import AccountManager
from cliproxy.accounts.state import AccountState
from cliproxy.accounts.store import AuthStore, FileAuthStore, resolve_auth_dir
from cliproxy.config.schema import Config
from cliproxy.providers.base import Credential

if TYPE_CHECKING:
    from cliproxy.app import AppState


class AccountsService:
    def __init__(self, state: AppState, cfg: Config, *, store: AuthStore | None = None) -> None:
        self.state = state
        self._owns_store = store is None
        self.manager = AccountManager(store or FileAuthStore(resolve_auth_dir(cfg.auth_dir)), http=state.http,
                                      config=cfg, on_credentials=state.set_extra_credentials, book=state.book)

    @property
    def auth_dir(self) -> Path | None:
        store = self.manager.store
        return store.directory if isinstance(store, FileAuthStore) else None

    async def start(self) -> None:
        await self.manager.start()

    async def stop(self) -> None:
        await self.manager.stop()

    def on_config(self, cfg: Config) -> list[Credential]:
        """New config: follow an ``auth-dir`` change (the watcher then reports the new files) and
        return the credentials built with the new aliases / exclusions."""
        store = self.manager.store
        if self._owns_store and isinstance(store, FileAuthStore):
            new_dir = resolve_auth_dir(cfg.auth_dir)
            if new_dir != store.directory:
                self.manager.store = FileAuthStore(new_dir)
                for acct in self.manager.accounts.values():
                    acct.store = self.manager.store
        return self.manager.set_config(cfg)

    async def on_auth_change(self, changed: set[Path], removed: set[Path]) -> None:
        await self.manager.on_auth_change(changed, removed)

    def states(self) -> list[AccountState]:
        return self.manager.states(self.state.runtime.credentials)
