"""Envelope pairs: Gemini ⇄ Gemini CLI / Antigravity and Responses ⇄ Codex (translation.md §4.9,
providers.md §2.2, §6.3, §8.4; C61, C62, C65, C67–C69, C76, C77, C92)."""

from __future__ import annotations

import json
import re

from cliproxy.dialects.anthropic.adjacency import repair_claude_body
from cliproxy.dialects.gemini import schema as gschema
from cliproxy.dialects.ids import Action, Dialect as D
from cliproxy.dialects.openai_responses import schema as rschema
from cliproxy.translate.router import assemble_stream, get_translator
from translate.conftest import make_ctx
from translate.support.run import ev, request, response, stream


def test_c67_gemini_to_cli_wraps_and_normalises() -> None:
    body, _ = request(D.GEMINI, D.GEMINI_CLI, {
        "model": "m", "system_instruction": {"parts": [{"text": "S"}]},
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": []},
                     {"role": "model", "parts": [{"function_call": {"name": "f", "args": {}}}]},
                     {"role": "user", "parts": [{"function_response": {"name": "f", "response": {"output": "x"}}}]}],
        "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT", "properties": {}}}]}]},
        upstream_model="gemini-2.5-pro")
    assert body["model"] == "gemini-2.5-pro" and body["project"] == ""
    req = body["request"]
    assert req["systemInstruction"] == {"parts": [{"text": "S"}]} and "system_instruction" not in req
    assert [c["role"] for c in req["contents"]] == ["user", "model", "user"], "empty content removed"
    assert req["contents"][1]["parts"][0] == {"functionCall": {"name": "f", "args": {}},
                                              "thoughtSignature": "skip_thought_signature_validator"}
    gschema.validate_request(body, envelope="cli")


def test_c68_function_responses_are_regrouped_fifo() -> None:
    body, _ = request(D.GEMINI, D.GEMINI_CLI, {"contents": [
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}}, {"functionCall": {"name": "b", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "a", "response": {"output": 1}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "", "response": {"output": 2}}}]}]})
    contents = body["request"]["contents"]
    assert len(contents) == 3
    assert [p["functionResponse"]["name"] for p in contents[2]["parts"]] == ["a", "b"], "empty name back-filled"
    body, _ = request(D.GEMINI, D.GEMINI_CLI, {"contents": [
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "x", "args": {}}}]},
        {"role": "model", "parts": [{"functionCall": {"name": "y", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "x", "response": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "y", "response": {}}}]}]})
    roles = [(c["role"], [next(iter(p))[8:] for p in c["parts"]]) for c in body["request"]["contents"]]
    assert roles == [("user", [""]), ("model", ["Call"]), ("user", ["Response"]), ("model", ["Call"]), ("user", ["Response"])]


def test_c69_cli_answers_are_unwrapped_for_gemini_clients() -> None:
    out, _ = response(D.GEMINI, D.GEMINI_CLI, {"response": {"candidates": [{"content": {"role": "model", "parts": [
        {"text": "hi"}]}, "finishReason": "STOP"}], "modelVersion": "upstream-model"}, "traceId": "t"})
    assert out == {"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
                   "modelVersion": "client-model"}
    events, _ = stream(D.GEMINI, D.ANTIGRAVITY, [ev("", {"response": {"candidates": [{"content": {"parts": [{"text": "a"}]}}]},
                                                         "traceId": "t"})])
    assert events == [(None, {"candidates": [{"content": {"parts": [{"text": "a"}]}}]})]
    t = get_translator(D.GEMINI, D.GEMINI_CLI)
    assert json.loads(t.count_tokens_response(make_ctx(D.GEMINI, D.GEMINI_CLI, {}), b'{"totalTokens":7}')) == {
        "totalTokens": 7, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 7}]}


def test_gemini_array_stream_for_alt_json() -> None:
    ctx = make_ctx(D.GEMINI, D.GEMINI_CLI, {}, stream=True, query={"alt": "json"})
    st = get_translator(D.GEMINI, D.GEMINI_CLI).stream(ctx)
    out = b"".join(b for i in range(2) for b in st.feed(ev("", {"response": {"candidates": [{"index": i}]}})))
    out += b"".join(st.finish())
    assert json.loads(out) == [{"candidates": [{"index": 0}]}, {"candidates": [{"index": 1}]}]


def test_c61_claude_model_on_antigravity_turns_prefill_into_continue() -> None:
    body, _ = request(D.GEMINI, D.ANTIGRAVITY, {"contents": [{"role": "user", "parts": [{"text": "Write a function"}]},
                                                            {"role": "model", "parts": [{"text": "Here is the start"}]}]},
                      upstream_model="claude-opus-4-6-thinking")
    assert body["request"]["contents"][-1] == {"role": "user", "parts": [{"text": "Continue from: Here is the start"}]}
    body, _ = request(D.GEMINI, D.ANTIGRAVITY, {"contents": [{"role": "user", "parts": [{"text": "q"}]},
                                                            {"role": "model", "parts": [{"text": "t", "thought": True}]}]},
                      upstream_model="claude-opus-4-6-thinking")
    assert body["request"]["contents"] == [{"role": "user", "parts": [{"text": "q"}]}], "thought parts removed for Claude"


def test_prefill_continuation_on_the_hub_path_too() -> None:
    body, warnings = request(D.OPENAI_CHAT, D.ANTIGRAVITY, {"model": "m", "messages": [
        {"role": "user", "content": "Write a poem"}, {"role": "assistant", "content": "Roses are"}]},
        upstream_model="claude-sonnet-4-6")
    assert body["request"]["contents"][-1] == {"role": "user", "parts": [{"text": "Continue from: Roses are"}]}
    assert any("Continue from" in w for w in warnings)
    claude, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "messages": [
        {"role": "user", "content": "Write a poem"}, {"role": "assistant", "content": "Roses are \n"}]})
    assert claude["messages"][-1] == {"role": "assistant", "content": [{"type": "text", "text": "Roses are"}]}, \
        "Anthropic rejects a prefill ending in whitespace"


def test_c62_antigravity_merges_turns_and_normalises_signatures() -> None:
    body, _ = request(D.GEMINI, D.ANTIGRAVITY, {"contents": [
        {"role": "user", "parts": [{"text": "a"}]}, {"role": "user", "parts": [{"text": "b"}]},
        {"role": "model", "parts": [{"text": "t", "thought": True, "thoughtSignature": "real" * 20},
                                    {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "short"},
                                    {"functionCall": {"name": "g", "args": {}}, "thoughtSignature": "L" * 80}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}},
                                   {"functionResponse": {"name": "g", "response": {}}}]}]},
        upstream_model="gemini-3-pro-high")
    c = body["request"]["contents"]
    assert [len(x["parts"]) for x in c] == [2, 3, 2]
    sigs = [p.get("thoughtSignature") for p in c[1]["parts"]]
    assert sigs == ["skip_thought_signature_validator", "skip_thought_signature_validator", "L" * 80]
    gschema.validate_request(body, envelope="antigravity")


def test_c65_antigravity_envelope_and_claude_tool_mode() -> None:
    body, _ = request(D.ANTHROPIC, D.ANTIGRAVITY, {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}],
                                                   "tools": [{"name": "f", "input_schema": {"type": "object"}}]},
                      upstream_model="claude-sonnet-4-6")
    assert body["userAgent"] == "antigravity" and body["requestType"] == "agent"
    assert re.fullmatch(r"agent-[0-9a-f-]{36}", body["requestId"])
    req = body["request"]
    assert "safetySettings" not in req and req["sessionId"].startswith("-")
    assert req["toolConfig"]["functionCallingConfig"]["mode"] == "VALIDATED"
    decl = req["tools"][0]["functionDeclarations"][0]
    assert decl["parameters"]["required"] == ["reason"], "VALIDATED mode needs a required property"
    gschema.validate_request(body, envelope="antigravity")
    same, _ = request(D.ANTHROPIC, D.ANTIGRAVITY, {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]},
                      upstream_model="claude-sonnet-4-6")
    assert same["request"]["sessionId"] == req["sessionId"], "stable per conversation"


def test_c76_responses_to_codex_forced_fields() -> None:
    body, warnings = request(D.OPENAI_RESPONSES, D.CODEX, {
        "model": "m", "input": "hi", "max_output_tokens": 5, "temperature": 0.1, "top_p": 0.2, "truncation": "auto",
        "user": "u", "context_management": [], "service_tier": "flex", "tools": [{"type": "web_search_preview"}],
        "previous_response_id": "resp_x"}, upstream_model="gpt-5")
    assert body["input"] == [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    for k in ("max_output_tokens", "temperature", "top_p", "truncation", "user", "context_management",
              "service_tier", "previous_response_id"):
        assert k not in body and any(repr(k) in w for w in warnings), k
    assert body["tools"] == [{"type": "web_search"}]
    assert (body["store"], body["stream"], body["parallel_tool_calls"], body["instructions"]) == (False, True, True, "")
    assert body["include"] == ["reasoning.encrypted_content"] and body["model"] == "gpt-5"
    rschema.validate_request(body, codex=True)
    kept, _ = request(D.OPENAI_RESPONSES, D.CODEX, {"model": "m", "input": "x", "service_tier": "priority"})
    assert kept["service_tier"] == "priority"
    compact, _ = request(D.OPENAI_RESPONSES, D.CODEX, {"model": "m", "input": "x", "stream": True},
                         action=Action.COMPACT)
    assert "stream" not in compact


def test_c77_codex_empty_output_is_rebuilt_in_index_order() -> None:
    evs = [ev("response.output_item.done", {"type": "response.output_item.done", "output_index": 1,
                                            "item": {"type": "function_call", "call_id": "c2", "name": "g", "arguments": "{}"}}),
           ev("response.output_item.done", {"type": "response.output_item.done", "output_index": 0,
                                            "item": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "t"}]}}),
           ev("response.completed", {"type": "response.completed", "response": {"id": "r", "status": "completed", "output": []}})]
    body = json.loads(assemble_stream(D.CODEX, evs))
    assert [o["type"] for o in body["output"]] == ["message", "function_call"]
    out, _ = response(D.OPENAI_CHAT, D.CODEX, body)
    assert out["choices"][0]["message"]["content"] == "t" and out["choices"][0]["finish_reason"] == "tool_calls"


def test_codex_stream_passes_through_with_model_renamed() -> None:
    e = {"type": "response.created", "response": {"id": "r", "model": "upstream-model", "output": []}}
    events, _ = stream(D.OPENAI_RESPONSES, D.CODEX, [ev("", e)])
    assert events == [("response.created", {**e, "response": {**e["response"], "model": "client-model"}})]


def test_c92_claude_passthrough_repair_helper() -> None:
    """Patch 013 for the Claude passthrough: dangling tool_use, foreign signatures."""
    body = {"messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": [{"type": "tool_use", "id": "tu1", "name": "f", "input": {}}]},
                         {"role": "assistant", "content": [{"type": "thinking", "thinking": "x", "signature": "gemini#C"},
                                                           {"type": "text", "text": "more"}]},
                         {"role": "user", "content": "bye"}]}
    fixed, warnings = repair_claude_body(body)
    msgs = fixed["messages"]
    assert msgs[2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1",
                                                     "content": "[result not available]"}]}
    assert msgs[3]["content"] == [{"type": "text", "text": "more"}]
    assert len(warnings) == 2
    untouched = {"messages": [{"role": "user", "content": "hi"}]}
    assert repair_claude_body(untouched) == (untouched, [])
