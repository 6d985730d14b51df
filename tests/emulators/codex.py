"""`CodexEmulator`: the ChatGPT Codex backend (`chatgpt.com/backend-api/codex`).

Owns the backend's extra strictness on top of the Responses API
(providers.md §8.4): `stream` must be true, `store` must be false,
`instructions` must be present, platform-only parameters such as
`max_output_tokens`/`temperature` are rejected, only Codex models are served,
`ChatGPT-Account-Id` must match when configured; its `{"detail": …}` 400
bodies, the `token_expired` 401 body, and the 429 `usage_limit_reached`
body with `resets_at`/`resets_in_seconds` plus `x-codex-*` headers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .faults import Fault, FaultKind
from .openai_common import OpenAIError, openai_error, openai_fault, parse_body
from .responses import ResponsesMixin
from .runner import KeySpec, bearer_token, key_checker
from .signing import Signer

DEFAULT_CODEX_MODELS = ("gpt-5.2", "gpt-5.3-codex", "gpt-5.4", "gpt-5.4-mini", "gpt-5.5", "codex-auto-review",
                        "gpt-5.3-codex-spark")
UNSUPPORTED_PARAMS = ("max_output_tokens", "max_completion_tokens", "temperature", "top_p", "truncation",
                      "user", "safety_identifier", "prompt_cache_retention", "stream_options",
                      "context_management")
BASE = "/backend-api/codex"


def _detail(message: str, status: int = 400) -> web.Response:
    return web.json_response({"detail": message}, status=status)


class CodexEmulator(ResponsesMixin):
    """ChatGPT Codex backend emulator.

    access_token: accepted Bearer token(s) or predicate (e.g. an OAuth emulator's validator).
    account_id: required `ChatGPT-Account-Id` value (None: header not checked).
    plan_type: reported in usage-limit errors and headers.
    """

    def __init__(self, *, access_token: KeySpec = "codex-access-token", account_id: str | None = "acc-emulator",
                 models: Sequence[str] | None = DEFAULT_CODEX_MODELS, plan_type: str = "plus",
                 unsupported_params: Sequence[str] = UNSUPPORTED_PARAMS, **kwargs: Any) -> None:
        self._check_token = key_checker(access_token)
        self.account_id = account_id
        self.models = tuple(models) if models is not None else None
        self.plan_type = plan_type
        self.unsupported_params = tuple(unsupported_params)
        self.stored: dict[str, list[dict[str, Any]]] = {}
        super().__init__(**kwargs)
        self.signer = Signer(self.secret)

    def setup(self, app: web.Application) -> None:
        self.add_route("POST", f"{BASE}/responses", self.handle_codex)
        self.add_route("POST", f"{BASE}/responses/compact", self.handle_codex_compact)

    def on_reset(self) -> None:
        self.stored.clear()

    @property
    def base_url(self) -> str:
        """What a proxy config would call `…/backend-api/codex`."""
        return self.url + BASE

    def authenticate(self, request: web.Request) -> web.StreamResponse | None:
        if self._check_token is not None:
            token = bearer_token(request)
            if not token:
                return openai_error(401, "Missing bearer or basic authentication in header")
            if not self._check_token(token):
                return web.json_response({"error": {"message": "Provided authentication token is expired. "
                                                    "Please try signing in again.", "type": None,
                                                    "code": "token_expired", "param": None}, "status": 401},
                                         status=401)
        if self.account_id is not None and request.headers.get("ChatGPT-Account-Id") != self.account_id:
            return web.json_response({"error": {"message": "Missing or mismatched ChatGPT-Account-Id header.",
                                                "type": "invalid_request_error", "code": "account_mismatch",
                                                "param": None}, "status": 403}, status=403)
        return None

    def error_for_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind in (FaultKind.RATE_LIMIT, FaultKind.QUOTA_EXHAUSTED):
            wait = fault.retry_after or 1.0
            resets_at = int(self.clock() + wait)
            error = {"type": "usage_limit_reached", "message": fault.message or "The usage limit has been reached",
                     "plan_type": self.plan_type, "resets_at": resets_at, "eligible_promo": None,
                     "resets_in_seconds": max(1, math.ceil(wait))}
            headers = {"x-codex-plan-type": self.plan_type, "x-codex-active-limit": "codex",
                       "x-codex-primary-used-percent": "100", "x-codex-primary-window-minutes": "300",
                       "x-codex-primary-reset-after-seconds": str(max(1, math.ceil(wait))),
                       "x-codex-primary-reset-at": str(resets_at)}
            return web.json_response({"error": error}, status=429, headers=headers)
        if fault.kind is FaultKind.UNAUTHORIZED:
            return web.json_response({"error": {"message": fault.message or "Provided authentication token is "
                                                "expired. Please try signing in again.", "type": None,
                                                "code": "token_expired", "param": None}, "status": 401},
                                     status=401)
        if fault.kind in (FaultKind.UNAVAILABLE, FaultKind.OVERLOADED):
            return openai_error(503, fault.message or "Selected model is at capacity. Please try a different "
                                "model.", type="server_error", code="server_is_overloaded")
        return openai_fault(fault, self.record_of(request).model)

    def not_found(self, request: web.Request) -> web.StreamResponse:
        return _detail("Not Found", 404)

    def _strict(self, body: Any, *, compact: bool) -> web.Response | None:
        if not isinstance(body, dict):
            return _detail("Invalid JSON body")
        if not compact and body.get("stream") is not True:
            return _detail("Stream must be set to true")
        if not compact and body.get("store") is not False:
            return _detail("Store must be set to false")
        if not isinstance(body.get("instructions"), str):
            return _detail("Instructions are required")
        for param in self.unsupported_params:
            if param in body:
                return _detail(f"Unsupported parameter: {param}")
        if self.models is not None and body.get("model") not in self.models:
            return _detail(f"The '{body.get('model')}' model is not supported when using Codex with a ChatGPT "
                           "account.")
        return None

    async def handle_codex(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        refusal = self._strict(body, compact=False)
        if refusal is not None:
            return refusal
        try:
            return await self.respond(request, parse_body(body))
        except OpenAIError as err:
            return err.response()

    async def handle_codex_compact(self, request: web.Request) -> web.StreamResponse:
        refusal = self._strict(self.body_of(request), compact=True)
        return refusal if refusal is not None else await self.handle_compact(request)
