"""`AnthropicOAuthEmulator`: Claude Pro/Max OAuth (claude.ai authorize + `/v1/oauth/token`).

Owns: `GET /oauth/authorize` (PKCE S256 required; redirects to the loopback
callback with `code` and `state`), `POST /v1/oauth/token` with a JSON body
for `authorization_code` (checks client, redirect URI, `state` and the PKCE
verifier; accepts the pasted `code#state` form) and `refresh_token` (rotating:
the old refresh token becomes unusable), the token response with
`account`/`organization`, `GET /api/oauth/profile`, and Anthropic's
`invalid_grant` error bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .oauth_common import OAuthEmulator, OAuthFailure
from .runner import bearer_token

CLAUDE_CODE_CLIENT = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
DEFAULT_SCOPE = "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload"


class AnthropicOAuthEmulator(OAuthEmulator):
    """Anthropic OAuth emulator.  `clients` maps client_id → secret (public clients: None)."""

    def __init__(self, *, clients: Mapping[str, str | None] | None = None, expires_in: int = 28800,
                 **kwargs: Any) -> None:
        super().__init__(clients=clients or {CLAUDE_CODE_CLIENT: None}, expires_in=expires_in, **kwargs)

    def setup(self, app: web.Application) -> None:
        self.add_route("GET", "/oauth/authorize", self.handle_authorize, auth=False)
        self.add_route("POST", "/v1/oauth/token", self.handle_token, auth=False)
        self.add_route("GET", "/api/oauth/profile", self.handle_profile, auth=False)

    async def handle_authorize(self, request: web.Request) -> web.StreamResponse:
        return self.authorize(request)

    async def handle_token(self, request: web.Request) -> web.StreamResponse:
        self.count_token_call()
        params = self.form(request)
        try:
            if not isinstance(self.body_of(request), dict):
                raise OAuthFailure(400, "invalid_request", "Request body must be JSON")
            grant = params.get("grant_type")
            if grant == "authorization_code":
                code, _, pasted_state = params.get("code", "").partition("#")
                fixed = dict(params, code=code, state=params.get("state") or pasted_state)
                granted = self.redeem_code(fixed, bad_code="Invalid 'code' in request.",
                                           bad_verifier="Invalid 'code_verifier' in request.", check_state=True)
                return web.json_response(self._token_body(granted.scope or DEFAULT_SCOPE, granted.client_id))
            if grant == "refresh_token":
                record = self.use_refresh(params.get("refresh_token", ""), params.get("client_id"))
                if record.status != "active":
                    raise OAuthFailure(400, "invalid_grant", "Refresh token not found or invalid")
                return web.json_response(self._token_body(record.scope or DEFAULT_SCOPE, record.client_id))
            raise OAuthFailure(400, "unsupported_grant_type", f"Unsupported grant_type: {grant}")
        except OAuthFailure as failure:
            return failure.response()

    def _token_body(self, scope: str, client_id: str) -> dict[str, Any]:
        access, refresh = self.issue(client_id, scope, prefix_access="sk-ant-oat01-", prefix_refresh="sk-ant-ort01-")
        return {"token_type": "Bearer", "access_token": access, "expires_in": self.expires_in,
                "refresh_token": refresh, "scope": scope,
                "organization": {"uuid": "00000000-0000-4000-8000-00000000000a", "name": "Emu Org"},
                "account": {"uuid": "00000000-0000-4000-8000-00000000000b", "email_address": self.email}}

    async def handle_profile(self, request: web.Request) -> web.StreamResponse:
        token = bearer_token(request)
        if not token or not self.is_valid_access_token(token):
            return web.json_response({"type": "error", "error": {"type": "authentication_error",
                                                                 "message": "Invalid bearer token"}}, status=401)
        return web.json_response({"account": {"uuid": "00000000-0000-4000-8000-00000000000b", "email": self.email,
                                              "display_name": "Emu User", "has_claude_max": True},
                                  "organization": {"uuid": "00000000-0000-4000-8000-00000000000a",
                                                   "name": "Emu Org", "organization_type": "claude_max"}})
