"""Antigravity accounts (Google's Antigravity IDE backend on Cloud Code Assist): login, refresh, inference.

providers.md §6. Inference speaks the Cloud Code envelope plus Antigravity's channel fields
(``userAgent: "antigravity"``, ``requestType``, ``requestId``, ``request.sessionId``), at
``https://daily-cloudcode-pa.googleapis.com`` first and ``https://cloudcode-pa.googleapis.com``
second (``endpoint_bases``; a file's ``base_url`` replaces both). Body rules of this channel:
``safetySettings`` removed, a top-level ``toolConfig`` moved into the request, Claude models use
``VALIDATED`` function calling and keep ``maxOutputTokens`` (other models lose it), and the
thought-signature rules of seed patch 003 (below). 429 ``RESOURCE_EXHAUSTED`` retry delays
become exact cooldowns.

Thought signatures (patch 003, refined): Gemini models get Google's skip sentinel on replayed
thoughts and on function calls without a real signature. Claude models reject the sentinel, so
the thinking parts of earlier assistant turns are stripped (Claude drops earlier turns' thinking
anyway); the latest assistant turn keeps only thoughts with a real signature, which a tool loop
with thinking needs.

Login (``cliproxy login antigravity``): Google OAuth on ``localhost:51121/oauth-callback``, then
``loadCodeAssist`` and, without a project, ``onboardUser`` (5 polls, 2 s apart). The file is
``antigravity-<email>.json``. Refresh lead 5 min. Honest identification: our User-Agent, no
``antigravity/<ver> darwin/arm64``, no forced HTTP/1.1, no random project names, and the file's
``user_agent`` override is ignored.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from typing import Any

from cliproxy.accounts.kinds import LoginResult
from cliproxy.accounts.records import as_dict
from cliproxy.dialects.ids import Action, Dialect
from cliproxy.errors import UpstreamError
from cliproxy.oauth.client import OAuthClient, RefreshFailed
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

DAILY_BASE = "https://daily-cloudcode-pa.googleapis.com"
PROD_BASE = "https://cloudcode-pa.googleapis.com"
APP = GoogleClient("Google (Antigravity)", "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com",
                   "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", "https://accounts.google.com/o/oauth2/v2/auth",
                   "https://www.googleapis.com/oauth2/v2/userinfo?alt=json",
                   (*SCOPES, "https://www.googleapis.com/auth/cclog",
                    "https://www.googleapis.com/auth/experimentsandconfigs"), 51121, "/oauth-callback")
METADATA = {"ide_type": "ANTIGRAVITY", "ide_name": "antigravity", "platform": "PLATFORM_UNSPECIFIED",
            "pluginType": "GEMINI"}
SENTINEL = "skip_thought_signature_validator"
MIN_SIGNATURE = 50
ENVELOPE_KEYS = frozenset({"model", "project", "request", "user_prompt_id", "userAgent", "requestType",
                           "requestId", "enabledCreditTypes"})
_CLAUDE = {"min": 1024, "max": 64000, "zero_allowed": True, "dynamic_allowed": False}
_LEVELS = {"levels": ["minimal", "low", "medium", "high"], "dynamic_allowed": True}
CATALOG: tuple[tuple[str, str, int, int, dict[str, Any] | None], ...] = (
    ("claude-opus-4-6-thinking", "Claude Opus 4.6 (Thinking)", 200000, 64000, _CLAUDE),
    ("claude-sonnet-4-6", "Claude Sonnet 4.6", 200000, 64000, _CLAUDE),
    ("gemini-3-flash", "Gemini 3 Flash", 1048576, 65536, _LEVELS),
    ("gemini-3-pro-high", "Gemini 3 Pro (High)", 1048576, 65535, _LEVELS),
    ("gemini-3-pro-low", "Gemini 3 Pro (Low)", 1048576, 65535, _LEVELS),
    ("gemini-3.1-flash-image", "Gemini 3.1 Flash Image", 65536, 32768, None),
    ("gemini-3.1-pro-high", "Gemini 3.1 Pro (High)", 1048576, 65535, _LEVELS),
    ("gemini-3.1-pro-low", "Gemini 3.1 Pro (Low)", 1048576, 65535, _LEVELS),
    ("gpt-oss-120b-medium", "GPT-OSS 120B (Medium)", 131072, 32768, None),
    ("gemini-3.1-flash-lite", "Gemini 3.1 Flash Lite", 1048576, 65536, _LEVELS),
)
MODELS = tuple(ModelEntry(id=m, upstream=(m,), display_name=d, context_length=c, max_output_tokens=o, thinking=t)
               for m, d, c, o, t in CATALOG)


# ---------------------------------------------------------------- body rules


def is_claude(model: str) -> bool:
    return "claude" in model.lower()


def session_id(contents: Any) -> str:
    """Stable per conversation: "-" + a 63-bit number from the first user text (random if none)."""
    for content in contents if isinstance(contents, list) else ():
        if isinstance(content, dict) and content.get("role") == "user":
            for part in content.get("parts") or ():
                if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
                    digest = hashlib.sha256(part["text"].encode()).digest()
                    return "-" + str(int.from_bytes(digest[:8], "big") & (2**63 - 1))
    return "-" + str(uuid.uuid4().int & (2**63 - 1))


def _real(sig: Any) -> bool:
    return isinstance(sig, str) and len(sig) >= MIN_SIGNATURE and sig != SENTINEL


def fix_signatures(contents: Any, model: str) -> None:
    """Seed patch 003 for Gemini models; for Claude models see the module docstring."""
    turns = [c for c in (contents if isinstance(contents, list) else ()) if isinstance(c, dict)
             and c.get("role") == "model" and isinstance(c.get("parts"), list)]
    claude = is_claude(model)
    for i, turn in enumerate(turns):
        latest = i == len(turns) - 1
        kept = []
        for part in turn["parts"]:
            if not isinstance(part, dict):
                kept.append(part)
                continue
            snake = part.pop("thought_signature", None)
            if snake and not part.get("thoughtSignature"):
                part["thoughtSignature"] = snake
            sig = part.get("thoughtSignature")
            if claude:
                if part.get("thought") and not (latest and _real(sig)):
                    continue  # stripped
                if "functionCall" in part and not (latest and _real(sig)):
                    part.pop("thoughtSignature", None)
            elif part.get("thought") or ("functionCall" in part and not _real(sig)):
                part["thoughtSignature"] = SENTINEL
            kept.append(part)
        turn["parts"] = kept
    if isinstance(contents, list):
        contents[:] = [c for c in contents if not (isinstance(c, dict) and c.get("role") == "model"
                                                   and c.get("parts") == [])]


def shape_request(body: dict[str, Any], model: str, project: str) -> dict[str, Any]:
    inner = as_dict(body.get("request")) or {k: v for k, v in body.items() if k not in ENVELOPE_KEYS}
    if isinstance(body.get("toolConfig"), dict) and "toolConfig" not in inner:
        inner["toolConfig"] = body["toolConfig"]
    inner.pop("safetySettings", None)
    inner.pop("safety_settings", None)
    fix_signatures(inner.get("contents"), model)
    gen = inner.get("generationConfig")
    if is_claude(model):
        if inner.get("tools"):
            fcc = inner.setdefault("toolConfig", {}).setdefault("functionCallingConfig", {})
            if fcc.get("mode") in (None, "AUTO"):  # NONE / ANY (tool_choice) stay as the client asked
                fcc["mode"] = "VALIDATED"
    elif isinstance(gen, dict):
        gen.pop("maxOutputTokens", None)
    out: dict[str, Any] = {"model": model, "userAgent": "antigravity", "project": project}
    if "image" in model:
        out["requestType"] = "image_gen"
        out["requestId"] = f"image_gen/{int(time.time() * 1000)}/{uuid.uuid4()}/12"
        inner.pop("sessionId", None)
    else:
        out["requestType"] = "agent"
        out["requestId"] = f"agent-{uuid.uuid4()}"
        inner.setdefault("sessionId", session_id(inner.get("contents")))
    out["request"] = inner
    return out


# ---------------------------------------------------------------- provider


class AntigravityProvider:
    key = "antigravity"
    dialect = Dialect.ANTIGRAVITY
    always_stream = False
    count_upstream = True
    protocol = "antigravity"

    def __init__(self, *, user_agent: str = "") -> None:
        self._ua = honest_user_agent(user_agent)

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]:
        return MODELS

    @staticmethod
    def endpoint_bases(cred: Credential) -> tuple[str, ...]:
        """Bases in fallback order: the next one is tried on a network error, 429 or 503."""
        return (cred.base_url.rstrip("/"),) if cred.base_url else (DAILY_BASE, PROD_BASE)

    @staticmethod
    def try_next_base(status: int, body: bytes) -> bool:
        return status == 0 or status == 429 or (status == 503 and b"capacity" in body.lower())

    def patch_body(self, cred: Credential, call: UpstreamCall) -> None:
        if call.action is Action.COUNT_TOKENS:
            inner = as_dict(call.body.get("request")) or {
                k: v for k, v in call.body.items() if k not in ENVELOPE_KEYS}
            new = {"request": {k: v for k, v in inner.items() if k not in ("safetySettings", "model")}}
        else:
            new = shape_request(call.body, call.model, str(cred.attrs.get("project_id") or ""))
        call.body.clear()
        call.body.update(new)

    def build(self, cred: Credential, token: str, call: UpstreamCall, *, base: str = "") -> Outbound:
        base = base or self.endpoint_bases(cred)[0]
        if call.action is Action.COUNT_TOKENS:
            path = "/v1internal:countTokens"
        else:
            path = "/v1internal:streamGenerateContent?alt=sse" if call.stream else "/v1internal:generateContent"
        headers = {"Content-Type": "application/json", "User-Agent": self._ua, "Authorization": "Bearer " + token,
                   "Accept": "text/event-stream" if call.stream else "application/json"}
        apply_custom_headers(headers, cred)
        return Outbound("POST", base + path, headers, encode_body(call.body))

    def classify(self, status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamError:
        retry = google_retry_delay(body) if status == 429 else None
        return classify_status(status, body, headers, retry_after=retry, label=self.key)


# ---------------------------------------------------------------- account


class AntigravityAccount:
    type = "antigravity"
    login_name = "antigravity"
    provider = "antigravity"
    channel = "antigravity"
    refresh_lead = 5 * 60.0

    def access_token(self, data: dict[str, Any]) -> str:
        return str(data.get("access_token") or "")

    def refresh_token(self, data: dict[str, Any]) -> str:
        return str(data.get("refresh_token") or "")

    def label(self, data: dict[str, Any]) -> str:
        return str(data.get("email") or "")

    def base_url(self, data: dict[str, Any]) -> str:
        return str(data.get("base_url") or "")

    def projects(self, data: dict[str, Any]) -> list[str]:
        p = data.get("project_id")
        return [p.strip()] if isinstance(p, str) and p.strip() else []

    def attrs(self, data: dict[str, Any]) -> dict[str, Any]:
        ps = self.projects(data)
        return {"project_id": ps[0]} if ps else {}

    def models(self, data: dict[str, Any]) -> tuple[ModelEntry, ...]:
        return MODELS

    async def refresh(self, client: OAuthClient, data: dict[str, Any]) -> dict[str, Any]:
        tok = await refresh_google(client, client_id=APP.client_id, client_secret=APP.client_secret,
                                   refresh_token=self.refresh_token(data))
        apply_token(data, tok, time.time())
        if not self.projects(data):  # as upstream: discover a missing project on refresh
            try:
                data["project_id"] = await discover_project(CodeAssist(client, tok["access_token"],
                                                                       metadata=METADATA))
            except LoginError as err:
                raise RefreshFailed(f"token refreshed, but project discovery failed: {err}", permanent=False) from None
        return data

    async def login(self, ctx: LoginContext) -> LoginResult:
        tok, email = await google_login(ctx, APP)
        data: dict[str, Any] = {"type": "antigravity"}
        apply_token(data, tok, time.time())
        data["email"] = email
        ctx.io.say("Looking up the account's Cloud Code project …")
        ca = CodeAssist(ctx.client, tok["access_token"], metadata=METADATA, poll_scale=ctx.options.poll_scale)
        data["project_id"] = ctx.options.project_id.strip() or await discover_project(ca)
        ctx.io.say(f"Project: {data['project_id']}")
        return LoginResult(f"antigravity-{email}.json", data)


def apply_token(data: dict[str, Any], tok: dict[str, Any], now: float) -> None:
    data["access_token"] = tok["access_token"]
    if tok.get("refresh_token"):
        data["refresh_token"] = tok["refresh_token"]
    data["expires_in"] = int(tok.get("expires_in") or 3599)
    data["timestamp"] = int(now * 1000)
    data["expired"] = expiry_of(tok, now)


async def discover_project(ca: CodeAssist) -> str:
    load = await ca.load()
    project = project_of(load.get("cloudaicompanionProject"))
    if project:
        return project
    tier_id = str(default_tier(load).get("id") or "legacy-tier")
    project = await ca.onboard(tier_id, interval=2.0, timeout=None, attempts=5)
    if not project:
        raise LoginError("Google did not assign a Cloud Code project to this account; try again later "
                         "or pass --project_id.")
    return project
