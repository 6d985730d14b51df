"""What every provider offers the pipeline, and the credential record it works with.

A provider knows one upstream channel: how to build the URL and headers for a call, which
dialect it speaks, how to read its errors (status, retry hints, blame) and which models it
serves. It never translates bodies; that is ``translate``'s job. Provider-specific request
shaping that is not translation (forced fields such as Codex's ``store:false``) lives in
``patch_body``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from cliproxy.dialects.ids import Action, Dialect
from cliproxy.errors import Scope, UpstreamError


class TokenSource(Protocol):
    """Supplies a current access token (OAuth credentials); refreshes when needed."""

    async def access_token(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """A model a credential exposes: the client-visible id and the upstream name(s) behind it."""

    id: str
    upstream: tuple[str, ...]
    thinking: Mapping[str, Any] | None = None
    display_name: str = ""
    context_length: int = 0
    max_output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Credential:
    id: str  # stable: "claude-api-key[0]" or the auth file name
    provider: str  # provider key: "claude", "gemini", "vertex", "codex", "openai-compat:<name>"
    secret: str = ""  # API key (empty for OAuth: see ``tokens``)
    base_url: str = ""
    proxy_url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    prefix: str = ""
    priority: int = 0
    models: tuple[ModelEntry, ...] = ()  # explicit models (config ``models`` or catalog); () = provider default
    excluded: tuple[str, ...] = ()
    label: str = ""  # e-mail or masked key, for logs and listings
    disabled: bool = False
    disable_cooling: bool | None = None
    request_retry: int | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    tokens: TokenSource | None = None
    kind: str = "api-key"  # "api-key" | "oauth"


@dataclass(slots=True)
class UpstreamCall:
    """One call to make, after translation."""

    action: Action
    model: str  # upstream model name
    body: dict[str, Any]
    stream: bool  # stream from upstream
    client_headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Outbound:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


class Provider(Protocol):
    key: str
    dialect: Dialect
    always_stream: bool  # the upstream only answers streams; non-stream clients get it assembled
    count_upstream: bool  # the upstream has a count-tokens endpoint
    protocol: str  # the format name payload rules match on: openai, claude, gemini, codex, ...

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]: ...

    def patch_body(self, cred: Credential, call: UpstreamCall) -> None: ...

    def build(self, cred: Credential, token: str, call: UpstreamCall) -> Outbound: ...

    def classify(self, status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamError: ...


# ---------------------------------------------------------------- shared error classification

_NON_RETRYABLE_400 = (b"invalid_request_error", b"INVALID_ARGUMENT", b"FAILED_PRECONDITION")
_MODEL_UNSUPPORTED = (
    b"model_not_supported", b"model is not supported", b"not available for your plan",
    b"does not exist or you do not have access", b"is not supported when using",
)
_RETRY_AFTER_SECS = re.compile(rb"after (\d+(?:\.\d+)?)s", re.I)
_GO_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$")


def parse_duration(text: str) -> float | None:
    """Parse ``"1.2s"``, ``"373.8ms"``, ``"1h2m3s"`` into seconds."""
    text = text.strip()
    if not text:
        return None
    m = _GO_DURATION.match(text)
    if not m or not any(m.groups()):
        return None
    h, mi, s, ms = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s + ms / 1000


def retry_after_header(headers: Mapping[str, str]) -> float | None:
    v = headers.get("Retry-After") or headers.get("retry-after")
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        return None


def google_retry_delay(body: bytes) -> float | None:
    """RetryInfo.retryDelay, then ErrorInfo.metadata.quotaResetDelay, then "after Ns" in the message."""
    try:
        obj = msgspec.json.decode(body)
    except msgspec.DecodeError:
        obj = None
    err = obj.get("error") if isinstance(obj, dict) else None
    if isinstance(err, list) and err:  # Gemini CLI sometimes wraps errors in a list
        err = err[0].get("error") if isinstance(err[0], dict) else None
    if isinstance(err, dict):
        details = err.get("details") or []
        for d in details:
            if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.RetryInfo"):
                v = parse_duration(str(d.get("retryDelay", "")))
                if v is not None:
                    return v
        for d in details:
            if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.ErrorInfo"):
                v = parse_duration(str((d.get("metadata") or {}).get("quotaResetDelay", "")))
                if v is not None:
                    return v
        msg = str(err.get("message", ""))
        m = re.search(r"after (\d+h)?(\d+m)?(\d+(?:\.\d+)?s)", msg)
        if m:
            return parse_duration("".join(g for g in m.groups() if g))
    m2 = _RETRY_AFTER_SECS.search(body)
    return float(m2.group(1)) if m2 else None


def classify_status(status: int, body: bytes, headers: Mapping[str, str], *,
                    retry_after: float | None = None, label: str = "upstream") -> UpstreamError:
    """The CLIProxyAPI blame rules (upstream-server.md §5.2/§5.4) as a scope."""
    unsupported = status in (400, 404, 422) and any(s in body for s in _MODEL_UNSUPPORTED)
    if unsupported:
        scope = Scope.CREDENTIAL
    elif status == 422 or (status == 400 and any(s in body for s in _NON_RETRYABLE_400)) or status == 400:
        scope = Scope.REQUEST
    elif status in (401, 402, 403, 404, 429):
        scope = Scope.CREDENTIAL
    elif status == 500 and b'"status":"UNKNOWN"' in body.replace(b" ", b""):
        scope = Scope.REQUEST
    else:
        scope = Scope.TRANSIENT
    if retry_after is None:
        retry_after = retry_after_header(headers)
    message = _error_message(body) or f"{label} returned HTTP {status}"
    ctype = headers.get("Content-Type") or headers.get("content-type") or ""
    return UpstreamError(message, status=status, scope=scope, body=body, retry_after=retry_after,
                         content_type=ctype, model_unsupported=unsupported)


def _error_message(body: bytes) -> str:
    if not body:
        return ""
    try:
        obj = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body[:300].decode("utf-8", "replace").strip()
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        obj = obj[0]
    if isinstance(obj, dict):
        err = obj.get("error", obj)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or err.get("type") or ""
            if isinstance(msg, list):  # FastAPI-style {"detail": [{"msg": ...}]}
                msg = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in msg)
            return str(msg)[:1000]
        if isinstance(err, str):
            return err[:1000]
    return ""


def join_url(base: str, path: str) -> str:
    return base.rstrip("/") + path


def honest_user_agent(configured: str) -> str:
    from cliproxy import __version__

    return configured or f"cliproxy/{__version__}"


def apply_custom_headers(headers: dict[str, str], cred: Credential) -> None:
    """Configured headers apply last and override provider defaults (CLIProxyAPI semantics)."""
    for k, v in cred.headers.items():
        if k and v:
            headers[k] = v


_encode = msgspec.json.encode


def encode_body(body: dict[str, Any]) -> bytes:
    return _encode(body)
