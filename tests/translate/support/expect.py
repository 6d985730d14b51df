"""Compare upstream-request facts (``probes``) with a case's neutral expectations."""

from __future__ import annotations

from typing import Any

from cliproxy.dialects.anthropic import schema as an_schema
from cliproxy.dialects.gemini import schema as gm_schema
from cliproxy.dialects.ids import Dialect
from cliproxy.dialects.openai_chat import schema as oc_schema
from cliproxy.dialects.openai_responses import schema as rs_schema

# the words a "dropped" warning must contain, per fact
WARN_WORD = {"n": "n > 1", "stop": "stop", "top_p": "top_p", "top_k": "top_k", "seed": "seed", "user": "user",
             "temperature": "temperature", "max_tokens": "max_", "json": "response_format"}


def validate(dst: Dialect, body: dict[str, Any], *, hub: bool = True) -> None:
    """The destination's strict schema (unknown fields, wrong shapes and broken pairing raise).
    ``hub``: the body was built by our encoders, so tool schemas must be in Gemini's subset too."""
    match dst:
        case Dialect.ANTHROPIC:
            an_schema.validate_request(body)
        case Dialect.OPENAI_CHAT:
            oc_schema.validate_request(body)
        case Dialect.OPENAI_RESPONSES:
            rs_schema.validate_request(body)
        case Dialect.CODEX:
            rs_schema.validate_request(body, codex=True)
        case Dialect.GEMINI:
            gm_schema.validate_request(body, cleaned=hub)
        case Dialect.GEMINI_CLI:
            gm_schema.validate_request(body, envelope="cli", cleaned=hub)
        case Dialect.ANTIGRAVITY:
            gm_schema.validate_request(body, envelope="antigravity", cleaned=True)


def _squash(texts: list[str]) -> str:
    return "".join("".join(texts).split())


def _turn_problems(i: int, got: dict[str, Any], exp: dict[str, Any], prev: dict[str, Any] | None) -> list[str]:
    errs = []
    if got["role"] != exp["role"]:
        errs.append(f"turn {i}: role {got['role']} != {exp['role']}")
    if "texts" in exp and _squash(got["texts"]) != _squash(exp["texts"]):
        errs.append(f"turn {i}: texts {got['texts']} != {exp['texts']}")
    if "calls" in exp:
        calls = [[c[1], c[2]] for c in got["calls"]]
        if calls != exp["calls"]:
            errs.append(f"turn {i}: calls {calls} != {exp['calls']}")
    if "results" in exp:
        res = [r[1] for r in got["results"]]
        if [" ".join(r.split()) for r in res] != [" ".join(r.split()) for r in exp["results"]]:
            errs.append(f"turn {i}: results {res} != {exp['results']}")
        if prev is not None and got["results"]:
            call_ids = [c[0] for c in prev["calls"]]
            if [r[0] for r in got["results"]] != call_ids[: len(got["results"])]:
                errs.append(f"turn {i}: result ids {[r[0] for r in got['results']]} do not answer calls {call_ids}")
    if "media" in exp and got["media"] != exp["media"]:
        errs.append(f"turn {i}: media {got['media']} != {exp['media']}")
    return errs


def problems(dst: Dialect, facts: dict[str, Any], expect: dict[str, Any], unsupported: dict[str, list[str]],
             warnings: list[str]) -> list[str]:
    errs: list[str] = []
    for key, want in expect.items():
        if dst.value in unsupported.get(key, ()):
            got = facts.get(key)
            if got not in (None, [], ""):
                errs.append(f"{key}: {dst} cannot express it, yet it was sent ({got!r})")
            word = WARN_WORD.get(key, key)
            if not any(word in w for w in warnings):
                errs.append(f"{key}: dropped for {dst} without a warning mentioning {word!r}")
            continue
        if key == "system":
            joined = "\n".join(facts["system"])
            pos = 0
            for s in want:
                at = joined.find(s, pos)
                if at < 0:
                    errs.append(f"system: {s!r} missing (got {facts['system']!r})")
                    break
                pos = at + len(s)
        elif key == "turns":
            got = facts["turns"]
            if len(got) != len(want):
                errs.append(f"turns: {len(got)} turns {[t['role'] for t in got]} != {len(want)} expected")
                continue
            for i, (g, w) in enumerate(zip(got, want, strict=True)):
                errs.extend(_turn_problems(i, g, w, got[i - 1] if i else None))
        elif key == "thinking":
            if want == "on" and facts["thinking"] in (None, "none"):
                errs.append(f"thinking: not enabled upstream ({facts['thinking']!r})")
        elif key == "contains_text":
            everything = "\n".join(facts["system"] + [t for turn in facts["turns"] for t in turn["texts"]])
            if want not in everything:
                errs.append(f"text {want!r} lost")
        elif key == "first_role":
            if not facts["turns"] or facts["turns"][0]["role"] != want:
                errs.append(f"first turn is not {want}")
        elif key == "warns":
            if not any(want in w for w in warnings):
                errs.append(f"expected a warning containing {want!r}, got {warnings}")
        elif facts.get(key) != want:
            errs.append(f"{key}: {facts.get(key)!r} != {want!r}")
    return errs
