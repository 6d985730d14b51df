"""`AnthropicEmulator`: api.anthropic.com Messages API.

Owns routes (`POST /v1/messages` incl. `?beta=true`, `/v1/messages/count_tokens`,
`GET /v1/models`, `/v1/models/{id}`), auth (`x-api-key` and/or
`Authorization: Bearer`, configurable) and the required `anthropic-version`
header, the `{"type":"error","error":{…},"request_id":…}` error shape and
fault mapping (429 `rate_limit_error` + `retry-after`, 529
`overloaded_error`, …), and rendering the fake model's answer as a Message or
as the exact SSE sequence with `event:` lines (message_start with usage,
content_block_start, ping, text/input_json/thinking/signature deltas,
content_block_stop, message_delta with stop_reason and usage, message_stop).
Validation rules live in `anthropic_validate`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from aiohttp import web

from . import fake_model
from .anthropic_validate import AnthropicError, blocks, validate_messages
from .fake_model import Answer, Prompt, ToolSpec
from .faults import Fault, FaultKind
from .runner import EmulatorServer, KeySpec, bearer_token, key_checker
from .signing import Signer
from .sse import EventStream, dumps, send_body, sse

DEFAULT_CLAUDE_MODELS = (
    "claude-haiku-4-5-20251001", "claude-haiku-4-5", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5",
    "claude-sonnet-4-6", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8", "claude-opus-4-5-20251101",
    "claude-opus-4-1-20250805", "claude-opus-4-20250514", "claude-sonnet-4-20250514",
    "claude-3-7-sonnet-20250219", "claude-3-5-haiku-20241022",
)
AuthMode = Literal["either", "x-api-key", "bearer"]


def _texts(content: Any) -> list[str]:
    out: list[str] = []
    for block in blocks(content):
        if isinstance(block.get("text"), str):
            out.append(block["text"])
        elif block.get("type") == "tool_result":
            out += _texts(block.get("content"))
    return out


def anthropic_prompt(body: dict[str, Any]) -> Prompt:
    messages = [m for m in body["messages"] if m["role"] != "system"]
    system = body.get("system")
    texts = _texts(system) if system is not None else []
    texts += [t for m in body["messages"] for t in _texts(m["content"])]
    users = [m for m in messages if m["role"] == "user"]
    last_blocks = blocks(messages[-1]["content"]) if messages else []
    results = [b for b in last_blocks if b.get("type") == "tool_result"]
    user_blocks = blocks(users[-1]["content"]) if users else []
    tools = [ToolSpec(t["name"], t.get("input_schema")) for t in body.get("tools") or []
             if isinstance(t, dict) and t.get("type") in (None, "custom") and isinstance(t.get("name"), str)]
    choice = body.get("tool_choice") or {}
    choice_name = {"any": "required", "none": "none", "tool": choice.get("name")}.get(str(choice.get("type")))
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
    return Prompt(
        user_text=" ".join(b["text"] for b in user_blocks if b.get("type") == "text" and "text" in b),
        tool_result=" ".join(_texts(results[-1].get("content"))) if results and messages[-1]["role"] == "user"
        else None,
        tools=tools, tool_choice=choice_name, images=sum(1 for b in user_blocks if b.get("type") == "image"),
        max_tokens=body.get("max_tokens"),
        json_schema=fmt.get("schema") if fmt.get("type") == "json_schema" else None,
        json_mode=fmt.get("type") == "json_schema", input_words=fake_model.words_in(texts),
        thinking=(body.get("thinking") or {}).get("type") in ("enabled", "adaptive"))


class AnthropicEmulator(EmulatorServer):
    """Anthropic Messages emulator.

    api_key: accepted key(s)/OAuth token(s) or predicate; None disables auth.
    auth_mode: "either" (x-api-key or Bearer), "x-api-key" only, or "bearer" only.
    strict_alternation: enforce user/assistant alternation (the API's historic rule).
    """

    def __init__(self, *, api_key: KeySpec = "sk-ant-test", auth_mode: AuthMode = "either",
                 models: Sequence[str] | None = DEFAULT_CLAUDE_MODELS, strict_alternation: bool = True,
                 **kwargs: Any) -> None:
        self._check_key = key_checker(api_key)
        self.auth_mode = auth_mode
        self.models = tuple(models) if models is not None else None
        self.strict_alternation = strict_alternation
        super().__init__(**kwargs)
        self.signer = Signer(self.secret)

    def setup(self, app: web.Application) -> None:
        self.add_route("POST", "/v1/messages", self.handle_messages)
        self.add_route("POST", "/v1/messages/count_tokens", self.handle_count)
        self.add_route("GET", "/v1/models", self.handle_models)
        self.add_route("GET", "/v1/models/{model}", self.handle_model)

    # -- errors -----------------------------------------------------------------
    def error(self, status: int, type: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
        request_id = self.next_id("req_011C", 20)
        body = {"type": "error", "error": {"type": type, "message": message}, "request_id": request_id}
        return web.json_response(body, status=status, headers={"request-id": request_id, **(headers or {})})

    def authenticate(self, request: web.Request) -> web.StreamResponse | None:
        if self._check_key is not None:
            api_key = request.headers.get("x-api-key") if self.auth_mode != "bearer" else None
            token = bearer_token(request) if self.auth_mode != "x-api-key" else None
            credential = api_key or token
            if not credential:
                header = "Authorization" if self.auth_mode == "bearer" else "x-api-key"
                return self.error(401, "authentication_error", f"{header} header is required")
            if not self._check_key(credential):
                message = "invalid x-api-key" if api_key else (
                    "OAuth token has expired. Please obtain a new token or refresh your existing token."
                    if credential.startswith("sk-ant-oat") else "Invalid bearer token")
                return self.error(401, "authentication_error", message)
        if "anthropic-version" not in request.headers:
            return self.error(400, "invalid_request_error", "anthropic-version: header is required")
        return None

    def error_for_fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        wait = fault.retry_after or 1.0
        retry = {"retry-after": str(max(1, math.ceil(wait)))}
        match fault.kind:
            case FaultKind.RATE_LIMIT:
                return self.error(429, "rate_limit_error", fault.message or (
                    "This request would exceed the rate limit for your organization of 50 requests per minute. "
                    "For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response "
                    "headers for current usage. Please reduce the prompt length or the maximum tokens requested, "
                    "or try again later."), {**retry, "anthropic-ratelimit-requests-limit": "50",
                                             "anthropic-ratelimit-requests-remaining": "0"})
            case FaultKind.QUOTA_EXHAUSTED:
                reset = str(int(self.clock() + wait))
                return self.error(429, "rate_limit_error", fault.message or "This request would exceed your "
                                  "account's rate limit. Please try again later.",
                                  {**retry, "anthropic-ratelimit-unified-status": "rejected",
                                   "anthropic-ratelimit-unified-reset": reset})
            case FaultKind.UNAUTHORIZED:
                return self.error(401, "authentication_error", fault.message or "invalid x-api-key")
            case FaultKind.FORBIDDEN:
                return self.error(403, "permission_error", fault.message or "Your API key does not have "
                                  "permission to use the specified resource.")
            case FaultKind.OVERLOADED:
                return self.error(529, "overloaded_error", fault.message or "Overloaded")
            case FaultKind.UNAVAILABLE:
                return self.error(503, "api_error", fault.message or "Service Unavailable")
        return self.error(fault.status or 500, "api_error", fault.message or "Internal server error")

    def not_found(self, request: web.Request) -> web.StreamResponse:
        return self.error(404, "not_found_error", "Not Found")

    # -- handlers ---------------------------------------------------------------
    def _validated(self, request: web.Request, count_only: bool) -> dict[str, Any]:
        return validate_messages(self.body_of(request), models=self.models, signer=self.signer,
                                 betas=request.headers.get("anthropic-beta", ""),
                                 strict_alternation=self.strict_alternation, count_only=count_only)

    async def handle_count(self, request: web.Request) -> web.StreamResponse:
        try:
            body = self._validated(request, count_only=True)
        except AnthropicError as err:
            return self.error(err.status, err.type, err.message)
        return web.json_response({"input_tokens": anthropic_prompt(body).input_words})

    async def handle_messages(self, request: web.Request) -> web.StreamResponse:
        try:
            body = self._validated(request, count_only=False)
        except AnthropicError as err:
            return self.error(err.status, err.type, err.message)
        fault = self.fault_of(request)
        answer = fake_model.answer(anthropic_prompt(body), fault)
        message = self._message(body, answer)
        if not body.get("stream"):
            return await send_body(request, dumps(message), fault=fault, sleep=self.sleep,
                                   headers={"request-id": self.next_id("req_011C", 20)})
        error = sse({"type": "error", "error": {"type": "overloaded_error", "message": (fault.message if fault
                                                                                       else None) or "Overloaded"}},
                    event="error")
        stream = EventStream(request, fault, self.sleep, chunk_delay=self.chunk_delay,
                             headers={"request-id": self.next_id("req_011C", 20)})
        return await stream.run(self._events(message, answer), error)

    async def handle_models(self, request: web.Request) -> web.StreamResponse:
        data = [self._model_info(m) for m in self.models or ("claude-sonnet-4-5",)]
        return web.json_response({"data": data, "has_more": False, "first_id": data[0]["id"],
                                  "last_id": data[-1]["id"]})

    async def handle_model(self, request: web.Request) -> web.StreamResponse:
        model = request.match_info["model"]
        if self.models is not None and model not in self.models:
            return self.error(404, "not_found_error", f"model: {model}")
        return web.json_response(self._model_info(model))

    @staticmethod
    def _model_info(model: str) -> dict[str, Any]:
        return {"type": "model", "id": model, "display_name": model.replace("-", " ").title(),
                "created_at": "2025-02-19T00:00:00Z"}

    # -- rendering --------------------------------------------------------------
    def _message(self, body: dict[str, Any], answer: Answer) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if answer.thinking:
            content.append({"type": "thinking", "thinking": answer.thinking,
                            "signature": self.signer.thinking_signature(answer.thinking)})
        if answer.is_tool:
            content.append({"type": "tool_use", "id": self.next_id("toolu_01", 22), "name": answer.tool_name,
                            "input": answer.tool_args or {}})
        else:
            content.append({"type": "text", "text": answer.text})
        stop = "tool_use" if answer.is_tool else "max_tokens" if answer.truncated else "end_turn"
        return {"id": self.next_id("msg_01", 22), "type": "message", "role": "assistant", "model": body["model"],
                "content": content, "stop_reason": stop, "stop_sequence": None,
                "usage": {"input_tokens": answer.input_tokens, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 0,
                          "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                          "output_tokens": answer.output_tokens, "service_tier": "standard"}}

    @staticmethod
    def _events(message: dict[str, Any], answer: Answer) -> list[bytes]:
        usage = message["usage"]
        start = dict(message, content=[], stop_reason=None, stop_sequence=None, usage=dict(usage, output_tokens=1))
        events = [sse({"type": "message_start", "message": start}, "message_start")]
        for index, block in enumerate(message["content"]):
            kind = block["type"]
            empty = {"thinking": {"type": "thinking", "thinking": "", "signature": ""},
                     "text": {"type": "text", "text": ""}}.get(kind, dict(block, input={}))
            events.append(sse({"type": "content_block_start", "index": index, "content_block": empty},
                              "content_block_start"))
            if index == 0:
                events.append(sse({"type": "ping"}, "ping"))
            if kind == "thinking":
                deltas = [{"type": "thinking_delta", "thinking": w} for w in fake_model.split_words(block["thinking"])]
                deltas.append({"type": "signature_delta", "signature": block["signature"]})
            elif kind == "text":
                deltas = [{"type": "text_delta", "text": w} for w in answer.text_chunks()]
            else:
                deltas = [{"type": "input_json_delta", "partial_json": f} for f in ["", *answer.args_chunks()]]
            events += [sse({"type": "content_block_delta", "index": index, "delta": d}, "content_block_delta")
                       for d in deltas]
            events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
        final_usage = {k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens",
                                             "cache_read_input_tokens", "output_tokens")}
        events.append(sse({"type": "message_delta", "delta": {"stop_reason": message["stop_reason"],
                                                              "stop_sequence": None}, "usage": final_usage},
                          "message_delta"))
        events.append(sse({"type": "message_stop"}, "message_stop"))
        return events
