"""Render any ProxyError in the client's own dialect, before or in the middle of a stream.

Upstream only manages this partly (it answers Claude and Gemini clients in OpenAI's shape). Here
every dialect gets its own envelope, so each official SDK raises its typed API error:
- OpenAI chat / Responses: ``{"error":{"message","type","code","param"}}``
- Anthropic: ``{"type":"error","error":{"type","message"}}`` (types from Anthropic's error list)
- Gemini: ``{"error":{"code","message","status"}}`` with the google.rpc status name
An upstream error body that is already in the client's dialect is passed through verbatim.
"""

from __future__ import annotations

import msgspec

from cliproxy.dialects.ids import Dialect
from cliproxy.errors import ModelCooldown, ProxyError, UpstreamError

_json = msgspec.json.encode

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}

_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_RESPONSES_CODES = {
    401: "invalid_api_key",
    403: "insufficient_quota",
    404: "model_not_found",
    408: "request_timeout",
    429: "rate_limit_exceeded",
}


def _client_family(d: Dialect) -> Dialect:
    if d in (Dialect.GEMINI_CLI, Dialect.ANTIGRAVITY):
        return Dialect.GEMINI
    if d is Dialect.CODEX:
        return Dialect.OPENAI_RESPONSES
    return d


def _upstream_body_fits(dialect: Dialect, body: bytes) -> bool:
    """Is an upstream error body already in this client's dialect (so we can pass it through)?"""
    if not body or body[:1] not in (b"{",):
        return False
    try:
        obj = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return False
    if not isinstance(obj, dict):
        return False
    err = obj.get("error")
    if dialect is Dialect.ANTHROPIC:
        return obj.get("type") == "error" and isinstance(err, dict)
    if dialect is Dialect.GEMINI:
        return isinstance(err, dict) and "status" in err and "code" in err
    # OpenAI family: {"error": {"message": ...}} without Google's "status"
    return isinstance(err, dict) and "message" in err and "status" not in err


def error_payload(dialect: Dialect, err: ProxyError) -> dict:
    d = _client_family(dialect)
    status = err.status
    msg = err.message or "error"
    if d is Dialect.ANTHROPIC:
        etype = _ANTHROPIC_TYPES.get(status) or ("api_error" if status >= 500 else "invalid_request_error")
        return {"type": "error", "error": {"type": etype, "message": msg}}
    if d is Dialect.GEMINI:
        return {
            "error": {
                "code": status,
                "message": msg,
                "status": _GOOGLE_STATUS.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION"),
            }
        }
    body: dict = {"message": msg, "type": err.type, "param": None, "code": err.code}
    if isinstance(err, ModelCooldown):
        body.update(model=err.model, provider=err.provider, reset_seconds=err.reset_seconds,
                    reset_time=f"{err.reset_seconds}s")
    return {"error": body}


def render_error(dialect: Dialect, err: ProxyError) -> tuple[int, bytes]:
    """Status and body for an error answered before any byte of the response was sent."""
    if isinstance(err, UpstreamError) and _upstream_body_fits(_client_family(dialect), err.body):
        return err.status, err.body
    return err.status, _json(error_payload(dialect, err))


def render_stream_error(dialect: Dialect, err: ProxyError, sequence_number: int = 0) -> bytes:
    """A framed SSE error event for a stream whose headers were already sent."""
    d = _client_family(dialect)
    if d is Dialect.ANTHROPIC:
        return b"event: error\ndata: " + _json(error_payload(d, err)) + b"\n\n"
    if d is Dialect.OPENAI_RESPONSES:
        code = err.code or _RESPONSES_CODES.get(err.status) or (
            "internal_server_error" if err.status >= 500 else "invalid_request_error")
        ev = {"type": "error", "code": code, "message": err.message, "param": None,
              "sequence_number": sequence_number}
        return b"event: error\ndata: " + _json(ev) + b"\n\n"
    # OpenAI chat: an error chunk makes the SDK raise APIError. Gemini: google-genai raises on a
    # mid-stream {"error":{code,message,status}} data line; an `event:` line would break its parser.
    return b"data: " + _json(error_payload(d, err)) + b"\n\n"
