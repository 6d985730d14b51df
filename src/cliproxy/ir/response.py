"""A complete (non-stream) answer, its finish reason and token usage."""

from __future__ import annotations

from enum import StrEnum

import msgspec
from msgspec import Struct

from cliproxy.ir.parts import Part


class Finish(StrEnum):
    STOP = "stop"
    STOP_SEQUENCE = "stop_sequence"
    LENGTH = "length"
    TOOL_CALLS = "tool_calls"
    CONTENT_FILTER = "content_filter"
    REFUSAL = "refusal"
    PAUSE = "pause"
    CONTEXT_WINDOW = "context_window"
    MALFORMED_CALL = "malformed_call"
    ERROR = "error"
    OTHER = "other"


class Usage(Struct, kw_only=True):
    """Token counts with one meaning everywhere.

    ``input_tokens`` counts the whole prompt, cached parts included; ``output_tokens`` counts the
    whole completion, reasoning included. Each dialect splits these its own way on the wire.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class Choice(Struct, kw_only=True):
    index: int = 0
    parts: list[Part] = msgspec.field(default_factory=list)
    finish: Finish | None = None
    stop_sequence: str | None = None
    native_finish: str = ""


class Response(Struct, kw_only=True):
    id: str = ""
    model: str = ""
    created: int = 0
    choices: list[Choice] = msgspec.field(default_factory=list)
    usage: Usage | None = None
