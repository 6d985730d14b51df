"""The Anthropic Messages request as we emit it, strictly typed (unknown fields are errors).

Anthropic rejects unknown fields ("Extra inputs are not permitted"), so tests validate every
translated upstream body with ``validate_request``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Literal

import msgspec
from msgspec import Struct

_S = MappingProxyType({"forbid_unknown_fields": True, "omit_defaults": True, "kw_only": True})


class CacheControl(Struct, **_S):
    type: Literal["ephemeral"]
    ttl: str | None = None


class Base64Source(Struct, tag="base64", tag_field="type", **_S):
    media_type: str
    data: str


class UrlSource(Struct, tag="url", tag_field="type", **_S):
    url: str


class TextSource(Struct, tag="text", tag_field="type", **_S):
    media_type: Literal["text/plain"]
    data: str


class FileSource(Struct, tag="file", tag_field="type", **_S):
    file_id: str


class TextBlock(Struct, tag="text", tag_field="type", **_S):
    text: str
    cache_control: CacheControl | None = None
    citations: list[Any] | None = None


class ImageBlock(Struct, tag="image", tag_field="type", **_S):
    source: Base64Source | UrlSource | FileSource
    cache_control: CacheControl | None = None


class DocumentBlock(Struct, tag="document", tag_field="type", **_S):
    source: Base64Source | UrlSource | TextSource | FileSource
    title: str | None = None
    context: str | None = None
    cache_control: CacheControl | None = None


class ToolUseBlock(Struct, tag="tool_use", tag_field="type", **_S):
    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControl | None = None


class ToolResultBlock(Struct, tag="tool_result", tag_field="type", **_S):
    tool_use_id: str
    content: str | list[TextBlock | ImageBlock | DocumentBlock] | None = None
    is_error: bool | None = None
    cache_control: CacheControl | None = None


class ThinkingBlock(Struct, tag="thinking", tag_field="type", **_S):
    thinking: str
    signature: str


class RedactedThinkingBlock(Struct, tag="redacted_thinking", tag_field="type", **_S):
    data: str


Block = TextBlock | ImageBlock | DocumentBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock


class MessageParam(Struct, **_S):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class Tool(Struct, **_S):
    name: str
    input_schema: dict[str, Any]
    description: str | None = None
    cache_control: CacheControl | None = None


class WebSearchTool(Struct, **_S):
    type: Literal["web_search_20250305"]
    name: Literal["web_search"]
    max_uses: int | None = None
    allowed_domains: list[str] | None = None
    blocked_domains: list[str] | None = None
    user_location: dict[str, Any] | None = None


class ToolChoice(Struct, **_S):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class Thinking(Struct, **_S):
    type: Literal["enabled", "disabled", "adaptive"]
    budget_tokens: int | None = None


class Metadata(Struct, **_S):
    user_id: str | None = None


class OutputFormat(Struct, **_S):
    type: Literal["json_schema"]
    schema: dict[str, Any]


class OutputConfig(Struct, **_S):
    effort: Literal["low", "medium", "high", "max"] | None = None
    format: OutputFormat | None = None


class MessagesRequest(Struct, **_S):
    model: str
    messages: list[MessageParam]
    max_tokens: int | None = None  # required for generation; absent from count_tokens bodies
    system: str | list[TextBlock] | None = None
    tools: list[dict[str, Any]] | None = None  # each one a Tool or a WebSearchTool (checked below)
    tool_choice: ToolChoice | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    stream: bool | None = None
    thinking: Thinking | None = None
    metadata: Metadata | None = None
    output_config: OutputConfig | None = None


def validate_request(body: dict[str, Any]) -> MessagesRequest:
    """Raise ``msgspec.ValidationError`` (or ``ValueError``) if Anthropic would reject the shape."""
    req = msgspec.convert(body, MessagesRequest)
    for t in req.tools or []:
        msgspec.convert(t, WebSearchTool if "type" in t else Tool)
    budget = req.thinking.budget_tokens if req.thinking is not None else None
    if req.max_tokens is not None and budget is not None and not 1024 <= budget < req.max_tokens:
        raise ValueError("thinking.budget_tokens must be ≥ 1024 and < max_tokens")
    for m in req.messages:
        if isinstance(m.content, list):
            if not m.content:
                raise ValueError("empty content")
            for b in m.content:
                if isinstance(b, TextBlock) and not b.text:
                    raise ValueError("text content blocks must be non-empty")
    return req
