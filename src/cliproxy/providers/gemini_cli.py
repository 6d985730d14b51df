"""Gemini CLI accounts (Google OAuth + Cloud Code Assist, ``cloudcode-pa``): login, refresh, inference.

providers.md §2. Inference: ``POST {base}/v1internal:{generateContent | streamGenerateContent?alt=sse
| countTokens}`` with the ``{model, project, request}`` envelope; SSE lines carry
``{"response": …, "traceId": …}`` (the translator unwraps them). 429 ``RESOURCE_EXHAUSTED`` bodies
carry RetryInfo / ErrorInfo delays, parsed into an exact cooldown (§1.4).

Login (``cliproxy login gemini-cli``, upstream ``--login``): Google OAuth on
``localhost:8085/oauth2callback``, then project setup exactly as §2.1 describes:
``loadCodeAssist`` → onboarding when no project is known (free tier, polled every 2 s for 30 s) →
``onboardUser`` with the project (polled every 5 s) → Cloud AI Companion API check. A user
project (``--project_id``, a comma list or ``ALL``) covers the standard tier. The file is
CLIProxyAPI's ``gemini-<email>-<project>.json`` (``-all`` for several projects).

Honest identification: our own User-Agent, no ``GeminiCLI/<ver>`` or ``X-Goog-Api-Client``.
Refresh lead: 5 min (upstream refreshes lazily on use; we refresh ahead so requests never wait).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from cliproxy.accounts.kinds import LoginResult
from cliproxy.accounts.records import as_dict, str_field
from cliproxy.dialects.ids import Action, Dialect
from cliproxy.errors import UpstreamError
from cliproxy.oauth.client import OAuthClient, OAuthHTTPError
from cliproxy.oauth.flow import LoginContext, LoginError
from cliproxy.oauth.google import (
    SCOPES,
    CodeAssist,
    GoogleClient,
    default_tier,
    expiry_of,
    google_login,
    project_of,
    refresh_google,
)
from cliproxy.providers import models_catalog
from cliproxy.providers.base import (
    Credential,
    ModelEntry,
    Outbound,
    UpstreamCall,
    apply_custom_headers,
    classify_status,
    encode_body,
    google_retry_delay,
    honest_user_agent,
)
from cliproxy.providers.claude import catalog_entries

DEFAULT_BASE = "https://cloudcode-pa.googleapis.com"
# The public installed-app client of google-gemini/gemini-cli (its secret is not confidential).
APP = GoogleClient("Google (Gemini CLI)", "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
                   "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", "https://accounts.google.com/o/oauth2/auth",
                   "https://www.googleapis.com/oauth2/v1/userinfo?alt=json", SCOPES, 8085, "/oauth2callback")
PROJECTS_URL = "https://cloudresourcemanager.googleapis.com/v1/projects"
SERVICE_URL = "https://serviceusage.googleapis.com/v1/projects/{p}/services/cloudaicompanion.googleapis.com"
METADATA = {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}
MODELS = ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
          "gemini-3.1-pro-preview", "gemini-3-flash-preview", "gemini-3.1-flash-lite-preview")
ENVELOPE_KEYS = frozenset({"model", "project", "request", "user_prompt_id", "userAgent", "requestType",
                           "requestId", "enabledCreditTypes"})
SENTINEL = "skip_thought_signature_validator"
FREE_TIERS = ("free-tier", "legacy-tier", "free", "legacy")


def inner_request(body: dict[str, Any]) -> dict[str, Any]:
    """The Gemini request inside an envelope (or the body itself when it is not wrapped yet)."""
    inner = body.get("request")
    if isinstance(inner, dict):
        return inner
    return {k: v for k, v in body.items() if k not in ENVELOPE_KEYS}


def sentinel_signatures(contents: Any) -> None:
    """§1.6: replayed model-turn ``functionCall`` parts get Google's skip sentinel when unsigned."""
    for content in contents if isinstance(contents, list) else ():
        if not isinstance(content, dict) or content.get("role") != "model":
            continue
        for part in content.get("parts") or ():
            if isinstance(part, dict) and "functionCall" in part and not part.get("thoughtSignature"):
                part["thoughtSignature"] = part.pop("thought_signature", None) or SENTINEL


def count_body(inner: dict[str, Any], model: str) -> dict[str, Any]:
    req = {k: v for k, v in inner.items() if k not in ("safetySettings", "safety_settings", "model")}
    return {"request": {"model": f"models/{model}", **req}}


def method_path(call: UpstreamCall) -> str:
    if call.action is Action.COUNT_TOKENS:
        return "/v1internal:countTokens"
    return "/v1internal:streamGenerateContent?alt=sse" if call.stream else "/v1internal:generateContent"


class GeminiCliProvider:
    key = "gemini-cli"
    dialect = Dialect.GEMINI_CLI
    always_stream = False
    count_upstream = True
    protocol = "gemini-cli"

    def __init__(self, *, user_agent: str = "") -> None:
        self._ua = honest_user_agent(user_agent)
        self._catalog = catalog_entries(tuple(e for e in models_catalog.GEMINI if e[0] in MODELS))

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]:
        return self._catalog

    def patch_body(self, cred: Credential, call: UpstreamCall) -> None:
        inner = inner_request(call.body)
        sentinel_signatures(inner.get("contents"))
        if call.action is Action.COUNT_TOKENS:
            new = count_body(inner, call.model)
        else:
            new = {"model": call.model, "project": str(cred.attrs.get("project_id") or ""), "request": inner}
        call.body.clear()
        call.body.update(new)

    def build(self, cred: Credential, token: str, call: UpstreamCall) -> Outbound:
        base = (cred.base_url or DEFAULT_BASE).rstrip("/")
        headers = {"Content-Type": "application/json", "User-Agent": self._ua, "Authorization": "Bearer " + token,
                   "Accept": "text/event-stream" if call.stream else "application/json"}
        apply_custom_headers(headers, cred)
        return Outbound("POST", base + method_path(call), headers, encode_body(call.body))

    def classify(self, status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamError:
        retry = google_retry_delay(body) if status == 429 else None
        return classify_status(status, body, headers, retry_after=retry, label=self.key)


class GeminiCliAccount:
    type = "gemini"
    login_name = "gemini-cli"
    provider = "gemini-cli"
    channel = "gemini-cli"
    refresh_lead = 5 * 60.0

    def __init__(self) -> None:
        self._models = catalog_entries(tuple(e for e in models_catalog.GEMINI if e[0] in MODELS))

    def access_token(self, data: dict[str, Any]) -> str:
        return str_field(data, "access_token")

    def refresh_token(self, data: dict[str, Any]) -> str:
        return str_field(data, "refresh_token")

    def label(self, data: dict[str, Any]) -> str:
        return str(data.get("email") or "")

    def base_url(self, data: dict[str, Any]) -> str:
        return str(data.get("base_url") or "")

    def projects(self, data: dict[str, Any]) -> list[str]:
        raw = data.get("project_id")
        return [p.strip() for p in raw.split(",") if p.strip()] if isinstance(raw, str) else []

    def attrs(self, data: dict[str, Any]) -> dict[str, Any]:
        ps = self.projects(data)
        return {"project_id": ps[0]} if len(ps) == 1 else {}

    def models(self, data: dict[str, Any]) -> tuple[ModelEntry, ...]:
        return self._models

    async def refresh(self, client: OAuthClient, data: dict[str, Any]) -> dict[str, Any]:
        token = as_dict(data.get("token"))
        tok = await refresh_google(client, client_id=str(token.get("client_id") or APP.client_id),
                                   client_secret=str(token.get("client_secret") or APP.client_secret),
                                   refresh_token=self.refresh_token(data))
        return apply_token(data, tok, time.time())

    async def login(self, ctx: LoginContext) -> LoginResult:
        tok, email = await google_login(ctx, APP)
        now = time.time()
        data: dict[str, Any] = {"token": {}, "project_id": "", "email": email, "auto": False, "checked": False,
                                "type": "gemini"}
        apply_token(data, tok, now, top_level=False)  # a fresh login keeps the tokens under "token"
        ca = CodeAssist(ctx.client, tok["access_token"], metadata=METADATA, poll_scale=ctx.options.poll_scale)
        chosen = await _choose_projects(ctx, tok["access_token"])
        notes: list[str] = []
        if not chosen:
            data["auto"] = True
            chosen = [await _setup(ctx, ca, "", notes)]
        else:
            chosen = [await _setup(ctx, ca, p, notes) for p in chosen]
        data["project_id"] = ",".join(chosen)
        data["checked"] = True
        suffix = "all" if len(chosen) > 1 else chosen[0]
        return LoginResult(f"gemini-{email}-{suffix}.json", data, notes)


def apply_token(data: dict[str, Any], tok: dict[str, Any], now: float, *, top_level: bool = True) -> dict[str, Any]:
    """Write a token answer as CLIProxyAPI does: the ``token`` map, plus (after a refresh) the top level."""
    token = as_dict(data.get("token"))
    expiry = expiry_of(tok, now)
    token.update({"access_token": tok["access_token"], "token_type": tok.get("token_type") or "Bearer",
                  "expiry": expiry})
    if tok.get("refresh_token"):
        token["refresh_token"] = tok["refresh_token"]
    token.setdefault("token_uri", "https://oauth2.googleapis.com/token")
    token.setdefault("client_id", APP.client_id)
    token.setdefault("client_secret", APP.client_secret)
    token.setdefault("scopes", list(APP.scopes))
    token.setdefault("universe_domain", "googleapis.com")
    data["token"] = token
    if not top_level:
        return data
    data.update({"access_token": token["access_token"], "token_type": token["token_type"], "expiry": expiry})
    if token.get("refresh_token"):
        data["refresh_token"] = token["refresh_token"]
    return data


async def _choose_projects(ctx: LoginContext, token: str) -> list[str]:
    """``--project_id`` (an id, a comma list or ALL), else ask; empty means automatic (free tier)."""
    wanted = ctx.options.project_id.strip()
    listed: list[str] = []
    if not wanted or wanted.upper() == "ALL":
        try:
            resp = await ctx.client.call("GET", PROJECTS_URL, bearer=token)
            listed = [str(p["projectId"]) for p in resp.get("projects") or () if isinstance(p, dict)
                      and p.get("projectId") and p.get("lifecycleState", "ACTIVE") == "ACTIVE"]
        except OAuthHTTPError as err:
            ctx.io.say(f"(Could not list your Google Cloud projects: {err})")
    if not wanted:
        if listed:
            ctx.io.say("Your Google Cloud projects:\n" + "\n".join(f"  {p}" for p in listed))
        answer = await ctx.io.read_line("Project id, a comma list, ALL, or Enter for automatic setup "
                                        "(free tier / Google One): ")
        wanted = (answer or "").strip()
    if wanted.upper() == "ALL":
        if not listed:
            raise LoginError("--project_id ALL: no Google Cloud projects are visible to this account.")
        return listed
    return [p.strip() for p in wanted.split(",") if p.strip()]


async def _setup(ctx: LoginContext, ca: CodeAssist, requested: str, notes: list[str]) -> str:
    """providers.md §2.1 "Setup", steps 1–4, for one project (or none: automatic)."""
    ctx.io.say(f"Setting up Gemini Code Assist{' for project ' + requested if requested else ''} …")
    load = await ca.load(requested)
    tier = default_tier(load)
    tier_id = str(tier.get("id") or "legacy-tier")
    project = requested or project_of(load.get("cloudaicompanionProject"))
    if not project:
        if tier.get("userDefinedCloudaicompanionProject"):
            raise LoginError(f"This account's tier ({tier_id}) needs a Google Cloud project. Run the login "
                             "again with --project_id <your-project-id>.")
        project = await ca.onboard(tier_id, interval=2.0, timeout=30.0)
        if not project:
            raise LoginError("Google finished onboarding but reported no project. Run the login again with "
                             "--project_id <your-project-id>.")
    got = await ca.onboard(tier_id, project, interval=5.0, timeout=None, attempts=60)
    if got and got != project:
        free = project.startswith("gen-lang-client-") or tier_id.lower() in FREE_TIERS
        if free:
            answer = await ctx.io.read_line(f"Google assigned project {got} instead of {project}. Keep the "
                                            f"assigned one (recommended: it has the newest previews)? [Y/n] ")
            project = project if (answer or "").strip().lower() in ("n", "no") else got
        else:
            notes.append(f"Google reported project {got}; keeping the requested {project}")
    await _enable_api(ctx, ca, project, notes)
    ctx.io.say(f"Project: {project} (tier {tier_id})")
    return project


async def _enable_api(ctx: LoginContext, ca: CodeAssist, project: str, notes: list[str]) -> None:
    url = SERVICE_URL.format(p=project)
    try:
        state = await ctx.client.call("GET", url, bearer=ca.token)
        if state.get("state") == "ENABLED":
            return
        await ctx.client.call("POST", url + ":enable", json_body={}, bearer=ca.token)
        ctx.io.say(f"Enabled the Gemini for Google Cloud API on {project}.")
    except OAuthHTTPError as err:
        if err.status == 400 and "already enabled" in err.description.lower():
            return
        notes.append(f"could not check or enable the Gemini for Google Cloud API on {project} ({err}); "
                     "if requests fail with 403, enable it in the Cloud console")
