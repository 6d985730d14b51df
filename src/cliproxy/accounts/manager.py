"""The account set of a running server: loads the store, follows auth-dir edits, refreshes tokens,
publishes credentials to the app, and keeps the state snapshot ``cliproxy accounts`` reads.

Owned by the service. ``on_auth_change(changed, removed)`` is the hook ``config/watch.py`` calls
for auth-dir events; files dropped in, edited or deleted by hand take effect without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from cliproxy.accounts.build import account_credentials
from cliproxy.accounts.kinds import KindCatalog
from cliproxy.accounts.records import AuthRecord
from cliproxy.accounts.refresher import Refresher
from cliproxy.accounts.state import AccountState, live_states, snapshot
from cliproxy.accounts.store import AuthStore
from cliproxy.accounts.tokens import Account
from cliproxy.config.schema import Config
from cliproxy.http.client import HttpPool
from cliproxy.oauth.client import OAuthClient
from cliproxy.providers.base import Credential
from cliproxy.routing.cooldown import CooldownBook

log = logging.getLogger("cliproxy.accounts")

SNAPSHOT_EVERY = 10.0


class AccountManager:
    def __init__(self, store: AuthStore, *, http: HttpPool, config: Config, kinds: KindCatalog | None = None,
                 on_credentials: Callable[[list[Credential]], None] | None = None,
                 book: CooldownBook | None = None, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.http = http
        self.config = config
        self.kinds = kinds or KindCatalog()
        self.book = book
        self._on_credentials = on_credentials
        self._clock = clock
        self.accounts: dict[str, Account] = {}
        self.unsupported: dict[str, str] = {}  # file name -> type we cannot serve (yet)
        self.refresher = Refresher(lambda: list(self.accounts.values()), workers=config.auth_auto_refresh_workers,
                                   clock=clock)
        self._snapshot_task: asyncio.Task[None] | None = None
        self._last_snapshot: dict | None = None
        self._published: dict[str, tuple] = {}

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.load()
        await self.refresher.start()
        self._snapshot_task = asyncio.get_running_loop().create_task(self._snapshot_loop())

    async def stop(self) -> None:
        await self.refresher.stop()
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._snapshot_task
            self._snapshot_task = None
        with contextlib.suppress(OSError):
            await self.write_snapshot()
        for acct in self.accounts.values():
            await acct.close()

    async def load(self) -> None:
        """(Re)read every record, then publish the credentials."""
        records = await self.store.list()
        names = {r.name for r in records}
        for name in [n for n in self.accounts if n not in names]:
            self._remove(name)
        for rec in records:
            self._upsert(rec)
        self.publish()
        self.refresher.wake()

    # ------------------------------------------------------------------ changes
    async def on_auth_change(self, changed: Iterable[Path | str], removed: Iterable[Path | str]) -> None:
        """Re-read every named file from the store: present → (re)load, absent or unreadable → drop.

        Removals are checked too rather than trusted, so a watcher that reports a whole directory
        as removed (e.g. while ``auth-dir`` is re-targeted) cannot drop accounts that still exist.
        """
        names = {Path(p).name for p in (*changed, *removed)}
        for name in sorted(names):
            rec = await self.store.load(name)
            if rec is None:
                self._remove(name)
            else:
                self._upsert(rec)
        self.publish()
        self.refresher.wake()

    def set_config(self, cfg: Config) -> list[Credential]:
        """A new config snapshot (aliases and exclusions may have changed); returns the new credentials."""
        self.config = cfg
        return self.credentials()

    def _upsert(self, rec: AuthRecord) -> None:
        kind = self.kinds.for_type(rec.type)
        if kind is None:
            if self.unsupported.get(rec.name) != rec.type:
                log.warning("auth file %s has type %r, which cliproxy does not serve yet; skipped",
                            rec.name, rec.type)
            self._remove(rec.name)
            self.unsupported[rec.name] = rec.type
            return
        self.unsupported.pop(rec.name, None)
        acct = self.accounts.get(rec.name)
        if acct is None:
            self.accounts[rec.name] = Account(rec, kind, store=self.store, client=self.client,
                                              clock=self._clock, on_change=self._account_changed)
            log.info("account %s loaded (%s)", rec.name, kind.login_name)
            return
        if acct.kind is not kind:
            self._remove(rec.name)
            self._upsert(rec)
            return
        if acct.record.data == rec.data:
            return  # our own write coming back through the watcher
        if acct.replace_record(rec) and self.book is not None:
            for cred in account_credentials(acct, self.config):
                self.book.reset(cred.id)

    def _remove(self, name: str) -> None:
        self.unsupported.pop(name, None)
        acct = self.accounts.pop(name, None)
        if acct is not None:
            log.info("account %s removed", name)

    def _account_changed(self, acct: Account) -> None:
        """After a refresh: republish only if what the registry sees changed (plan, project)."""
        if self._signature(acct) != self._published.get(acct.name):
            self.publish()
        self.refresher.wake()

    # ------------------------------------------------------------------ outputs
    def client(self, proxy_url: str = "") -> OAuthClient:
        return OAuthClient(self.http, proxy_url=proxy_url, user_agent=self.config.client_user_agent)

    def credentials(self) -> list[Credential]:
        out: list[Credential] = []
        for name in sorted(self.accounts):
            out.extend(account_credentials(self.accounts[name], self.config))
        return out

    def publish(self) -> None:
        self._published = {n: self._signature(a) for n, a in self.accounts.items()}
        if self._on_credentials is not None:
            self._on_credentials(self.credentials())

    @staticmethod
    def _signature(acct: Account) -> tuple:
        d = acct.record.data
        k = acct.kind
        return (tuple(e.id for e in k.models(d)), tuple(k.projects(d)), k.base_url(d),
                tuple(sorted((str(a), str(b)) for a, b in k.attrs(d).items())), acct.record.disabled)

    def states(self, creds: Iterable[Credential] | None = None) -> list[AccountState]:
        return live_states([self.accounts[n] for n in sorted(self.accounts)],
                           self.credentials() if creds is None else creds, self.book, now=self._clock())

    async def write_snapshot(self) -> None:
        snap = snapshot(self.states(), self.accounts)
        comparable = {k: v for k, v in snap.items() if k != "written_at"}
        if comparable == self._last_snapshot:
            return
        await self.store.save_state(snap)
        self._last_snapshot = comparable

    async def _snapshot_loop(self) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_EVERY)
            try:
                await self.write_snapshot()
            except OSError as exc:
                log.warning("cannot write the account state snapshot: %s", exc)
