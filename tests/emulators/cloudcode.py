"""`CloudCodeEmulator`: Cloud Code Assist (`cloudcode-pa.googleapis.com/v1internal`) for Gemini CLI and Antigravity.

Owns: `:loadCodeAssist` (tiers, project, Antigravity credits), `:onboardUser`
as a long-running operation that reports `done` after N polls, the
`{model, project, request}` envelope (Antigravity additionally requires
`userAgent`, `requestType`, `requestId` and `request.sessionId`), the
`{"response": …, "traceId": …}` wrapping of generate/stream answers,
`:countTokens`, `:fetchAvailableModels`, and Cloud Code's 429
RESOURCE_EXHAUSTED (RetryInfo + ErrorInfo) and 503 "No capacity" faults.
The inner request is validated and answered by the Gemini machinery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from aiohttp import web

from .faults import Fault
from .gemini import GeminiEmulator
from .gemini_validate import get
from .google_errors import GoogleError, bad_oauth_token, fault_error, google_response, not_found_page
from .runner import KeySpec, bearer_token
from .signing import GEMINI_SKIP_SENTINEL

GEMINI_CLI_MODELS = ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
                     "gemini-3.1-pro-preview", "gemini-3-flash-preview", "gemini-3.1-flash-lite-preview")
ANTIGRAVITY_MODELS = ("claude-opus-4-6-thinking", "claude-sonnet-4-6", "gemini-3-flash", "gemini-3-pro-high",
                      "gemini-3-pro-low", "gemini-3.1-flash-image", "gemini-3.1-pro-high", "gemini-3.1-pro-low",
                      "gpt-oss-120b-medium", "gemini-3.1-flash-lite")
ENVELOPE = {"gemini-cli": {"model", "project", "request", "user_prompt_id"},
            "antigravity": {"model", "project", "request", "userAgent", "requestType", "requestId",
                            "enabledCreditTypes"}}
Flavor = Literal["gemini-cli", "antigravity"]
DOMAIN = "cloudcode-pa.googleapis.com"


class CloudCodeEmulator(GeminiEmulator):
    """Cloud Code Assist emulator.

    access_token: accepted Bearer token(s) or predicate (e.g. `GoogleOAuthEmulator.is_valid_access_token`).
    project: the user's Code Assist project; None means the account must onboard first.
    flavor: "gemini-cli" or "antigravity" (envelope rules, default models, credits).
    onboard_polls: how many `:onboardUser` calls answer `done: false` before the operation completes.
    """

    extra_request_fields = frozenset({"sessionId", "session_id"})

    def __init__(self, *, access_token: KeySpec = "ya29.cloudcode", project: str | None = "emu-project-123",
                 flavor: Flavor = "gemini-cli", onboard_polls: int = 1, models: Sequence[str] | None = None,
                 **kwargs: Any) -> None:
        self.flavor = flavor
        self.project = project
        self._initial_project = project
        self.onboard_polls = onboard_polls
        self.onboard_calls = 0
        self.default_project = project or "emu-onboarded-project"
        kwargs.setdefault("allow_function_role", True)  # the gemini-cli translator sends role "function"
        default_models = ANTIGRAVITY_MODELS if flavor == "antigravity" else GEMINI_CLI_MODELS
        super().__init__(api_key=None, access_token=access_token,
                         models=default_models if models is None else models, **kwargs)

    def setup(self, app: web.Application) -> None:
        for action, handler in (("loadCodeAssist", self.handle_load), ("onboardUser", self.handle_onboard),
                                ("generateContent", self.handle_generate),
                                ("streamGenerateContent", self.handle_generate),
                                ("countTokens", self.handle_count_tokens),
                                ("fetchAvailableModels", self.handle_models)):
            self.add_route("POST", f"/v1internal:{action}", handler)
        self.add_route("GET", "/v1internal/operations/{op}", self.handle_operation)

    def on_reset(self) -> None:
        self.project = self._initial_project
        self.onboard_calls = 0

    def model_of(self, request: web.Request, body: Any) -> str | None:
        return body.get("model") if isinstance(body, dict) and isinstance(body.get("model"), str) else None

    def authenticate(self, request: web.Request) -> web.StreamResponse | None:
        token = bearer_token(request)
        if self._check_token is None or (token and self._check_token(token)):
            return None
        return bad_oauth_token(DOMAIN, missing=not token).response()

    def error_for_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        error = fault_error(fault, domain=DOMAIN, model=self.record_of(request).model, cloudcode=True)
        return google_response(error.body(), error.code)

    def not_found(self, request: web.Request) -> web.StreamResponse:
        return not_found_page(request)

    # -- setup calls ----------------------------------------------------------------
    def _tiers(self) -> list[dict[str, Any]]:
        return [{"id": "free-tier", "name": "Gemini Code Assist for individuals", "isDefault": True,
                 "userDefinedCloudaicompanionProject": False},
                {"id": "standard-tier", "name": "Gemini Code Assist", "userDefinedCloudaicompanionProject": True}]

    async def handle_load(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = {"allowedTiers": self._tiers(), "gcpManaged": False}
        if self.project is not None:
            body["currentTier"] = self._tiers()[0]
            body["cloudaicompanionProject"] = self.project
        if self.flavor == "antigravity":
            body["paidTier"] = {"id": "g1-pro-tier", "name": "Google AI Pro", "availableCredits": [
                {"creditType": "GOOGLE_ONE_AI", "creditAmount": "1000", "minimumCreditAmountForUsage": "50"}]}
        return google_response(body)

    async def handle_onboard(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        if not isinstance(body, dict) or not body.get("tierId"):
            return GoogleError(400, "Request contains an invalid argument.").response()
        self.onboard_calls += 1
        return google_response(self._operation(body.get("cloudaicompanionProject")))

    async def handle_operation(self, request: web.Request) -> web.StreamResponse:
        return google_response(self._operation(None, poll_only=True))

    def _operation(self, requested: Any, poll_only: bool = False) -> dict[str, Any]:
        name = "operations/onboard-" + self.next_id("", 12) if not poll_only else "operations/onboard"
        if self.onboard_calls <= self.onboard_polls and not poll_only:
            return {"name": name, "done": False}
        project = requested if isinstance(requested, str) and requested else self.default_project
        self.project = project
        return {"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
            "cloudaicompanionProject": {"id": project, "name": project}}}

    async def handle_models(self, request: web.Request) -> web.StreamResponse:
        models = {m: {"displayName": m, "maxTokens": 1048576, "maxOutputTokens": 65535, "supportsImages": True,
                      "supportsThinking": True, "quotaInfo": {"remainingFraction": 1,
                                                              "resetTime": "2026-01-01T00:00:00Z"}}
                  for m in self.models or ()}
        return google_response({"models": models})

    # -- inference --------------------------------------------------------------------
    def _envelope(self, body: Any, *, count: bool = False) -> tuple[str, Mapping[str, Any]]:
        if not isinstance(body, dict):
            raise GoogleError(400, "Invalid JSON payload received. Unexpected token.")
        inner = body.get("request")
        if count:
            if not isinstance(inner, dict):
                raise GoogleError(400, "* CountTokensRequest.request: request is required\n")
            return str(inner.get("model", "")).removeprefix("models/"), inner
        for key in body:
            if key not in ENVELOPE[self.flavor]:
                raise GoogleError(400, f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.')
        model, project = body.get("model"), body.get("project")
        if not isinstance(model, str) or not model:
            raise GoogleError(400, "* GenerateContentRequest.model: unexpected model name format\n")
        if not project:
            raise GoogleError(400, "Invalid project resource name projects/")
        if project != self.project:
            raise GoogleError(403, "Permission 'cloudaicompanion.companions.generateChat' denied on resource "
                                   f"'//cloudaicompanion.googleapis.com/projects/{project}/locations/global' "
                                   "(or it may not exist).")
        if not isinstance(inner, dict):
            raise GoogleError(400, "* GenerateContentRequest.contents: contents is not specified\n")
        if self.flavor == "antigravity":
            needs_session = body.get("requestType") != "image_gen"
            if not all(body.get(k) for k in ("userAgent", "requestType", "requestId")) or (
                    needs_session and not get(inner, "sessionId")):
                raise GoogleError(400, "Request contains an invalid argument.")
        if self.models is not None and model not in self.models:
            raise GoogleError(404, "Requested entity was not found.")
        return model, inner

    def _claude_signatures(self, model: str, inner: Mapping[str, Any]) -> None:
        """Claude behind Antigravity rejects Gemini's sentinel, wrapping Anthropic's 400 in a Google error."""
        if "claude" not in model:
            return
        for i, content in enumerate(get(inner, "contents") or []):
            for j, part in enumerate(content.get("parts") or []):
                sig = get(part, "thoughtSignature")
                if sig == GEMINI_SKIP_SENTINEL or (part.get("thought") and sig is None):
                    raise GoogleError(400, '{"type":"error","error":{"type":"invalid_request_error","message":'
                                           f'"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"}}}}')

    async def handle_generate(self, request: web.Request) -> web.StreamResponse:
        stream = request.path.endswith("streamGenerateContent")
        try:
            model, inner = self._envelope(self.body_of(request))
            self._claude_signatures(model, inner)
            self.validate(inner, model)
        except GoogleError as err:
            return err.response()
        trace = self.next_id("", 16)

        def wrap(chunk: dict[str, Any]) -> dict[str, Any]:
            return {"response": chunk, "traceId": trace}

        return await self.generate(request, inner, model, stream=stream, sse_mode=True, wrap=wrap)

    async def handle_count_tokens(self, request: web.Request) -> web.StreamResponse:
        try:
            _, inner = self._envelope(self.body_of(request), count=True)
            return self._count(inner)
        except GoogleError as err:
            return err.response()
