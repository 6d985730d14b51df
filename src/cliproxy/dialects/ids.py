"""Dialect identifiers (the same strings CLIProxyAPI uses in payload rules)."""

from __future__ import annotations

from enum import StrEnum


class Dialect(StrEnum):
    OPENAI_CHAT = "openai"
    OPENAI_RESPONSES = "openai-response"
    ANTHROPIC = "claude"
    GEMINI = "gemini"
    GEMINI_CLI = "gemini-cli"
    ANTIGRAVITY = "antigravity"
    CODEX = "codex"


class Action(StrEnum):
    """What the client asked for, independent of dialect."""

    GENERATE = "generate"
    COUNT_TOKENS = "count_tokens"
    COMPACT = "compact"
