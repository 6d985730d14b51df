"""A generation request in neutral form."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import Struct

from cliproxy.ir.parts import Part

Role = Literal["system", "user", "assistant"]


class Message(Struct, kw_only=True):
    role: Role
    parts: list[Part] = msgspec.field(default_factory=list)
    name: str = ""
    developer: bool = False  # an OpenAI ``developer`` message (a system message to most targets)


class Tool(Struct, kw_only=True):
    """A function tool. ``parameters`` is a JSON Schema object (may be empty)."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = msgspec.field(default_factory=dict)
    strict: bool | None = None
    namespace: str = ""  # Responses namespace the tool was declared in
    custom: bool = False  # Responses custom (free-form) tool
    cache: bool = False


class BuiltinTool(Struct, kw_only=True):
    """A provider-hosted tool: web search, code execution, URL context, …"""

    kind: str  # "web_search" | "code_execution" | "url_context" | "google_maps" | other name
    config: dict[str, Any] = msgspec.field(default_factory=dict)
    origin: str = ""  # the dialect it was declared in (for tools only that dialect knows)


class ToolChoice(Struct, kw_only=True):
    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str = ""  # for mode "tool"
    namespace: str = ""


class ResponseFormat(Struct, kw_only=True):
    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str = ""
    schema: dict[str, Any] | None = None
    strict: bool | None = None
    description: str = ""


class ThinkingConfig(Struct, kw_only=True):
    """Canonical reasoning control: what the client asked for, before model validation."""

    mode: Literal["none", "auto", "budget", "level", "enabled"] = "enabled"
    budget: int | None = None
    level: str | None = None
    include_thoughts: bool | None = None
    summary: str | None = None  # Responses ``reasoning.summary``


class Request(Struct, kw_only=True):
    model: str = ""
    system: list[Part] = msgspec.field(default_factory=list)
    messages: list[Message] = msgspec.field(default_factory=list)
    tools: list[Tool] = msgspec.field(default_factory=list)
    builtin_tools: list[BuiltinTool] = msgspec.field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = msgspec.field(default_factory=list)
    n: int | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_format: ResponseFormat | None = None
    thinking: ThinkingConfig | None = None
    stream: bool = False
    include_usage: bool | None = None  # OpenAI ``stream_options.include_usage``
    user: str | None = None
    metadata: dict[str, Any] | None = None
    modalities: list[str] = msgspec.field(default_factory=list)
    image_config: dict[str, Any] | None = None
    verbosity: str | None = None
    cache_key: str | None = None  # Responses ``prompt_cache_key``
    dropped: list[str] = msgspec.field(default_factory=list)  # client fields the IR can't hold
