"""The account view behind ``cliproxy accounts``: provider, label, state, models, last error, expiry.

The running server computes it from live state (accounts + the cooldown book) and keeps a
snapshot in the auth dir (``.cliproxy-state``) so ``cliproxy accounts`` — a separate process —
can show cooldowns and "needs re-login" too. A snapshot entry only applies while the file still
holds the same refresh token (a fingerprint, never the token itself).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from cliproxy.accounts.records import as_dict
from cliproxy.accounts.tokens import Account
from cliproxy.providers.base import Credential
from cliproxy.routing.cooldown import CooldownBook
from cliproxy.routing.registry import excluded


class Status(StrEnum):
    ACTIVE = "active"
    COOLING = "cooling"
    NEEDS_RELOGIN = "needs-relogin"
    DISABLED = "disabled"


@dataclass(slots=True)
class AccountState:
    name: str  # auth file name
    provider: str  # login name: gemini-cli, antigravity, claude, codex
    label: str  # e-mail or file name
    status: Status
    cooling_until: float | None = None  # epoch seconds, when every model is cooling
    models: list[str] = field(default_factory=list)
    cooling_models: dict[str, float] = field(default_factory=dict)  # model -> epoch seconds
    last_error: str = ""
    expires_at: float | None = None
    projects: list[str] = field(default_factory=list)
    prefix: str = ""
    priority: int = 0
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = str(self.status)
        return d


def fingerprint(account: Account) -> str:
    access, refresh = account.token_fields()
    return hashlib.sha256((refresh or access).encode()).hexdigest()[:16]


def live_states(accounts: Iterable[Account], creds: Iterable[Credential], book: CooldownBook | None,
                *, now: float | None = None) -> list[AccountState]:
    """States from the running server: refresh state + cooldowns per model."""
    now = time.time() if now is None else now
    by_account: dict[str, list[Credential]] = {}
    for c in creds:
        owner = c.attrs.get("account") if c.attrs else None
        if isinstance(owner, str):
            by_account.setdefault(owner, []).append(c)
    out = []
    for acct in accounts:
        cs = by_account.get(acct.name, [])
        st = base_state(acct)
        st.models = sorted({e.id for c in cs for e in _served(c)})
        errors: list[str] = []
        if book is not None and st.status is Status.ACTIVE:
            waits: dict[str, list[float]] = {}  # model id -> per-credential wait (0 = free now)
            for c in cs:
                for e in _served(c):
                    waits.setdefault(e.id, []).append(min(book.blocked_for(c.id, m) for m in e.upstream))
                    for m in e.upstream:
                        ms = book.peek(c.id, m)
                        if ms is not None and ms.last_error and ms.next_retry_after:
                            errors.append(ms.last_error)
            st.cooling_models = {mid: now + min(ws) for mid, ws in waits.items() if min(ws) > 0}
            if st.models and len(st.cooling_models) >= len(st.models):
                st.status = Status.COOLING
                st.cooling_until = min(st.cooling_models.values())
        if not st.last_error and errors:
            st.last_error = errors[-1]
        out.append(st)
    return out


def _served(cred: Credential) -> list:
    patterns = tuple(p.lower() for p in cred.excluded)
    return [e for e in cred.models if not (patterns and excluded(patterns, e.id, *e.upstream))]


def base_state(acct: Account) -> AccountState:
    rec = acct.record
    status = Status.ACTIVE
    if rec.disabled:
        status = Status.DISABLED
    elif acct.needs_relogin:
        status = Status.NEEDS_RELOGIN
    return AccountState(name=rec.name, provider=acct.kind.login_name, label=acct.label, status=status,
                        models=sorted(e.id for e in acct.kind.models(rec.data)),
                        last_error=acct.last_error, expires_at=acct.expiry(),
                        projects=acct.kind.projects(rec.data), prefix=rec.prefix, priority=rec.priority,
                        note=rec.note)


def snapshot(states: Iterable[AccountState], accounts: Mapping[str, Account]) -> dict[str, Any]:
    entries = {}
    for st in states:
        acct = accounts.get(st.name)
        entries[st.name] = {**st.to_json(), "fingerprint": fingerprint(acct) if acct else ""}
    return {"written_at": time.time(), "accounts": entries}


def merge_snapshot(states: list[AccountState], accounts: Mapping[str, Account], snap: Mapping[str, Any],
                   *, now: float | None = None) -> list[AccountState]:
    """Offline view: file-derived states, plus what the server last saw for unchanged tokens."""
    now = time.time() if now is None else now
    saved = as_dict(snap.get("accounts"))
    for st in states:
        entry = saved.get(st.name)
        acct = accounts.get(st.name)
        if not isinstance(entry, dict) or acct is None or entry.get("fingerprint") != fingerprint(acct):
            continue
        if not st.last_error:
            st.last_error = str(entry.get("last_error") or "")
        if st.status is not Status.ACTIVE:
            continue
        if entry.get("status") == Status.NEEDS_RELOGIN:
            st.status = Status.NEEDS_RELOGIN
            continue
        cooling = as_dict(entry.get("cooling_models"))
        st.cooling_models = {str(k): float(v) for k, v in cooling.items()
                             if isinstance(v, int | float) and v > now}
        until = entry.get("cooling_until")
        if entry.get("status") == Status.COOLING and isinstance(until, int | float) and until > now:
            st.status = Status.COOLING
            st.cooling_until = float(until)
    return states
