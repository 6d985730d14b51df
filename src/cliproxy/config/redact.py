"""Secrets masked for logs and reload diffs: ``sk-v...iuqx``, never the whole key."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from cliproxy.config.schema import Config

SECRET_KEYS = frozenset({
    "api-key", "api-keys", "secret-key", "upstream-api-key", "access-token", "refresh-token",
})
_SECRET_HEADER_WORDS = ("auth", "cookie", "key", "token", "secret", "session", "password")


def mask(secret: str) -> str:
    if not secret:
        return ""
    if len(secret) < 12:
        return "***"
    return f"{secret[:4]}...{secret[-4:]}"


def mask_url(url: str) -> str:
    """Hide the password (or a lone token) in a URL's userinfo."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    safe = f"{user}:***" if sep else "***"
    return urlunsplit((parts.scheme, f"{safe}@{hostport}", parts.path, parts.query, parts.fragment))


def _walk(value: Any, key: str = "") -> Any:
    if key in SECRET_KEYS:
        if isinstance(value, str):
            return mask(value)
        if isinstance(value, list):
            return [mask(v) if isinstance(v, str) else _walk(v) for v in value]
    if key.endswith("proxy-url") and isinstance(value, str):
        return mask_url(value)
    if key == "headers" and isinstance(value, dict):
        return {k: mask(v) if any(w in k.lower() for w in _SECRET_HEADER_WORDS) and isinstance(v, str) else v
                for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _walk(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v) for v in value]
    return value


def _plain(config: Config) -> dict[str, Any]:
    """JSON types only (lists, not tuples)."""
    result: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(config))
    return result


def redact(config: Config) -> dict[str, Any]:
    """A JSON-able dict of the config with secrets masked."""
    result: dict[str, Any] = _walk(_plain(config))
    return result


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else k, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
        out[f"{path}#len"] = len(value)
    else:
        out[path] = value


def _fmt(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def diff_configs(old: Config, new: Config) -> list[str]:
    """``key.path: old -> new`` for every changed leaf, with secrets masked."""
    raw_old: dict[str, Any] = {}
    raw_new: dict[str, Any] = {}
    red_old: dict[str, Any] = {}
    red_new: dict[str, Any] = {}
    _flatten(_plain(old), "", raw_old)
    _flatten(_plain(new), "", raw_new)
    _flatten(redact(old), "", red_old)
    _flatten(redact(new), "", red_new)
    missing = object()
    lines = []
    for key in sorted(raw_old.keys() | raw_new.keys(), key=_natural):
        a, b = raw_old.get(key, missing), raw_new.get(key, missing)
        if a == b:
            continue
        if key.endswith("#len"):
            lines.append(f"{key[:-4]}: {a if a is not missing else 0} -> {b if b is not missing else 0} entries")
            continue
        ra, rb = red_old.get(key, missing), red_new.get(key, missing)
        if a is missing:
            lines.append(f"{key}: added {_fmt(rb)}")
        elif b is missing:
            lines.append(f"{key}: removed")
        elif ra == rb:
            lines.append(f"{key}: (secret changed)")
        else:
            lines.append(f"{key}: {_fmt(ra)} -> {_fmt(rb)}")
    return lines


def _natural(key: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key))
