"""Content parts: what a message or an answer is made of.

Provenance: a signature (Claude thinking signature, Gemini ``thoughtSignature``, OpenAI
``encrypted_content``) is only valid for the model family that minted it, so every signed part
records its ``origin`` family (``claude``, ``gemini``, ``openai``). Encoders send a signature
upstream only to its own family and drop (with a warning) or replace it otherwise.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import Struct

_decode = msgspec.json.decode
_encode = msgspec.json.encode


class Text(Struct, kw_only=True):
    text: str
    cache: bool = False  # an Anthropic-style cache breakpoint after this block
    refusal: bool = False


class Image(Struct, kw_only=True):
    """An image: inline base64 ``data`` with ``mime``, or a ``url`` (http(s), gs://), or a file id."""

    mime: str = ""
    data: str = ""
    url: str = ""
    file_id: str = ""
    detail: str = ""
    cache: bool = False


class File(Struct, kw_only=True):
    """A document, audio clip or other file: inline base64, a URL, a provider file id, or plain text."""

    mime: str = ""
    data: str = ""
    url: str = ""
    file_id: str = ""
    filename: str = ""
    text: str = ""  # a plain-text document (Anthropic ``source.type: text``)
    cache: bool = False


class Thinking(Struct, kw_only=True):
    text: str = ""
    signature: str = ""
    origin: str = ""  # family that minted the signature: "claude" | "gemini" | "openai" | ""
    redacted: bool = False  # Anthropic redacted_thinking: the opaque payload is in ``signature``
    item_id: str = ""  # Responses reasoning item id, when one came with it


class ToolCall(Struct, kw_only=True):
    id: str
    name: str
    arguments: str = ""  # JSON text (what streams deliver); see ``args_object``
    args: dict[str, Any] | None = None  # the parsed object, when the source had one
    namespace: str = ""  # Responses namespace tools
    signature: str = ""  # Gemini thoughtSignature carried on a functionCall part
    origin: str = ""
    custom: bool = False  # Responses custom (free-form) tool: ``arguments`` is raw input text


class ToolResult(Struct, kw_only=True):
    call_id: str
    name: str = ""
    content: list[Text | Image | File] = msgspec.field(default_factory=list)
    is_error: bool = False
    cache: bool = False


class Opaque(Struct, kw_only=True):
    """Something only its own dialect can express (server tool blocks, code execution, …)."""

    origin: str  # dialect id
    kind: str
    data: dict[str, Any]


Content = Text | Image | File
Part = Text | Image | File | Thinking | ToolCall | ToolResult | Opaque


def args_object(call: ToolCall) -> dict[str, Any] | None:
    """The call's arguments as a JSON object, or None when they are not an object."""
    if call.args is not None:
        return call.args
    raw = call.arguments.strip()
    if not raw:
        return {}
    try:
        obj = _decode(raw)
    except msgspec.DecodeError:
        obj = _repair(raw)
    return obj if isinstance(obj, dict) else None


def args_text(call: ToolCall) -> str:
    if call.arguments:
        head = call.arguments.lstrip()[:2]
        if head == "{'" or head == "['":  # Python-style pseudo-JSON from some servers: repair it
            fixed = _repair(call.arguments)
            if fixed is not None:
                return _encode(fixed).decode()
        return call.arguments
    if call.args is not None:
        return _encode(call.args).decode()
    return "{}"


def _repair(raw: str) -> Any:
    """Tolerate single-quoted pseudo-JSON (some OpenAI-compatible servers emit it)."""
    if "'" not in raw:
        return None
    try:
        return _decode(raw.replace("'", '"'))
    except msgspec.DecodeError:
        return None


def content_text(items: list[Text | Image | File]) -> str:
    return "".join(p.text for p in items if isinstance(p, Text))
