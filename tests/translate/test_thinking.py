"""Thinking appliers (providers.md §1.5, translation.md §4.7; C87–C91)."""

from __future__ import annotations

import pytest

from cliproxy.dialects.ids import Dialect as D
from cliproxy.translate.thinking import apply_thinking, extract_thinking

LEVEL_MODEL = {"levels": ["minimal", "low", "medium", "high"], "dynamic_allowed": False}
BUDGET_MODEL = {"min": 128, "max": 20000, "zero_allowed": False, "dynamic_allowed": True}
CLAUDE_ADAPTIVE = {"levels": ["low", "medium", "high", "max"], "min": 1024, "max": 128000, "zero_allowed": True}
CLAUDE_NO_MAX = {"levels": ["low", "medium", "high"], "min": 1024, "max": 64000, "zero_allowed": True}


@pytest.mark.parametrize(("mode", "level", "want"), [
    ("level", "high", "high"), ("level", "xhigh", "high"), ("none", None, "minimal"), ("auto", None, "medium")])
def test_c87_codex_levels_are_clamped(mode, level, want) -> None:
    body = apply_thinking({"reasoning": {"summary": "auto"}}, D.CODEX, mode, None, level, LEVEL_MODEL)
    assert body["reasoning"] == {"summary": "auto", "effort": want}


def test_c88_gemini_budgets_are_clamped() -> None:
    assert apply_thinking({}, D.GEMINI, "budget", 64000, None, BUDGET_MODEL) == {
        "generationConfig": {"thinkingConfig": {"thinkingBudget": 20000, "includeThoughts": True}}}
    assert apply_thinking({}, D.GEMINI, "none", 0, None, BUDGET_MODEL)["generationConfig"]["thinkingConfig"][
        "thinkingBudget"] == 128


def test_c89_claude_effort_and_budget_rules() -> None:
    assert apply_thinking({"max_tokens": 32000}, D.ANTHROPIC, "level", None, "xhigh", CLAUDE_ADAPTIVE) == {
        "max_tokens": 32000, "thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}
    assert apply_thinking({"max_tokens": 32000}, D.ANTHROPIC, "level", None, "xhigh", CLAUDE_NO_MAX)[
        "output_config"] == {"effort": "high"}
    body = apply_thinking({"max_tokens": 32000, "thinking": {"type": "enabled", "budget_tokens": 50000}},
                          D.ANTHROPIC, None, None, None, {"min": 1024, "max": 128000})
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 31999}


def test_c90_models_without_thinking_lose_every_thinking_field() -> None:
    body = {"thinking": {"type": "enabled", "budget_tokens": 2000}, "output_config": {"effort": "high"}, "max_tokens": 5}
    assert apply_thinking(body, D.ANTHROPIC, None, None, None, {}) == {"max_tokens": 5}
    g = {"request": {"generationConfig": {"thinkingConfig": {"thinkingBudget": 5}, "temperature": 1}}}
    assert apply_thinking(g, D.ANTIGRAVITY, "level", None, "high", {"supported": False}) == {
        "request": {"generationConfig": {"temperature": 1}}}


def test_suffix_overrides_the_body_and_cli_writes_under_request() -> None:
    body = {"request": {"generationConfig": {"thinkingConfig": {"thinking_budget": 100}}}}
    out = apply_thinking(body, D.GEMINI_CLI, "level", None, "high", {"levels": ["low", "high"]})
    assert out == {"request": {"generationConfig": {"thinkingConfig": {"thinkingLevel": "high", "includeThoughts": True}}}}


def test_unknown_models_get_the_request_unvalidated() -> None:
    assert apply_thinking({}, D.OPENAI_CHAT, "level", None, "xhigh", None) == {"reasoning_effort": "xhigh"}
    assert apply_thinking({}, D.GEMINI, "level", None, "high", None)["generationConfig"]["thinkingConfig"][
        "thinkingLevel"] == "high"
    c = apply_thinking({}, D.ANTHROPIC, "budget", 8192, None, None)
    assert c["thinking"] == {"type": "enabled", "budget_tokens": 8192} and c["max_tokens"] > 8192


@pytest.mark.parametrize(("dst", "body", "want"), [
    (D.ANTHROPIC, {"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}, ("level", None, "low")),
    (D.ANTHROPIC, {"thinking": {"type": "disabled"}}, ("none", 0, None)),
    (D.GEMINI, {"generationConfig": {"thinkingConfig": {"thinkingBudget": -1}}}, ("auto", -1, None)),
    (D.ANTIGRAVITY, {"request": {"generationConfig": {"thinkingConfig": {"thinkingLevel": "HIGH"}}}}, ("level", None, "high")),
    (D.OPENAI_CHAT, {"reasoning_effort": "minimal"}, ("level", None, "minimal")),
    (D.CODEX, {"reasoning": {"effort": "none"}}, ("none", 0, None)),
    (D.OPENAI_CHAT, {}, None),
])
def test_extract_thinking(dst, body, want) -> None:
    assert extract_thinking(body, dst) == want
