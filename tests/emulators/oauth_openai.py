"""`OpenAIAuthEmulator`: auth.openai.com as used by Codex login (browser PKCE and device code).

Owns: `GET /oauth/authorize` (PKCE S256; redirects with `code`, `state`),
`POST /oauth/token` (form or JSON; `authorization_code` and rotating
`refresh_token`, where replaying a rotated-out token answers 401
`refresh_token_reused` and an unknown/revoked one Auth0's `invalid_grant`),
id_token/access_token JWTs carrying the `https://api.openai.com/auth` claims
(`chatgpt_account_id`, `chatgpt_plan_type`, …), and the device flow
(`/api/accounts/deviceauth/usercode`, `/api/accounts/deviceauth/token`
answering 403 while pending, then `authorization_code` + `code_verifier`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .oauth_common import AuthCode, OAuthEmulator, OAuthFailure, s256
from .signing import Signer

CODEX_CLIENT = "app_EMoamEEZ73f0CkXaXp7hrann"
DEVICE_REDIRECT = "https://auth.openai.com/deviceauth/callback"
REUSED = {"error": {"message": "Your refresh token has already been used to generate a new access token. Please "
                               "try signing in again.", "type": "invalid_request_error", "param": None,
                    "code": "refresh_token_reused"}}


@dataclass
class DeviceAuth:
    user_code: str
    client_id: str
    polls: int = 0
    approved: bool = False


class OpenAIAuthEmulator(OAuthEmulator):
    """auth.openai.com emulator.

    account_id / plan_type: the ChatGPT account claims put in the JWTs.
    device_polls_pending: how many token polls answer 403 before a device code is approved
    (None: only `approve_device()` approves).
    """

    def __init__(self, *, clients: Mapping[str, str | None] | None = None, account_id: str = "acc-emulator",
                 plan_type: str = "plus", expires_in: int = 864000, device_polls_pending: int | None = 1,
                 **kwargs: Any) -> None:
        self.account_id = account_id
        self.plan_type = plan_type
        self.device_polls_pending = device_polls_pending
        self._devices: dict[str, DeviceAuth] = {}
        super().__init__(clients=clients or {CODEX_CLIENT: None}, expires_in=expires_in, **kwargs)
        self.signer = Signer(self.secret)

    def setup(self, app: web.Application) -> None:
        self.add_route("GET", "/oauth/authorize", self.handle_authorize, auth=False)
        self.add_route("POST", "/oauth/token", self.handle_token, auth=False)
        self.add_route("POST", "/api/accounts/deviceauth/usercode", self.handle_usercode, auth=False)
        self.add_route("POST", "/api/accounts/deviceauth/token", self.handle_device_token, auth=False)

    def on_reset(self) -> None:
        super().on_reset()
        with self._state_lock:
            self._devices.clear()

    def approve_device(self, user_code: str | None = None) -> None:
        """Approve the given (or every pending) device code, as the user would in a browser."""
        with self._state_lock:
            for device in self._devices.values():
                if user_code in (None, device.user_code):
                    device.approved = True

    async def handle_authorize(self, request: web.Request) -> web.StreamResponse:
        return self.authorize(request)

    # -- tokens ---------------------------------------------------------------------
    def claims(self, client_id: str, *, id_token: bool) -> dict[str, Any]:
        now = int(self.clock())
        auth: dict[str, Any] = {"chatgpt_account_id": self.account_id, "chatgpt_plan_type": self.plan_type,
                "chatgpt_user_id": "user-emulator", "user_id": "user-emulator"}
        base: dict[str, Any] = {"iss": "https://auth.openai.com", "sub": "auth0|emulator", "iat": now,
                                "exp": now + self.expires_in, "https://api.openai.com/auth": auth}
        if id_token:
            auth["organizations"] = [{"id": "org-emulator", "is_default": True, "role": "owner",
                                      "title": "Personal"}]
            base.update(aud=[client_id], email=self.email, email_verified=True, auth_time=now,
                        **{"https://api.openai.com/profile": {"email": self.email, "email_verified": True}})
        else:
            base.update(aud=["https://api.openai.com/v1"], client_id=client_id,
                        scp=["openid", "email", "profile", "offline_access"], jti=self.next_id("", 32))
        return base

    def _token_body(self, client_id: str, scope: str) -> dict[str, Any]:
        access = self.signer.jwt(self.claims(client_id, id_token=False))
        access, refresh = self.issue(client_id, scope, prefix_access="", prefix_refresh="rt_",
                                     access_token=access)
        return {"id_token": self.signer.jwt(self.claims(client_id, id_token=True)), "access_token": access,
                "refresh_token": refresh, "expires_in": self.expires_in, "token_type": "Bearer",
                "scope": scope or "openid profile email offline_access"}

    async def handle_token(self, request: web.Request) -> web.StreamResponse:
        self.count_token_call()
        params = self.form(request)
        try:
            grant = params.get("grant_type")
            if grant == "authorization_code":
                code = self.redeem_code(params, bad_code="Invalid authorization code",
                                        bad_verifier="Failed to verify code verifier")
                return web.json_response(self._token_body(code.client_id, code.scope))
            if grant == "refresh_token":
                record = self.use_refresh(params.get("refresh_token", ""), params.get("client_id"))
                if record.status == "used":
                    raise OAuthFailure(401, "refresh_token_reused", "reused", body=REUSED)
                if record.status != "active":
                    raise OAuthFailure(400, "invalid_grant", "Unknown or invalid refresh token.")
                return web.json_response(self._token_body(record.client_id, params.get("scope", record.scope)))
            raise OAuthFailure(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        except OAuthFailure as failure:
            return failure.response()

    # -- device flow ------------------------------------------------------------------
    async def handle_usercode(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        client_id = body.get("client_id") if isinstance(body, dict) else None
        if client_id not in self.clients:
            return OAuthFailure(400, "invalid_client", "Unknown client_id").response()
        device_id = self.next_id("deviceauth_", 32)
        code = self.next_id("", 4).upper() + "-" + self.next_id("", 5).upper()
        with self._state_lock:
            self._devices[device_id] = DeviceAuth(code, str(client_id))
        return web.json_response({"device_auth_id": device_id, "user_code": code, "interval": "5"})

    async def handle_device_token(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        body = body if isinstance(body, dict) else {}
        with self._state_lock:
            device = self._devices.get(str(body.get("device_auth_id")))
            if device is None or device.user_code != body.get("user_code"):
                return web.json_response({"error": {"message": "Unknown device authorization",
                                                    "code": "deviceauth_not_found"}}, status=404)
            device.polls += 1
            if self.device_polls_pending is not None and device.polls > self.device_polls_pending:
                device.approved = True
            approved = device.approved
        if not approved:
            return web.json_response({"error": {"message": "Device authorization is pending",
                                                "code": "deviceauth_authorization_pending"}}, status=403)
        verifier = self.next_id("cv_", 43)
        code = self.next_id("ac_", 40)
        with self._state_lock:
            self._codes[code] = AuthCode(device.client_id, DEVICE_REDIRECT, s256(verifier), "S256",
                                         "openid profile email offline_access", "")
            del self._devices[str(body["device_auth_id"])]
        return web.json_response({"authorization_code": code, "code_verifier": verifier,
                                  "code_challenge": s256(verifier)})
