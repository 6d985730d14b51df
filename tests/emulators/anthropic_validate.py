"""Anthropic Messages request validation, with the API's own 400 wordings.

Owns every rule the emulator enforces on `POST /v1/messages` and
`/v1/messages/count_tokens` bodies: required fields, roles (a `system` role
inside `messages` only with the `mid-conversation-system` beta), non-empty
content, known block types, strict user/assistant alternation starting with
user, `tool_result` blocks answering the `tool_use` ids of the immediately
preceding assistant message and placed first in their message, thinking
blocks carrying a signature minted by this emulator, thinking-config
compatibility, tool names and the 4-breakpoint `cache_control` limit.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from .signing import Signer

BLOCK_TYPES = ("text", "image", "document", "search_result", "thinking", "redacted_thinking", "tool_use",
               "tool_result", "server_tool_use", "web_search_tool_result", "container_upload")
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


class AnthropicError(Exception):
    """A validation failure rendered as `{"type":"error","error":{type,message}}`."""

    def __init__(self, message: str, *, status: int = 400, type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.type = status, message, type


def blocks(content: Any) -> list[dict[str, Any]]:
    """Normalise string content to a single text block."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def validate_messages(body: Any, *, models: Sequence[str] | None, signer: Signer, betas: str,
                      strict_alternation: bool, count_only: bool = False) -> dict[str, Any]:
    """Return the body when valid; raise AnthropicError with the API's wording otherwise."""
    if not isinstance(body, dict):
        raise AnthropicError("There was an issue with your request body: invalid JSON")
    for field in ("model", "messages") if count_only else ("model", "max_tokens", "messages"):
        if field not in body:
            raise AnthropicError(f"{field}: Field required")
    if not count_only and (not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1):
        raise AnthropicError("max_tokens: Input should be greater than or equal to 1")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise AnthropicError("messages: Input should be a valid list")
    if not messages:
        raise AnthropicError("messages: at least one message is required")
    _check_roles_and_content(messages, betas)
    turns = [(i, m) for i, m in enumerate(messages) if m["role"] != "system"]
    if strict_alternation:
        _check_alternation(turns)
    _check_tool_pairing(turns)
    _check_thinking_blocks(messages, signer)
    _check_config(body, count_only)
    if models is not None and body["model"] not in models:
        raise AnthropicError(f"model: {body['model']}", status=404, type="not_found_error")
    return body


def _check_roles_and_content(messages: list[Any], betas: str) -> None:
    allowed = ("user", "assistant", "system") if "mid-conversation-system" in betas else ("user", "assistant")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or "role" not in msg:
            raise AnthropicError(f"messages.{i}.role: Field required")
        if msg["role"] not in allowed:
            raise AnthropicError(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in msg:
            raise AnthropicError(f"messages.{i}.content: Field required")
        content = msg["content"]
        final_assistant = i == len(messages) - 1 and msg["role"] == "assistant"
        if (content == "" or content == []) and not final_assistant:
            raise AnthropicError(f"messages.{i}: all messages must have non-empty content except for the "
                                 "optional final assistant message")
        for j, block in enumerate(content if isinstance(content, list) else []):
            kind = block.get("type") if isinstance(block, dict) else None
            if kind not in BLOCK_TYPES:
                tags = ", ".join(f"'{t}'" for t in BLOCK_TYPES)
                raise AnthropicError(f"messages.{i}.content.{j}.type: Input tag '{kind}' found using 'type' "
                                     f"does not match any of the expected tags: {tags}")
            if kind == "text" and not block.get("text"):
                raise AnthropicError("messages: text content blocks must be non-empty")


def _check_alternation(turns: list[tuple[int, dict[str, Any]]]) -> None:
    if turns and turns[0][1]["role"] != "user":
        raise AnthropicError('messages: first message must use the "user" role')
    for (_, prev), (_, cur) in itertools.pairwise(turns):
        if prev["role"] == cur["role"]:
            raise AnthropicError('messages: roles must alternate between "user" and "assistant", but found '
                                 f'multiple "{cur["role"]}" roles in a row')


def _check_tool_pairing(turns: list[tuple[int, dict[str, Any]]]) -> None:
    for pos, (i, msg) in enumerate(turns):
        content = blocks(msg["content"])
        if msg["role"] == "user":
            prev = turns[pos - 1][1] if pos else None
            offered = {b.get("id") for b in blocks(prev["content"]) if b.get("type") == "tool_use"} \
                if prev is not None and prev["role"] == "assistant" else set()
            for j, block in enumerate(content):
                if block.get("type") == "tool_result" and block.get("tool_use_id") not in offered:
                    raise AnthropicError(f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                                         f"`tool_result` blocks: {block.get('tool_use_id')}. Each `tool_result` "
                                         "block must have a corresponding `tool_use` block in the previous message.")
            continue
        ids = [b.get("id") for b in content if b.get("type") == "tool_use"]
        if not ids:
            continue
        nxt = turns[pos + 1][1] if pos + 1 < len(turns) else None
        leading: set[Any] = set()
        for block in blocks(nxt["content"]) if nxt is not None and nxt["role"] == "user" else []:
            if block.get("type") != "tool_result":
                break
            leading.add(block.get("tool_use_id"))
        missing = [t for t in ids if t not in leading]
        if missing:
            raise AnthropicError(f"messages.{i}: `tool_use` ids were found without `tool_result` blocks "
                                 f"immediately after: {', '.join(map(str, missing))}. Each `tool_use` block must "
                                 "have a corresponding `tool_result` block in the next message.")


def _check_thinking_blocks(messages: list[dict[str, Any]], signer: Signer) -> None:
    for i, msg in enumerate(messages):
        for j, block in enumerate(blocks(msg["content"])):
            if block.get("type") != "thinking":
                continue
            signature = block.get("signature")
            if not isinstance(signature, str):
                raise AnthropicError(f"messages.{i}.content.{j}.thinking.signature: Field required")
            if not signer.verify_thinking(str(block.get("thinking", "")), signature):
                raise AnthropicError(f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block")


def _check_config(body: dict[str, Any], count_only: bool) -> None:
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            raise AnthropicError("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if not count_only and body["max_tokens"] <= budget:
            raise AnthropicError("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult "
                                 f"our documentation at {DOCS}#max-tokens-and-context-window-size")
    if thinking.get("type") in ("enabled", "adaptive"):
        if (body.get("tool_choice") or {}).get("type") in ("any", "tool"):
            raise AnthropicError("Thinking may not be enabled when tool_choice forces tool use.")
        if body.get("temperature", 1) != 1:
            raise AnthropicError("`temperature` may only be set to 1 when thinking is enabled. Please consult "
                                 f"our documentation at {DOCS}#feature-compatibility")
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or tool.get("type") not in (None, "custom"):
            continue
        if not isinstance(tool.get("name"), str) or not TOOL_NAME.match(tool["name"]):
            raise AnthropicError(f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'")
        if "input_schema" not in tool:
            raise AnthropicError(f"tools.{i}.custom.input_schema: Field required")
    found = _count_cache_control(body)
    if found > 4:
        raise AnthropicError(f"A maximum of 4 blocks with cache_control may be provided. Found {found}.")


def _count_cache_control(body: dict[str, Any]) -> int:
    count = sum(1 for t in body.get("tools") or [] if isinstance(t, dict) and t.get("cache_control"))
    system = body.get("system")
    count += sum(1 for b in system if isinstance(b, dict) and b.get("cache_control")) \
        if isinstance(system, list) else 0
    for msg in body["messages"]:
        count += sum(1 for b in blocks(msg.get("content")) if b.get("cache_control"))
    return count
