"""One auth file as a record: its name, its JSON object, and the generic keys every provider shares.

The JSON object is kept whole (unknown keys included) so a refresh writes back exactly what
CLIProxyAPI wrote plus the fields it updates. Generic keys (upstream-server.md §4.1): ``type``,
``email``, ``disabled``, ``prefix``, ``proxy_url``, ``priority`` (int or string), ``note``,
``headers``, ``excluded_models``/``excluded-models``, ``disable_cooling``/``disable-cooling``,
``request_retry``/``request-retry``. Expiry comes from the first of ``expired, expire,
expires_at, expiresAt, expiry, expires``, top level or under ``token``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from cliproxy.accounts.timeutil import parse_time

_EXPIRY_KEYS = ("expired", "expire", "expires_at", "expiresAt", "expiry", "expires")


@dataclass(slots=True)
class AuthRecord:
    """``name`` is the file name inside the auth dir (the record id); ``data`` the JSON object."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> AuthRecord:
        return AuthRecord(self.name, copy.deepcopy(self.data))

    @property
    def type(self) -> str:
        t = self.data.get("type")
        return t.strip().lower() if isinstance(t, str) else ""

    @property
    def email(self) -> str:
        return _str(self.data.get("email"))

    @property
    def disabled(self) -> bool:
        return _bool(self.data.get("disabled"))

    @property
    def prefix(self) -> str:
        return _str(self.data.get("prefix")).strip("/")

    @property
    def proxy_url(self) -> str:
        return _str(self.data.get("proxy_url") or self.data.get("proxy-url"))

    @property
    def priority(self) -> int:
        v = self.data.get("priority")
        if isinstance(v, bool):
            return 0
        if isinstance(v, int | float):
            return int(v)
        if isinstance(v, str):
            try:
                return int(v.strip())
            except ValueError:
                return 0
        return 0

    @property
    def note(self) -> str:
        return _str(self.data.get("note"))

    @property
    def headers(self) -> dict[str, str]:
        h = self.data.get("headers")
        if not isinstance(h, dict):
            return {}
        return {str(k): str(v) for k, v in h.items() if isinstance(k, str) and isinstance(v, str | int | float)}

    @property
    def excluded_models(self) -> tuple[str, ...]:
        v = self.data.get("excluded_models", self.data.get("excluded-models"))
        if isinstance(v, str):
            v = v.split(",")
        if not isinstance(v, list):
            return ()
        return tuple(s.strip() for s in v if isinstance(s, str) and s.strip())

    @property
    def disable_cooling(self) -> bool | None:
        v = self.data.get("disable_cooling", self.data.get("disable-cooling"))
        return None if v is None else _bool(v)

    @property
    def request_retry(self) -> int | None:
        v = self.data.get("request_retry", self.data.get("request-retry"))
        if isinstance(v, bool) or v is None:
            return None
        try:
            return int(v)
        except (TypeError, ValueError):
            return None

    @property
    def refresh_interval(self) -> float | None:
        v = self.data.get("refresh_interval_seconds")
        if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
            return float(v)
        return None

    def expiry(self) -> float | None:
        """When the access token expires (epoch seconds), from the generic expiry keys."""
        for source in (self.data, self.data.get("token")):
            if not isinstance(source, dict):
                continue
            for key in _EXPIRY_KEYS:
                ts = parse_time(source.get(key))
                if ts is not None:
                    return ts
        return None

    def last_refresh(self) -> float | None:
        for key in ("last_refresh", "lastRefresh", "timestamp"):
            ts = parse_time(self.data.get(key))
            if ts is not None:
                return ts
        return None


def _str(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ""


def _bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "on")
    return bool(v)


def str_field(data: dict[str, Any], *keys: str) -> str:
    """The first non-empty string among ``keys`` (top level, then under ``token``)."""
    for source in (data, data.get("token")):
        if isinstance(source, dict):
            for key in keys:
                v = source.get(key)
                if isinstance(v, str) and v.strip():
                    return v.strip()
    return ""


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty dict (for reading optional nested fields)."""
    return value if isinstance(value, dict) else {}
