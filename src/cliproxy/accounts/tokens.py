"""One account at runtime: its record, its token state, and the ``TokenSource`` its credentials use.

Rules (issue "Refresh"):
- a request gets the current token without waiting unless it has already expired (5 s skew);
- refresh is single-flight: concurrent callers (requests and the background refresher) share one
  in-flight refresh task;
- the refreshed record is saved *before* the new token is handed out, so a rotated refresh token
  is on disk before anything can use it again;
- ``invalid_grant`` and friends mark the account "needs re-login"; requests then fail over with a
  clear 401 instead of hammering the token endpoint; a transient failure backs off exponentially.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from cliproxy.accounts.records import AuthRecord
from cliproxy.errors import Scope, UpstreamError
from cliproxy.oauth.client import RefreshFailed

if TYPE_CHECKING:
    from cliproxy.accounts.kinds import AccountKind
    from cliproxy.accounts.store import AuthStore
    from cliproxy.oauth.client import OAuthClient

log = logging.getLogger("cliproxy.accounts")

EXPIRY_SKEW = 5.0
BACKOFF_START = 30.0
BACKOFF_CAP = 15 * 60.0


class Account:
    def __init__(self, record: AuthRecord, kind: AccountKind, *, store: AuthStore,
                 client: Callable[[str], OAuthClient], clock: Callable[[], float],
                 on_change: Callable[[Account], None] | None = None) -> None:
        self.record = record
        self.kind = kind
        self.store = store
        self._client = client
        self._clock = clock
        self._on_change = on_change
        self._inflight: asyncio.Task[None] | None = None
        self.needs_relogin = False
        self.last_error = ""
        self.failures = 0
        self.retry_at: float | None = None
        self.refresh_calls = 0

    # ------------------------------------------------------------------ views
    @property
    def name(self) -> str:
        return self.record.name

    @property
    def label(self) -> str:
        return self.kind.label(self.record.data) or self.record.name

    def expiry(self) -> float | None:
        return self.record.expiry()

    def token_fields(self) -> tuple[str, str]:
        d = self.record.data
        return self.kind.access_token(d), self.kind.refresh_token(d)

    def due_at(self) -> float | None:
        """When the background refresher should renew this token (None: never)."""
        if self.needs_relogin or self.record.disabled or not self.kind.refresh_token(self.record.data):
            return None
        if self.retry_at is not None:
            return self.retry_at
        now = self._clock()
        exp = self.expiry()
        last = self.record.last_refresh()
        interval = self.record.refresh_interval
        if interval:
            times = [t for t in ((exp - interval) if exp else None, (last + interval) if last else None) if t]
            return min(times) if times else now
        lead = self.kind.refresh_lead
        if exp is not None:
            return exp - lead
        return (last + lead) if last is not None else now

    # ------------------------------------------------------------------ record updates from disk
    def replace_record(self, record: AuthRecord) -> bool:
        """The file changed on disk. Returns True when its tokens changed (e.g. a new login)."""
        old = self.token_fields()
        self.record = record
        if self.token_fields() != old:
            if self.needs_relogin:
                log.info("account %s (%s) has new tokens; it is active again", self.name, self.label)
            self.needs_relogin = False
            self.failures = 0
            self.retry_at = None
            self.last_error = ""
            return True
        return False

    # ------------------------------------------------------------------ TokenSource
    async def access_token(self) -> str:
        if self.needs_relogin:
            raise self._relogin_error()
        token = self.kind.access_token(self.record.data)
        exp = self.expiry()
        if token and (exp is None or exp - EXPIRY_SKEW > self._clock()):
            return token
        try:
            await self.refresh()
        except RefreshFailed as err:
            if err.permanent:
                raise self._relogin_error() from None
            raise UpstreamError(f"account {self.label}: token refresh failed: {err}", status=503,
                                scope=Scope.TRANSIENT) from None
        return self.kind.access_token(self.record.data)

    def _relogin_error(self) -> UpstreamError:
        return UpstreamError(
            f"account {self.label} ({self.name}) needs a new login: run `cliproxy login {self.kind.login_name}`"
            + (f" (last error: {self.last_error})" if self.last_error else ""),
            status=401, scope=Scope.CREDENTIAL)

    async def refresh(self) -> None:
        """Renew the token now; concurrent callers share one refresh."""
        task = self._inflight
        if task is None or task.done():
            task = self._inflight = asyncio.get_running_loop().create_task(self._do_refresh())
            task.add_done_callback(_consume)
        await asyncio.shield(task)

    async def _do_refresh(self) -> None:
        if not self.kind.refresh_token(self.record.data):
            raise RefreshFailed("the auth file has no refresh token", permanent=True)
        before = self.record
        self.refresh_calls += 1
        try:
            client = self._client(self.record.proxy_url)
            data = await self.kind.refresh(client, before.copy().data)
        except RefreshFailed as err:
            self._failed(err)
            raise
        new = AuthRecord(before.name, data)
        try:
            await self.store.save(new)  # a rotated refresh token is on disk before it is used
        except OSError as exc:
            log.error("account %s: refreshed, but saving %s failed: %s; the new token is kept in memory",
                      self.label, self.name, exc)
        self.record = new
        self.failures = 0
        self.retry_at = None
        self.last_error = ""
        log.info("account %s (%s): token refreshed", self.label, self.name)
        self._changed()

    def _failed(self, err: RefreshFailed) -> None:
        self.last_error = str(err)
        if err.permanent:
            self.needs_relogin = True
            self.retry_at = None
            log.error("account %s (%s) needs a new login: the refresh token was rejected (%s); "
                      "run `cliproxy login %s`", self.label, self.name, err, self.kind.login_name)
        else:
            self.failures += 1
            wait = min(BACKOFF_CAP, BACKOFF_START * 2 ** (self.failures - 1))
            self.retry_at = self._clock() + wait
            log.warning("account %s (%s): token refresh failed (%s); retrying in %.0fs",
                        self.label, self.name, err, wait)
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self)

    async def close(self) -> None:
        task = self._inflight
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RefreshFailed):
                await task


def _consume(task: asyncio.Task[None]) -> None:
    """Mark the shared task's exception as seen; every awaiting caller gets it through ``shield``."""
    if not task.cancelled():
        task.exception()
