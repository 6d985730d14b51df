"""Local token counts for upstreams without a count endpoint (Codex, OpenAI-compatible)."""

from __future__ import annotations

from typing import Any

from cliproxy.dialects.ids import Dialect


def local_count_body(dialect: Dialect, body: dict[str, Any], model: str) -> int:
    from cliproxy.translate.tokens import count_request_tokens

    return count_request_tokens(dialect, body, model)
