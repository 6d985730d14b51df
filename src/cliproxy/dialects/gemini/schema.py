"""The Gemini ``GenerateContentRequest`` as we emit it, strictly typed (unknown fields are errors),
plus the Code Assist (Gemini CLI) and Antigravity envelopes.

Google rejects unknown fields ("Invalid JSON payload received. Unknown name …") and tool schemas
outside its OpenAPI subset, so ``validate_request`` also checks every function declaration's
schema against that subset (``SchemaNode``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Literal

import msgspec
from msgspec import Struct

_S = MappingProxyType({"forbid_unknown_fields": True, "omit_defaults": True, "kw_only": True})
_CAMEL = MappingProxyType({"rename": "camel"})


class Blob(Struct, **_S, **_CAMEL):
    mime_type: str
    data: str


class FileData(Struct, **_S, **_CAMEL):
    file_uri: str
    mime_type: str | None = None


class FunctionCall(Struct, **_S):
    name: str
    args: dict[str, Any] | None = None
    id: str | None = None


class FunctionResponse(Struct, **_S):
    name: str
    response: dict[str, Any]
    id: str | None = None
    parts: list[dict[str, Any]] | None = None


class Part(Struct, **_S, **_CAMEL):
    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: dict[str, Any] | None = None
    code_execution_result: dict[str, Any] | None = None


class Content(Struct, **_S):
    parts: list[Part]
    role: Literal["user", "model"] | None = None


class SystemInstruction(Struct, **_S):
    parts: list[Part]
    role: Literal["user"] | None = None


class SchemaNode(Struct, **_S, **_CAMEL):
    """The OpenAPI subset Gemini accepts in function declarations."""

    type: Literal["string", "number", "integer", "boolean", "array", "object", "null",
                  "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"] | None = None
    format: str | None = None
    title: str | None = None
    description: str | None = None
    nullable: bool | None = None
    enum: list[str] | None = None
    max_items: int | None = None
    min_items: int | None = None
    properties: dict[str, SchemaNode] | None = None
    required: list[str] | None = None
    items: SchemaNode | None = None
    minimum: float | None = None
    maximum: float | None = None
    any_of: list[SchemaNode] | None = None
    property_ordering: list[str] | None = None


class FunctionDeclaration(Struct, **_S, **_CAMEL):
    name: str
    description: str | None = None
    parameters: SchemaNode | None = None  # the OpenAPI subset, strictly
    parameters_json_schema: dict[str, Any] | None = None  # full JSON Schema (see ``validate_request``)
    behavior: str | None = None
    response: dict[str, Any] | None = None


class Tool(Struct, **_S, **_CAMEL):
    function_declarations: list[FunctionDeclaration] | None = None
    google_search: dict[str, Any] | None = None
    google_search_retrieval: dict[str, Any] | None = None
    code_execution: dict[str, Any] | None = None
    url_context: dict[str, Any] | None = None


class FunctionCallingConfig(Struct, **_S, **_CAMEL):
    mode: Literal["AUTO", "ANY", "NONE", "VALIDATED"] | None = None
    allowed_function_names: list[str] | None = None


class ToolConfig(Struct, **_S, **_CAMEL):
    function_calling_config: FunctionCallingConfig | None = None


class ThinkingConfig(Struct, **_S, **_CAMEL):
    thinking_budget: int | None = None
    thinking_level: Literal["minimal", "low", "medium", "high", "MINIMAL", "LOW", "MEDIUM", "HIGH"] | None = None
    include_thoughts: bool | None = None


class GenerationConfig(Struct, **_S, **_CAMEL):
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    candidate_count: int | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_mime_type: str | None = None
    response_json_schema: dict[str, Any] | None = None
    response_schema: dict[str, Any] | None = None
    response_modalities: list[str] | None = None
    thinking_config: ThinkingConfig | None = None
    image_config: dict[str, Any] | None = None


class SafetySetting(Struct, **_S):
    category: str
    threshold: str


class GenerateContentRequest(Struct, **_S, **_CAMEL):
    contents: list[Content]
    system_instruction: SystemInstruction | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    generation_config: GenerationConfig | None = None
    safety_settings: list[SafetySetting] | None = None
    session_id: str | None = None  # Antigravity only


class CliEnvelope(Struct, **_S):
    model: str
    project: str
    request: GenerateContentRequest


class AntigravityEnvelope(Struct, **_S, **_CAMEL):
    model: str
    user_agent: Literal["antigravity"]
    request_type: Literal["agent", "image_gen"]
    request_id: str
    project: str
    request: GenerateContentRequest


_DATA = ("text", "inline_data", "file_data", "function_call", "function_response", "executable_code",
         "code_execution_result")


def _check(req: GenerateContentRequest, *, alternate: bool, cleaned: bool) -> None:
    if cleaned:
        for tool in req.tools or []:
            for d in tool.function_declarations or []:
                if d.parameters_json_schema is not None:
                    msgspec.convert(d.parameters_json_schema, SchemaNode)
    if not req.contents:
        raise ValueError("contents must not be empty")
    for i, c in enumerate(req.contents):
        if not c.parts:
            raise ValueError(f"contents[{i}] has no parts")
        for p in c.parts:
            present = [k for k in _DATA if getattr(p, k) is not None]
            if len(present) > 1:
                raise ValueError(f"contents[{i}]: a part holds {present}")
            if not present and not p.thought_signature:
                raise ValueError(f"contents[{i}]: a part holds no data")
        if alternate and i and c.role is not None and c.role == req.contents[i - 1].role:
            raise ValueError(f"contents[{i}]: consecutive {c.role} turns")
        calls = [p for p in c.parts if p.function_call is not None]
        if calls:
            nxt = req.contents[i + 1] if i + 1 < len(req.contents) else None
            answers = [p for p in nxt.parts if p.function_response is not None] if nxt else []
            if len(answers) < len(calls):
                raise ValueError(f"contents[{i}]: {len(calls)} calls but {len(answers)} responses follow")
            if c.role == "model" and not calls[0].thought_signature:
                raise ValueError(f"contents[{i}]: functionCall without thoughtSignature (Gemini 3 rejects it)")


def validate_request(body: dict[str, Any], *, envelope: str = "", cleaned: bool = False) -> GenerateContentRequest:
    """``envelope``: "" (AI Studio / Vertex), "cli" or "antigravity". ``cleaned``: also hold
    ``parametersJsonSchema`` to the OpenAPI subset (what our cleaner must produce). Consecutive
    same-role turns are an error for Antigravity only (its Claude backend needs alternation)."""
    if envelope == "cli":
        req = msgspec.convert(body, CliEnvelope).request
    elif envelope == "antigravity":
        req = msgspec.convert(body, AntigravityEnvelope).request
        if req.safety_settings:
            raise ValueError("antigravity rejects safetySettings")
    else:
        req = msgspec.convert(body, GenerateContentRequest)
    if envelope != "antigravity" and req.session_id is not None:
        raise ValueError("sessionId is Antigravity-only")
    _check(req, alternate=envelope == "antigravity", cleaned=cleaned)
    return req
