"""OpenAI-platform pieces shared by Chat Completions, Responses and the Codex backend.

Owns: the `{"error":{message,type,param,code}}` body, the exact wordings of
the platform's generic errors (bad JSON, bad key, unknown model, invalid
value), the mapping of scripted faults to OpenAI status codes/headers, and the
`GET /models` shapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from .faults import Fault, FaultKind

DEFAULT_OPENAI_MODELS = (
    "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-mini", "gpt-5.2", "gpt-5.4",
    "gpt-5.4-mini", "gpt-5.5", "o3", "o4-mini",
)
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. "
    "If you have trouble figuring out how to fix this, please contact us through our help center at "
    "help.openai.com.)"
)
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the basic auth username and password (i.e. "
    "-u YOUR_KEY:) You can obtain an API key from https://platform.openai.com/account/api-keys."
)


class OpenAIError(Exception):
    """Raised by validators; rendered as the platform's error body."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code

    def response(self) -> web.Response:
        return openai_error(self.status, self.message, type=self.type, param=self.param, code=self.code)


def openai_error(status: int, message: str, *, type: str | None = "invalid_request_error",
                 param: str | None = None, code: str | None = None,
                 headers: Mapping[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=dict(headers or {}))


def invalid_value(value: Any, allowed: Sequence[str], param: str) -> OpenAIError:
    """The platform's enum-violation wording: "Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'."."""
    quoted = [f"'{a}'" for a in allowed]
    listing = ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    return OpenAIError(400, f"Invalid value: '{value}'. Supported values are: {listing}.", param=param,
                       code="invalid_value")


def missing(param: str) -> OpenAIError:
    return OpenAIError(400, f"Missing required parameter: '{param}'.", param=param,
                       code="missing_required_parameter")


def check_tool_name(name: Any, param: str) -> None:
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise OpenAIError(400, f"Invalid '{param}': string does not match pattern. Expected a string that "
                               "matches the pattern '^[a-zA-Z0-9_-]+$'.", param=param, code="invalid_value")


def parse_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise OpenAIError(400, BAD_JSON)
    return body


def bad_key_response(token: str | None) -> web.Response:
    if not token:
        return openai_error(401, NO_KEY, code=None)
    shown = token[:3] + "*" * 8 + token[-4:] if len(token) > 8 else token
    return openai_error(401, f"Incorrect API key provided: {shown}. You can find your API key at "
                             "https://platform.openai.com/account/api-keys.", code="invalid_api_key")


def retry_headers(retry_after: float) -> dict[str, str]:
    """`retry-after` (whole seconds), `retry-after-ms` and the x-ratelimit-* family, as OpenAI sends."""
    return {
        "retry-after": str(max(1, math.ceil(retry_after))),
        "retry-after-ms": str(int(retry_after * 1000)),
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": f"{retry_after:g}s",
    }


def openai_fault(fault: Fault, model: str | None) -> web.Response:
    """Render a response-level fault exactly as api.openai.com would."""
    kind = fault.kind
    if kind is FaultKind.RATE_LIMIT:
        wait = fault.retry_after or 1.0
        msg = fault.message or (
            f"Rate limit reached for {model or 'gpt-4o'} in organization org-emulator on requests per min "
            f"(RPM): Limit 3, Used 3, Requested 1. Please try again in {wait:g}s. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.")
        return openai_error(429, msg, type="requests", code="rate_limit_exceeded", headers=retry_headers(wait))
    if kind is FaultKind.QUOTA_EXHAUSTED:
        msg = fault.message or ("You exceeded your current quota, please check your plan and billing details. "
                                "For more information on this error, read the docs: "
                                "https://platform.openai.com/docs/guides/error-codes/api-errors.")
        return openai_error(429, msg, type="insufficient_quota", code="insufficient_quota")
    if kind is FaultKind.UNAUTHORIZED:
        return openai_error(401, fault.message or "Incorrect API key provided: sk-emu****. You can find your "
                            "API key at https://platform.openai.com/account/api-keys.", code="invalid_api_key")
    if kind is FaultKind.FORBIDDEN:
        return openai_error(403, fault.message or "You are not allowed to sample from this model",
                            type="invalid_request_error", code="model_not_allowed")
    if kind in (FaultKind.UNAVAILABLE, FaultKind.OVERLOADED):
        headers = retry_headers(fault.retry_after) if fault.retry_after else None
        return openai_error(503, fault.message or "The engine is currently overloaded, please try again later",
                            type="server_error", headers=headers)
    status = fault.status or 500
    return openai_error(status, fault.message or "The server had an error while processing your request. "
                        "Sorry about that!", type="server_error")


def models_list(models: Sequence[str], created: int) -> dict[str, Any]:
    return {"object": "list",
            "data": [{"id": m, "object": "model", "created": created, "owned_by": "openai"} for m in models]}


def model_object(model: str, created: int) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": created, "owned_by": "openai"}


def usage_chat(answer_in: int, answer_out: int, reasoning: int) -> dict[str, Any]:
    return {
        "prompt_tokens": answer_in, "completion_tokens": answer_out, "total_tokens": answer_in + answer_out,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    }
