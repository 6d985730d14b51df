"""Static model catalogs per channel (facts from CLIProxyAPI's models.json, providers.md §3–§8).

Data only. ``thinking`` follows the registry's capability shape: levels, or min/max budgets with
zero/dynamic flags. A config ``models`` list replaces the catalog for that credential.
"""

from __future__ import annotations

from typing import Any

_GEMINI_BUDGET = {"min": 128, "max": 32768, "zero_allowed": False, "dynamic_allowed": True}
_GEMINI_FLASH_BUDGET = {"min": 0, "max": 24576, "zero_allowed": True, "dynamic_allowed": True}
_GEMINI3_LEVELS = {"levels": ["low", "high"], "dynamic_allowed": True}
_CLAUDE_BUDGET = {"min": 1024, "max": 128000, "zero_allowed": True, "dynamic_allowed": False}
_CLAUDE_ADAPTIVE = {"levels": ["low", "medium", "high", "max"], "min": 1024, "max": 128000,
                    "zero_allowed": True, "dynamic_allowed": False}
_CODEX_LEVELS = {"levels": ["none", "low", "medium", "high", "xhigh"]}

Entry = tuple[str, str, int, int, dict[str, Any] | None]  # id, display, context, max output, thinking

GEMINI: tuple[Entry, ...] = (
    ("gemini-2.5-pro", "Gemini 2.5 Pro", 1048576, 65536, _GEMINI_BUDGET),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", 1048576, 65536, _GEMINI_FLASH_BUDGET),
    ("gemini-2.5-flash-lite", "Gemini 2.5 Flash Lite", 1048576, 65536, _GEMINI_FLASH_BUDGET),
    ("gemini-3-pro-preview", "Gemini 3 Pro Preview", 1048576, 65536, _GEMINI3_LEVELS),
    ("gemini-3.1-pro-preview", "Gemini 3.1 Pro Preview", 1048576, 65536, _GEMINI3_LEVELS),
    ("gemini-3-flash-preview", "Gemini 3 Flash Preview", 1048576, 65536, _GEMINI3_LEVELS),
    ("gemini-3.1-flash-lite-preview", "Gemini 3.1 Flash Lite Preview", 1048576, 65536, _GEMINI3_LEVELS),
    ("gemini-3.1-flash-image-preview", "Gemini 3.1 Flash Image Preview", 65536, 32768, None),
    ("gemini-3-pro-image-preview", "Gemini 3 Pro Image Preview", 65536, 32768, None),
)

CLAUDE: tuple[Entry, ...] = (
    ("claude-opus-4-7", "Claude Opus 4.7", 200000, 128000, _CLAUDE_ADAPTIVE),
    ("claude-opus-4-6", "Claude Opus 4.6", 200000, 128000, _CLAUDE_ADAPTIVE),
    ("claude-sonnet-4-6", "Claude Sonnet 4.6", 200000, 64000, _CLAUDE_ADAPTIVE),
    ("claude-opus-4-5-20251101", "Claude Opus 4.5", 200000, 64000, _CLAUDE_BUDGET),
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", 200000, 64000, _CLAUDE_BUDGET),
    ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", 200000, 64000, _CLAUDE_BUDGET),
    ("claude-opus-4-1-20250805", "Claude Opus 4.1", 200000, 32000, _CLAUDE_BUDGET),
    ("claude-opus-4-20250514", "Claude Opus 4", 200000, 32000, _CLAUDE_BUDGET),
    ("claude-sonnet-4-20250514", "Claude Sonnet 4", 200000, 64000, _CLAUDE_BUDGET),
    ("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", 200000, 64000, _CLAUDE_BUDGET),
    ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", 200000, 8192, None),
)

CODEX: tuple[Entry, ...] = (
    ("gpt-5.2", "GPT-5.2", 400000, 128000, _CODEX_LEVELS),
    ("gpt-5.3-codex", "GPT-5.3 Codex", 400000, 128000, _CODEX_LEVELS),
    ("gpt-5.4", "GPT-5.4", 400000, 128000, _CODEX_LEVELS),
    ("gpt-5.4-mini", "GPT-5.4 mini", 400000, 128000, _CODEX_LEVELS),
    ("gpt-5.5", "GPT-5.5", 400000, 128000, _CODEX_LEVELS),
    ("codex-auto-review", "Codex auto review", 400000, 128000, _CODEX_LEVELS),
)

CODEX_PLUS_EXTRA: tuple[Entry, ...] = (
    ("gpt-5.3-codex-spark", "GPT-5.3 Codex Spark", 128000, 32000, _CODEX_LEVELS),
)

VERTEX_EXTRA: tuple[Entry, ...] = (
    ("imagen-4.0-generate-001", "Imagen 4", 0, 0, None),
    ("imagen-4.0-ultra-generate-001", "Imagen 4 Ultra", 0, 0, None),
    ("imagen-4.0-fast-generate-001", "Imagen 4 Fast", 0, 0, None),
    ("imagen-3.0-generate-002", "Imagen 3", 0, 0, None),
    ("imagen-3.0-fast-generate-001", "Imagen 3 Fast", 0, 0, None),
)

_ALL = {e[0]: e for e in GEMINI + CLAUDE + CODEX + CODEX_PLUS_EXTRA + VERTEX_EXTRA}


def lookup(model: str) -> Entry | None:
    """Catalog facts for a model name (used to copy thinking capabilities onto aliases)."""
    return _ALL.get(model)
