"""Local token counts for upstreams without a count endpoint (Codex, OpenAI-compatible)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cliproxy.dialects.ids import Dialect


@lru_cache(maxsize=8)
def _counter(encoding: str, exact: bool) -> Any:
    from cliproxy.translate.tokens import Counter

    return Counter(encoding, exact_family=exact)  # one per encoding: loading tables is not free


def local_count_answer(dialect: Dialect, body: dict[str, Any], model: str) -> bytes:
    """Count the client's request in its own dialect and answer in that dialect's shape."""
    from cliproxy.translate.tokens import count_request, count_tokens_body, encoding_for_model

    counter = _counter(*encoding_for_model(model))
    return count_tokens_body(dialect, count_request(dialect, body, counter).tokens)
