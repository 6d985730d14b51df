"""Codex / OpenAI Responses with an API key (config ``codex-api-key``), providers.md §8.4.

The Codex backend only streams, so non-stream clients get the stream assembled. Forced fields
(``stream``, ``store:false``, ``instructions``, encrypted reasoning) are applied here because they
are this channel's rules, not translation. 429 ``usage_limit_reached`` carries ``resets_at`` or
``resets_in_seconds``, which becomes an exact cooldown.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import msgspec

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
    honest_user_agent,
    join_url,
)
from cliproxy.providers.claude import catalog_entries

_DROP = ("previous_response_id", "prompt_cache_retention", "safety_identifier", "stream_options",
         "max_output_tokens", "max_completion_tokens", "temperature", "top_p", "truncation", "user",
         "context_management")
_FORWARD = ("version", "x-codex-turn-metadata", "x-client-request-id", "x-codex-beta-features",
            "session_id", "originator")


def codex_retry_after(body: bytes) -> float | None:
    try:
        obj = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    err = obj.get("error") if isinstance(obj, dict) else None
    if not isinstance(err, dict):
        return None
    if isinstance(err.get("resets_in_seconds"), int | float):
        return float(err["resets_in_seconds"])
    if isinstance(err.get("resets_at"), int | float):
        return max(0.0, float(err["resets_at"]) - time.time())
    return None


class CodexProvider:
    key = "codex"
    dialect = Dialect.OPENAI_RESPONSES
    always_stream = True
    count_upstream = False
    protocol = "codex"

    def __init__(self, *, user_agent: str = "") -> None:
        self._ua = honest_user_agent(user_agent)
        self._catalog = catalog_entries(models_catalog.CODEX)

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]:
        return self._catalog

    def patch_body(self, cred: Credential, call: UpstreamCall) -> None:
        body = call.body
        for k in _DROP:
            body.pop(k, None)
        if body.get("service_tier") not in (None, "priority"):
            body.pop("service_tier", None)
        if call.action is Action.COMPACT:
            body.pop("stream", None)
            return
        body["stream"] = True
        body["store"] = False
        if not isinstance(body.get("instructions"), str):
            body["instructions"] = ""
        inc = body.get("include")
        inc = list(inc) if isinstance(inc, list) else []
        if "reasoning.encrypted_content" not in inc:
            inc.append("reasoning.encrypted_content")
        body["include"] = inc
        body.setdefault("parallel_tool_calls", True)
        items = body.get("input")
        if isinstance(items, str):
            body["input"] = [{"type": "message", "role": "user",
                              "content": [{"type": "input_text", "text": items}]}]
        elif isinstance(items, list):
            for it in items:
                if isinstance(it, dict) and it.get("role") == "system":
                    it["role"] = "developer"

    def build(self, cred: Credential, token: str, call: UpstreamCall) -> Outbound:
        path = "/responses/compact" if call.action is Action.COMPACT else "/responses"
        headers = {"Content-Type": "application/json", "User-Agent": self._ua,
                   "Authorization": "Bearer " + token,
                   "Accept": "application/json" if call.action is Action.COMPACT else "text/event-stream"}
        for name in _FORWARD:
            v = call.client_headers.get(name)
            if v:
                headers[name] = v
        account = cred.attrs.get("account_id")
        if account:
            headers["Chatgpt-Account-Id"] = str(account)
        apply_custom_headers(headers, cred)
        return Outbound("POST", join_url(cred.base_url, path), headers, encode_body(call.body))

    def classify(self, status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamError:
        low = body.lower()
        if b"model is at capacity" in low or b"selected model is at capacity" in low:
            status = 429
        retry = codex_retry_after(body) if status == 429 else None
        return classify_status(status, body, headers, retry_after=retry, label="codex")


def plus_models() -> tuple[ModelEntry, ...]:
    return catalog_entries(models_catalog.CODEX + models_catalog.CODEX_PLUS_EXTRA)
