"""Authorization-server machinery shared by the Google, Anthropic and OpenAI OAuth emulators.

Owns: client registration (id → secret), the authorize step (validates
client, `response_type=code`, redirect URI, PKCE when required, then 302s to
the loopback callback with `code` and `state` — or with `error=` when a test
asks for a denial), single-use authorization codes with PKCE S256/plain
verification, access tokens with expiry, refresh tokens with optional
rotation (a rotated-out token becomes "used", a revoked one "revoked"),
counters of token/refresh calls, and the OAuth2 `{"error","error_description"}`
body.  Subclasses own the routes and each provider's exact token responses.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web

from .faults import Fault, FaultKind
from .runner import EmulatorServer


class OAuthFailure(Exception):
    """An OAuth2 error answer (`{"error": …, "error_description": …}` unless `body` overrides it)."""

    def __init__(self, status: int, error: str, description: str, body: Any = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.body = status, error, description, body

    def response(self) -> web.Response:
        body = self.body if self.body is not None else {"error": self.error, "error_description": self.description}
        return web.json_response(body, status=self.status)


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    challenge: str | None
    method: str
    scope: str
    state: str


@dataclass
class RefreshRecord:
    client_id: str
    scope: str
    status: str = "active"  # active | used | revoked


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OAuthEmulator(EmulatorServer):
    """Base authorization server; see the provider subclasses for routes."""

    rotate_refresh = True
    require_pkce = True

    def __init__(self, *, clients: Mapping[str, str | None], email: str = "user@example.com",
                 expires_in: int = 3600, **kwargs: Any) -> None:
        self.clients = dict(clients)
        self.email = email
        self.expires_in = expires_in
        self.authorize_error: str | None = None
        self._state_lock = threading.Lock()
        self._codes: dict[str, AuthCode] = {}
        self._refresh: dict[str, RefreshRecord] = {}
        self._access: dict[str, float] = {}
        self.token_calls = 0
        self.refresh_calls = 0
        super().__init__(**kwargs)

    def on_reset(self) -> None:
        with self._state_lock:
            self._codes.clear()
            self._refresh.clear()
            self._access.clear()
            self.token_calls = self.refresh_calls = 0

    # -- test-facing helpers ----------------------------------------------------------
    def is_valid_access_token(self, token: str) -> bool:
        """Predicate to hand to an inference emulator as its expected credential."""
        with self._state_lock:
            expiry = self._access.get(token)
        return expiry is not None and expiry > self.clock()

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired (forces the proxy down its refresh path)."""
        with self._state_lock:
            for token in self._access:
                self._access[token] = 0.0

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token now fails with `invalid_grant` (user revoked access)."""
        with self._state_lock:
            for record in self._refresh.values():
                record.status = "revoked"

    def seed_refresh_token(self, token: str, client_id: str | None = None, scope: str = "") -> None:
        """Register a refresh token as if issued earlier (for tests that start from a stored auth file)."""
        with self._state_lock:
            self._refresh[token] = RefreshRecord(client_id or next(iter(self.clients)), scope)

    def refresh_token_status(self, token: str) -> str | None:
        with self._state_lock:
            record = self._refresh.get(token)
        return record.status if record else None

    # -- shared protocol steps ----------------------------------------------------------
    def form(self, request: web.Request) -> dict[str, str]:
        """Token-endpoint parameters from a form body or a JSON body."""
        body = self.body_of(request)
        if isinstance(body, dict):
            return {k: str(v) for k, v in body.items()}
        text = self.record_of(request).body.decode(errors="replace")
        return dict(parse_qsl(text, keep_blank_values=True))

    def authorize(self, request: web.Request, *, extra: Mapping[str, str] | None = None) -> web.StreamResponse:
        q = request.query
        if q.get("client_id") not in self.clients:
            return OAuthFailure(400, "invalid_client", "The OAuth client was not found.").response()
        if q.get("response_type") != "code":
            return OAuthFailure(400, "unsupported_response_type", "Only response_type=code is supported").response()
        redirect = q.get("redirect_uri", "")
        if urlsplit(redirect).scheme not in ("http", "https"):
            return OAuthFailure(400, "invalid_request", "Missing or invalid redirect_uri").response()
        challenge = q.get("code_challenge")
        if self.require_pkce and (not challenge or q.get("code_challenge_method") != "S256"):
            return OAuthFailure(400, "invalid_request", "code_challenge with S256 is required").response()
        params: dict[str, str] = {}
        if self.authorize_error:
            params["error"] = self.authorize_error
        else:
            code = self.next_id("ac_", 40)
            with self._state_lock:
                self._codes[code] = AuthCode(q["client_id"], redirect, challenge, q.get("code_challenge_method",
                                                                                        "plain"),
                                             q.get("scope", ""), q.get("state", ""))
            params["code"] = code
        if "state" in q:
            params["state"] = q["state"]
        params.update(extra or {})
        sep = "&" if "?" in redirect else "?"
        return web.Response(status=302, headers={"Location": redirect + sep + urlencode(params)})

    def check_client(self, client_id: str, secret: str | None) -> None:
        if client_id not in self.clients:
            raise OAuthFailure(401, "invalid_client", "The OAuth client was not found.")
        expected = self.clients[client_id]
        if expected is not None and secret != expected:
            raise OAuthFailure(401, "invalid_client", "Unauthorized")

    def redeem_code(self, params: Mapping[str, str], *, bad_code: str, bad_verifier: str,
                    check_state: bool = False) -> AuthCode:
        """Consume an authorization code (single use), verifying client, redirect URI, PKCE and state."""
        with self._state_lock:
            grant = self._codes.pop(params.get("code", ""), None)
        if grant is None or grant.client_id != params.get("client_id"):
            raise OAuthFailure(400, "invalid_grant", bad_code)
        if params.get("redirect_uri") and params["redirect_uri"] != grant.redirect_uri:
            raise OAuthFailure(400, "invalid_grant", "redirect_uri mismatch")
        if check_state and params.get("state") != grant.state:
            raise OAuthFailure(400, "invalid_grant", "Invalid 'state' in request.")
        if grant.challenge is not None:
            verifier = params.get("code_verifier", "")
            ok = s256(verifier) == grant.challenge if grant.method == "S256" else verifier == grant.challenge
            if not ok:
                raise OAuthFailure(400, "invalid_grant", bad_verifier)
        return grant

    def issue(self, client_id: str, scope: str, *, prefix_access: str, prefix_refresh: str,
              access_token: str | None = None) -> tuple[str, str]:
        """Mint an access token (recorded with its expiry) and a refresh token."""
        access = access_token or self.next_id(prefix_access, 40)
        refresh = self.next_id(prefix_refresh, 40)
        with self._state_lock:
            self._access[access] = self.clock() + self.expires_in
            self._refresh[refresh] = RefreshRecord(client_id, scope)
        return access, refresh

    def use_refresh(self, token: str, client_id: str | None) -> RefreshRecord:
        """Look up a refresh token; returns the record (status tells whether it may be used)."""
        with self._state_lock:
            self.refresh_calls += 1
            record = self._refresh.get(token)
            if record is None or (client_id and record.client_id != client_id):
                return RefreshRecord("", "", "unknown")
            snapshot = RefreshRecord(record.client_id, record.scope, record.status)
            if record.status == "active" and self.rotate_refresh:
                record.status = "used"
        return snapshot

    def count_token_call(self) -> None:
        with self._state_lock:
            self.token_calls += 1

    def error_for_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind in (FaultKind.RATE_LIMIT, FaultKind.QUOTA_EXHAUSTED):
            wait = str(max(1, math.ceil(fault.retry_after or 1)))
            return web.json_response({"error": "rate_limit_exceeded", "error_description": "Too many requests"},
                                     status=429, headers={"Retry-After": wait})
        if fault.kind is FaultKind.UNAUTHORIZED:
            return OAuthFailure(401, "invalid_client", fault.message or "Unauthorized").response()
        return web.json_response({"error": "server_error", "error_description": fault.message or "internal error"},
                                 status=fault.status if fault.status and fault.status != 529 else 503)

    def not_found(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": "not_found"}, status=404)

