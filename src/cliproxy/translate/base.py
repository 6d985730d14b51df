"""The contract between the request pipeline and every translator.

A translator turns one client request into an upstream body and turns the upstream answer back
into the client's dialect. The pipeline never looks inside bodies beyond this contract.

Stream translation is event based: the pipeline parses upstream framing (SSE, or a provider's own
framing) into ``UpstreamEvent``s and feeds them one at a time; the translator returns bytes that
are already framed for the client (``data: …\\n\\n``, ``event: …\\ndata: …\\n\\n``). A translator
never buffers a whole stream. ``finish()`` runs once at upstream EOF (the place for a terminal
event such as ``data: [DONE]`` or ``message_stop`` that the upstream did not send).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from cliproxy.dialects.ids import Action, Dialect


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(slots=True)
class UpstreamEvent:
    """One upstream stream event: the SSE ``event:`` name (or "") and the raw ``data:`` payload."""

    event: str
    data: bytes


@dataclass(slots=True)
class TranslateContext:
    """What a translator may read about the request it serves."""

    src: Dialect  # client dialect
    dst: Dialect  # upstream dialect
    action: Action
    client_model: str  # the model name the client asked for (shown back to the client)
    upstream_model: str  # the model name sent upstream
    stream: bool  # does the client want a stream
    client_body: dict[str, Any]  # the parsed client request (read-only)
    query: dict[str, str] = field(default_factory=dict)  # e.g. Gemini ``alt``
    warnings: list[str] = field(default_factory=list)  # things the target could not express


class StreamTranslator(Protocol):
    usage: Usage | None

    def feed(self, ev: UpstreamEvent) -> list[bytes]: ...

    def finish(self) -> list[bytes]: ...


class Translator(Protocol):
    src: Dialect
    dst: Dialect

    def request(self, ctx: TranslateContext) -> dict[str, Any]:
        """Build the upstream body (dialect ``dst``) from ``ctx.client_body`` (dialect ``src``)."""
        ...

    def response(self, ctx: TranslateContext, body: bytes) -> tuple[bytes, Usage | None]:
        """Translate a complete non-stream upstream body into the client's dialect."""
        ...

    def stream(self, ctx: TranslateContext) -> StreamTranslator:
        """A fresh, per-request stream state machine."""
        ...

    def count_tokens_response(self, ctx: TranslateContext, body: bytes) -> bytes:
        """Translate an upstream count-tokens answer into the client's count-tokens shape."""
        ...
