"""One error tree for the whole proxy, classified by blame.

    ProxyError                      anything we turn into an HTTP error for the client
    ├── ClientError                 the client's request is wrong (4xx, never retried)
    │   ├── AuthError               missing/invalid client key (401)
    │   ├── BadRequest              malformed JSON, wrong types, missing model (400)
    │   ├── PayloadTooLarge         body over max-body-bytes (413)
    │   ├── UnsupportedMediaType    wrong content type (415)
    │   └── NotFound                unknown model / route (404)
    ├── RoutingError                no credential can serve the request
    │   ├── NoProvider              model unknown to every provider (502, as upstream does)
    │   ├── NoCredential            candidates exist but none usable (503)
    │   └── ModelCooldown           every candidate is cooling down on quota (429 + Retry-After)
    └── UpstreamError               the upstream failed; ``scope`` drives retries and cooldowns
                                    (request: don't retry; credential: try another credential;
                                    transient: retry / cool down briefly)

A broad ``except`` is allowed only in the top-level HTTP handler.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    REQUEST = "request"  # the request itself is bad for any credential: return it as is
    CREDENTIAL = "credential"  # this credential can't serve it (auth, quota, plan): try the next one
    TRANSIENT = "transient"  # upstream hiccup: the next credential or a retry may succeed


class ProxyError(Exception):
    status: int = 500
    type: str = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers: dict[str, str] = {}


class ClientError(ProxyError):
    status = 400
    type = "invalid_request_error"


class AuthError(ClientError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class BadRequest(ClientError):
    status = 400


class PayloadTooLarge(ClientError):
    status = 413
    code = "request_too_large"


class UnsupportedMediaType(ClientError):
    status = 415


class NotFound(ClientError):
    status = 404
    type = "not_found_error"
    code = "model_not_found"


class RoutingError(ProxyError):
    pass


class NoProvider(RoutingError):
    status = 502
    type = "invalid_request_error"
    code = "model_not_found"


class NoCredential(RoutingError):
    status = 503
    type = "server_error"
    code = "auth_unavailable"


class ModelCooldown(RoutingError):
    status = 429
    type = "rate_limit_error"
    code = "model_cooldown"

    def __init__(self, model: str, provider: str, reset_seconds: float) -> None:
        secs = max(1, int(reset_seconds + 0.999))
        super().__init__(f"All credentials for model {model} are cooling down via provider {provider}")
        self.model = model
        self.provider = provider
        self.reset_seconds = secs
        self.headers["Retry-After"] = str(secs)


class UpstreamError(ProxyError):
    """An upstream answered with an error (or broke). ``body`` is the upstream's own error body."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        scope: Scope,
        body: bytes = b"",
        retry_after: float | None = None,
        content_type: str = "",
        model_unsupported: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.scope = scope
        self.body = body
        self.retry_after = retry_after
        self.content_type = content_type
        self.model_unsupported = model_unsupported
        if retry_after is not None and retry_after > 0:
            self.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        self.type = _type_for_status(status)
        self.code = _code_for_status(status)


def _type_for_status(status: int) -> str:
    if status == 401:
        return "authentication_error"
    if status == 403:
        return "permission_error"
    if status == 404:
        return "invalid_request_error"
    if status == 429:
        return "rate_limit_error"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def _code_for_status(status: int) -> str | None:
    return {
        401: "invalid_api_key",
        403: "insufficient_quota",
        404: "model_not_found",
        429: "rate_limit_exceeded",
    }.get(status, "internal_server_error" if status >= 500 else None)
