"""Write a canonical thinking request into an upstream body (providers.md §1.5, translation.md §4.7).

Routing parses the model suffix (``model(high)``, ``model(8192)``, ``model(none)``, ``model(auto)``)
into (mode, budget, level); ``apply_thinking`` validates it against the model's capabilities and
writes it in the upstream's own syntax, replacing whatever the body said:

- Claude: ``thinking:{type:enabled,budget_tokens}`` (``max_tokens`` kept above the budget), or
  ``{type:adaptive}`` + ``output_config.effort`` for models that declare levels, or ``disabled``;
- Gemini: ``generationConfig.thinkingConfig{thinkingBudget|thinkingLevel, includeThoughts}``, under
  ``request.`` for Gemini CLI and Antigravity;
- OpenAI chat: ``reasoning_effort``; Responses / Codex: ``reasoning.effort``.

``caps`` is the model's thinking capability mapping (``levels``, ``min``, ``max``,
``zero_allowed``, ``dynamic_allowed``). ``None`` means an unknown (user-defined) model: the request
is applied without validation. An empty mapping, or ``{"supported": False}``, means the model cannot
think: every thinking field is stripped. Levels the model lacks are clamped to the nearest it has
(ties go lower); budgets are clamped to [min, max].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cliproxy.dialects.ids import Dialect
from cliproxy.ir.thinking import budget_to_level, clamp_level, level_to_budget

_CLAUDE_EFFORTS = ("low", "medium", "high", "max")
_GEMINI_LEVELS = ("minimal", "low", "medium", "high")


def _gemini_gen(body: dict[str, Any], dst: Dialect, create: bool) -> dict[str, Any] | None:
    root = body
    if dst in (Dialect.GEMINI_CLI, Dialect.ANTIGRAVITY):
        if not isinstance(root.get("request"), dict):
            if not create:
                return None
            root["request"] = {}
        root = root["request"]
    for snake in ("generation_config",):
        if snake in root and "generationConfig" not in root:
            root["generationConfig"] = root.pop(snake)
    gc = root.get("generationConfig")
    if not isinstance(gc, dict):
        if not create:
            return None
        gc = root["generationConfig"] = {}
    return gc


def extract_thinking(body: dict[str, Any], dst: Dialect) -> tuple[str, int | None, str | None] | None:
    """The (mode, budget, level) a translated upstream body already asks for, if any."""
    match dst:
        case Dialect.ANTHROPIC:
            th = body.get("thinking")
            effort = (body.get("output_config") or {}).get("effort") if isinstance(body.get("output_config"), dict) else None
            if isinstance(th, dict):
                if th.get("type") == "disabled":
                    return "none", 0, None
                if isinstance(th.get("budget_tokens"), int):
                    return "budget", th["budget_tokens"], None
                if effort:
                    return "level", None, str(effort)
                return "auto", -1, None
            return ("level", None, str(effort)) if effort else None
        case Dialect.GEMINI | Dialect.GEMINI_CLI | Dialect.ANTIGRAVITY:
            gc = _gemini_gen(body, dst, create=False)
            tc = (gc or {}).get("thinkingConfig") or (gc or {}).get("thinking_config")
            if not isinstance(tc, dict):
                return None
            lvl = tc.get("thinkingLevel") or tc.get("thinking_level")
            if lvl:
                return ("none", 0, None) if str(lvl).lower() == "none" else ("level", None, str(lvl).lower())
            bud = tc.get("thinkingBudget", tc.get("thinking_budget"))
            if isinstance(bud, int):
                return ("none", 0, None) if bud == 0 else ("auto", -1, None) if bud < 0 else ("budget", bud, None)
            return None
        case Dialect.OPENAI_CHAT:
            e = body.get("reasoning_effort")
        case Dialect.OPENAI_RESPONSES | Dialect.CODEX:
            r = body.get("reasoning")
            e = r.get("effort") if isinstance(r, dict) else None
    if not e:
        return None
    e = str(e).lower()
    return ("none", 0, None) if e == "none" else ("auto", -1, None) if e == "auto" else ("level", None, e)


def strip_thinking(body: dict[str, Any], dst: Dialect) -> dict[str, Any]:
    match dst:
        case Dialect.ANTHROPIC:
            body.pop("thinking", None)
            oc = body.get("output_config")
            if isinstance(oc, dict):
                oc.pop("effort", None)
                if not oc:
                    body.pop("output_config")
        case Dialect.GEMINI | Dialect.GEMINI_CLI | Dialect.ANTIGRAVITY:
            gc = _gemini_gen(body, dst, create=False)
            if gc is not None:
                gc.pop("thinkingConfig", None)
                gc.pop("thinking_config", None)
        case Dialect.OPENAI_CHAT:
            body.pop("reasoning_effort", None)
        case Dialect.OPENAI_RESPONSES | Dialect.CODEX:
            r = body.get("reasoning")
            if isinstance(r, dict):
                r.pop("effort", None)
                if not r:
                    body.pop("reasoning")
    return body


def _validate(mode: str, budget: int | None, level: str | None, caps: Mapping[str, Any] | None,
              ) -> tuple[str, int | None, str | None]:
    """Clamp (mode, budget, level) to what the model supports."""
    if caps is None:
        return mode, budget, level
    levels = tuple(caps.get("levels") or ())
    lo, hi = caps.get("min"), caps.get("max")
    has_budget = isinstance(lo, int) or isinstance(hi, int)
    if mode == "auto" and not caps.get("dynamic_allowed", True):
        if has_budget:
            mode, budget = "budget", ((lo or 0) + (hi or 0)) // 2
        else:
            mode, level = "level", clamp_level("medium", levels) if levels else "medium"
    if mode == "none":
        if has_budget and not caps.get("zero_allowed", False):
            return "budget", lo or 0, None
        if not has_budget and levels and "none" not in levels:
            return "level", None, levels[0]
        return "none", 0, None
    if mode == "level" and level:
        if levels:
            return "level", None, clamp_level(level, levels)
        if has_budget:
            mode, budget = "budget", level_to_budget(level) or 8192
    if mode == "budget" and budget is not None:
        if not has_budget and levels:
            return "level", None, clamp_level(budget_to_level(budget), levels)
        if isinstance(lo, int):
            budget = max(lo, budget)
        if isinstance(hi, int):
            budget = min(hi, budget)
        return "budget", budget, None
    return mode, budget, level


def _claude(body: dict[str, Any], mode: str, budget: int | None, level: str | None,
            caps: Mapping[str, Any] | None) -> None:
    adaptive = bool(caps and caps.get("levels"))
    raw_oc = body.get("output_config")
    oc: dict[str, Any] = dict(raw_oc) if isinstance(raw_oc, dict) else {}
    oc.pop("effort", None)
    if mode == "none":
        body["thinking"] = {"type": "disabled"}
    elif mode == "level" and level and adaptive:
        eff = {"minimal": "low", "xhigh": "max", "auto": "high"}.get(level, level)
        body["thinking"] = {"type": "adaptive"}
        oc["effort"] = clamp_level(eff, [e for e in _CLAUDE_EFFORTS if e in (caps or {}).get("levels", ())]
                                   or list(_CLAUDE_EFFORTS))
    elif mode == "auto" and adaptive:
        body["thinking"] = {"type": "adaptive"}
    else:
        if mode == "level" and level:
            budget = level_to_budget(level)
        if budget is None or budget < 0:
            budget = int((caps or {}).get("max") or 16384) // 2
        budget = max(1024, budget)
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int):
            max_tokens = body["max_tokens"] = max(32000, budget + 4096)
        if budget >= max_tokens:
            budget = max(1024, max_tokens - 1)
            if budget >= max_tokens:
                body["max_tokens"] = budget + 1
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if oc:
        body["output_config"] = oc
    else:
        body.pop("output_config", None)


def _gemini(body: dict[str, Any], dst: Dialect, mode: str, budget: int | None, level: str | None,
            caps: Mapping[str, Any] | None) -> None:
    gc = _gemini_gen(body, dst, create=True)
    assert gc is not None
    old = gc.pop("thinkingConfig", None) or gc.pop("thinking_config", None) or {}
    include = old.get("includeThoughts", old.get("include_thoughts")) if isinstance(old, dict) else None
    tc: dict[str, Any] = {}
    if mode == "none":
        tc["thinkingBudget"] = 0
        include = False
    elif mode == "auto":
        tc["thinkingBudget"] = -1
    elif mode == "level" and level:
        if caps is not None and not caps.get("levels") and (caps.get("min") is not None or caps.get("max") is not None):
            tc["thinkingBudget"] = level_to_budget(level) or 8192
        else:
            tc["thinkingLevel"] = level if level in _GEMINI_LEVELS else clamp_level(level, _GEMINI_LEVELS)
    elif budget is not None:
        tc["thinkingBudget"] = budget
    tc["includeThoughts"] = bool(include) if include is not None else mode != "none"
    gc["thinkingConfig"] = tc


def _effort(mode: str, budget: int | None, level: str | None) -> str:
    if mode == "none":
        return "none"
    if mode == "level" and level:
        return level
    if mode == "budget" and budget is not None:
        lv = budget_to_level(budget)
        return "medium" if lv in ("auto", "none") else lv
    return "medium"


def apply_thinking(body: dict[str, Any], dst: Dialect, mode: str | None, budget: int | None,
                   level: str | None, caps: Mapping[str, Any] | None) -> dict[str, Any]:
    """Apply (or, with ``mode=None``, re-validate the body's own) thinking config. Mutates ``body``."""
    if caps is not None and (not caps or caps.get("supported") is False):
        return strip_thinking(body, dst)
    if mode is None:
        found = extract_thinking(body, dst)
        if found is None:
            return body
        mode, budget, level = found
    if mode == "level" and level in ("none", "auto"):
        mode = level
    if dst is Dialect.ANTHROPIC and mode == "level" and level == "xhigh":
        # Claude's effort scale tops out at "max" (MapToClaudeEffort): xhigh → max when offered
        level = "max" if caps is None or "max" in (caps.get("levels") or ()) else "high"
    mode, budget, level = _validate(mode, budget, level, caps)
    match dst:
        case Dialect.ANTHROPIC:
            _claude(body, mode, budget, level, caps)
        case Dialect.GEMINI | Dialect.GEMINI_CLI | Dialect.ANTIGRAVITY:
            _gemini(body, dst, mode, budget, level, caps)
        case Dialect.OPENAI_CHAT:
            body["reasoning_effort"] = _effort(mode, budget, level)
        case Dialect.OPENAI_RESPONSES | Dialect.CODEX:
            r = dict(body.get("reasoning") or {})
            r["effort"] = _effort(mode, budget, level)
            body["reasoning"] = r
    return body
