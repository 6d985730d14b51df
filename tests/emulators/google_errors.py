"""Google API error bodies shared by the Gemini, Vertex, Cloud Code and Google OAuth emulators.

Owns the `{"error":{code,message,status,details}}` shape (pretty-printed, as
Google's front end sends it), the `google.rpc` detail objects (ErrorInfo,
RetryInfo, QuotaFailure, BadRequest, LocalizedMessage, Help), duration
formatting for `retryDelay` (protobuf Duration) and `quotaResetDelay` (Go
duration), the auth failures of each Google surface, and the HTML 404 page
Google returns for unknown URLs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .faults import Fault, FaultKind

STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
                501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
RPC = "type.googleapis.com/google.rpc."
NOT_FOUND_HTML = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n"
    "  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>{path}</code> was not found on "
    "this server.  <ins>That’s all we know.</ins>\n"
)


class GoogleError(Exception):
    """A failure rendered in Google's error shape."""

    def __init__(self, code: int, message: str, *, details: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, list(details)

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)

    def response(self, *, as_array: bool = False) -> web.Response:
        return google_response(self.body(), self.code, as_array=as_array)


def error_body(code: int, message: str, details: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": STATUS_NAMES.get(code, "UNKNOWN")}
    if details:
        error["details"] = list(details)
    return {"error": error}


def google_response(body: Any, status: int = 200, *, as_array: bool = False,
                    headers: dict[str, str] | None = None) -> web.Response:
    """Pretty JSON like Google's front end; streamed-array endpoints wrap errors in `[…]`."""
    text = json.dumps([body] if as_array else body, indent=2, ensure_ascii=False)
    return web.Response(status=status, text=text + "\n", content_type="application/json", charset="UTF-8",
                        headers=headers)


def proto_duration(seconds: float) -> str:
    """google.protobuf.Duration JSON: `"2s"`, `"0.847655010s"`."""
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return f"{text}s"


def go_duration(seconds: float) -> str:
    """Go time.Duration.String(): `"373.801628ms"`, `"1.2s"`, `"1m30s"`."""
    if seconds < 1:
        return f"{seconds * 1000:.6f}".rstrip("0").rstrip(".") + "ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{int(hours)}h" if hours else ""
    out += f"{int(minutes)}m" if hours or minutes else ""
    return out + f"{secs:.9f}".rstrip("0").rstrip(".") + "s"


def error_info(reason: str, domain: str, **metadata: str) -> dict[str, Any]:
    info: dict[str, Any] = {"@type": RPC + "ErrorInfo", "reason": reason, "domain": domain}
    if metadata:
        info["metadata"] = metadata
    return info


def retry_info(seconds: float) -> dict[str, Any]:
    return {"@type": RPC + "RetryInfo", "retryDelay": proto_duration(seconds)}


def bad_request(violations: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"@type": RPC + "BadRequest",
            "fieldViolations": [{"field": f, "description": d} for f, d in violations]}


def api_key_invalid() -> GoogleError:
    msg = "API key not valid. Please pass a valid API key."
    return GoogleError(400, msg, details=[
        error_info("API_KEY_INVALID", "googleapis.com", service="generativelanguage.googleapis.com"),
        {"@type": RPC + "LocalizedMessage", "locale": "en-US", "message": msg}])


def unregistered_caller() -> GoogleError:
    return GoogleError(403, "Method doesn't allow unregistered callers (callers without established identity). "
                            "Please use API Key or other form of API consumer identity to call this API.")


def bad_oauth_token(service: str, missing: bool) -> GoogleError:
    if missing:
        message = ("Request is missing required authentication credential. Expected OAuth 2 access token, login "
                   "cookie or other valid authentication credential. See "
                   "https://developers.google.com/identity/sign-in/web/devconsole-project.")
    else:
        message = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                   "or other valid authentication credential. See "
                   "https://developers.google.com/identity/sign-in/web/devconsole-project.")
    reason = "CREDENTIALS_MISSING" if missing else "ACCESS_TOKEN_EXPIRED"
    return GoogleError(401, message, details=[error_info(reason, "googleapis.com", service=service)])


def fault_error(fault: Fault, *, domain: str, model: str | None, cloudcode: bool = False) -> GoogleError:
    """The Google-shaped error for a response-level fault (429s carry RetryInfo + ErrorInfo)."""
    kind = fault.kind
    if kind in (FaultKind.RATE_LIMIT, FaultKind.QUOTA_EXHAUSTED):
        wait = fault.retry_after if fault.retry_after is not None else 1.0
        reason = fault.reason or ("QUOTA_EXHAUSTED" if kind is FaultKind.QUOTA_EXHAUSTED else "RATE_LIMIT_EXCEEDED")
        info = error_info(reason, domain, quotaResetDelay=go_duration(wait),
                          quotaResetTimeStamp="2026-01-01T00:00:00Z", model=model or "unknown")
        if cloudcode:
            message = fault.message or (f"You have exhausted your capacity on this model. Your quota will reset "
                                        f"after {max(1, math.ceil(wait))}s.")
            return GoogleError(429, message, details=[info, retry_info(wait)])
        message = fault.message or (
            "You exceeded your current quota, please check your plan and billing details. For more information "
            "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current "
            "usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: "
            f"{domain}/generate_content_free_tier_requests, limit: 10, model: {model}\n"
            f"Please retry in {wait:g}s.")
        quota = {"@type": RPC + "QuotaFailure", "violations": [{
            "quotaMetric": f"{domain}/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "quotaDimensions": {"location": "global", "model": model or "unknown"}, "quotaValue": "10"}]}
        help_ = {"@type": RPC + "Help", "links": [{"description": "Learn more about Gemini API quotas",
                                                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]}
        return GoogleError(429, message, details=[quota, help_, info, retry_info(wait)])
    if kind is FaultKind.UNAUTHORIZED:
        return bad_oauth_token(domain, missing=False)
    if kind is FaultKind.FORBIDDEN:
        return GoogleError(403, fault.message or "The caller does not have permission")
    if kind in (FaultKind.UNAVAILABLE, FaultKind.OVERLOADED):
        default = (f"No capacity available for model {model} on the server" if cloudcode
                   else "The model is overloaded. Please try again later.")
        return GoogleError(503, fault.message or default)
    return GoogleError(fault.status or 500, fault.message or "An internal error has occurred. Please retry or "
                       "report in https://developers.generativeai.google/guide/troubleshooting")


def not_found_page(request: web.Request) -> web.Response:
    return web.Response(status=404, text=NOT_FOUND_HTML.format(path=request.path), content_type="text/html",
                        charset="UTF-8")
