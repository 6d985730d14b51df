"""The neutral typed model every hub translation passes through (imports nothing of ours).

The IR is the *union* of what the dialects can say: text, images, files, thinking with its
signature and provenance, tool calls and results, opaque provider data, usage and finish reasons.
Requests and non-stream answers are trees of msgspec Structs; streams are flat event sequences
(``ir.events``). A decoder that meets something the IR cannot hold says so in a warning.
"""

from cliproxy.ir.events import (
    ArgsDelta,
    End,
    ErrorEvent,
    Event,
    FinishEvent,
    PartEnd,
    PartStart,
    SignatureDelta,
    Start,
    TextDelta,
    ThinkingDelta,
    UsageEvent,
)
from cliproxy.ir.parts import (
    Content,
    File,
    Image,
    Opaque,
    Part,
    Text,
    Thinking,
    ToolCall,
    ToolResult,
    args_object,
    args_text,
)
from cliproxy.ir.request import (
    BuiltinTool,
    Message,
    Request,
    ResponseFormat,
    ThinkingConfig,
    Tool,
    ToolChoice,
)
from cliproxy.ir.response import Choice, Finish, Response, Usage

__all__ = [
    "ArgsDelta", "BuiltinTool", "Choice", "Content", "End", "ErrorEvent", "Event", "File", "Finish",
    "FinishEvent", "Image", "Message", "Opaque", "Part", "PartEnd", "PartStart", "Request",
    "Response", "ResponseFormat", "SignatureDelta", "Start", "Text", "TextDelta", "Thinking",
    "ThinkingConfig", "ThinkingDelta", "Tool", "ToolCall", "ToolChoice", "ToolResult", "Usage",
    "UsageEvent", "args_object", "args_text",
]
