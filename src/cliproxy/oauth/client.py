"""Token-endpoint and identity calls, through the app's ``HttpPool``.

Every URL goes through ``pool.rewrite`` (``upstream-url-overrides``), so tests reach emulators.
Errors become ``OAuthHTTPError`` with the OAuth ``error`` code when the body has one; whether a
refresh failure is permanent (the user must log in again) is decided by ``refresh_failure``.
Tokens never appear in exception messages.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from cliproxy.http.client import HttpPool
from cliproxy.providers.base import honest_user_agent

_TIMEOUT = aiohttp.ClientTimeout(total=60, connect=20)
# OAuth error codes that mean the refresh token is dead: only a new login helps.
PERMANENT_CODES = frozenset({"invalid_grant", "refresh_token_reused", "refresh_token_expired",
                             "refresh_token_invalidated", "invalid_client", "unauthorized_client",
                             "token_revoked", "account_deactivated"})


class OAuthHTTPError(Exception):
    """A failed OAuth/identity call: ``status`` 0 means the network failed."""

    def __init__(self, status: int, code: str, description: str) -> None:
        self.status = status
        self.code = code
        self.description = description
        what = f"HTTP {status}" if status else "network error"
        detail = ": ".join(x for x in (code, description) if x)
        super().__init__(f"{what}{': ' + detail if detail else ''}")


class RefreshFailed(Exception):
    """A refresh that did not work. ``permanent``: the account needs a new login."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def refresh_failure(err: OAuthHTTPError) -> RefreshFailed:
    permanent = err.code in PERMANENT_CODES or (err.status in (400, 401) and "invalid_grant" in err.description)
    return RefreshFailed(str(err), permanent=permanent)


def _error_fields(body: bytes) -> tuple[str, str]:
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", body[:200].decode("utf-8", "replace").strip()
    if not isinstance(obj, dict):
        return "", ""
    err = obj.get("error")
    if isinstance(err, dict):  # OpenAI / Anthropic / Google API style
        code = err.get("code") or err.get("type") or err.get("status") or ""
        return str(code), str(err.get("message") or "")[:300]
    desc = obj.get("error_description") or obj.get("detail") or obj.get("message") or ""
    return (str(err) if err else ""), str(desc)[:300]


class OAuthClient:
    """JSON/form calls for logins and refreshes; one per proxy setting of the account."""

    def __init__(self, pool: HttpPool, *, proxy_url: str = "", user_agent: str = "") -> None:
        self.pool = pool
        self.proxy_url = proxy_url
        self.user_agent = honest_user_agent(user_agent)

    def url(self, url: str) -> str:
        """The URL after ``upstream-url-overrides`` (also used for URLs shown to the user)."""
        return self.pool.rewrite(url)

    async def request(self, method: str, url: str, *, form: Mapping[str, str] | None = None,
                      json_body: Any = None, headers: Mapping[str, str] | None = None,
                      bearer: str = "") -> tuple[int, bytes]:
        hdrs = {"User-Agent": self.user_agent, "Accept": "application/json"}
        data: bytes | None = None
        if form is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            from urllib.parse import urlencode

            data = urlencode(dict(form)).encode()
        elif json_body is not None:
            hdrs["Content-Type"] = "application/json"
            data = json.dumps(json_body).encode()
        if bearer:
            hdrs["Authorization"] = "Bearer " + bearer
        hdrs.update(headers or {})
        session, proxy = self.pool.session(self.proxy_url)
        try:
            async with session.request(method, self.url(url), data=data, headers=hdrs, proxy=proxy,
                                       timeout=_TIMEOUT) as resp:
                return resp.status, await resp.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise OAuthHTTPError(0, "", f"{type(exc).__name__}: {exc}") from None

    async def call(self, method: str, url: str, **kw: Any) -> dict[str, Any]:
        """Like ``request`` but 2xx-with-JSON-object or ``OAuthHTTPError``."""
        status, body = await self.request(method, url, **kw)
        if status >= 400:
            code, desc = _error_fields(body)
            raise OAuthHTTPError(status, code, desc)
        try:
            obj = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise OAuthHTTPError(status, "invalid_response", "the answer is not JSON") from None
        if not isinstance(obj, dict):
            raise OAuthHTTPError(status, "invalid_response", "the answer is not a JSON object")
        return obj

    async def refresh(self, url: str, **kw: Any) -> dict[str, Any]:
        """A refresh-grant call; failures come back as ``RefreshFailed``."""
        try:
            obj = await self.call("POST", url, **kw)
        except OAuthHTTPError as err:
            raise refresh_failure(err) from None
        if not obj.get("access_token"):
            raise RefreshFailed("the token endpoint answered without an access_token", permanent=False)
        return obj


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (we only read our own account's plan and e-mail)."""
    parts = token.split(".")
    if len(parts) < 2:
        return {}
    try:
        obj = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}
