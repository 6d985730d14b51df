"""`GoogleOAuthEmulator`: Google's OAuth endpoints as used by Gemini CLI, Antigravity and Vertex.

Owns: `GET /o/oauth2/auth` and `/o/oauth2/v2/auth` (installed-app
authorize, no PKCE; redirects to the loopback callback with `code`, `state`,
`scope`), `POST /token` (form: `authorization_code` with client secret,
`refresh_token` without rotation, and the service-account JWT-bearer grant),
`GET /oauth2/v1|v2|v3/userinfo`, plus the small Cloud Resource Manager and
Service Usage calls of the Gemini CLI login (`GET /v1/projects`,
`GET|POST /v1/projects/{p}/services/{s}[:enable]`).  Errors use Google's
OAuth shapes (`invalid_grant` / "Bad Request", `invalid_client`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .google_errors import bad_oauth_token, google_response
from .oauth_common import OAuthEmulator, OAuthFailure
from .runner import bearer_token
from .signing import Signer

GEMINI_CLI_CLIENT = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com"
ANTIGRAVITY_CLIENT = "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class GoogleOAuthEmulator(OAuthEmulator):
    """Google OAuth2 + userinfo emulator.

    clients: client_id → client_secret (None: secret not checked).  Defaults to the Gemini CLI
    and Antigravity client ids with the secret "emu-secret".
    projects: project ids listed by Cloud Resource Manager.
    """

    rotate_refresh = False
    require_pkce = False

    def __init__(self, *, clients: Mapping[str, str | None] | None = None, expires_in: int = 3599,
                 projects: tuple[str, ...] = ("emu-project-123",), **kwargs: Any) -> None:
        self.projects = projects
        self.enabled_services: set[str] = set()
        super().__init__(clients=clients or {GEMINI_CLI_CLIENT: "emu-secret", ANTIGRAVITY_CLIENT: "emu-secret"},
                         expires_in=expires_in, **kwargs)
        self.signer = Signer(self.secret)

    def setup(self, app: web.Application) -> None:
        for path in ("/o/oauth2/auth", "/o/oauth2/v2/auth"):
            self.add_route("GET", path, self.handle_authorize, auth=False)
        self.add_route("POST", "/token", self.handle_token, auth=False)
        for version in ("v1", "v2", "v3"):
            self.add_route("GET", f"/oauth2/{version}/userinfo", self.handle_userinfo, auth=False)
        self.add_route("GET", "/v1/projects", self.handle_projects, auth=False)
        self.add_route("GET", "/v1/projects/{project}/services/{service}", self.handle_service, auth=False)
        self.add_route("POST", "/v1/projects/{project}/services/{service}:enable", self.handle_enable, auth=False)

    def on_reset(self) -> None:
        super().on_reset()
        self.enabled_services.clear()

    async def handle_authorize(self, request: web.Request) -> web.StreamResponse:
        return self.authorize(request, extra={"scope": request.query.get("scope", ""), "authuser": "0",
                                              "prompt": "consent"})

    async def handle_token(self, request: web.Request) -> web.StreamResponse:
        self.count_token_call()
        params = self.form(request)
        try:
            grant = params.get("grant_type")
            if grant == JWT_BEARER:
                return web.json_response(self._jwt_bearer(params))
            self.check_client(params.get("client_id", ""), params.get("client_secret"))
            if grant == "authorization_code":
                code = self.redeem_code(params, bad_code="Malformed auth code.", bad_verifier="Invalid code verifier.")
                access, refresh = self.issue(code.client_id, code.scope, prefix_access="ya29.a0emu",
                                             prefix_refresh="1//0emu")
                return web.json_response(self._token_body(access, code.scope, refresh, code.client_id))
            if grant == "refresh_token":
                record = self.use_refresh(params.get("refresh_token", ""), params.get("client_id"))
                if record.status != "active":
                    raise OAuthFailure(400, "invalid_grant", "Token has been expired or revoked.")
                access, _ = self.issue(record.client_id, record.scope, prefix_access="ya29.a0emu",
                                       prefix_refresh="1//0unused")
                return web.json_response(self._token_body(access, record.scope, None, record.client_id))
            raise OAuthFailure(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        except OAuthFailure as failure:
            return failure.response()

    def _token_body(self, access: str, scope: str, refresh: str | None, client_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": access, "expires_in": self.expires_in, "scope": scope,
                                "token_type": "Bearer"}
        if refresh:
            body["refresh_token"] = refresh
        if "openid" in scope or "userinfo.email" in scope:
            now = int(self.clock())
            body["id_token"] = self.signer.jwt({"iss": "https://accounts.google.com", "aud": client_id,
                                                "sub": "100000000000000000001", "email": self.email,
                                                "email_verified": True, "iat": now, "exp": now + self.expires_in})
        return body

    def _jwt_bearer(self, params: Mapping[str, str]) -> dict[str, Any]:
        """Service-account grant: the assertion's claims are read, its RS256 signature is not checked."""
        parts = params.get("assertion", "").split(".")
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (IndexError, ValueError):
            raise OAuthFailure(400, "invalid_grant", "Invalid JWT Signature.") from None
        if not isinstance(claims, dict) or not claims.get("iss") or not claims.get("scope"):
            raise OAuthFailure(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        access, _ = self.issue(str(claims["iss"]), str(claims["scope"]), prefix_access="ya29.c.emu",
                               prefix_refresh="1//0unused")
        return {"access_token": access, "expires_in": self.expires_in, "token_type": "Bearer"}

    def _bearer_ok(self, request: web.Request) -> bool:
        token = bearer_token(request)
        return bool(token) and self.is_valid_access_token(token or "")

    async def handle_userinfo(self, request: web.Request) -> web.StreamResponse:
        if not self._bearer_ok(request):
            return bad_oauth_token("oauth2.googleapis.com", missing=not bearer_token(request)).response()
        return google_response({"id": "100000000000000000001", "email": self.email, "verified_email": True,
                                "name": "Emu User", "given_name": "Emu", "family_name": "User",
                                "picture": "https://example.invalid/photo.jpg"})

    async def handle_projects(self, request: web.Request) -> web.StreamResponse:
        if not self._bearer_ok(request):
            return bad_oauth_token("cloudresourcemanager.googleapis.com", missing=not bearer_token(request)).response()
        return google_response({"projects": [{"projectNumber": str(100 + i), "projectId": p, "name": p,
                                              "lifecycleState": "ACTIVE"} for i, p in enumerate(self.projects)]})

    async def handle_service(self, request: web.Request) -> web.StreamResponse:
        if not self._bearer_ok(request):
            return bad_oauth_token("serviceusage.googleapis.com", missing=not bearer_token(request)).response()
        key = f"{request.match_info['project']}/{request.match_info['service']}"
        state = "ENABLED" if key in self.enabled_services else "DISABLED"
        return google_response({"name": f"projects/{key}", "state": state})

    async def handle_enable(self, request: web.Request) -> web.StreamResponse:
        if not self._bearer_ok(request):
            return bad_oauth_token("serviceusage.googleapis.com", missing=not bearer_token(request)).response()
        self.enabled_services.add(f"{request.match_info['project']}/{request.match_info['service']}")
        return google_response({"name": "operations/acf.emu", "done": True})
