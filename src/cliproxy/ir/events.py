"""Stream events: the neutral form of every dialect's stream.

Contract a decoder keeps: ``Start`` first; a part is opened with ``PartStart`` (carrying its
header: the tool id and name, the image bytes, …), grown with deltas addressed by ``index`` and
closed with ``PartEnd``; parts of one choice may interleave (OpenAI streams parallel tool calls
that way), so encoders that need strict block order queue. ``UsageEvent`` carries the latest
cumulative usage; ``FinishEvent`` the finish reason of a choice; ``End`` closes the stream once
(an ``ErrorEvent`` may precede it). Each encoder guarantees its own dialect's event order.
"""

from __future__ import annotations

from msgspec import Struct

from cliproxy.ir.parts import Part
from cliproxy.ir.response import Finish, Usage


class Start(Struct, kw_only=True):
    id: str = ""
    model: str = ""
    created: int = 0
    usage: Usage | None = None


class PartStart(Struct, kw_only=True):
    index: int
    part: Part
    choice: int = 0


class TextDelta(Struct, kw_only=True):
    index: int
    text: str
    choice: int = 0


class ThinkingDelta(Struct, kw_only=True):
    index: int
    text: str
    choice: int = 0


class SignatureDelta(Struct, kw_only=True):
    index: int
    signature: str
    origin: str = ""
    choice: int = 0


class ArgsDelta(Struct, kw_only=True):
    index: int
    fragment: str
    choice: int = 0


class PartEnd(Struct, kw_only=True):
    index: int
    choice: int = 0


class UsageEvent(Struct, kw_only=True):
    usage: Usage


class FinishEvent(Struct, kw_only=True):
    reason: Finish
    stop_sequence: str | None = None
    native: str = ""
    choice: int = 0


class ErrorEvent(Struct, kw_only=True):
    status: int = 500
    type: str = "api_error"
    message: str = ""


class End(Struct, kw_only=True):
    pass


Event = (Start | PartStart | TextDelta | ThinkingDelta | SignatureDelta | ArgsDelta | PartEnd
         | UsageEvent | FinishEvent | ErrorEvent | End)
