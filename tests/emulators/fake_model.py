"""The deterministic fake model shared by every emulator.

Owns the *decision* of what to answer, independent of dialect.  Each emulator
parses its own request shape into a `Prompt`, calls `answer()`, and renders
the returned `Answer` in its own response/stream envelope.

Rules (identical for every provider, so cross-dialect tests can assert the
same strings):
* tools offered + newest user text contains `USE_TOOL` + last turn is not a
  tool result (or the tool choice forces a call, or a TOOL_CALL fault) →
  ONE call to the preferred tool, arguments built from its JSON schema;
* last turn is a tool result → `EMU_RESULT: <result text>`;
* `USE_IMAGE_CHECK` → `EMU_IMAGES <n>` (image parts in the last user message);
* otherwise `EMU_OK <newest user text, ≤60 chars>`;
* JSON mode → a JSON object built from the schema;
* max tokens (dialect field) below the answer's word count → truncated text
  with the provider's max-tokens finish reason.
Token usage is a word count: input = words in all request text, output =
words in the answer (plus thinking words).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .faults import Fault, FaultKind

PREFERRED_TOOLS = ("bash", "Bash", "shell", "exec_command", "run_shell_command")
COMMAND_KEYS = ("command", "cmd")
TOOL_COMMAND = "echo EMU_TOOL_OK"
_WORD = re.compile(r"\S+\s*")


def count_words(text: str) -> int:
    return len(text.split())


def words_in(texts: Iterable[str]) -> int:
    return sum(count_words(t) for t in texts if isinstance(t, str))


def split_words(text: str) -> list[str]:
    """Split into per-word deltas whose concatenation is exactly `text`."""
    chunks = _WORD.findall(text)
    if not chunks:
        return [text]
    lead = text[: len(text) - len(text.lstrip())]
    chunks[0] = lead + chunks[0]
    return chunks


def split_fragments(text: str, parts: int = 3) -> list[str]:
    """Split a tool-argument JSON string into 2+ non-empty fragments (as providers stream them)."""
    if len(text) < 2:
        return [text, ""] if text else ["", ""]
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass(frozen=True)
class ToolSpec:
    """A function tool offered to the model: its name and JSON schema (possibly Gemini-typed)."""

    name: str
    schema: Mapping[str, Any] | None = None


@dataclass
class Prompt:
    """The dialect-neutral view of a request that the fake model decides on."""

    user_text: str = ""
    tool_result: str | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: str | None = None  # None/"auto", "none", "required", or a tool name
    images: int = 0
    max_tokens: int | None = None
    json_schema: Mapping[str, Any] | None = None
    json_mode: bool = False
    input_words: int = 0
    thinking: bool = False


@dataclass
class Answer:
    """What the fake model says.  Exactly one of `text` / `tool_name` is meaningful."""

    text: str = ""
    tool_name: str | None = None
    tool_args: dict[str, Any] | None = None
    truncated: bool = False
    thinking: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def is_tool(self) -> bool:
        return self.tool_name is not None

    @property
    def args_json(self) -> str:
        return json.dumps(self.tool_args or {}, separators=(",", ":"))

    @property
    def thinking_tokens(self) -> int:
        return count_words(self.thinking or "")

    def text_chunks(self) -> list[str]:
        return split_words(self.text)

    def args_chunks(self) -> list[str]:
        return split_fragments(self.args_json)


def _first_type(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), kind[0] if kind else None)
    return str(kind).lower() if kind is not None else None


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return node if isinstance(node, Mapping) else {}
    for key in ("anyOf", "oneOf", "any_of", "allOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            usable = [b for b in branches if isinstance(b, Mapping) and _first_type(b) != "null"]
            return _resolve(usable[0] if usable else branches[0], root)
    return schema


def value_for(name: str, schema: Mapping[str, Any] | None, root: Mapping[str, Any] | None = None,
              *, all_props: bool = False) -> Any:
    """A deterministic value for one schema node (`command`/`cmd` strings run `echo EMU_TOOL_OK`)."""
    schema = schema or {}
    root = root if root is not None else schema
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = _first_type(schema) or ("object" if "properties" in schema else "string")
    if kind == "string":
        return TOOL_COMMAND if name in COMMAND_KEYS else "EMU"
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "array":
        if name in COMMAND_KEYS:
            return ["bash", "-lc", TOOL_COMMAND]
        items = schema.get("items")
        return [value_for(name, items if isinstance(items, Mapping) else {}, root, all_props=all_props)]
    return object_from_schema(schema, root, all_props=all_props)


def object_from_schema(schema: Mapping[str, Any] | None, root: Mapping[str, Any] | None = None,
                       *, all_props: bool = False) -> dict[str, Any]:
    """Build an object: required properties (+ command/cmd), or every property when `all_props`."""
    schema = schema or {}
    root = root if root is not None else schema
    schema = _resolve(schema, root)
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return {}
    raw_required = schema.get("required")
    required: list[Any] = raw_required if isinstance(raw_required, list) else []
    out: dict[str, Any] = {}
    for name, sub in props.items():
        if all_props or name in required or name in COMMAND_KEYS:
            out[name] = value_for(name, sub if isinstance(sub, Mapping) else {}, root, all_props=all_props)
    return out


def pick_tool(tools: list[ToolSpec], choice: str | None) -> ToolSpec | None:
    if not tools:
        return None
    if choice not in (None, "auto", "none", "required"):
        named = [t for t in tools if t.name == choice]
        if named:
            return named[0]
    for preferred in PREFERRED_TOOLS:
        for tool in tools:
            if tool.name == preferred:
                return tool
    return tools[0]


def _truncate(text: str, limit: int) -> str:
    return "".join(split_words(text)[: max(limit, 0)]).rstrip()


def answer(prompt: Prompt, fault: Fault | None = None) -> Answer:
    """Decide the deterministic answer for `prompt` (see module docstring)."""
    kind = fault.kind if fault is not None else None
    out = Answer(input_tokens=prompt.input_words)
    if prompt.thinking:
        out.thinking = f"EMU_THINKING about: {' '.join(prompt.user_text.split())[:40]}".rstrip()
    forced = prompt.tool_choice not in (None, "auto", "none")
    wants_tool = "USE_TOOL" in prompt.user_text and prompt.tool_result is None
    tool = pick_tool(prompt.tools, prompt.tool_choice) if prompt.tool_choice != "none" else None
    if tool is not None and kind is not FaultKind.MAX_TOKENS and (wants_tool or forced
                                                                   or kind is FaultKind.TOOL_CALL):
        out.tool_name = tool.name
        out.tool_args = object_from_schema(tool.schema)
        out.output_tokens = count_words(out.args_json) + out.thinking_tokens
        return out
    if prompt.json_mode or prompt.json_schema is not None:
        obj: Any = object_from_schema(prompt.json_schema, all_props=True) if prompt.json_schema else {}
        if not obj:
            obj = {"answer": _default_text(prompt)}
        text = json.dumps(obj)
    else:
        text = _default_text(prompt)
    words = split_words(text)
    if kind is FaultKind.MAX_TOKENS:
        text, out.truncated = _truncate(text, max(1, len(words) // 2)), True
    elif prompt.max_tokens is not None and prompt.max_tokens < len(words):
        text, out.truncated = _truncate(text, prompt.max_tokens), True
    out.text = text
    out.output_tokens = count_words(text) + out.thinking_tokens
    return out


def _default_text(prompt: Prompt) -> str:
    if prompt.tool_result is not None:
        return f"EMU_RESULT: {prompt.tool_result.strip()}"
    if "USE_IMAGE_CHECK" in prompt.user_text:
        return f"EMU_IMAGES {prompt.images}"
    echo = " ".join(prompt.user_text.split())[:60].strip()
    return f"EMU_OK {echo}".rstrip()
