"""Gemini `GenerateContentRequest` validation, with Google's own 400 wordings.

Owns two passes, in the order Google runs them:
1. *JSON → proto parsing*: unknown field names anywhere we model the proto
   (request, content, part, tool, function declaration, generation config and
   the OpenAPI-subset `Schema` of `parameters`/`responseSchema`), type arrays
   ("Proto field is not repeating, cannot start list"), bad `Type` enum
   values.  All violations are reported together with a `google.rpc.BadRequest`.
   camelCase and snake_case spellings are both accepted (google-genai sends
   `parameters_json_schema`); `parametersJsonSchema`/`responseJsonSchema` take
   full JSON Schema and are not checked.
2. *Semantics*: contents present, roles `user`/`model`, non-empty parts with
   a data field, function-response turns answering the previous function-call
   turn (same count), function names, OBJECT schemas with empty properties,
   and Gemini 3 `thoughtSignature`s on replayed calls (minted by this emulator
   or the `skip_thought_signature_validator` sentinel).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .google_errors import GoogleError, bad_request
from .signing import GEMINI_SKIP_SENTINEL, Signer

THOUGHT_PURPOSE = "gemini-thought"
FN_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$")
TYPES = {"TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}


def _names(*camel: str) -> frozenset[str]:
    """A field set accepting each lowerCamel name and its snake_case twin."""
    return frozenset(n for c in camel for n in (c, re.sub(r"([A-Z])", lambda m: "_" + m[1].lower(), c)))


REQUEST = _names("model", "contents", "tools", "toolConfig", "safetySettings", "systemInstruction",
                 "generationConfig", "cachedContent", "labels", "serviceTier", "store")
CONTENT = _names("role", "parts")
PART = _names("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
              "codeExecutionResult", "thought", "thoughtSignature", "videoMetadata", "partMetadata",
              "mediaResolution")
DATA_FIELDS = _names("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
                     "codeExecutionResult")
TOOL = _names("functionDeclarations", "googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext",
              "computerUse", "fileSearch", "googleMaps", "retrieval", "enterpriseWebSearch", "mcpServers")
DECLARATION = _names("name", "description", "parameters", "parametersJsonSchema", "response",
                     "responseJsonSchema", "behavior")
GENERATION = _names("stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema",
                    "responseModalities", "candidateCount", "maxOutputTokens", "temperature", "topP", "topK", "seed",
                    "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs", "speechConfig",
                    "thinkingConfig", "mediaResolution", "imageConfig", "enableEnhancedCivicAnswers",
                    "enableAffectiveDialog", "audioTimestamp", "routingConfig") | {"_responseJsonSchema"}
THINKING = _names("includeThoughts", "thinkingBudget", "thinkingLevel")
SCHEMA = _names("type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
                "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern",
                "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum")


def get(obj: Mapping[str, Any], camel: str, default: Any = None) -> Any:
    """Read a field under its camelCase or snake_case name."""
    if camel in obj:
        return obj[camel]
    return obj.get(re.sub(r"([A-Z])", lambda m: "_" + m[1].lower(), camel), default)


class _Parser:
    """Collects proto-parsing violations like Google's JSON front end."""

    def __init__(self) -> None:
        self.violations: list[tuple[str, str]] = []

    def unknown(self, obj: Any, allowed: frozenset[str], path: str) -> None:
        if not isinstance(obj, Mapping):
            return
        for key in obj:
            if key not in allowed:
                where = f" at '{path}'" if path else ""
                self.violations.append((path, f'Invalid JSON payload received. Unknown name "{key}"{where}: '
                                              "Cannot find field."))

    def schema(self, node: Any, path: str) -> None:
        if not isinstance(node, Mapping):
            return
        self.unknown(node, SCHEMA, path)
        kind = node.get("type")
        if isinstance(kind, list):
            self.violations.append((path, f'Invalid JSON payload received. Unknown name "type" at \'{path}\': '
                                          "Proto field is not repeating, cannot start list."))
        elif kind is not None and str(kind).upper() not in TYPES:
            self.violations.append((f"{path}.type", f"Invalid value at '{path}.type' "
                                   f'(type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "{kind}"'))
        for k, value in enumerate(node.get("enum") or []):
            if not isinstance(value, str):
                self.violations.append((f"{path}.enum[{k}]", f"Invalid value at '{path}.enum[{k}]' (TYPE_STRING), "
                                                            f"{value}"))
        props = node.get("properties")
        if isinstance(props, Mapping):
            for k, sub in enumerate(props.values()):
                self.schema(sub, f"{path}.properties[{k}].value")
        self.schema(node.get("items"), f"{path}.items")
        for k, sub in enumerate(get(node, "anyOf") or []):
            self.schema(sub, f"{path}.any_of[{k}]")


def parse_request(body: Mapping[str, Any], extra: frozenset[str] = frozenset()) -> None:
    """Pass 1: raise the INVALID_ARGUMENT Google returns for unparsable field names/values."""
    p = _Parser()
    p.unknown(body, REQUEST | extra, "")
    system = get(body, "systemInstruction")
    _contents(p, ([] if system is None else [system]), "system_instruction", single=True)
    _contents(p, get(body, "contents") or [], "contents")
    for t, tool in enumerate(get(body, "tools") or []):
        p.unknown(tool, TOOL, f"tools[{t}]")
        for d, decl in enumerate(get(tool, "functionDeclarations") or [] if isinstance(tool, Mapping) else []):
            where = f"tools[{t}].function_declarations[{d}]"
            p.unknown(decl, DECLARATION, where)
            if isinstance(decl, Mapping):
                p.schema(decl.get("parameters"), f"{where}.parameters")
                p.schema(decl.get("response"), f"{where}.response")
    config = get(body, "generationConfig")
    p.unknown(config, GENERATION, "generation_config")
    if isinstance(config, Mapping):
        p.unknown(get(config, "thinkingConfig"), THINKING, "generation_config.thinking_config")
        p.schema(get(config, "responseSchema"), "generation_config.response_schema")
    if p.violations:
        raise GoogleError(400, "\n".join(d for _, d in p.violations), details=[bad_request(p.violations)])


def _contents(p: _Parser, contents: Iterable[Any], path: str, single: bool = False) -> None:
    for i, content in enumerate(contents):
        where = path if single else f"{path}[{i}]"
        p.unknown(content, CONTENT, where)
        for j, part in enumerate(content.get("parts") or [] if isinstance(content, Mapping) else []):
            p.unknown(part, PART, f"{where}.parts[{j}]")


def validate_semantics(body: Mapping[str, Any], *, model: str, signer: Signer, allow_function_role: bool) -> None:
    """Pass 2: raise the INVALID_ARGUMENT Google returns for a well-formed but invalid request."""
    contents = get(body, "contents")
    if not contents:
        raise GoogleError(400, "* GenerateContentRequest.contents: contents is not specified\n")
    roles = ("user", "model", "function") if allow_function_role else ("user", "model")
    for i, content in enumerate(contents):
        if content.get("role") not in (None, "", *roles):
            raise GoogleError(400, "Please use a valid role: user, model.")
        parts = content.get("parts")
        if not parts:
            raise GoogleError(400, f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be "
                                   "empty.\n")
        for j, part in enumerate(parts):
            if not any(k in DATA_FIELDS for k in part):
                raise GoogleError(400, f"* GenerateContentRequest.contents[{i}].parts[{j}].data: required oneof "
                                       "field 'data' must have one initialized field\n")
    _check_function_turns(contents)
    _check_declarations(body)
    _check_signatures(contents, model, signer)


def _calls(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [p for p in content.get("parts") or [] if get(p, "functionCall") is not None]


def _responses(content: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [p for p in content.get("parts") or [] if get(p, "functionResponse") is not None]


def _check_function_turns(contents: list[Mapping[str, Any]]) -> None:
    for i, content in enumerate(contents):
        prev = contents[i - 1] if i else None
        if _calls(content) and (prev is None or prev.get("role") == "model"):
            raise GoogleError(400, "Please ensure that function call turn comes immediately after a user turn or "
                                   "after a function response turn.")
        if _responses(content):
            if prev is None or prev.get("role") != "model" or not _calls(prev):
                raise GoogleError(400, "Please ensure that function response turn comes immediately after a "
                                       "function call turn.")
            if len(_responses(content)) != len(_calls(prev)):
                raise GoogleError(400, "Please ensure that the number of function response parts is equal to the "
                                       "number of function call parts of the function call turn.")


def _check_declarations(body: Mapping[str, Any]) -> None:
    for t, tool in enumerate(get(body, "tools") or []):
        for d, decl in enumerate(get(tool, "functionDeclarations") or []):
            where = f"GenerateContentRequest.tools[{t}].function_declarations[{d}]"
            if not FN_NAME.match(str(decl.get("name", ""))):
                raise GoogleError(400, f"* {where}.name: Invalid function name. Must start with a letter or an "
                                       "underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and "
                                       "dashes, with a maximum length of 64.\n")
            _empty_object(decl.get("parameters"), f"{where}.parameters")


def _empty_object(schema: Any, path: str) -> None:
    if not isinstance(schema, Mapping):
        return
    props = schema.get("properties")
    if str(schema.get("type", "")).upper() == "OBJECT" and isinstance(props, Mapping) and not props:
        raise GoogleError(400, f"* {path}.properties: should be non-empty for OBJECT type\n")
    for k, sub in enumerate((props or {}).values() if isinstance(props, Mapping) else []):
        _empty_object(sub, f"{path}.properties[{k}].value")


def _check_signatures(contents: list[Mapping[str, Any]], model: str, signer: Signer) -> None:
    for content in contents:
        for part in content.get("parts") or []:
            sig = get(part, "thoughtSignature")
            if sig is not None and sig != GEMINI_SKIP_SENTINEL and not signer.verify_opaque(THOUGHT_PURPOSE, sig):
                raise GoogleError(400, "Corrupted thought signature.")
    if not model.startswith("gemini-3"):
        return
    turn_start = 0
    for i, content in enumerate(contents):
        if content.get("role") in (None, "", "user") and any(get(p, "text") is not None for p in content["parts"]):
            turn_start = i
    for i in range(turn_start, len(contents)):
        calls = _calls(contents[i]) if contents[i].get("role") == "model" else []
        if calls and get(calls[0], "thoughtSignature") is None:
            name = get(calls[0], "functionCall").get("name")
            raise GoogleError(400, "Function call is missing a thought_signature in functionCall parts. This is "
                                   "required for tools to work correctly, and missing thought_signature may lead to "
                                   f"degraded model performance. Additional data, function call `default_api:{name}` "
                                   f", position {i + 1}. Please refer to "
                                   "https://ai.google.dev/gemini-api/docs/thought-signatures for more details.")
