"""Load the golden wire cases kept in ``tests/translate/cases/<dialect>/``.

- ``stream_*.json``: an upstream stream (``events``: ``{"event", "data"|"raw"}``) in that upstream
  dialect, and the neutral answer every client must end up with (``expect``).
- ``req_*.json``: a client request in that client dialect and the neutral facts every upstream
  body must carry (``expect``), with ``unsupported`` listing targets that cannot express a fact
  (they must drop it *and* warn).
- ``capture_*.json``: real requests captured from Claude Code, Codex CLI, Gemini CLI, opencode and
  the SDKs (copied from the research captures), used as golden inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cliproxy.dialects.ids import Dialect
from cliproxy.translate.base import UpstreamEvent

CASES = Path(__file__).resolve().parent.parent / "cases"

# which folder holds the upstream wire samples for each upstream dialect, and how to wrap them
_STREAM_DIR = {
    Dialect.ANTHROPIC: "claude", Dialect.OPENAI_CHAT: "openai", Dialect.OPENAI_RESPONSES: "openai-response",
    Dialect.CODEX: "openai-response", Dialect.GEMINI: "gemini", Dialect.GEMINI_CLI: "gemini",
    Dialect.ANTIGRAVITY: "gemini",
}


@dataclass(frozen=True)
class StreamCase:
    name: str
    dialect: str  # folder
    doc: str
    features: tuple[str, ...]
    events: tuple[tuple[str, bytes], ...]
    expect: dict[str, Any] = field(hash=False)
    expect_for: dict[str, dict[str, Any]] = field(hash=False, default_factory=dict)

    def expected(self, client: Dialect) -> dict[str, Any]:
        """The neutral answer, with the per-client overrides (e.g. Gemini keeps code parts native)."""
        return {**self.expect, **self.expect_for.get(client.value, {})}

    def upstream_events(self, dst: Dialect) -> list[UpstreamEvent]:
        out = []
        for event, data in self.events:
            if dst in (Dialect.GEMINI_CLI, Dialect.ANTIGRAVITY) and data != b"[DONE]":
                data = b'{"response":' + data + b',"traceId":"t-1"}'
            out.append(UpstreamEvent(event, data))
        return out


@dataclass(frozen=True)
class RequestCase:
    name: str
    dialect: Dialect
    doc: str
    features: tuple[str, ...]
    request: dict[str, Any] = field(hash=False)
    expect: dict[str, Any] = field(hash=False)
    unsupported: dict[str, list[str]] = field(hash=False)
    query: dict[str, str] = field(hash=False, default_factory=dict)


def _dump(d: Any) -> bytes:
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()


@cache
def stream_cases(folder: str) -> tuple[StreamCase, ...]:
    out = []
    for p in sorted((CASES / folder).glob("stream_*.json")):
        raw = json.loads(p.read_text())
        events = tuple((e.get("event", ""), e["raw"].encode() if "raw" in e else _dump(e["data"]))
                       for e in raw["events"])
        out.append(StreamCase(p.stem[7:], folder, raw.get("doc", ""), tuple(raw.get("features", [])), events,
                              raw["expect"], raw.get("expect_for", {})))
    return tuple(out)


def streams_for(dst: Dialect) -> tuple[StreamCase, ...]:
    return stream_cases(_STREAM_DIR[dst])


@cache
def request_cases(dialect: Dialect) -> tuple[RequestCase, ...]:
    out = []
    for p in sorted((CASES / dialect.value).glob("req_*.json")):
        raw = json.loads(p.read_text())
        out.append(RequestCase(p.stem[4:], dialect, raw.get("doc", ""), tuple(raw.get("features", [])),
                               raw["request"], raw.get("expect", {}), raw.get("unsupported", {}),
                               raw.get("query", {})))
    return tuple(out)


@cache
def captures() -> tuple[tuple[str, Dialect, dict[str, Any]], ...]:
    """(name, client dialect, body) for every captured client request."""
    out = []
    for p in sorted(CASES.glob("*/capture_*.json")):
        raw = json.loads(p.read_text())
        reqs = raw.get("requests") or [raw["request"]]
        for i, r in enumerate(reqs):
            if r.get("method") != "POST" or not isinstance(r.get("body"), dict):
                continue
            out.append((f"{p.stem[8:]}#{i}", Dialect(p.parent.name), r["body"]))
    return tuple(out)
