"""Client API keys, accepted from the five places CLIProxyAPI accepts them (§1.2).

Order: ``Authorization: Bearer``, ``X-Goog-Api-Key``, ``X-Api-Key``, ``?key=``, ``?auth_token=``.
Every candidate is compared with every configured key in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from cliproxy.errors import AuthError


def candidates(headers: Mapping[str, str], query: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    auth = headers.get("Authorization")
    if auth:
        scheme, sep, rest = auth.partition(" ")
        out.append(rest.strip() if sep and scheme.lower() == "bearer" else auth.strip())
    for h in ("X-Goog-Api-Key", "X-Api-Key"):
        v = headers.get(h)
        if v:
            out.append(v.strip())
    for q in ("key", "auth_token"):
        v = query.get(q)
        if v:
            out.append(v)
    return out


def check_client_key(keys: tuple[bytes, ...], headers: Mapping[str, str], query: Mapping[str, str]) -> bytes | None:
    """Return the matching key, None when auth is off; raise AuthError otherwise."""
    if not keys:
        return None
    found = candidates(headers, query)
    if not found:
        raise AuthError("Missing API key: send it as 'Authorization: Bearer <key>', 'x-api-key' or 'x-goog-api-key'")
    for cand in found:
        c = cand.encode()
        match = None
        for k in keys:
            if hmac.compare_digest(c, k):
                match = k
        if match is not None:
            return match
    raise AuthError("Invalid API key")
