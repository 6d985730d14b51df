"""Claude Code OAuth (Claude Pro/Max subscriptions): login, refresh, and the inference provider.

providers.md §7.1/§7.3. Login is OAuth2 PKCE S256 against ``claude.ai/oauth/authorize`` with the
public Claude Code client, a loopback callback on ``localhost:54545/callback`` (or a pasted
``code#state``), and a JSON token exchange at ``api.anthropic.com/v1/oauth/token``. The file is
CLIProxyAPI's ``claude-<email>.json``. Refresh lead: 4 h.

Inference is the Anthropic Messages provider with the OAuth bearer token plus the one beta the
API requires for OAuth tokens (``oauth-2025-04-20``); the client's own betas are kept. Requests
are forwarded honestly: no Claude Code system prompt, billing header, fake ``metadata.user_id``,
tool renaming or TLS fingerprinting (see README "No disguise").
"""

from __future__ import annotations

import time
from typing import Any

from cliproxy.accounts.kinds import LoginResult
from cliproxy.accounts.records import as_dict
from cliproxy.accounts.timeutil import format_time
from cliproxy.oauth.client import OAuthClient, OAuthHTTPError
from cliproxy.oauth.flow import BrowserLogin, LoginContext, LoginError, browser_login
from cliproxy.oauth.pkce import new_pkce, new_state
from cliproxy.providers import models_catalog
from cliproxy.providers.base import Credential, ModelEntry, Outbound, UpstreamCall
from cliproxy.providers.claude import ClaudeProvider, catalog_entries

CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"  # the public Claude Code client
AUTHORIZE_URL = "https://claude.ai/oauth/authorize"
TOKEN_URL = "https://api.anthropic.com/v1/oauth/token"
SCOPES = "user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload"
CALLBACK_PORT = 54545
CALLBACK_PATH = "/callback"
# Anthropic rejects OAuth bearer tokens on /v1/messages unless this beta is declared.
OAUTH_BETA = "oauth-2025-04-20"


class ClaudeOAuthProvider(ClaudeProvider):
    key = "claude-oauth"

    def build(self, cred: Credential, token: str, call: UpstreamCall) -> Outbound:
        out = super().build(cred, token, call)
        names = [k for k in out.headers if k.lower() == "anthropic-beta"]
        value = out.headers[names[-1]] if names else ""  # the last one set wins (configured headers)
        for k in names:
            del out.headers[k]
        betas = [b.strip() for b in value.split(",") if b.strip()]
        if OAUTH_BETA not in betas:
            betas.insert(0, OAUTH_BETA)
        out.headers["anthropic-beta"] = ",".join(betas)
        return out


def _apply_tokens(data: dict[str, Any], tok: dict[str, Any], now: float) -> dict[str, Any]:
    data["access_token"] = tok["access_token"]
    if tok.get("refresh_token"):
        data["refresh_token"] = tok["refresh_token"]
    if isinstance(tok.get("expires_in"), int | float):
        data["expired"] = format_time(now + float(tok["expires_in"]))
    data["last_refresh"] = format_time(now)
    account = as_dict(tok.get("account"))
    if account.get("email_address") and not data.get("email"):
        data["email"] = account["email_address"]
    return data


class ClaudeAccount:
    type = "claude"
    login_name = "claude"
    provider = "claude-oauth"
    channel = "claude"
    refresh_lead = 4 * 3600.0

    def __init__(self) -> None:
        self._models = catalog_entries(models_catalog.CLAUDE)

    def access_token(self, data: dict[str, Any]) -> str:
        return str(data.get("access_token") or "")

    def refresh_token(self, data: dict[str, Any]) -> str:
        return str(data.get("refresh_token") or "")

    def label(self, data: dict[str, Any]) -> str:
        return str(data.get("email") or "")

    def base_url(self, data: dict[str, Any]) -> str:
        return str(data.get("base_url") or "")

    def attrs(self, data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def projects(self, data: dict[str, Any]) -> list[str]:
        return []

    def models(self, data: dict[str, Any]) -> tuple[ModelEntry, ...]:
        return self._models

    async def refresh(self, client: OAuthClient, data: dict[str, Any]) -> dict[str, Any]:
        tok = await client.refresh(TOKEN_URL, json_body={"client_id": CLIENT_ID, "grant_type": "refresh_token",
                                                         "refresh_token": self.refresh_token(data)})
        return _apply_tokens(data, tok, time.time())

    async def login(self, ctx: LoginContext) -> LoginResult:
        pkce, state = new_pkce(), new_state()
        spec = BrowserLogin("Claude", AUTHORIZE_URL, {
            "code": "true", "client_id": CLIENT_ID, "response_type": "code", "scope": SCOPES,
            "code_challenge": pkce.challenge, "code_challenge_method": pkce.method,
        }, CALLBACK_PATH, CALLBACK_PORT, code_state_separator="#")
        got = await browser_login(ctx, spec, state)
        ctx.io.say("Exchanging the authorization code for tokens …")
        try:
            tok = await ctx.client.call("POST", TOKEN_URL, json_body={
                "code": got.code, "state": got.state, "grant_type": "authorization_code", "client_id": CLIENT_ID,
                "redirect_uri": got.redirect_uri, "code_verifier": pkce.verifier})
        except OAuthHTTPError as err:
            raise LoginError(f"Claude refused the authorization code ({err}). Start the login again.") from None
        if not tok.get("access_token"):
            raise LoginError("Claude's token answer has no access token. Start the login again.")
        data: dict[str, Any] = {"id_token": "", "access_token": "", "refresh_token": "", "last_refresh": "",
                                "email": "", "type": "claude", "expired": ""}
        _apply_tokens(data, tok, time.time())
        email = data.get("email") or "account"
        return LoginResult(f"claude-{email}.json", data)
