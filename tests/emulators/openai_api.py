"""`OpenAIEmulator`: api.openai.com and any OpenAI-compatible upstream.

Owns the route table (`{base}/chat/completions`, `{base}/responses`,
`{base}/responses/compact`, `{base}/models`, `{base}/models/{id}` for each
configured base path, so `openai-compatibility` entries with
`base-url: http://host/v1` or `http://host/custom/v1` both work), Bearer-key
checking with the platform's 401 bodies, fault rendering and the platform's
404 for unknown URLs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .faults import Fault
from .openai_chat import ChatCompletionsMixin
from .openai_common import (
    DEFAULT_OPENAI_MODELS,
    bad_key_response,
    model_object,
    models_list,
    openai_error,
    openai_fault,
)
from .responses import ResponsesMixin
from .runner import KeySpec, bearer_token, key_checker
from .signing import Signer

MODELS_CREATED = 1735689600


class OpenAIEmulator(ChatCompletionsMixin, ResponsesMixin):
    """OpenAI platform emulator (Chat Completions + Responses + Models).

    api_key: accepted Bearer key(s) or a predicate; None disables auth.
    base_path: one or several API prefixes ("/v1", "/custom/v1").
    models: accepted model ids; None accepts any model.
    reasoning_content: emit `reasoning_content` like DeepSeek/Kimi-style compatible upstreams.
    """

    def __init__(self, *, api_key: KeySpec = "sk-test", base_path: str | Sequence[str] = "/v1",
                 models: Sequence[str] | None = DEFAULT_OPENAI_MODELS, reasoning_content: bool = False,
                 **kwargs: Any) -> None:
        self._check_key = key_checker(api_key)
        self.base_paths = (base_path,) if isinstance(base_path, str) else tuple(base_path)
        self.models = tuple(models) if models is not None else None
        self.reasoning_content = reasoning_content
        self.stored: dict[str, list[dict[str, Any]]] = {}
        super().__init__(**kwargs)
        self.signer = Signer(self.secret)

    def setup(self, app: web.Application) -> None:
        for base in self.base_paths:
            base = "/" + base.strip("/") if base.strip("/") else ""
            self.add_route("POST", f"{base}/chat/completions", self.handle_chat)
            self.add_route("POST", f"{base}/responses", self.handle_responses)
            self.add_route("POST", f"{base}/responses/compact", self.handle_compact)
            self.add_route("GET", f"{base}/models", self.handle_models)
            self.add_route("GET", f"{base}/models/{{model}}", self.handle_model)

    def on_reset(self) -> None:
        self.stored.clear()

    def base_url(self, base_path: str | None = None) -> str:
        """Full base URL for SDKs/config, e.g. `http://127.0.0.1:P/v1`."""
        return self.url + "/" + (base_path or self.base_paths[0]).strip("/")

    def authenticate(self, request: web.Request) -> web.StreamResponse | None:
        if self._check_key is None:
            return None
        token = bearer_token(request)
        return None if token and self._check_key(token) else bad_key_response(token)

    def error_for_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        return openai_fault(fault, self.record_of(request).model)

    def not_found(self, request: web.Request) -> web.StreamResponse:
        return openai_error(404, f"Invalid URL ({request.method} {request.path})")

    async def handle_models(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(models_list(self.models or ("gpt-4o",), MODELS_CREATED))

    async def handle_model(self, request: web.Request) -> web.StreamResponse:
        model = request.match_info["model"]
        if self.models is not None and model not in self.models:
            return openai_error(404, f"The model '{model}' does not exist", param="model",
                                code="model_not_found")
        return web.json_response(model_object(model, MODELS_CREATED))
