"""The thinking suffix: ``model(high)``, ``model(8192)``, ``model(none)``, ``model(auto)``.

The suffix overrides whatever the body says; it is always stripped before the model goes upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("minimal", "low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True, slots=True)
class ThinkingRequest:
    mode: str  # "budget" | "level" | "none" | "auto"
    budget: int | None = None
    level: str | None = None


def split_suffix(model: str) -> tuple[str, ThinkingRequest | None, str]:
    """Return (base model, parsed suffix or None, raw suffix text)."""
    if not model.endswith(")"):
        return model, None, ""
    i = model.rfind("(")
    if i <= 0:
        return model, None, ""
    raw = model[i + 1:-1].strip().lower()
    base = model[:i]
    if raw in ("none", "0"):
        return base, ThinkingRequest("none", budget=0), raw
    if raw in ("auto", "-1"):
        return base, ThinkingRequest("auto", budget=-1), raw
    if raw in LEVELS:
        return base, ThinkingRequest("level", level=raw), raw
    if raw.isdigit():
        return base, ThinkingRequest("budget", budget=int(raw)), raw
    return model, None, ""
