"""Google OAuth and Cloud Code Assist onboarding, shared by the Gemini CLI and Antigravity logins.

providers.md §2.1 and §6.1: an installed-app authorization code (we add PKCE, which Google
supports and upstream omits), the form token exchange, the userinfo e-mail, then Cloud Code
Assist: ``loadCodeAssist`` → default tier → ``onboardUser`` polled until its long-running
operation is ``done`` → the ``cloudaicompanionProject`` (a string or ``{"id": …}``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from cliproxy.accounts.records import as_dict
from cliproxy.accounts.timeutil import format_time
from cliproxy.oauth.client import OAuthClient, OAuthHTTPError
from cliproxy.oauth.flow import AuthCode, BrowserLogin, LoginContext, LoginError, browser_login
from cliproxy.oauth.pkce import new_pkce, new_state

TOKEN_URL = "https://oauth2.googleapis.com/token"
CLOUD_CODE = "https://cloudcode-pa.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/userinfo.email",
          "https://www.googleapis.com/auth/userinfo.profile")


@dataclass(frozen=True, slots=True)
class GoogleClient:
    """One product's public installed-app client (Gemini CLI or Antigravity)."""

    name: str
    client_id: str
    client_secret: str
    authorize_url: str
    userinfo_url: str
    scopes: tuple[str, ...]
    port: int
    path: str


async def google_login(ctx: LoginContext, app: GoogleClient) -> tuple[dict[str, Any], str]:
    """Browser login → (token answer, e-mail)."""
    pkce, state = new_pkce(), new_state()
    spec = BrowserLogin(app.name, app.authorize_url, {
        "client_id": app.client_id, "response_type": "code", "scope": " ".join(app.scopes),
        "access_type": "offline", "prompt": "consent", "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method}, app.path, app.port)
    got: AuthCode = await browser_login(ctx, spec, state)
    ctx.io.say("Exchanging the authorization code for tokens …")
    try:
        tok = await ctx.client.call("POST", TOKEN_URL, form={
            "code": got.code, "client_id": app.client_id, "client_secret": app.client_secret,
            "redirect_uri": got.redirect_uri, "grant_type": "authorization_code", "code_verifier": pkce.verifier})
    except OAuthHTTPError as err:
        raise LoginError(f"Google refused the authorization code ({err}). Start the login again.") from None
    if not tok.get("access_token"):
        raise LoginError("Google's token answer has no access token. Start the login again.")
    if not tok.get("refresh_token"):
        raise LoginError("Google returned no refresh token, so the account could not stay logged in. "
                         "Remove cliproxy's access at https://myaccount.google.com/permissions and log in again.")
    try:
        info = await ctx.client.call("GET", app.userinfo_url, bearer=tok["access_token"])
    except OAuthHTTPError as err:
        raise LoginError(f"Could not read the account's e-mail from Google ({err}).") from None
    email = str(info.get("email") or "")
    if not email:
        raise LoginError("Google's userinfo answer has no e-mail address.")
    ctx.io.say(f"Logged in as {email}.")
    return tok, email


async def refresh_google(client: OAuthClient, *, client_id: str, client_secret: str,
                         refresh_token: str) -> dict[str, Any]:
    return await client.refresh(TOKEN_URL, form={"client_id": client_id, "client_secret": client_secret,
                                                 "grant_type": "refresh_token", "refresh_token": refresh_token})


def expiry_of(tok: dict[str, Any], now: float) -> str:
    try:
        return format_time(now + float(tok.get("expires_in") or 3599))
    except (TypeError, ValueError):
        return format_time(now + 3599)


def project_of(value: Any) -> str:
    """``cloudaicompanionProject`` comes back as a string or as ``{"id": …}``."""
    if isinstance(value, dict):
        value = value.get("id")
    return value.strip() if isinstance(value, str) else ""


def default_tier(load: dict[str, Any]) -> dict[str, Any]:
    for tier in load.get("allowedTiers") or ():
        if isinstance(tier, dict) and tier.get("isDefault"):
            return tier
    return {"id": "legacy-tier"}


class CodeAssist:
    """``cloudcode-pa`` setup calls with one access token."""

    def __init__(self, client: OAuthClient, token: str, *, base: str = CLOUD_CODE,
                 metadata: dict[str, str], poll_scale: float = 1.0) -> None:
        self.client = client
        self.token = token
        self.base = base.rstrip("/")
        self.metadata = metadata
        self.poll_scale = poll_scale

    async def _post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.client.call("POST", f"{self.base}/v1internal:{method}", json_body=body,
                                          bearer=self.token)
        except OAuthHTTPError as err:
            raise LoginError(f"Cloud Code Assist {method} failed: {err}") from None

    async def load(self, project: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"metadata": self.metadata}
        if project:
            body["cloudaicompanionProject"] = project
        return await self._post("loadCodeAssist", body)

    async def onboard(self, tier_id: str, project: str = "", *, interval: float, timeout: float | None,
                      attempts: int | None = None) -> str:
        """Post ``onboardUser`` until the operation is done; returns the project it reports."""
        body: dict[str, Any] = {"tierId": tier_id, "metadata": self.metadata}
        if project:
            body["cloudaicompanionProject"] = project
        deadline = None if timeout is None else time.monotonic() + timeout
        n = 0
        while True:
            op = await self._post("onboardUser", body)
            n += 1
            if op.get("done"):
                resp = as_dict(op.get("response"))
                return project_of(resp.get("cloudaicompanionProject")) or project
            if (attempts is not None and n >= attempts) or (deadline is not None and time.monotonic() > deadline):
                raise LoginError("Google did not finish setting up Gemini Code Assist for this account in time. "
                                 "Try the login again in a minute.")
            await asyncio.sleep(interval * self.poll_scale)
