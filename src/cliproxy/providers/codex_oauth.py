"""Codex with a ChatGPT subscription: browser and device-code login, refresh, plan-based models.

providers.md §8.1–§8.3, §8.6. Browser login is OAuth2 PKCE S256 at ``auth.openai.com`` with the
public Codex client and a loopback callback on ``localhost:1455/auth/callback``; the device login
(``--device``, upstream ``--codex-device-login``) uses OpenAI's device-auth endpoints. The
id_token's ``https://api.openai.com/auth`` claims give the ChatGPT account id (sent as
``Chatgpt-Account-Id``, which the backend requires) and the plan, which picks the model list and
the file name: ``codex-<email>-<plan>.json``, team plans ``codex-<hash8>-<email>-team.json``.
Refresh lead: 5 days.

Inference goes through the ``codex`` provider (``providers/codex.py``): the same
``chatgpt.com/backend-api/codex/responses`` stream, forced fields and ``usage_limit_reached``
cooldowns, with the OAuth token as bearer and this account's base URL and account id.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from cliproxy.accounts.kinds import LoginResult
from cliproxy.accounts.timeutil import format_time
from cliproxy.oauth.client import OAuthClient, OAuthHTTPError, jwt_claims
from cliproxy.oauth.flow import BrowserLogin, LoginContext, LoginError, browser_login, poll_until
from cliproxy.oauth.pkce import new_pkce, new_state
from cliproxy.providers import models_catalog
from cliproxy.providers.base import ModelEntry
from cliproxy.providers.claude import catalog_entries

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"  # the public Codex CLI client
ISSUER = "https://auth.openai.com"
AUTHORIZE_URL = ISSUER + "/oauth/authorize"
TOKEN_URL = ISSUER + "/oauth/token"
DEVICE_CODE_URL = ISSUER + "/api/accounts/deviceauth/usercode"
DEVICE_TOKEN_URL = ISSUER + "/api/accounts/deviceauth/token"
DEVICE_PAGE = ISSUER + "/codex/device"
DEVICE_REDIRECT = ISSUER + "/deviceauth/callback"
DEFAULT_BASE = "https://chatgpt.com/backend-api/codex"
CALLBACK_PORT = 1455
CALLBACK_PATH = "/auth/callback"
AUTH_CLAIM = "https://api.openai.com/auth"
DEVICE_TIMEOUT = 15 * 60.0


def account_claims(data: dict[str, Any]) -> dict[str, Any]:
    claims = jwt_claims(str(data.get("id_token") or ""))
    auth = claims.get(AUTH_CLAIM)
    return {"email": claims.get("email") or "", **(auth if isinstance(auth, dict) else {})}


def _apply_tokens(data: dict[str, Any], tok: dict[str, Any], now: float) -> dict[str, Any]:
    for key in ("id_token", "access_token", "refresh_token"):
        if tok.get(key):
            data[key] = tok[key]
    claims = account_claims(data)
    if claims.get("chatgpt_account_id"):
        data["account_id"] = claims["chatgpt_account_id"]
    if claims.get("email") and not data.get("email"):
        data["email"] = claims["email"]
    exp = tok.get("expires_in")
    if isinstance(exp, int | float):
        data["expired"] = format_time(now + float(exp))
    else:
        jexp = jwt_claims(str(data.get("access_token") or "")).get("exp")
        if isinstance(jexp, int | float):
            data["expired"] = format_time(float(jexp))
    data["last_refresh"] = format_time(now)
    return data


def file_name(email: str, plan: str, account_id: str) -> str:
    if plan == "team":
        return f"codex-{hashlib.sha256(account_id.encode()).hexdigest()[:8]}-{email}-team.json"
    return f"codex-{email}-{plan}.json" if plan else f"codex-{email}.json"


class CodexAccount:
    type = "codex"
    login_name = "codex"
    provider = "codex"  # the Codex Responses provider serves OAuth and API-key credentials alike
    channel = "codex"
    refresh_lead = 5 * 86400.0

    def __init__(self) -> None:
        self._base = catalog_entries(models_catalog.CODEX)
        self._plus = catalog_entries(models_catalog.CODEX + models_catalog.CODEX_PLUS_EXTRA)

    def access_token(self, data: dict[str, Any]) -> str:
        return str(data.get("access_token") or "")

    def refresh_token(self, data: dict[str, Any]) -> str:
        return str(data.get("refresh_token") or "")

    def label(self, data: dict[str, Any]) -> str:
        return str(data.get("email") or account_claims(data).get("email") or "")

    def base_url(self, data: dict[str, Any]) -> str:
        return str(data.get("base_url") or DEFAULT_BASE)

    def plan(self, data: dict[str, Any]) -> str:
        return str(account_claims(data).get("chatgpt_plan_type") or data.get("plan_type") or "").lower()

    def attrs(self, data: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        account = data.get("account_id") or account_claims(data).get("chatgpt_account_id")
        if account:
            out["account_id"] = str(account)
        plan = self.plan(data)
        if plan:
            out["plan_type"] = plan
        if data.get("websockets") is True:
            out["websockets"] = True
        return out

    def projects(self, data: dict[str, Any]) -> list[str]:
        return []

    def models(self, data: dict[str, Any]) -> tuple[ModelEntry, ...]:
        return self._plus if self.plan(data) in ("plus", "pro") else self._base

    async def refresh(self, client: OAuthClient, data: dict[str, Any]) -> dict[str, Any]:
        tok = await client.refresh(TOKEN_URL, form={"client_id": CLIENT_ID, "grant_type": "refresh_token",
                                                    "refresh_token": self.refresh_token(data),
                                                    "scope": "openid profile email"})
        return _apply_tokens(data, tok, time.time())

    # ------------------------------------------------------------------ login
    async def login(self, ctx: LoginContext) -> LoginResult:
        if ctx.options.device:
            code, verifier, redirect = await self._device_code(ctx)
        else:
            pkce, state = new_pkce(), new_state()
            spec = BrowserLogin("ChatGPT (Codex)", AUTHORIZE_URL, {
                "response_type": "code", "client_id": CLIENT_ID, "scope": "openid email profile offline_access",
                "code_challenge": pkce.challenge, "code_challenge_method": pkce.method, "prompt": "login",
                "id_token_add_organizations": "true", "codex_cli_simplified_flow": "true",
            }, CALLBACK_PATH, CALLBACK_PORT)
            got = await browser_login(ctx, spec, state)
            code, verifier, redirect = got.code, pkce.verifier, got.redirect_uri
        ctx.io.say("Exchanging the authorization code for tokens …")
        try:
            tok = await ctx.client.call("POST", TOKEN_URL, form={
                "grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code,
                "redirect_uri": redirect, "code_verifier": verifier})
        except OAuthHTTPError as err:
            raise LoginError(f"OpenAI refused the authorization code ({err}). Start the login again.") from None
        if not tok.get("access_token") or not tok.get("id_token"):
            raise LoginError("OpenAI's token answer lacks an access token or id_token. Start the login again.")
        data: dict[str, Any] = {"id_token": "", "access_token": "", "refresh_token": "", "account_id": "",
                                "last_refresh": "", "email": "", "type": "codex", "expired": ""}
        _apply_tokens(data, tok, time.time())
        plan = self.plan(data)
        notes = [] if data["account_id"] else ["the id_token carries no ChatGPT account id; requests may fail"]
        return LoginResult(file_name(str(data["email"] or "account"), plan, str(data["account_id"])), data, notes)

    async def _device_code(self, ctx: LoginContext) -> tuple[str, str, str]:
        try:
            start = await ctx.client.call("POST", DEVICE_CODE_URL, json_body={"client_id": CLIENT_ID})
        except OAuthHTTPError as err:
            raise LoginError(f"OpenAI did not start a device login ({err}).") from None
        device_id = str(start.get("device_auth_id") or "")
        user_code = str(start.get("user_code") or start.get("usercode") or "")
        if not device_id or not user_code:
            raise LoginError("OpenAI's device-login answer lacks a device id or user code.")
        try:
            interval = max(1.0, float(start.get("interval") or 5))
        except (TypeError, ValueError):
            interval = 5.0
        ctx.io.say(f"On any device, open {ctx.client.url(DEVICE_PAGE)}\nand enter the code:  {user_code}\n"
                   "Waiting for you to approve the login …")

        async def step() -> tuple[str, str] | None:
            status, body = await _device_poll(ctx.client, device_id, user_code)
            if status in (403, 404):
                return None  # still pending
            if status >= 400:
                raise LoginError(f"OpenAI ended the device login (HTTP {status}). Start again.")
            code, verifier = body.get("authorization_code"), body.get("code_verifier")
            if not code or not verifier:
                raise LoginError("OpenAI's device-login answer lacks the authorization code.")
            return str(code), str(verifier)

        code, verifier = await poll_until(step, interval=interval * ctx.options.poll_scale,
                                          timeout=DEVICE_TIMEOUT, what="the device login to be approved")
        return code, verifier, DEVICE_REDIRECT


async def _device_poll(client: OAuthClient, device_id: str, user_code: str) -> tuple[int, dict[str, Any]]:
    try:
        status, raw = await client.request("POST", DEVICE_TOKEN_URL,
                                           json_body={"device_auth_id": device_id, "user_code": user_code})
    except OAuthHTTPError:
        return 404, {}  # a network blip while polling: keep polling
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = {}
    return status, body if isinstance(body, dict) else {}
