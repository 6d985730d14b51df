"""Time values as CLIProxyAPI writes them in auth files: RFC 3339 strings or epoch numbers.

Go writes RFC 3339 with up to nanoseconds and any offset; Python's ``fromisoformat`` takes at most
microseconds, so the fraction is cut to six digits first. Epoch numbers may be seconds or
milliseconds (Antigravity's ``timestamp``); anything above 1e11 is taken as milliseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(value: Any) -> float | None:
    """Seconds since the epoch, or None when ``value`` is not a time."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        v = float(value)
        if v <= 0:
            return None
        return v / 1000.0 if v > 1e11 else v
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_time(int(text))
    text = _FRACTION.sub(r"\1", text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if dt.year <= 1:  # Go's zero time ("0001-01-01T00:00:00Z") means "unknown"
        return None
    return dt.timestamp()


def format_time(ts: float) -> str:
    """RFC 3339 in UTC, second precision, as Go's ``time.RFC3339`` prints a UTC time."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_delta(seconds: float) -> str:
    """"in 3h12m" / "2m ago" for listings."""
    future = seconds >= 0
    s = int(abs(seconds))
    if s < 60:
        text = f"{s}s"
    elif s < 3600:
        text = f"{s // 60}m"
    elif s < 86400:
        text = f"{s // 3600}h{(s % 3600) // 60:02d}m"
    else:
        text = f"{s // 86400}d{(s % 86400) // 3600}h"
    return f"in {text}" if future else f"{text} ago"
