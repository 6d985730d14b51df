"""OpenAI Chat Completions (`POST {base}/chat/completions`).

Owns: request validation with the platform's wordings (messages required and
non-empty, valid roles and content-part types, `tool` messages answering a
preceding assistant `tool_calls` id, every tool call answered, tool-name
pattern, `stream_options` only with `stream`, unknown model → 404
`model_not_found`), translation of the request into a fake-model `Prompt`,
and rendering of the answer as a `chat.completion` or as the official chunk
sequence (role chunk, content deltas, tool-call header + argument fragments,
finish chunk, optional `choices: []` usage chunk, `data: [DONE]`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from . import fake_model
from .fake_model import Answer, Prompt, ToolSpec
from .openai_common import OpenAIError, check_tool_name, invalid_value, missing, parse_body, usage_chat
from .runner import EmulatorServer
from .sse import EventStream, dumps, send_body, sse

CHAT_ROLES = ("system", "assistant", "user", "function", "tool", "developer")
PART_TYPES = ("text", "image_url", "input_audio", "refusal", "audio", "file")


def content_texts(content: Any) -> list[str]:
    """Text strings of a chat/responses content value (a string or a list of typed parts)."""
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return []


def count_images(content: Any) -> int:
    if not isinstance(content, list):
        return 0
    return sum(1 for p in content if isinstance(p, dict) and p.get("type") in ("image_url", "input_image"))


def validate_chat(body: dict[str, Any], models: Sequence[str] | None) -> None:
    """Raise the OpenAIError the real endpoint would return for this body, if any."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise OpenAIError(400, "you must provide a model parameter")
    if "messages" not in body:
        raise missing("messages")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise OpenAIError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                               "but got an empty array instead.", param="messages", code="empty_array")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or "role" not in msg:
            raise missing(f"messages[{i}].role")
        if msg["role"] not in CHAT_ROLES:
            raise invalid_value(msg["role"], CHAT_ROLES, f"messages[{i}].role")
        if isinstance(msg.get("content"), list):
            for j, part in enumerate(msg["content"]):
                if not isinstance(part, dict) or part.get("type") not in PART_TYPES:
                    raise invalid_value(part.get("type") if isinstance(part, dict) else part, PART_TYPES,
                                        f"messages[{i}].content[{j}].type")
    _validate_tool_pairing(messages)
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or not isinstance(tool.get("function"), dict):
            raise missing(f"tools[{i}].function")
        check_tool_name(tool["function"].get("name"), f"tools[{i}].function.name")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise OpenAIError(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                          param="stream_options")
    if models is not None and body["model"] not in models:
        raise OpenAIError(404, f"The model `{body['model']}` does not exist or you do not have access to it.",
                          code="model_not_found")


def _validate_tool_pairing(messages: list[dict[str, Any]]) -> None:
    pending: list[Any] = []  # ids of the latest assistant tool_calls still awaiting a tool message
    pending_at = -1
    for i, msg in enumerate(messages):
        role = msg["role"]
        if role == "tool":
            call_id = msg.get("tool_call_id")
            if not isinstance(call_id, str):
                raise missing(f"messages[{i}].tool_call_id")
            if pending_at < 0:
                raise OpenAIError(400, "Invalid parameter: messages with role 'tool' must be a response to a "
                                       "preceeding message with 'tool_calls'.", param=f"messages.[{i}].role")
            if call_id not in pending:
                raise OpenAIError(400, f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in "
                                       "'tool_calls' of previous message.", param=f"messages.[{i}].tool_call_id")
            pending.remove(call_id)
            continue
        if pending:
            raise OpenAIError(400, "An assistant message with 'tool_calls' must be followed by tool messages "
                                   "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                                   f"response messages: {', '.join(pending)}", param=f"messages.[{pending_at}].role")
        pending, pending_at = [], -1
        if role == "assistant" and msg.get("tool_calls"):
            pending = [c.get("id") for c in msg["tool_calls"] if isinstance(c, dict)]
            pending_at = i
    if pending:
        raise OpenAIError(400, "An assistant message with 'tool_calls' must be followed by tool messages "
                               "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                               f"response messages: {', '.join(pending)}", param=f"messages.[{pending_at}].role")


def chat_prompt(body: dict[str, Any]) -> Prompt:
    messages: list[dict[str, Any]] = body["messages"]
    texts = [t for m in messages for t in content_texts(m.get("content"))]
    users = [m for m in messages if m["role"] == "user"]
    last = messages[-1]
    tools = [ToolSpec(t["function"]["name"], t["function"].get("parameters"))
             for t in body.get("tools") or [] if t.get("type", "function") == "function"]
    tools += [ToolSpec(f["name"], f.get("parameters")) for f in body.get("functions") or []]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
    effort = body.get("reasoning_effort")
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    return Prompt(
        user_text=" ".join(content_texts(users[-1].get("content"))) if users else "",
        tool_result=" ".join(content_texts(last.get("content"))) if last["role"] in ("tool", "function") else None,
        tools=tools, tool_choice=choice if isinstance(choice, str) else None,
        images=count_images(users[-1].get("content")) if users else 0,
        max_tokens=limit if isinstance(limit, int) else None,
        json_schema=schema, json_mode=fmt.get("type") in ("json_object", "json_schema"),
        input_words=fake_model.words_in(texts), thinking=bool(effort) and effort != "none")


def finish_reason(answer: Answer) -> str:
    return "tool_calls" if answer.is_tool else "length" if answer.truncated else "stop"


class ChatCompletionsMixin(EmulatorServer):
    """Chat Completions handlers; mixed into `OpenAIEmulator`."""

    models: tuple[str, ...] | None
    reasoning_content: bool

    async def handle_chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = parse_body(self.body_of(request))
            validate_chat(body, self.models)
        except OpenAIError as err:
            return err.response()
        fault = self.fault_of(request)
        answer = fake_model.answer(chat_prompt(body), fault)
        cid, created = self.next_id("chatcmpl-", 29), int(self.clock())
        call_id = self.next_id("call_", 24) if answer.is_tool else ""
        if not body.get("stream"):
            return await send_body(request, dumps(self._chat_body(body, answer, cid, created, call_id)),
                                   fault=fault, sleep=self.sleep)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = self._chat_events(body, answer, cid, created, call_id, include_usage)
        error = sse({"error": {"message": (fault.message if fault else None) or "The server had an error "
                               "while processing your request. Sorry about that!", "type": "server_error",
                               "param": None, "code": None}})
        return await EventStream(request, fault, self.sleep, chunk_delay=self.chunk_delay).run(events, error)

    def _chat_body(self, body: dict[str, Any], answer: Answer, cid: str, created: int,
                   call_id: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None if answer.is_tool else answer.text,
                                   "refusal": None, "annotations": []}
        if answer.is_tool:
            message["tool_calls"] = [{"id": call_id, "type": "function",
                                      "function": {"name": answer.tool_name, "arguments": answer.args_json}}]
        if self.reasoning_content and answer.thinking:
            message["reasoning_content"] = answer.thinking
        return {"id": cid, "object": "chat.completion", "created": created, "model": body["model"],
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": finish_reason(answer)}],
                "usage": usage_chat(answer.input_tokens, answer.output_tokens, answer.thinking_tokens),
                "service_tier": "default", "system_fingerprint": "fp_emulator"}

    def _chat_events(self, body: dict[str, Any], answer: Answer, cid: str, created: int, call_id: str,
                     include_usage: bool) -> list[bytes]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            obj: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": created,
                                   "model": body["model"], "service_tier": "default",
                                   "system_fingerprint": "fp_emulator",
                                   "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                "finish_reason": finish}]}
            if include_usage:
                obj["usage"] = None
            return sse(obj)

        events = [chunk({"role": "assistant", "content": "" if not answer.is_tool else None, "refusal": None})]
        if self.reasoning_content and answer.thinking:
            events += [chunk({"reasoning_content": w}) for w in fake_model.split_words(answer.thinking)]
        if answer.is_tool:
            events.append(chunk({"tool_calls": [{"index": 0, "id": call_id, "type": "function",
                                                 "function": {"name": answer.tool_name, "arguments": ""}}]}))
            events += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": frag}}]})
                       for frag in answer.args_chunks()]
        else:
            events += [chunk({"content": word}) for word in answer.text_chunks()]
        events.append(chunk({}, finish_reason(answer)))
        if include_usage:
            events.append(sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                               "model": body["model"], "service_tier": "default",
                               "system_fingerprint": "fp_emulator", "choices": [],
                               "usage": usage_chat(answer.input_tokens, answer.output_tokens,
                                                   answer.thinking_tokens)}))
        events.append(sse("[DONE]"))
        return events
