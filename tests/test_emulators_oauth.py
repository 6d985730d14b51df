"""Tests for the OAuth emulators: authorize → loopback redirect → code exchange, refresh (with rotation and
`invalid_grant`), device code polling, JWT claims, and handing issued tokens to inference emulators."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp

from emulators import AnthropicOAuthEmulator, CodexEmulator, GoogleOAuthEmulator, OpenAIAuthEmulator
from emulators.oauth_anthropic import CLAUDE_CODE_CLIENT
from emulators.oauth_google import GEMINI_CLI_CLIENT
from emulators.oauth_openai import CODEX_CLIENT, DEVICE_REDIRECT

VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


async def call(method: str, url: str, *, json_body: Any = None, form: dict[str, str] | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    async with aiohttp.ClientSession() as session, session.request(
            method, url, json=json_body, data=form, headers=headers, allow_redirects=False) as resp:
        raw = await resp.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        return resp.status, dict(resp.headers), body


async def authorize(url: str, **params: str) -> dict[str, list[str]]:
    """Follow the authorize URL like a browser would, returning the loopback callback's query."""
    status, headers, _ = await call("GET", f"{url}?{urlencode(params)}")
    assert status == 302
    location = urlsplit(headers["Location"])
    assert location.netloc.startswith("localhost:")
    return parse_qs(location.query)


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_google_auth_code_refresh_and_userinfo() -> None:
    with GoogleOAuthEmulator() as google:
        query = await authorize(google.url + "/o/oauth2/auth", client_id=GEMINI_CLI_CLIENT, response_type="code",
                                redirect_uri="http://localhost:8085/oauth2callback", state="state-token",
                                scope="https://www.googleapis.com/auth/cloud-platform openid", access_type="offline")
        assert query["state"] == ["state-token"]
        exchange = {"code": query["code"][0], "client_id": GEMINI_CLI_CLIENT, "client_secret": "emu-secret",
                    "redirect_uri": "http://localhost:8085/oauth2callback", "grant_type": "authorization_code"}
        status, _, tokens = await call("POST", google.url + "/token", form=exchange)
        assert status == 200 and tokens["expires_in"] == 3599 and tokens["token_type"] == "Bearer"
        assert tokens["access_token"].startswith("ya29.") and tokens["refresh_token"].startswith("1//")
        status, _, again = await call("POST", google.url + "/token", form=exchange)
        assert (status, again) == (400, {"error": "invalid_grant", "error_description": "Malformed auth code."})
        status, _, info = await call("GET", google.url + "/oauth2/v1/userinfo?alt=json",
                                     headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert status == 200 and info["email"] == "user@example.com"
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                   "client_id": GEMINI_CLI_CLIENT, "client_secret": "emu-secret"}
        for _ in range(2):  # Google does not rotate refresh tokens
            status, _, renewed = await call("POST", google.url + "/token", form=refresh)
            assert status == 200 and "refresh_token" not in renewed
        assert google.refresh_calls == 2 and google.token_calls == 4
        status, _, body = await call("POST", google.url + "/token", form=dict(refresh, client_secret="nope"))
        assert status == 401 and body["error"] == "invalid_client"
        google.revoke_refresh_tokens()
        status, _, body = await call("POST", google.url + "/token", form=refresh)
        assert (status, body["error"]) == (400, "invalid_grant")


async def test_google_service_account_and_denial() -> None:
    with GoogleOAuthEmulator() as google:
        claims = base64.urlsafe_b64encode(json.dumps({"iss": "sa@p.iam.gserviceaccount.com",
                                                      "scope": "https://www.googleapis.com/auth/cloud-platform",
                                                      "aud": "https://oauth2.googleapis.com/token"}).encode())
        assertion = "eyJhbGciOiJSUzI1NiJ9." + claims.decode().rstrip("=") + ".c2ln"
        status, _, tokens = await call("POST", google.url + "/token", form={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
        assert status == 200 and google.is_valid_access_token(tokens["access_token"])
        google.expire_access_tokens()
        assert not google.is_valid_access_token(tokens["access_token"])
        google.authorize_error = "access_denied"
        query = await authorize(google.url + "/o/oauth2/v2/auth", client_id=GEMINI_CLI_CLIENT, response_type="code",
                                redirect_uri="http://localhost:51121/oauth-callback", state="s1")
        assert query["error"] == ["access_denied"] and query["state"] == ["s1"] and "code" not in query


async def test_anthropic_pkce_flow_and_rotation() -> None:
    with AnthropicOAuthEmulator() as claude:
        params = {"code": "true", "client_id": CLAUDE_CODE_CLIENT, "response_type": "code",
                  "redirect_uri": "http://localhost:54545/callback", "scope": "user:inference",
                  "code_challenge": CHALLENGE, "code_challenge_method": "S256", "state": "abc123"}
        status, _, body = await call("GET", claude.url + "/oauth/authorize?" + urlencode(
            {k: v for k, v in params.items() if k != "code_challenge"}))
        assert status == 400 and body["error"] == "invalid_request"
        query = await authorize(claude.url + "/oauth/authorize", **params)
        exchange = {"code": f"{query['code'][0]}#abc123", "grant_type": "authorization_code",
                    "client_id": CLAUDE_CODE_CLIENT, "redirect_uri": "http://localhost:54545/callback",
                    "code_verifier": "wrong"}
        status, _, body = await call("POST", claude.url + "/v1/oauth/token", json_body=exchange)
        assert status == 400 and body["error"] == "invalid_grant"
        query = await authorize(claude.url + "/oauth/authorize", **params)
        exchange.update(code=f"{query['code'][0]}#abc123", code_verifier=VERIFIER)
        status, _, tokens = await call("POST", claude.url + "/v1/oauth/token", json_body=exchange)
        assert status == 200 and tokens["access_token"].startswith("sk-ant-oat01-")
        assert tokens["account"]["email_address"] == "user@example.com"
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                   "client_id": CLAUDE_CODE_CLIENT}
        status, _, rotated = await call("POST", claude.url + "/v1/oauth/token", json_body=refresh)
        assert status == 200 and rotated["refresh_token"] != tokens["refresh_token"]
        status, _, body = await call("POST", claude.url + "/v1/oauth/token", json_body=refresh)
        assert (status, body["error"]) == (400, "invalid_grant")
        assert claude.refresh_token_status(tokens["refresh_token"]) == "used" and claude.refresh_calls == 2


async def test_openai_browser_flow_claims_and_reuse() -> None:
    with OpenAIAuthEmulator(account_id="acc-123", plan_type="pro") as auth:
        query = await authorize(auth.url + "/oauth/authorize", client_id=CODEX_CLIENT, response_type="code",
                                redirect_uri="http://localhost:1455/auth/callback", state="st",
                                scope="openid email profile offline_access", code_challenge=CHALLENGE,
                                code_challenge_method="S256")
        status, _, tokens = await call("POST", auth.url + "/oauth/token", form={
            "grant_type": "authorization_code", "client_id": CODEX_CLIENT, "code": query["code"][0],
            "redirect_uri": "http://localhost:1455/auth/callback", "code_verifier": VERIFIER})
        assert status == 200
        claims = jwt_claims(tokens["id_token"])
        assert claims["email"] == "user@example.com"
        assert claims["https://api.openai.com/auth"]["chatgpt_account_id"] == "acc-123"
        assert claims["https://api.openai.com/auth"]["chatgpt_plan_type"] == "pro"
        refresh = {"client_id": CODEX_CLIENT, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                   "scope": "openid profile email"}
        status, _, rotated = await call("POST", auth.url + "/oauth/token", json_body=refresh)
        assert status == 200 and rotated["refresh_token"] != tokens["refresh_token"]
        status, _, body = await call("POST", auth.url + "/oauth/token", form=refresh)
        assert status == 401 and body["error"]["code"] == "refresh_token_reused"
        status, _, body = await call("POST", auth.url + "/oauth/token", form=dict(refresh, refresh_token="rt_x"))
        assert body == {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}


async def test_openai_device_flow_and_codex_integration() -> None:
    with OpenAIAuthEmulator(device_polls_pending=None) as auth, CodexEmulator(
            access_token=auth.is_valid_access_token, account_id=auth.account_id) as codex:
        status, _, device = await call("POST", auth.url + "/api/accounts/deviceauth/usercode",
                                       json_body={"client_id": CODEX_CLIENT})
        assert status == 200 and device["interval"] == "5"
        poll = {"device_auth_id": device["device_auth_id"], "user_code": device["user_code"]}
        status, _, _ = await call("POST", auth.url + "/api/accounts/deviceauth/token", json_body=poll)
        assert status == 403
        auth.approve_device(device["user_code"])
        status, _, grant = await call("POST", auth.url + "/api/accounts/deviceauth/token", json_body=poll)
        assert status == 200 and set(grant) == {"authorization_code", "code_verifier", "code_challenge"}
        status, _, tokens = await call("POST", auth.url + "/oauth/token", form={
            "grant_type": "authorization_code", "client_id": CODEX_CLIENT, "code": grant["authorization_code"],
            "redirect_uri": DEVICE_REDIRECT, "code_verifier": grant["code_verifier"]})
        assert status == 200
        body = {"model": "gpt-5.4", "instructions": "", "input": "hi", "stream": True, "store": False}
        headers = {"Authorization": f"Bearer {tokens['access_token']}", "ChatGPT-Account-Id": "acc-emulator"}
        status, _, raw = await call("POST", codex.base_url + "/responses", json_body=body, headers=headers)
        assert status == 200 and b"response.completed" in raw
        auth.expire_access_tokens()
        status, _, err = await call("POST", codex.base_url + "/responses", json_body=body, headers=headers)
        assert status == 401 and err["error"]["code"] == "token_expired"
