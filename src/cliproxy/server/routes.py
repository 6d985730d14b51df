"""The route table (upstream-server.md §1.1) and the small non-inference endpoints."""

from __future__ import annotations

import ipaddress

import msgspec
from aiohttp import web

from cliproxy.app import AppState
from cliproxy.dialects.ids import Dialect
from cliproxy.errors import NotFound, ProxyError
from cliproxy.server import models as listing
from cliproxy.server.handlers import InferenceHandlers
from cliproxy.server.responses_ws import ResponsesWebsocket
from cliproxy.server.writer import error_response, json_response

_ROOT = msgspec.json.encode({
    "message": "CLI Proxy API Server",
    "endpoints": ["POST /v1/chat/completions", "POST /v1/completions", "POST /v1/messages",
                  "POST /v1/responses", "GET /v1/models", "POST /v1beta/models/{model}:generateContent"],
})
_OK = msgspec.json.encode({"status": "ok"})
_CORS_PREFLIGHT = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "*",
}


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


class MiscHandlers:
    def __init__(self, state: AppState, inference: InferenceHandlers) -> None:
        self.state = state
        self.inference = inference

    async def healthz(self, request: web.Request) -> web.Response:
        return json_response(_OK) if request.method == "GET" else web.Response(status=200)

    async def root(self, request: web.Request) -> web.Response:
        return json_response(_ROOT)

    async def fallback(self, request: web.Request) -> web.Response:
        """CORS preflight for any path; 404 (like upstream) for anything else unknown."""
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=_CORS_PREFLIGHT)
        return web.Response(status=404, text="404 page not found", headers={"Access-Control-Allow-Origin": "*"})

    async def swallow(self, request: web.Request) -> web.Response:
        await request.read()
        return json_response(_OK)

    def _authed(self, request: web.Request, dialect: Dialect) -> web.Response | None:
        try:
            self.inference.auth(self.state.runtime, request)
        except ProxyError as err:
            return error_response(dialect, err)
        return None

    async def models(self, request: web.Request) -> web.Response:
        dialect = listing.listing_dialect(request.headers)
        denied = self._authed(request, dialect)
        if denied:
            return denied
        reg = self.state.runtime.registry
        if dialect is Dialect.ANTHROPIC:
            return json_response(listing.anthropic_list(reg))
        if dialect is Dialect.GEMINI:
            return json_response(listing.gemini_list(reg))
        return json_response(listing.openai_list(reg))

    async def gemini_models(self, request: web.Request) -> web.Response:
        denied = self._authed(request, Dialect.GEMINI)
        return denied or json_response(listing.gemini_list(self.state.runtime.registry))

    async def gemini_model(self, request: web.Request) -> web.Response:
        denied = self._authed(request, Dialect.GEMINI)
        if denied:
            return denied
        body = listing.gemini_one(self.state.runtime.registry, request.match_info["tail"])
        if body is None:
            return error_response(Dialect.GEMINI, NotFound(f"model {request.match_info['tail']} not found"))
        return json_response(body)

    async def v1_model(self, request: web.Request) -> web.Response:
        """``GET /v1/models/{id}``: OpenAI retrieve, or Gemini's with google-genai's v1 default."""
        dialect = listing.listing_dialect(request.headers)
        denied = self._authed(request, dialect)
        if denied:
            return denied
        reg = self.state.runtime.registry
        mid = request.match_info["tail"].removeprefix("models/")
        if dialect is Dialect.GEMINI:
            body = listing.gemini_one(reg, mid)
        else:
            body = None
            for lid, _e, owner in reg.listing():
                if lid == mid:
                    body = msgspec.json.encode({"id": lid, "object": "model", "created": 0,
                                                "owned_by": owner.partition(":")[2] or owner})
        if body is None:
            return error_response(dialect, NotFound(f"The model '{mid}' does not exist"))
        return json_response(body)

    async def v1_models_post(self, request: web.Request) -> web.StreamResponse:
        return await self.inference.gemini_post(request)

    async def v1internal(self, request: web.Request) -> web.StreamResponse:
        """Gemini CLI's internal protocol, opt-in and loopback-only as upstream has it.

        ``:generateContent`` / ``:streamGenerateContent`` / ``:countTokens`` are served by the
        proxy: the ``{model, project, request}`` envelope is unwrapped, routed like any Gemini
        request, and each answer is wrapped back as ``{"response": …}``. Unlike upstream, the
        client key is still required when ``api-keys`` is set (upstream skips it here).
        """
        cfg = self.state.runtime.config
        host = (request.host or "").rsplit(":", 1)[0].strip("[]")
        if not cfg.enable_gemini_cli_endpoint or not is_loopback(request.remote) \
                or host not in ("127.0.0.1", "localhost", "::1"):
            return json_response(msgspec.json.encode(
                {"error": {"message": "Gemini CLI endpoint is disabled", "type": "forbidden"}}), 403)
        method = request.match_info["method"]
        if method not in ("generateContent", "streamGenerateContent", "countTokens"):
            return error_response(Dialect.GEMINI, NotFound(
                f"v1internal:{method} needs a Gemini CLI account; this proxy serves generateContent, "
                "streamGenerateContent and countTokens"))
        return await self.inference.gemini_internal(request, method)


def build_routes(app: web.Application, state: AppState) -> None:
    inf = InferenceHandlers(state)
    misc = MiscHandlers(state, inf)
    ws = ResponsesWebsocket(state, inf)
    r = app.router
    r.add_route("GET", "/healthz", misc.healthz)
    r.add_route("HEAD", "/healthz", misc.healthz)
    r.add_get("/", misc.root, allow_head=False)
    r.add_get("/v1/models", misc.models, allow_head=False)
    r.add_get("/models", misc.models, allow_head=False)
    r.add_post("/v1/chat/completions", inf.chat)
    r.add_post("/chat/completions", inf.chat)
    r.add_post("/v1/completions", inf.completions)
    r.add_post("/v1/messages", inf.messages)
    r.add_post("/v1/messages/count_tokens", inf.count_tokens)
    for base in ("/v1/responses", "/backend-api/codex/responses"):
        r.add_post(base, inf.responses)
        r.add_get(base, ws.handle, allow_head=False)
        r.add_post(base + "/compact", inf.compact)
    r.add_get("/v1beta/models", misc.gemini_models, allow_head=False)
    r.add_get("/v1beta/models/{tail:.+}", misc.gemini_model, allow_head=False)
    r.add_post("/v1beta/models/{tail:.+}", inf.gemini_post)
    r.add_get("/v1/models/{tail:.+}", misc.v1_model, allow_head=False)
    r.add_post("/v1/models/{tail:.+}", misc.v1_models_post)
    r.add_post("/v1internal:{method}", misc.v1internal)
    r.add_post("/api/event_logging/batch", misc.swallow)
    r.add_route("*", "/{tail:.*}", misc.fallback)
