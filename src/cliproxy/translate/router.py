"""Pick the translator for a (client dialect, upstream dialect) pair.

Same dialect → passthrough (bytes forwarded, declared fields changed). Gemini ⇄ Gemini CLI /
Antigravity and Responses ⇄ Codex → an envelope pair (wrap/unwrap). Everything else → the typed
IR hub. ``assemble_stream`` turns a finished upstream stream into that upstream's non-stream body.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

from cliproxy.dialects.ids import Dialect
from cliproxy.translate.base import Translator, UpstreamEvent
from cliproxy.translate.codecs import codec
from cliproxy.translate.hub import HubTranslator, upstream_streams
from cliproxy.translate.passthrough import PassthroughTranslator

CLIENT_DIALECTS = (Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES, Dialect.ANTHROPIC, Dialect.GEMINI)
UPSTREAM_DIALECTS = (Dialect.OPENAI_CHAT, Dialect.OPENAI_RESPONSES, Dialect.CODEX, Dialect.ANTHROPIC,
                     Dialect.GEMINI, Dialect.GEMINI_CLI, Dialect.ANTIGRAVITY)

__all__ = ["CLIENT_DIALECTS", "UPSTREAM_DIALECTS", "assemble_stream", "get_translator", "kind",
           "supported_pairs", "upstream_streams"]


def kind(src: Dialect, dst: Dialect) -> str:
    """"passthrough", "envelope" or "hub"."""
    if src is dst:
        return "passthrough"
    if (src, dst) in ((Dialect.GEMINI, Dialect.GEMINI_CLI), (Dialect.GEMINI, Dialect.ANTIGRAVITY),
                      (Dialect.OPENAI_RESPONSES, Dialect.CODEX)):
        return "envelope"
    return "hub"


def get_translator(src: Dialect, dst: Dialect) -> Translator:
    t = _TABLE.get((src, dst))
    return t if t is not None else _build(src, dst)


def _build(src: Dialect, dst: Dialect) -> Translator:
    if src not in CLIENT_DIALECTS:
        raise KeyError(f"{src} is not a client dialect")
    match kind(src, dst):
        case "passthrough":
            return PassthroughTranslator(src)
        case "envelope":
            from cliproxy.translate.envelope import envelope_translator

            return envelope_translator(src, dst)
        case _:
            return HubTranslator(src, dst)


def supported_pairs() -> list[tuple[Dialect, Dialect]]:
    return [(s, d) for s in CLIENT_DIALECTS for d in UPSTREAM_DIALECTS]


# translators hold no per-request state, so one per pair serves every request
_TABLE = MappingProxyType({pair: _build(*pair) for pair in supported_pairs()})


def assemble_stream(dst: Dialect, events: Iterable[UpstreamEvent]) -> bytes:
    """A complete upstream stream (dialect ``dst``) → that dialect's non-stream body."""
    return codec(dst).assemble(events)
