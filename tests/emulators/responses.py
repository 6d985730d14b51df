"""OpenAI Responses API (`POST {base}/responses`, `{base}/responses/compact`).

Owns: Responses request validation (roles, tool names, `function_call_output`
referencing an earlier `function_call` — in `input` or in the stored
`previous_response_id` —, every call answered, reasoning `encrypted_content`
minted by this emulator, items that only exist when stored), the fake-model
prompt for Responses input items, the response object, and the official event
sequence with `sequence_number` (created, in_progress, output_item.added,
content_part.added, output_text.delta×n, …, response.completed|incomplete),
function_call_arguments.delta/done for calls and reasoning items with summary
events and `encrypted_content` when `include` asks for it.

Shared by `OpenAIEmulator` (api.openai.com) and `CodexEmulator` (ChatGPT
backend), which adds its own strictness before calling `respond()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from . import fake_model
from .fake_model import Answer, Prompt, ToolSpec
from .openai_chat import content_texts, count_images
from .openai_common import OpenAIError, check_tool_name, invalid_value, missing, parse_body
from .runner import EmulatorServer
from .signing import Signer
from .sse import EventStream, dumps, send_body, sse

ROLES = ("assistant", "system", "developer", "user")
REASONING_PURPOSE = "openai-reasoning"


def input_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    raw = body.get("input")
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    if not isinstance(raw, list):
        return []
    return [dict(it, type=it.get("type") or "message") for it in raw if isinstance(it, dict)]


def output_text(value: Any) -> str:
    return value if isinstance(value, str) else " ".join(content_texts(value))


def validate_responses(body: dict[str, Any], models: Sequence[str] | None, stored: dict[str, list[dict[str, Any]]],
                       signer: Signer) -> None:
    """Raise the OpenAIError api.openai.com would return for this body, if any."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise missing("model")
    if "input" in body and not isinstance(body["input"], str | list):
        raise OpenAIError(400, "Invalid type for 'input': expected one of a string or array of input items, "
                               f"but got {type(body['input']).__name__} instead.", param="input",
                          code="invalid_type")
    calls: list[Any] = []
    known_ids = {it.get("id") for items in stored.values() for it in items}
    prev = body.get("previous_response_id")
    if prev is not None:
        if prev not in stored:
            raise OpenAIError(400, f"Previous response with id '{prev}' not found.", param="previous_response_id",
                              code="previous_response_not_found")
        calls += [it["call_id"] for it in stored[prev] if it.get("type") == "function_call"]
    answered: set[str] = set()
    for i, item in enumerate(input_items(body)):
        kind = item["type"]
        if kind == "message" and item.get("role") not in ROLES:
            raise invalid_value(item.get("role"), ROLES, f"input[{i}].role")
        if kind in ("function_call", "custom_tool_call"):
            calls.append(item.get("call_id"))
        elif kind in ("function_call_output", "custom_tool_call_output"):
            if item.get("call_id") not in calls:
                raise OpenAIError(400, "No tool call found for function call output with call_id "
                                       f"{item.get('call_id')}.", param="input")
            answered.add(item["call_id"])
        elif kind in ("reasoning", "compaction"):
            _check_encrypted(item, body, known_ids, signer)
        elif kind == "item_reference" and item.get("id") not in known_ids:
            raise _not_persisted(item.get("id"), body)
    for call_id in calls:
        if call_id not in answered:
            raise OpenAIError(400, f"No tool output found for function call {call_id}.", param="input")
    for i, tool in enumerate(body.get("tools") or []):
        if isinstance(tool, dict) and tool.get("type") in ("function", "custom"):
            check_tool_name(tool.get("name"), f"tools[{i}].name")
    if models is not None and body["model"] not in models:
        raise OpenAIError(400, f"The requested model '{body['model']}' does not exist.", param="model",
                          code="model_not_found")


def _check_encrypted(item: dict[str, Any], body: dict[str, Any], known: set[Any], signer: Signer) -> None:
    token = item.get("encrypted_content")
    if token is None:
        if item.get("id") not in known:
            raise _not_persisted(item.get("id"), body)
        return
    if not isinstance(token, str) or not signer.verify_fernet_like(REASONING_PURPOSE, token):
        raise OpenAIError(400, f"The encrypted content for item {item.get('id')} could not be verified.",
                          code="invalid_encrypted_content")


def _not_persisted(item_id: Any, body: dict[str, Any]) -> OpenAIError:
    hint = (" Items are not persisted when `store` is set to false. Try again with `store` set to true, or "
            "remove this item from your input.") if body.get("store") is False else ""
    return OpenAIError(400, f"Item with id '{item_id}' not found.{hint}", param="input")


def responses_prompt(body: dict[str, Any]) -> Prompt:
    items = input_items(body)
    texts = [body["instructions"]] if isinstance(body.get("instructions"), str) else []
    for it in items:
        texts += content_texts(it.get("content")) if it["type"] == "message" else []
        texts += [output_text(it.get("output"))] if it["type"].endswith("_output") else []
    users = [it for it in items if it["type"] == "message" and it.get("role") == "user"]
    last = items[-1] if items else {}
    tools = [ToolSpec(t["name"], t.get("parameters")) for t in body.get("tools") or []
             if isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("name"), str)]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        choice = choice.get("name")
    fmt = (body.get("text") or {}).get("format") or {}
    reasoning = body.get("reasoning")
    limit = body.get("max_output_tokens")
    return Prompt(
        user_text=" ".join(content_texts(users[-1].get("content"))) if users else "",
        tool_result=output_text(last.get("output")) if last.get("type", "").endswith("call_output") else None,
        tools=tools, tool_choice=choice if isinstance(choice, str) else None,
        images=count_images(users[-1].get("content")) if users else 0,
        max_tokens=limit if isinstance(limit, int) else None,
        json_schema=fmt.get("schema") if fmt.get("type") == "json_schema" else None,
        json_mode=fmt.get("type") in ("json_schema", "json_object"), input_words=fake_model.words_in(texts),
        thinking=isinstance(reasoning, dict) and reasoning.get("effort") != "none")


def usage(answer: Answer) -> dict[str, Any]:
    return {"input_tokens": answer.input_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": answer.output_tokens,
            "output_tokens_details": {"reasoning_tokens": answer.thinking_tokens},
            "total_tokens": answer.input_tokens + answer.output_tokens}


class ResponsesMixin(EmulatorServer):
    """Responses handlers; mixed into `OpenAIEmulator` and `CodexEmulator`."""

    models: tuple[str, ...] | None
    signer: Signer
    stored: dict[str, list[dict[str, Any]]]

    async def handle_responses(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.respond(request, parse_body(self.body_of(request)))
        except OpenAIError as err:
            return err.response()

    async def respond(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        validate_responses(body, self.models, self.stored, self.signer)
        fault = self.fault_of(request)
        answer = fake_model.answer(responses_prompt(body), fault)
        resp_id, created = self.next_id("resp_", 48), int(self.clock())
        output = self._output_items(body, answer)
        status = "incomplete" if answer.truncated else "completed"
        final = self._response_object(body, resp_id, created, status, output, usage(answer))
        if body.get("store", True) is not False:
            self.stored[resp_id] = output
        if not body.get("stream"):
            return await send_body(request, dumps(final), fault=fault, sleep=self.sleep)
        events = self._events(body, final, answer)
        failed = dict(final, status="failed", output=[], usage=None,
                      error={"code": "server_error", "message": (fault.message if fault else None)
                             or "An error occurred while processing your request."})
        error_seq = fault.after_events if fault else 0
        error = sse({"type": "response.failed", "response": failed, "sequence_number": error_seq},
                    event="response.failed")
        return await EventStream(request, fault, self.sleep, chunk_delay=self.chunk_delay).run(events, error)

    async def handle_compact(self, request: web.Request) -> web.StreamResponse:
        try:
            body = parse_body(self.body_of(request))
            validate_responses(body, self.models, self.stored, self.signer)
        except OpenAIError as err:
            return err.response()
        items = input_items(body)
        kept = [it for it in items if it["type"] == "message" and it.get("role") == "user"]
        words = fake_model.words_in(t for it in items for t in content_texts(it.get("content")))
        compaction = {"type": "compaction", "id": self.next_id("cmp_", 48),
                      "encrypted_content": self.signer.fernet_like(REASONING_PURPOSE, self.next_id("c"),
                                                                   int(self.clock()))}
        result = {"id": self.next_id("resp_", 48), "object": "response.compaction",
                  "created_at": int(self.clock()), "output": [*kept, compaction],
                  "usage": {"input_tokens": words, "input_tokens_details": {"cached_tokens": 0},
                            "output_tokens": 1, "output_tokens_details": {"reasoning_tokens": 0},
                            "total_tokens": words + 1}}
        return await send_body(request, dumps(result), fault=self.fault_of(request), sleep=self.sleep)

    def _output_items(self, body: dict[str, Any], answer: Answer) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if answer.thinking:
            reasoning = body.get("reasoning") or {}
            item: dict[str, Any] = {"id": self.next_id("rs_", 48), "type": "reasoning", "summary": []}
            if reasoning.get("summary"):
                item["summary"] = [{"type": "summary_text", "text": answer.thinking}]
            if "reasoning.encrypted_content" in (body.get("include") or []):
                item["encrypted_content"] = self.signer.fernet_like(REASONING_PURPOSE, item["id"],
                                                                    int(self.clock()))
            items.append(item)
        if answer.is_tool:
            items.append({"id": self.next_id("fc_", 48), "type": "function_call", "status": "completed",
                          "arguments": answer.args_json, "call_id": self.next_id("call_", 24),
                          "name": answer.tool_name})
        else:
            items.append({"id": self.next_id("msg_", 48), "type": "message",
                          "status": "incomplete" if answer.truncated else "completed",
                          "content": [{"type": "output_text", "annotations": [], "logprobs": [],
                                       "text": answer.text}], "role": "assistant"})
        return items

    def _response_object(self, body: dict[str, Any], resp_id: str, created: int, status: str,
                         output: list[dict[str, Any]], use: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "id": resp_id, "object": "response", "created_at": created, "status": status,
            "background": False, "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
            "instructions": body.get("instructions"), "max_output_tokens": body.get("max_output_tokens"),
            "max_tool_calls": body.get("max_tool_calls"), "model": body["model"], "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "prompt_cache_key": body.get("prompt_cache_key"),
            "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
            "safety_identifier": body.get("safety_identifier"), "service_tier": "default",
            "store": body.get("store", True), "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [],
            "top_logprobs": 0, "top_p": body.get("top_p", 1.0), "truncation": "disabled",
            "usage": use, "user": body.get("user"), "metadata": body.get("metadata") or {},
        }

    def _events(self, body: dict[str, Any], final: dict[str, Any], answer: Answer) -> list[bytes]:
        events: list[bytes] = []

        def emit(kind: str, **fields: Any) -> None:
            events.append(sse({"type": kind, **fields, "sequence_number": len(events)}, event=kind))

        start = dict(final, status="in_progress", output=[], usage=None, incomplete_details=None)
        emit("response.created", response=start)
        emit("response.in_progress", response=start)
        for index, item in enumerate(final["output"]):
            kind, ident = item["type"], item["id"]
            if kind == "reasoning":
                emit("response.output_item.added", output_index=index,
                     item={"id": ident, "type": "reasoning", "summary": []})
                for s, part in enumerate(item["summary"]):
                    loc = {"item_id": ident, "output_index": index, "summary_index": s}
                    emit("response.reasoning_summary_part.added", **loc, part={"type": "summary_text", "text": ""})
                    for word in fake_model.split_words(part["text"]):
                        emit("response.reasoning_summary_text.delta", **loc, delta=word)
                    emit("response.reasoning_summary_text.done", **loc, text=part["text"])
                    emit("response.reasoning_summary_part.done", **loc, part=part)
            elif kind == "function_call":
                emit("response.output_item.added", output_index=index,
                     item=dict(item, status="in_progress", arguments=""))
                for frag in answer.args_chunks():
                    emit("response.function_call_arguments.delta", item_id=ident, output_index=index, delta=frag)
                emit("response.function_call_arguments.done", item_id=ident, output_index=index,
                     name=item["name"], arguments=item["arguments"])
            else:
                emit("response.output_item.added", output_index=index,
                     item=dict(item, status="in_progress", content=[]))
                loc = {"item_id": ident, "output_index": index, "content_index": 0}
                part = item["content"][0]
                emit("response.content_part.added", **loc, part=dict(part, text=""))
                for word in answer.text_chunks():
                    emit("response.output_text.delta", **loc, delta=word, logprobs=[])
                emit("response.output_text.done", **loc, text=part["text"], logprobs=[])
                emit("response.content_part.done", **loc, part=part)
            emit("response.output_item.done", output_index=index, item=item)
        emit("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)
        return events
