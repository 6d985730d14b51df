"""What the clients send, per scenario. Shared by the harness modules (stdlib only)."""
from __future__ import annotations

import json
import os

MODEL = "bench-model"
SYSTEM = "You are a terse assistant."
USER = "Say hello in five words."

OPENAI_BODY = {"model": MODEL, "max_tokens": 64,
               "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]}
ANTHROPIC_BODY = {"model": MODEL, "max_tokens": 64, "system": SYSTEM,
                  "messages": [{"role": "user", "content": USER}]}

PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}

# scenario -> (client dialect, stream?, kind). kind: "plain" (wrk), "stream" (loadgen loop), "hold"
SCENARIOS = {
    "a": ("openai", False, "plain"),      # OpenAI non-stream, passthrough
    "b": ("openai", True, "stream"),      # OpenAI stream, 100 chunks
    "c": ("anthropic", False, "plain"),   # Anthropic request; cliproxy translates it to OpenAI upstream
    "cs": ("anthropic", True, "stream"),  # the same, streaming
    "d": ("openai", True, "hold"),        # many concurrent slow streams held open
}
SCENARIO_TITLES = {
    "a": "OpenAI non-stream", "b": "OpenAI stream", "c": "Anthropic → OpenAI non-stream",
    "cs": "Anthropic → OpenAI stream", "d": "concurrent slow streams",
}


def headers(dialect: str, key: str, bearer_for_anthropic: bool = False) -> list[str]:
    """Request headers as a real client of that dialect sends them."""
    if dialect == "openai":
        return [f"Authorization: Bearer {key}"]
    h = [f"x-api-key: {key}", "anthropic-version: 2023-06-01"]
    if bearer_for_anthropic:
        h.append(f"Authorization: Bearer {key}")
    return h


def write_bodies(workdir: str) -> dict[tuple[str, bool], str]:
    """One JSON file per (dialect, stream): wrk and loadgen read the body from a file."""
    out = {}
    for dialect, body in (("openai", OPENAI_BODY), ("anthropic", ANTHROPIC_BODY)):
        for stream in (False, True):
            path = os.path.join(workdir, f"body-{dialect}-{'stream' if stream else 'plain'}.json")
            with open(path, "w") as f:
                json.dump(dict(body, stream=True) if stream else body, f, separators=(",", ":"))
            out[(dialect, stream)] = path
    return out


def upstream_knobs(scenario: str, a) -> dict:
    """Fake-upstream settings for a scenario (sent to its /_config before the scenario runs)."""
    kind = SCENARIOS[scenario][2]
    if kind == "plain":
        return {"latency_ms": 0, "size": 64}
    if kind == "stream":
        return {"chunks": a.chunks, "delay_ms": a.delay_ms, "ttft_ms": 0, "chunk_size": 4}
    return {"chunks": a.hold_chunks, "delay_ms": a.hold_delay_ms, "ttft_ms": 0, "chunk_size": 4}
