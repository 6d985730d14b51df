"""`GeminiEmulator`: the Gemini API (generativelanguage) and Vertex AI publisher models.

Owns the routes — `/{v1beta,v1}/models/{m}:{generateContent,streamGenerateContent,countTokens}`,
`GET /{v1beta,v1}/models[/{m}]`, and the same actions under Vertex's
`/{v1,v1beta1}/publishers/google/models/{m}:…` (API key) and
`/{v1,v1beta1}/projects/{p}/locations/{l}/publishers/google/models/{m}:…`
(Bearer, plus Imagen `:predict`) —, auth (`x-goog-api-key` or `?key=`,
Bearer for Vertex/OAuth), Google error shapes, and rendering the fake
model's answer as a `GenerateContentResponse`, as `alt=sse` `data:` events
(CRLF framing, no `event:` lines, no `[DONE]`) or as a streamed JSON array.
The model-independent rendering helpers are reused by the Cloud Code
emulator.  Validation lives in `gemini_validate`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from . import fake_model
from .fake_model import Answer, Prompt, ToolSpec
from .faults import Fault, FaultKind
from .gemini_validate import THOUGHT_PURPOSE, get, parse_request, validate_semantics
from .google_errors import (
    GoogleError,
    api_key_invalid,
    bad_oauth_token,
    fault_error,
    google_response,
    not_found_page,
    unregistered_caller,
)
from .runner import EmulatorServer, KeySpec, bearer_token, key_checker
from .signing import Signer
from .sse import EventStream, dumps, google_json_array, google_sse, send_body

DEFAULT_GEMINI_MODELS = (
    "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview", "gemini-3.1-pro-preview",
    "gemini-3-flash-preview", "gemini-3.1-flash-lite-preview", "gemini-3-pro-image-preview",
    "gemini-3.1-flash-image-preview", "imagen-4.0-generate-001", "imagen-3.0-generate-002",
)
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _function_response_text(response: Any) -> str:
    if isinstance(response, Mapping):
        for key in ("output", "result", "content"):
            value = response.get(key)
            if isinstance(value, str):
                return value
    return json.dumps(response)


def _is_image(part: Mapping[str, Any]) -> bool:
    media = get(part, "inlineData") or get(part, "fileData") or {}
    return str(get(media, "mimeType", "")).startswith("image/")


def gemini_prompt(body: Mapping[str, Any]) -> Prompt:
    """Translate a GenerateContentRequest (camel or snake case) into the fake model's prompt."""
    contents = get(body, "contents") or []
    system = get(body, "systemInstruction")
    texts = [get(p, "text") for c in [*([system] if system else []), *contents] for p in c.get("parts") or []]
    last = contents[-1] if contents else {}
    results = [get(p, "functionResponse") for p in last.get("parts") or [] if get(p, "functionResponse")]
    texts += [_function_response_text(r.get("response")) for r in results]
    users = [c for c in contents if c.get("role") in (None, "", "user")
             and any(get(p, "text") is not None for p in c.get("parts") or [])]
    user_parts = users[-1].get("parts") or [] if users else []
    tools = [ToolSpec(d["name"], get(d, "parametersJsonSchema") or d.get("parameters"))
             for t in get(body, "tools") or [] for d in get(t, "functionDeclarations") or []]
    calling = get(get(body, "toolConfig") or {}, "functionCallingConfig") or {}
    mode = str(calling.get("mode", "AUTO")).upper()
    allowed = get(calling, "allowedFunctionNames") or []
    choice = {"NONE": "none", "ANY": allowed[0] if len(allowed) == 1 else "required"}.get(mode)
    config = get(body, "generationConfig") or {}
    schema = get(config, "responseJsonSchema") or config.get("_responseJsonSchema") or get(config, "responseSchema")
    thinking = get(config, "thinkingConfig") or {}
    images = sum(1 for p in user_parts if _is_image(p))
    return Prompt(
        user_text=" ".join(get(p, "text") for p in user_parts if get(p, "text") is not None),
        tool_result=" ".join(_function_response_text(r.get("response")) for r in results) if results else None,
        tools=tools, tool_choice=choice, images=images, max_tokens=get(config, "maxOutputTokens"),
        json_schema=schema if get(config, "responseMimeType") == "application/json" else None,
        json_mode=get(config, "responseMimeType") == "application/json",
        input_words=fake_model.words_in(t for t in texts if isinstance(t, str)),
        thinking=bool(get(thinking, "includeThoughts")))


def usage_metadata(answer: Answer, candidates: int | None = None) -> dict[str, Any]:
    out_words = answer.output_tokens - answer.thinking_tokens if candidates is None else candidates
    usage: dict[str, Any] = {"promptTokenCount": answer.input_tokens, "candidatesTokenCount": out_words,
                             "totalTokenCount": answer.input_tokens + out_words + answer.thinking_tokens,
                             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": answer.input_tokens}]}
    if answer.thinking_tokens:
        usage["thoughtsTokenCount"] = answer.thinking_tokens
    return usage


def response_chunks(answer: Answer, model: str, response_id: str, signer: Signer, nonce: str, *,
                    stream: bool) -> list[dict[str, Any]]:
    """The GenerateContentResponse(s) for an answer: one object, or one per streamed piece."""
    pieces: list[list[dict[str, Any]]] = []
    if answer.thinking:
        pieces.append([{"text": answer.thinking, "thought": True}])
    if answer.is_tool:
        pieces.append([{"functionCall": {"name": answer.tool_name, "args": answer.tool_args or {}},
                        "thoughtSignature": signer.opaque(THOUGHT_PURPOSE, nonce)}])
    else:
        pieces += [[{"text": w}] for w in answer.text_chunks()] if stream else [[{"text": answer.text}]]
    if not stream:
        pieces = [[part for piece in pieces for part in piece]]
    finish = "MAX_TOKENS" if answer.truncated else "STOP"
    chunks, emitted = [], 0
    for n, parts in enumerate(pieces):
        emitted += sum(fake_model.count_words(p.get("text", "")) for p in parts if not p.get("thought"))
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        last = n == len(pieces) - 1
        if last:
            candidate["finishReason"] = finish
        usage = usage_metadata(answer, None if last else emitted)
        chunks.append({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model,
                       "responseId": response_id})
    return chunks


class GeminiEmulator(EmulatorServer):
    """Gemini API + Vertex AI emulator.

    api_key: accepted `x-goog-api-key`/`?key=` value(s) or predicate (None disables key auth).
    access_token: accepted Bearer token(s) (Vertex service-account or OAuth); None disables Bearer auth.
    allow_function_role: also accept the legacy `role: "function"` content role.
    """

    def __init__(self, *, api_key: KeySpec = "gm-test", access_token: KeySpec = "ya29.emulator",
                 models: Sequence[str] | None = DEFAULT_GEMINI_MODELS, allow_function_role: bool = False,
                 **kwargs: Any) -> None:
        self._check_key = key_checker(api_key)
        self._check_token = key_checker(access_token)
        self.models = tuple(models) if models is not None else None
        self.allow_function_role = allow_function_role
        super().__init__(**kwargs)
        self.signer = Signer(self.secret)

    def setup(self, app: web.Application) -> None:
        for version in ("v1beta", "v1"):
            self.add_route("GET", f"/{version}/models", self.handle_list)
            self.add_route("GET", f"/{version}/models/{{model}}", self.handle_get)
            self.add_route("POST", f"/{version}/models/{{tail}}", self.handle_action)
        for version in ("v1", "v1beta1"):
            self.add_route("POST", f"/{version}/publishers/google/models/{{tail}}", self.handle_action)
            self.add_route("POST", f"/{version}/projects/{{project}}/locations/{{location}}/publishers/google/"
                                   "models/{tail}", self.handle_action)

    def model_of(self, request: web.Request, body: Any) -> str | None:
        tail = request.match_info.get("tail") or request.match_info.get("model")
        return tail.rsplit(":", 1)[0].removeprefix("models/") if tail else None

    @staticmethod
    def _vertex(request: web.Request) -> bool:
        return "/publishers/google/" in request.path

    def authenticate(self, request: web.Request) -> web.StreamResponse | None:
        as_array = "streamGenerateContent" in request.path and request.query.get("alt") != "sse"
        token = bearer_token(request)
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if "/projects/" in request.path or (token and not key):
            if self._check_token is None or (token and self._check_token(token)):
                return None
            service = "aiplatform.googleapis.com" if self._vertex(request) else "generativelanguage.googleapis.com"
            return bad_oauth_token(service, missing=not token).response(as_array=as_array)
        if self._check_key is None:
            return None
        if not key:
            return unregistered_caller().response(as_array=as_array)
        return None if self._check_key(key) else api_key_invalid().response(as_array=as_array)

    def error_for_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        domain = "aiplatform.googleapis.com" if self._vertex(request) else "generativelanguage.googleapis.com"
        as_array = "streamGenerateContent" in request.path and request.query.get("alt") != "sse"
        uses_key = "/projects/" not in request.path and not bearer_token(request)
        error = (api_key_invalid() if fault.kind is FaultKind.UNAUTHORIZED and uses_key
                 else fault_error(fault, domain=domain, model=self.record_of(request).model))
        headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after and fault.status == 503 else None
        return google_response(error.body(), error.code, as_array=as_array, headers=headers)

    def not_found(self, request: web.Request) -> web.StreamResponse:
        return not_found_page(request)

    def _model_missing(self, request: web.Request, model: str, action: str) -> GoogleError:
        if self._vertex(request):
            project = request.match_info.get("project", "unknown")
            location = request.match_info.get("location", "global")
            return GoogleError(404, f"Publisher Model `projects/{project}/locations/{location}/publishers/google/"
                                    f"models/{model}` was not found or your project does not have access to it. "
                                    "Please ensure you are using a valid model version. For more information, see: "
                                    "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions")
        version = request.path.split("/")[1]
        return GoogleError(404, f"models/{model} is not found for API version {version}, or is not supported for "
                                f"{action}. Call ListModels to see the list of available models and their "
                                "supported methods.")

    # -- handlers ---------------------------------------------------------------
    async def handle_list(self, request: web.Request) -> web.StreamResponse:
        return google_response({"models": [self._model_info(m) for m in self.models or ("gemini-2.5-flash",)]})

    async def handle_get(self, request: web.Request) -> web.StreamResponse:
        model = request.match_info["model"]
        if self.models is not None and model not in self.models:
            return self._model_missing(request, model, "getModel").response()
        return google_response(self._model_info(model))

    @staticmethod
    def _model_info(model: str) -> dict[str, Any]:
        return {"name": f"models/{model}", "version": "001", "displayName": model, "description": model,
                "inputTokenLimit": 1048576, "outputTokenLimit": 65536, "thinking": True,
                "supportedGenerationMethods": ["generateContent", "countTokens", "streamGenerateContent"],
                "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2}

    async def handle_action(self, request: web.Request) -> web.StreamResponse:
        model, _, action = request.match_info["tail"].partition(":")
        model = model.removeprefix("models/")
        as_array = action == "streamGenerateContent" and request.query.get("alt") != "sse"
        if action not in ("generateContent", "streamGenerateContent", "countTokens", "predict"):
            return not_found_page(request)
        try:
            if self.models is not None and model not in self.models:
                raise self._model_missing(request, model, action)
            body = self.body_of(request)
            if not isinstance(body, dict):
                raise GoogleError(400, "Invalid JSON payload received. Unexpected token.")
            if action == "predict":
                return google_response({"predictions": [{"bytesBase64Encoded": PNG_1PX, "mimeType": "image/png"}]})
            if action == "countTokens":
                return self._count(body)
            self.validate(body, model)
        except GoogleError as err:
            return err.response(as_array=as_array)
        return await self.generate(request, body, model, stream=action == "streamGenerateContent",
                                   sse_mode=not as_array)

    extra_request_fields: frozenset[str] = frozenset()

    def validate(self, body: Mapping[str, Any], model: str) -> None:
        parse_request(body, self.extra_request_fields)
        validate_semantics(body, model=model, signer=self.signer, allow_function_role=self.allow_function_role)

    def _count(self, body: Mapping[str, Any]) -> web.StreamResponse:
        inner = get(body, "generateContentRequest") or body
        if get(inner, "contents") is not None:
            validate_semantics(inner, model="count", signer=self.signer, allow_function_role=True)
        words = gemini_prompt(inner).input_words
        return google_response({"totalTokens": words,
                                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": words}]})

    async def generate(self, request: web.Request, body: Mapping[str, Any], model: str, *, stream: bool,
                       sse_mode: bool, wrap: Any = None) -> web.StreamResponse:
        """Answer a validated request; `wrap` re-envelopes each response (Cloud Code's `{response,traceId}`)."""
        fault = self.fault_of(request)
        answer = fake_model.answer(gemini_prompt(body), fault)
        response_id = self.next_id("", 22)
        chunks = response_chunks(answer, model, response_id, self.signer, self.next_id("sig"), stream=stream)
        if self._vertex(request):
            for chunk in chunks:
                chunk["createTime"] = "2026-01-01T00:00:00.000000Z"
                chunk["usageMetadata"]["trafficType"] = "ON_DEMAND"
        wrapped = [wrap(c) if wrap else c for c in chunks]
        error_body = {"error": {"code": 503, "message": (fault.message if fault else None)
                                or "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}
        if not stream:
            text = json.dumps(wrapped[0], indent=2, ensure_ascii=False).encode() + b"\n"
            return await send_body(request, text, fault=fault, sleep=self.sleep)
        if sse_mode:
            events = [google_sse(c) for c in wrapped]
            return await EventStream(request, fault, self.sleep, chunk_delay=self.chunk_delay).run(
                events, google_sse(error_body))
        events = google_json_array([dumps(c) for c in wrapped])
        return await EventStream(request, fault, self.sleep, content_type="application/json",
                                 chunk_delay=self.chunk_delay).run(events, b",\r\n" + dumps(error_body) + b"]")
