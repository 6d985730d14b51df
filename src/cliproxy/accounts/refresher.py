"""The background token refresher: renews each account at ``expiry − lead`` (providers.md §1.2).

One asyncio task sleeps until the earliest due account (or a ``wake()`` after the account set
changed), then runs the due refreshes on a bounded worker pool. It calls the same single-flight
``Account.refresh`` that requests use, so a request that finds its token expired mid-refresh
joins the refresh in flight instead of starting another. Transient failures back off inside the
account (``retry_at``); an attempt that leaves the token still due is held 30 s, so a provider
that hands out short-lived tokens cannot spin the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from cliproxy.accounts.tokens import Account
from cliproxy.oauth.client import RefreshFailed

log = logging.getLogger("cliproxy.accounts.refresher")

MAX_SLEEP = 15 * 60.0
HOLD_AFTER_ATTEMPT = 30.0


class Refresher:
    def __init__(self, accounts: Callable[[], Iterable[Account]], *, workers: int = 16,
                 clock: Callable[[], float] = time.time) -> None:
        self._accounts = accounts
        self._clock = clock
        self._sem = asyncio.Semaphore(max(1, workers))
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        self._hold: dict[str, float] = {}

    def wake(self) -> None:
        """Re-plan now (accounts were added, removed or changed)."""
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="cliproxy-refresher")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running.values()) if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._task = None
        self._running.clear()

    def next_due(self) -> float | None:
        times = [t for t in (self._due(a) for a in self._accounts()) if t is not None]
        return min(times) if times else None

    def _due(self, acct: Account) -> float | None:
        if acct.name in self._running:
            return None
        due = acct.due_at()
        if due is None:
            return None
        hold = self._hold.get(acct.name)
        return max(due, hold) if hold is not None else due

    async def _loop(self) -> None:
        while True:
            now = self._clock()
            upcoming: list[float] = []
            for acct in list(self._accounts()):
                due = self._due(acct)
                if due is None:
                    continue
                if due <= now:
                    self._running[acct.name] = asyncio.get_running_loop().create_task(self._run(acct))
                else:
                    upcoming.append(due)
            sleep = min(MAX_SLEEP, max(0.0, min(upcoming) - now)) if upcoming else MAX_SLEEP
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=sleep)

    async def _run(self, acct: Account) -> None:
        try:
            async with self._sem:
                try:
                    await acct.refresh()
                except RefreshFailed:
                    pass  # the account logged it and set its own backoff / needs-relogin state
        finally:
            self._running.pop(acct.name, None)
            self._hold[acct.name] = self._clock() + HOLD_AFTER_ATTEMPT
            self._wake.set()
