"""Reasoning effort levels and token budgets: the one conversion table (translation.md §4.6)."""

from __future__ import annotations

from types import MappingProxyType

LEVELS = ("minimal", "low", "medium", "high", "xhigh", "max")

LEVEL_BUDGET = MappingProxyType({
    "none": 0, "auto": -1, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576,
    "xhigh": 32768, "max": 128000,
})


def level_to_budget(level: str) -> int | None:
    return LEVEL_BUDGET.get(level.lower())


def budget_to_level(budget: int) -> str:
    if budget < 0:
        return "auto"
    if budget == 0:
        return "none"
    if budget <= 512:
        return "minimal"
    if budget <= 1024:
        return "low"
    if budget <= 8192:
        return "medium"
    if budget <= 24576:
        return "high"
    return "xhigh"


def clamp_level(level: str, allowed: tuple[str, ...] | list[str]) -> str:
    """The nearest allowed level (ties go to the lower one)."""
    if not allowed or level in allowed:
        return level
    order = ("none",) + LEVELS
    want = order.index(level) if level in order else order.index("medium")
    ranked = [(abs(order.index(a) - want), order.index(a), a) for a in allowed if a in order]
    if not ranked:
        return allowed[0]
    ranked.sort()
    return ranked[0][2]
