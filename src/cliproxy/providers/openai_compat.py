"""Any OpenAI-compatible service (config ``openai-compatibility``), providers.md §18.

``{base-url}/chat/completions`` with a Bearer key; streams force ``stream_options.include_usage``
so usage is always known. Count tokens is local (no upstream endpoint).
"""

from __future__ import annotations

from collections.abc import Mapping

from cliproxy.dialects.ids import Action, Dialect
from cliproxy.errors import UpstreamError
from cliproxy.providers.base import (
    Credential,
    ModelEntry,
    Outbound,
    UpstreamCall,
    apply_custom_headers,
    classify_status,
    encode_body,
    honest_user_agent,
    join_url,
)


class OpenAICompatProvider:
    dialect = Dialect.OPENAI_CHAT
    always_stream = False
    count_upstream = False
    protocol = "openai"

    def __init__(self, key: str, *, user_agent: str = "") -> None:
        self.key = key
        self._ua = honest_user_agent(user_agent)

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]:
        return ()  # an openai-compatibility entry exposes exactly its configured models

    def patch_body(self, cred: Credential, call: UpstreamCall) -> None:
        if call.stream and call.action is Action.GENERATE:
            opts = call.body.get("stream_options")
            if not isinstance(opts, dict) or opts.get("include_usage") is not True:
                call.body["stream_options"] = {**(opts if isinstance(opts, dict) else {}), "include_usage": True}

    def build(self, cred: Credential, token: str, call: UpstreamCall) -> Outbound:
        path = "/responses/compact" if call.action is Action.COMPACT else "/chat/completions"
        headers = {"Content-Type": "application/json", "User-Agent": self._ua}
        if token:
            headers["Authorization"] = "Bearer " + token
        if call.stream:
            headers["Accept"] = "text/event-stream"
            headers["Cache-Control"] = "no-cache"
        apply_custom_headers(headers, cred)
        return Outbound("POST", join_url(cred.base_url, path), headers, encode_body(call.body))

    def classify(self, status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamError:
        return classify_status(status, body, headers, label=self.key)
