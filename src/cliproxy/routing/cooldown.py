"""The per-credential, per-model cooldown state machine (upstream-server.md §5.4).

Pure bookkeeping over a clock: the pipeline reports results, the selector asks who is available.
State survives config reloads because it is keyed by stable credential ids.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cliproxy.errors import UpstreamError

MINUTE = 60.0
HOUR = 3600.0
QUOTA_BACKOFF_CAP = 30 * MINUTE


@dataclass(slots=True)
class ModelState:
    next_retry_after: float = 0.0
    reason: str = ""
    quota: bool = False
    backoff_level: int = 0
    last_error: str = ""
    success: int = 0
    failed: int = 0


class CooldownBook:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._states: dict[tuple[str, str], ModelState] = {}

    def state(self, cred_id: str, model: str) -> ModelState:
        key = (cred_id, model)
        st = self._states.get(key)
        if st is None:
            st = self._states[key] = ModelState()
        return st

    def peek(self, cred_id: str, model: str) -> ModelState | None:
        return self._states.get((cred_id, model))

    def blocked_for(self, cred_id: str, model: str) -> float:
        """Seconds until the credential may serve ``model`` again (0 = available now)."""
        st = self._states.get((cred_id, model))
        if st is None or not st.next_retry_after:
            return 0.0
        return max(0.0, st.next_retry_after - self.clock())

    def is_quota(self, cred_id: str, model: str) -> bool:
        st = self._states.get((cred_id, model))
        return bool(st and st.quota)

    def success(self, cred_id: str, model: str) -> None:
        st = self._states.get((cred_id, model))
        if st is None:
            st = self._states[(cred_id, model)] = ModelState()
        st.next_retry_after = 0.0
        st.reason = ""
        st.quota = False
        st.backoff_level = 0
        st.success += 1

    def failure(self, cred_id: str, model: str, err: UpstreamError, *, cooling: bool = True) -> None:
        st = self.state(cred_id, model)
        st.failed += 1
        st.last_error = f"{err.status}: {err.message[:200]}"
        if not cooling:
            return
        status = err.status
        now = self.clock()
        if err.model_unsupported:
            self._set(st, now + 12 * HOUR, "model_not_supported")
        elif status == 401:
            self._set(st, now + 30 * MINUTE, "unauthorized")
        elif status in (402, 403):
            self._set(st, now + 30 * MINUTE, "payment_required")
        elif status == 404:
            self._set(st, now + 12 * HOUR, "not_found")
        elif status == 429:
            if err.retry_after is not None:
                wait = err.retry_after
            else:
                wait = min(QUOTA_BACKOFF_CAP, float(2 ** st.backoff_level))
                st.backoff_level += 1
            self._set(st, now + wait, "quota", quota=True)
        elif status in (408, 500, 502, 503, 504):
            self._set(st, now + MINUTE, "transient")

    @staticmethod
    def _set(st: ModelState, until: float, reason: str, *, quota: bool = False) -> None:
        st.next_retry_after = until
        st.reason = reason
        st.quota = quota

    def reset(self, cred_id: str | None = None) -> None:
        if cred_id is None:
            self._states.clear()
        else:
            for k in [k for k in self._states if k[0] == cred_id]:
                del self._states[k]
