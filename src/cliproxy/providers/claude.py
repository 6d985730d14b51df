"""Anthropic Messages with an API key (config ``claude-api-key``), providers.md §7.2–7.3.

Honest by design: no cloaking, no Claude Code system prompt, no fake ``metadata.user_id``, no
billing header. The client's own ``anthropic-beta`` and ``anthropic-version`` are forwarded.
"""

from __future__ import annotations

from collections.abc import Mapping

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

DEFAULT_BASE = "https://api.anthropic.com"
_FORWARD = ("anthropic-beta", "anthropic-version")


def catalog_entries(entries: tuple[models_catalog.Entry, ...]) -> tuple[ModelEntry, ...]:
    return tuple(ModelEntry(id=e[0], upstream=(e[0],), display_name=e[1], context_length=e[2],
                            max_output_tokens=e[3], thinking=e[4]) for e in entries)


class ClaudeProvider:
    key = "claude"
    dialect = Dialect.ANTHROPIC
    always_stream = False
    count_upstream = True
    protocol = "claude"

    def __init__(self, *, user_agent: str = "") -> None:
        self._ua = honest_user_agent(user_agent)
        self._catalog = catalog_entries(models_catalog.CLAUDE)

    def default_models(self, cred: Credential) -> tuple[ModelEntry, ...]:
        return self._catalog

    def patch_body(self, cred: Credential, call: UpstreamCall) -> None:
        body = call.body
        if call.action is Action.COUNT_TOKENS:
            body.pop("max_tokens", None)
            body.pop("stream", None)
            return
        if "max_tokens" not in body:  # Anthropic requires it; use the model's output limit
            entry = models_catalog.lookup(call.model)
            body["max_tokens"] = entry[3] if entry and entry[3] else 8192
        body.pop("betas", None)

    def build(self, cred: Credential, token: str, call: UpstreamCall) -> Outbound:
        base = cred.base_url or DEFAULT_BASE
        path = "/v1/messages/count_tokens?beta=true" if call.action is Action.COUNT_TOKENS else "/v1/messages?beta=true"
        headers = {"Content-Type": "application/json", "User-Agent": self._ua}
        ch = call.client_headers
        for name in _FORWARD:
            v = ch.get(name)
            if v:
                headers[name] = v
        headers.setdefault("anthropic-version", "2023-06-01")
        betas = call.body.get("betas") if isinstance(call.body.get("betas"), list) else None
        if betas:
            merged = [b for b in headers.get("anthropic-beta", "").split(",") if b.strip()]
            merged += [b for b in betas if isinstance(b, str) and b not in merged]
            headers["anthropic-beta"] = ",".join(merged)
        if cred.kind == "api-key" and base.rstrip("/") == DEFAULT_BASE:
            headers["x-api-key"] = token
        else:
            headers["Authorization"] = "Bearer " + token
        headers["Accept"] = "text/event-stream" if call.stream else "application/json"
        apply_custom_headers(headers, cred)
        return Outbound("POST", join_url(base, path), headers, encode_body(call.body))

    def classify(self, status: int, body: bytes, headers: Mapping[str, str]) -> UpstreamError:
        # Anthropic's 529 overloaded is transient; classify_status treats >=500 as transient.
        return classify_status(status, body, headers, label="claude")
