"""Credential selection: priority groups, round-robin or fill-first, session affinity.

Pure over (routes, cooldown book, cursors). The failover loop calls ``pick`` with the set of
credentials it already tried; ``None`` means nothing is left to try.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from cliproxy.routing.cooldown import CooldownBook
from cliproxy.routing.registry import Route


class Selector:
    def __init__(self, book: CooldownBook, clock: Callable[[], float] = time.monotonic) -> None:
        self.book = book
        self.clock = clock
        self._cursor: dict[str, int] = {}
        self._affinity: dict[str, tuple[str, float]] = {}

    def available(self, route: Route) -> bool:
        cid = route.cred.id
        return any(self.book.blocked_for(cid, m) == 0.0 for m in route.entry.upstream)

    def wait_for(self, route: Route) -> tuple[float, bool]:
        """Shortest wait until the route frees up, and whether the block is a quota cooldown."""
        cid = route.cred.id
        waits = [(self.book.blocked_for(cid, m), self.book.is_quota(cid, m)) for m in route.entry.upstream]
        return min(waits, key=lambda w: w[0])

    def pick(self, model: str, routes: Sequence[Route], *, strategy: str, exclude: set[str],
             session_key: str | None = None, affinity_ttl: float = 3600.0) -> Route | None:
        candidates = [r for r in routes if r.cred.id not in exclude and self.available(r)]
        if not candidates:
            return None
        if session_key:
            bound = self._affinity.get(session_key)
            if bound and bound[1] > self.clock():
                for r in candidates:
                    if r.cred.id == bound[0]:
                        self._affinity[session_key] = (r.cred.id, self.clock() + affinity_ttl)
                        return r
        top = max(r.cred.priority for r in candidates)
        group = [r for r in candidates if r.cred.priority == top]
        if strategy == "fill-first":
            chosen = group[0]
        else:
            n = self._cursor.get(model, 0)
            chosen = group[n % len(group)]
            self._cursor[model] = n + 1
        if session_key:
            self._affinity[session_key] = (chosen.cred.id, self.clock() + affinity_ttl)
        return chosen

    def rotate_pool(self, route: Route) -> tuple[str, ...]:
        """Order of upstream names for an alias pool: round-robin start, skip cooling names."""
        names = route.entry.upstream
        if len(names) == 1:
            return names
        key = "pool:" + route.cred.id + ":" + route.entry.id
        n = self._cursor.get(key, 0)
        self._cursor[key] = n + 1
        start = n % len(names)
        ordered = names[start:] + names[:start]
        free = tuple(m for m in ordered if self.book.blocked_for(route.cred.id, m) == 0.0)
        return free or ordered

    def prune(self) -> None:
        now = self.clock()
        for k in [k for k, v in self._affinity.items() if v[1] <= now]:
            del self._affinity[k]
