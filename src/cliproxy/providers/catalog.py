"""Provider registry as lazy ``module:factory`` strings, so ``import cliproxy`` loads no provider.

Third parties can add providers through the ``cliproxy.providers`` entry-point group.
"""

from __future__ import annotations

import importlib
from typing import Any

BUILTIN: dict[str, str] = {
    "openai-compat": "cliproxy.providers.openai_compat:OpenAICompatProvider",
    "claude": "cliproxy.providers.claude:ClaudeProvider",
    "gemini": "cliproxy.providers.gemini:GeminiProvider",
    "vertex": "cliproxy.providers.gemini:VertexKeyProvider",
    "codex": "cliproxy.providers.codex:CodexProvider",
    "gemini-cli": "cliproxy.providers.gemini_cli:GeminiCliProvider",
    "antigravity": "cliproxy.providers.antigravity:AntigravityProvider",
    "claude-oauth": "cliproxy.providers.claude_oauth:ClaudeOAuthProvider",
}


def load_factory(kind: str) -> Any:
    target = BUILTIN.get(kind)
    if target is None:
        from importlib.metadata import entry_points  # lazy: costs ~25 ms at start-up

        for ep in entry_points(group="cliproxy.providers"):
            if ep.name == kind:
                return ep.load()
        raise KeyError(f"unknown provider kind {kind!r}")
    mod, _, attr = target.partition(":")
    return getattr(importlib.import_module(mod), attr)
