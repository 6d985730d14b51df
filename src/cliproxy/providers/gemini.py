"""Gemini API keys (``gemini-api-key``) and Vertex-compatible keys (``vertex-api-key``).

providers.md §3–§4: ``{base}/v1beta/models/{m}:{generateContent|streamGenerateContent?alt=sse|countTokens}``
with ``x-goog-api-key``; Vertex keys use ``{base}/v1/publishers/google/models/{m}:…``. 429 bodies
carry google.rpc retry hints, parsed into an exact cooldown.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from cliproxy.dialects.ids import Action, Dialect
from cliproxy.errors import UpstreamError
from cliproxy.providers import models_catalog
from cliproxy.providers.base import (
    Credential,
    ModelEntry,
    Outbound,
    UpstreamCall,
    apply_custom_headers,
    classify_status,
    encode_body,
    google_retry_delay,
    honest_user_agent,
)
from cliproxy.providers.claude import catalog_entries

GEMINI_BASE = "https://generativelanguage.googleapis.com"
VERTEX_BASE = "https://aiplatform.googleapis.com"


def _method(call: UpstreamCall) -> str:
    if call.action is Action.COUNT_TOKENS:
        return ":countTokens"
    return ":streamGenerateContent?alt=sse" if call.stream else ":generateContent"


class GeminiProvider:
    key = "gemini"
    dialect = Dialect.GEMINI
    always_stream = False
    count_upstream = True
    protocol = "gemini"
    _path_prefix = "/v1beta/models/"
    _default_base = GEMINI_BASE

    def __init__(self, *, user_agent: str = "") -> None:
        self._ua = honest_user_agent(user_agent)
        self._catalog = catalog_entries(models_catalog.GEMINI)

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]:
        return self._catalog

    def patch_body(self, cred: Credential, call: UpstreamCall) -> None:
        body = call.body
        body.pop("session_id", None)
        body.pop("model", None)
        if call.action is Action.COUNT_TOKENS:
            for k in ("tools", "generationConfig", "generation_config", "safetySettings",
                      "safety_settings", "toolConfig", "tool_config", "systemInstruction",
                      "system_instruction", "cachedContent"):
                body.pop(k, None)

    def build(self, cred: Credential, token: str, call: UpstreamCall) -> Outbound:
        base = (cred.base_url or self._default_base).rstrip("/")
        url = f"{base}{self._path_prefix}{quote(call.model, safe='.-_')}{_method(call)}"
        headers = {"Content-Type": "application/json", "User-Agent": self._ua}
        if cred.kind == "api-key":
            headers["x-goog-api-key"] = token
        else:
            headers["Authorization"] = "Bearer " + token
        apply_custom_headers(headers, cred)
        return Outbound("POST", url, headers, encode_body(call.body))

    def classify(self, status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamError:
        retry = google_retry_delay(body) if status == 429 else None
        return classify_status(status, body, headers, retry_after=retry, label=self.key)


class VertexKeyProvider(GeminiProvider):
    key = "vertex"
    _path_prefix = "/v1/publishers/google/models/"
    _default_base = VERTEX_BASE

    def __init__(self, *, user_agent: str = "") -> None:
        super().__init__(user_agent=user_agent)
        self._catalog = catalog_entries(models_catalog.GEMINI + models_catalog.VERTEX_EXTRA)

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]:
        return ()  # vertex-api-key entries expose their configured models only
