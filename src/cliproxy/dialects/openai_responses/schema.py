"""The OpenAI Responses request as we emit it, strictly typed (unknown fields are errors)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Literal

import msgspec
from msgspec import Struct

_S = MappingProxyType({"forbid_unknown_fields": True, "omit_defaults": True, "kw_only": True})


class InputText(Struct, tag="input_text", tag_field="type", **_S):
    text: str


class OutputText(Struct, tag="output_text", tag_field="type", **_S):
    text: str
    annotations: list[Any] | None = None


class Refusal(Struct, tag="refusal", tag_field="type", **_S):
    refusal: str


class InputImage(Struct, tag="input_image", tag_field="type", **_S):
    detail: Literal["auto", "low", "high"] | None = None
    image_url: str | None = None
    file_id: str | None = None


class InputFile(Struct, tag="input_file", tag_field="type", **_S):
    file_data: str | None = None
    file_id: str | None = None
    file_url: str | None = None
    filename: str | None = None


class MessageItem(Struct, tag="message", tag_field="type", **_S):
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[InputText | OutputText | Refusal | InputImage | InputFile]
    id: str | None = None
    status: str | None = None


class FunctionCallItem(Struct, tag="function_call", tag_field="type", **_S):
    call_id: str
    name: str
    arguments: str
    id: str | None = None
    status: str | None = None
    namespace: str | None = None


class FunctionCallOutputItem(Struct, tag="function_call_output", tag_field="type", **_S):
    call_id: str
    output: str | list[InputText | InputImage | InputFile]
    id: str | None = None
    status: str | None = None


class CustomToolCallItem(Struct, tag="custom_tool_call", tag_field="type", **_S):
    call_id: str
    name: str
    input: str
    id: str | None = None


class SummaryText(Struct, tag="summary_text", tag_field="type", **_S):
    text: str


class ReasoningItem(Struct, tag="reasoning", tag_field="type", **_S):
    summary: list[SummaryText]
    encrypted_content: str | None = None
    id: str | None = None
    content: list[Any] | None = None


Item = MessageItem | FunctionCallItem | FunctionCallOutputItem | CustomToolCallItem | ReasoningItem


class FunctionTool(Struct, tag="function", tag_field="type", **_S):
    name: str
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    description: str | None = None


class CustomTool(Struct, tag="custom", tag_field="type", **_S):
    name: str
    description: str | None = None
    format: dict[str, Any] | None = None


class WebSearchTool(Struct, tag="web_search", tag_field="type", **_S):
    filters: dict[str, Any] | None = None
    user_location: dict[str, Any] | None = None
    external_web_access: bool | None = None
    search_context_size: str | None = None


class NamespaceTool(Struct, tag="namespace", tag_field="type", **_S):
    name: str
    tools: list[FunctionTool | CustomTool]
    description: str | None = None


class ImageGenerationTool(Struct, tag="image_generation", tag_field="type", **_S):
    output_format: str | None = None


class FunctionChoice(Struct, **_S):
    type: Literal["function"]
    name: str
    namespace: str | None = None


class Reasoning(Struct, **_S):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None


class Format(Struct, **_S):
    type: Literal["text", "json_object", "json_schema"]
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None
    description: str | None = None


class TextConfig(Struct, **_S):
    format: Format | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class ResponsesRequest(Struct, **_S):
    model: str
    input: str | list[Item]
    instructions: str | None = None
    tools: list[FunctionTool | CustomTool | WebSearchTool | ImageGenerationTool | NamespaceTool] | None = None
    tool_choice: Literal["auto", "none", "required"] | FunctionChoice | None = None
    parallel_tool_calls: bool | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    reasoning: Reasoning | None = None
    text: TextConfig | None = None
    stream: bool | None = None
    store: bool | None = None
    include: list[str] | None = None
    metadata: dict[str, str] | None = None
    user: str | None = None
    prompt_cache_key: str | None = None
    service_tier: str | None = None
    client_metadata: dict[str, Any] | None = None  # Codex CLI's turn metadata


CODEX_FORBIDDEN = ("max_output_tokens", "temperature", "top_p", "user", "previous_response_id")


def validate_request(body: dict[str, Any], *, codex: bool = False) -> ResponsesRequest:
    if isinstance(body.get("input"), list):  # EasyInputMessage: a message item may omit "type"
        body = {**body, "input": [{"type": "message", **i} if isinstance(i, dict) and "type" not in i and "role" in i
                                  else i for i in body["input"]]}
    req = msgspec.convert(body, ResponsesRequest)
    calls = {i.call_id for i in req.input if isinstance(i, FunctionCallItem | CustomToolCallItem)} \
        if isinstance(req.input, list) else set()
    outs = {i.call_id for i in req.input if isinstance(i, FunctionCallOutputItem)} \
        if isinstance(req.input, list) else set()
    if calls - outs:
        raise ValueError(f"function calls without output: {sorted(calls - outs)}")
    if outs - calls:
        raise ValueError(f"outputs without a function call: {sorted(outs - calls)}")
    if codex:
        bad = [k for k in CODEX_FORBIDDEN if k in body]
        if bad or body.get("stream") is not True or body.get("store") is not False \
                or not isinstance(body.get("instructions"), str):
            raise ValueError(f"codex rules broken: {bad or 'stream/store/instructions'}")
    return req
