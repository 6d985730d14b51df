"""Scripted misbehaviour for the upstream emulators.

This module owns the *vocabulary* of faults (`Fault`) and the thread-safe queue
that decides which request gets which fault (`FaultScript`).  It knows nothing
about dialects: each emulator turns a `Fault` into its provider's exact error
body, headers and stream framing.

Why a queue: the proxy's retry, cooldown and failover logic can only be tested
if a test can say "the next 2 requests for model X fail with 429, then the
upstream recovers".  Entries are matched in the order they were scripted.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    """What kind of misbehaviour a `Fault` produces."""

    RATE_LIMIT = "rate_limit"  # 429 with the provider's retry hint
    QUOTA_EXHAUSTED = "quota_exhausted"  # 429, long-window quota / plan usage limit
    UNAUTHORIZED = "unauthorized"  # 401 (or the provider's auth-failure status)
    FORBIDDEN = "forbidden"  # 403
    SERVER_ERROR = "server_error"  # 500/502/504
    UNAVAILABLE = "unavailable"  # 503 / "no capacity"
    OVERLOADED = "overloaded"  # Anthropic 529, others 503
    HTTP = "http"  # caller-supplied status, body and headers
    GARBAGE = "garbage"  # non-JSON bytes with a success status
    STALL = "stall"  # sleep before the first byte or after k events
    RESET = "reset"  # abort the TCP connection (immediately or after k events)
    STREAM_ERROR = "stream_error"  # in-band provider error event after k events
    TOOL_CALL = "tool_call"  # force the fake model to call a tool
    MAX_TOKENS = "max_tokens"  # force a max-tokens truncation


# Faults answered before the handler runs, with a complete error response.
RESPONSE_KINDS = frozenset(
    {
        FaultKind.RATE_LIMIT,
        FaultKind.QUOTA_EXHAUSTED,
        FaultKind.UNAUTHORIZED,
        FaultKind.FORBIDDEN,
        FaultKind.SERVER_ERROR,
        FaultKind.UNAVAILABLE,
        FaultKind.OVERLOADED,
        FaultKind.HTTP,
        FaultKind.GARBAGE,
    }
)


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour.  Build it with the class-method constructors."""

    kind: FaultKind
    status: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    after_events: int = 0
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None
    reason: str | None = None
    content_type: str = "application/json"

    # -- HTTP error answers -------------------------------------------------
    @classmethod
    def rate_limit(cls, retry_after: float = 1.0, *, reason: str | None = None,
                   message: str | None = None) -> Fault:
        """429 carrying the provider's retry hint (header and/or body) of `retry_after` seconds."""
        return cls(FaultKind.RATE_LIMIT, status=429, retry_after=retry_after, reason=reason, message=message)

    @classmethod
    def quota_exhausted(cls, retry_after: float = 3600.0, *, message: str | None = None) -> Fault:
        """429 for an exhausted long-window quota (Codex `usage_limit_reached`, Google `QUOTA_EXHAUSTED`)."""
        return cls(FaultKind.QUOTA_EXHAUSTED, status=429, retry_after=retry_after, message=message)

    @classmethod
    def unauthorized(cls, message: str | None = None) -> Fault:
        """The provider's authentication failure, as if the credential had expired."""
        return cls(FaultKind.UNAUTHORIZED, status=401, message=message)

    @classmethod
    def forbidden(cls, message: str | None = None) -> Fault:
        """403 permission failure."""
        return cls(FaultKind.FORBIDDEN, status=403, message=message)

    @classmethod
    def server_error(cls, status: int = 500, message: str | None = None) -> Fault:
        """Internal error (500 by default; 502 and 504 also accepted)."""
        return cls(FaultKind.SERVER_ERROR, status=status, message=message)

    @classmethod
    def unavailable(cls, message: str | None = None, retry_after: float | None = None) -> Fault:
        """503 unavailable / no capacity."""
        return cls(FaultKind.UNAVAILABLE, status=503, message=message, retry_after=retry_after)

    @classmethod
    def overloaded(cls, message: str | None = None) -> Fault:
        """Anthropic 529 `overloaded_error`; a 503 on the other providers."""
        return cls(FaultKind.OVERLOADED, status=529, message=message)

    @classmethod
    def http(cls, status: int, body: bytes | str | None = None, *, headers: Mapping[str, str] | None = None,
             content_type: str = "application/json") -> Fault:
        """An arbitrary canned answer, for error shapes the helpers above do not cover."""
        raw = body.encode() if isinstance(body, str) else body
        return cls(FaultKind.HTTP, status=status, body=raw or b"", headers=dict(headers or {}),
                   content_type=content_type)

    @classmethod
    def garbage(cls, body: bytes = b"<html><body>upstream garbage {{{</body></html>", *, status: int = 200,
                content_type: str = "application/json") -> Fault:
        """A success status whose body is not parseable (e.g. a captive portal or a broken gateway)."""
        return cls(FaultKind.GARBAGE, status=status, body=body, content_type=content_type)

    # -- transport misbehaviour ----------------------------------------------
    @classmethod
    def stall(cls, seconds: float, *, after_events: int = 0) -> Fault:
        """Sleep `seconds` before the first byte (after_events=0) or after `after_events` stream events."""
        return cls(FaultKind.STALL, seconds=seconds, after_events=after_events)

    @classmethod
    def reset(cls, *, after_events: int = 0) -> Fault:
        """Abort the connection before any byte (0) or after `after_events` stream events."""
        return cls(FaultKind.RESET, after_events=after_events)

    @classmethod
    def stream_error(cls, *, after_events: int = 1, message: str | None = None) -> Fault:
        """Send the provider's in-band error event after `after_events` events, then end the stream."""
        return cls(FaultKind.STREAM_ERROR, after_events=after_events, message=message)

    # -- fake-model steering --------------------------------------------------
    @classmethod
    def tool_call(cls) -> Fault:
        """Answer with a tool call to the preferred offered tool even without `USE_TOOL`."""
        return cls(FaultKind.TOOL_CALL)

    @classmethod
    def max_tokens(cls) -> Fault:
        """Truncate the text answer to half its words and report the max-tokens finish reason."""
        return cls(FaultKind.MAX_TOKENS)

    @property
    def is_response(self) -> bool:
        """True when the fault replaces the whole response before the handler runs."""
        return self.kind in RESPONSE_KINDS


@dataclass
class ScriptEntry:
    """A scripted fault plus its matching rules; `hits` counts the requests it was applied to."""

    fault: Fault
    remaining: int | None
    path: str | None
    model: str | None
    hits: int = 0

    def matches(self, path: str, model: str | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.path is not None and self.path not in path:
            return False
        return self.model is None or self.model == model


class FaultScript:
    """Thread-safe FIFO of scripted faults; tests add entries, the server loop takes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[ScriptEntry] = []

    def add(self, fault: Fault, *, times: int | None = 1, path: str | None = None,
            model: str | None = None) -> ScriptEntry:
        """Apply `fault` to the next `times` matching requests (None = every matching request)."""
        entry = ScriptEntry(fault, times, path, model)
        with self._lock:
            self._entries.append(entry)
        return entry

    def take(self, path: str, model: str | None) -> Fault | None:
        """Consume one use of the first entry matching this request, if any."""
        with self._lock:
            for entry in self._entries:
                if entry.matches(path, model):
                    entry.hits += 1
                    if entry.remaining is not None:
                        entry.remaining -= 1
                    return entry.fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def pending(self) -> int:
        """How many scripted uses are still waiting (an unlimited entry counts as one)."""
        with self._lock:
            return sum(1 if e.remaining is None else max(e.remaining, 0) for e in self._entries)
