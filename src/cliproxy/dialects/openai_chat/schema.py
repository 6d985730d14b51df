"""The OpenAI Chat Completions request as we emit it, strictly typed (unknown fields are errors)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Literal

import msgspec
from msgspec import Struct

_S = MappingProxyType({"forbid_unknown_fields": True, "omit_defaults": True, "kw_only": True})


class TextPart(Struct, tag="text", tag_field="type", **_S):
    text: str


class ImageUrl(Struct, **_S):
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(Struct, tag="image_url", tag_field="type", **_S):
    image_url: ImageUrl


class InputAudio(Struct, **_S):
    data: str
    format: Literal["wav", "mp3"]


class AudioPart(Struct, tag="input_audio", tag_field="type", **_S):
    input_audio: InputAudio


class FileObj(Struct, **_S):
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(Struct, tag="file", tag_field="type", **_S):
    file: FileObj


UserPart = TextPart | ImagePart | AudioPart | FilePart


class Function(Struct, **_S):
    name: str
    arguments: str


class ToolCall(Struct, **_S):
    id: str
    type: Literal["function"]
    function: Function


class SystemMessage(Struct, tag="system", tag_field="role", **_S):
    content: str | list[TextPart]
    name: str | None = None


class DeveloperMessage(Struct, tag="developer", tag_field="role", **_S):
    content: str | list[TextPart]


class UserMessage(Struct, tag="user", tag_field="role", **_S):
    content: str | list[UserPart]
    name: str | None = None


class AssistantMessage(Struct, tag="assistant", tag_field="role", **_S):
    content: str | list[TextPart] | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None  # DeepSeek/Kimi-style replay of reasoning (non-standard)
    name: str | None = None
    refusal: str | None = None


class ToolMessage(Struct, tag="tool", tag_field="role", **_S):
    tool_call_id: str
    content: str | list[TextPart]


Message = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage


class FunctionDef(Struct, **_S):
    name: str
    parameters: dict[str, Any] | None = None
    description: str | None = None
    strict: bool | None = None


class ToolDef(Struct, **_S):
    type: Literal["function"]
    function: FunctionDef


class NamedFunction(Struct, **_S):
    name: str


class NamedToolChoice(Struct, **_S):
    type: Literal["function"]
    function: NamedFunction


class JsonSchema(Struct, **_S):
    name: str
    schema: dict[str, Any] | None = None
    strict: bool | None = None
    description: str | None = None


class ResponseFormat(Struct, **_S):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchema | None = None


class StreamOptions(Struct, **_S):
    include_usage: bool | None = None


class ChatRequest(Struct, **_S):
    model: str
    messages: list[Message]
    tools: list[ToolDef] | None = None
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: str | list[str] | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None
    modalities: list[str] | None = None
    verbosity: str | None = None
    web_search_options: dict[str, Any] | None = None


def validate_request(body: dict[str, Any]) -> ChatRequest:
    req = msgspec.convert(body, ChatRequest)
    for i, m in enumerate(req.messages):
        if isinstance(m, AssistantMessage) and m.content in (None, "", []) and not m.tool_calls:
            raise ValueError(f"messages[{i}]: empty assistant message")
        if isinstance(m, AssistantMessage) and m.tool_calls:
            ids = [c.id for c in m.tool_calls]
            answered = []
            for n in req.messages[i + 1:]:
                if not isinstance(n, ToolMessage):
                    break
                answered.append(n.tool_call_id)
            if sorted(answered) != sorted(ids):
                raise ValueError(f"messages[{i}]: tool_calls {ids} not answered by following tool messages")
    return req
