"""Shared fixtures for the translation tests."""

from __future__ import annotations

from typing import Any

from cliproxy.dialects.ids import Action, Dialect
from cliproxy.translate.base import TranslateContext


def make_ctx(src: Dialect, dst: Dialect, body: dict[str, Any], *, stream: bool = False,
             action: Action = Action.GENERATE, client_model: str = "client-model",
             upstream_model: str = "upstream-model", query: dict[str, str] | None = None) -> TranslateContext:
    return TranslateContext(src=src, dst=dst, action=action, client_model=client_model,
                            upstream_model=upstream_model, stream=stream, client_body=body,
                            query=dict(query or {}))
