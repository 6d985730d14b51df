"""Thinking signatures keep their provenance across dialects (translation.md §4.6, §5.11).

A signature goes back verbatim to the family that minted it, never to another one (Anthropic
rejects foreign signatures; Gemini then gets its documented skip sentinel). Clients of another
family carry it tagged, so a client can switch models mid-conversation without 400s.
"""

from __future__ import annotations

import base64
import json

from cliproxy.dialects.ids import Dialect as D
from translate.support.client import gemini_stream
from translate.support.run import ev, request, response, stream

SIG = "EqQBCkYIBxgCKkDrealclaudesignature"


def _claude_thinking_stream() -> list:
    return [ev("message_start", {"type": "message_start", "message": {"id": "msg_1", "model": "c", "usage": {"input_tokens": 1}}}),
            ev("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
            ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "plan"}}),
            ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": SIG}}),
            ev("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ev("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
            ev("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{}"}}),
            ev("content_block_stop", {"type": "content_block_stop", "index": 1}),
            ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}}),
            ev("message_stop", {"type": "message_stop"})]


def test_claude_signature_survives_a_gemini_client_round_trip() -> None:
    events, _ = stream(D.GEMINI, D.ANTHROPIC, _claude_thinking_stream())
    parts = [p for _, d in events for c in d["candidates"] for p in c["content"]["parts"]]
    signed = [p for p in parts if p.get("thoughtSignature")]
    assert len(signed) == 1 and "functionCall" in signed[0], "the signature rides on the part after the thought"
    tag = base64.b64decode(signed[0]["thoughtSignature"])
    assert tag == b"claude#" + SIG.encode() + b"#" + base64.b64encode(b"plan"), "text travels with it"
    # google-genai accepts it (thoughtSignature must be base64) and re-encodes it URL-safe
    facts = gemini_stream([b"data: " + json.dumps(d).encode() + b"\n\n" for _, d in events])
    assert facts["tool_calls"] == [{"name": "f", "args": {}}]
    urlsafe = base64.urlsafe_b64encode(tag).decode()
    tool_turn = [{"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"output": "ok"}}}]}]
    # a client that keeps thought parts, and one that drops them (Gemini CLI does)
    for model_parts in ([{"thought": True, "text": "plan"}, {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": urlsafe}],
                        [{"functionCall": {"name": "f", "args": {}}, "thoughtSignature": urlsafe}]):
        replay = {"contents": [{"role": "user", "parts": [{"text": "go"}]}, {"role": "model", "parts": model_parts}, *tool_turn]}
        body, _ = request(D.GEMINI, D.ANTHROPIC, replay)
        assistant = body["messages"][1]["content"]
        assert assistant[0] == {"type": "thinking", "thinking": "plan", "signature": SIG}
        assert assistant[1]["type"] == "tool_use"


def test_gemini_signature_survives_a_claude_client_round_trip() -> None:
    gsig = "CiQBjz1rX2Z1bmN0aW9uX3NpZw=="
    events, _ = stream(D.ANTHROPIC, D.GEMINI, [ev("", {"candidates": [{"content": {"role": "model", "parts": [
        {"text": "thinking...", "thought": True},
        {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": gsig}]}, "finishReason": "STOP", "index": 0}]})])
    sigs = [d["delta"]["signature"] for n, d in events if n == "content_block_delta" and d["delta"]["type"] == "signature_delta"]
    assert sigs == ["gemini#" + gsig]
    starts = [d["content_block"]["type"] for n, d in events if n == "content_block_start"]
    assert starts == ["thinking", "tool_use"]
    replay = {"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "thinking...", "signature": "gemini#" + gsig},
                                          {"type": "tool_use", "id": "call_1", "name": "f", "input": {"a": 1}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "ok"}]}]}
    body, _ = request(D.ANTHROPIC, D.GEMINI, replay)
    model = body["contents"][1]["parts"]
    assert model[0] == {"thought": True, "text": "thinking..."}
    assert model[1]["functionCall"]["name"] == "f" and model[1]["thoughtSignature"] == gsig


def test_foreign_signatures_are_never_sent_to_claude() -> None:
    replay = {"model": "m", "max_tokens": 4000, "thinking": {"type": "enabled", "budget_tokens": 2000}, "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "x", "signature": "gemini#CiQB"},
                                          {"type": "text", "text": "done"}]},
        {"role": "user", "content": "next"}]}
    body, warnings = request(D.OPENAI_RESPONSES, D.ANTHROPIC, {"model": "g", "input": [
        {"role": "user", "content": "go"},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "x"}], "encrypted_content": "gemini#CiQB"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "done"}]},
        {"role": "user", "content": "next"}]})
    assert all(b["type"] != "thinking" for m in body["messages"] for b in m["content"])
    assert any("without a Claude signature" in w for w in warnings)
    body, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {
        "model": "m", "messages": [{"role": "user", "content": "go"},
                                   {"role": "assistant", "content": "done", "reasoning_content": "unsigned"},
                                   {"role": "user", "content": "next"}]})
    assert all(b["type"] != "thinking" for m in body["messages"] for b in m["content"])
    gem, _ = request(D.ANTHROPIC, D.GEMINI, replay)
    assert gem["contents"][1]["parts"][0] == {"thought": True, "text": "x"}, "Gemini gets its own signature back"
    assert gem["contents"][1]["parts"][1]["thoughtSignature"] == "CiQB"


def test_claude_thinking_is_disabled_when_the_tool_turn_lost_its_signature() -> None:
    """Anthropic rejects thinking-enabled requests whose last tool-use turn has no thinking block."""
    body, warnings = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "reasoning_effort": "high", "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"}]})
    assert "thinking" not in body and any("thinking disabled" in w for w in warnings)
    body, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "reasoning_effort": "high",
                                                   "messages": [{"role": "user", "content": "go"}]})
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 24576}


def test_codex_reasoning_round_trips_through_a_claude_client() -> None:
    """C72: encrypted_content → Claude signature → back to Codex as a reasoning item."""
    enc = "gAAAAABpZXhhbXBsZV9lbmNyeXB0ZWQ="
    evs = [ev("response.created", {"type": "response.created", "response": {"id": "r", "model": "g", "output": []}}),
           ev("response.output_item.added", {"type": "response.output_item.added", "output_index": 0, "item": {"type": "reasoning", "id": "rs_1", "summary": []}}),
           ev("response.reasoning_summary_part.added", {"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 0}),
           ev("response.reasoning_summary_text.delta", {"type": "response.reasoning_summary_text.delta", "output_index": 0, "summary_index": 0, "delta": "plan"}),
           ev("response.reasoning_summary_part.done", {"type": "response.reasoning_summary_part.done", "output_index": 0, "summary_index": 0}),
           ev("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "plan"}], "encrypted_content": enc}}),
           ev("response.content_part.added", {"type": "response.content_part.added", "output_index": 1, "content_index": 0, "part": {"type": "output_text", "text": ""}}),
           ev("response.output_text.delta", {"type": "response.output_text.delta", "output_index": 1, "content_index": 0, "delta": "ok"}),
           ev("response.content_part.done", {"type": "response.content_part.done", "output_index": 1, "content_index": 0}),
           ev("response.completed", {"type": "response.completed", "response": {"id": "r", "status": "completed", "output": [], "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 30}, "output_tokens": 5}}})]
    events, _ = stream(D.ANTHROPIC, D.CODEX, evs)
    kinds = [(n, d.get("delta", {}).get("type") or d.get("content_block", {}).get("type")) for n, d in events
             if n.startswith("content_block")]
    assert kinds[:5] == [("content_block_start", "thinking"), ("content_block_delta", "thinking_delta"),
                         ("content_block_delta", "signature_delta"), ("content_block_stop", None),
                         ("content_block_start", "text")]
    sig = next(d["delta"]["signature"] for n, d in events
               if n == "content_block_delta" and d["delta"]["type"] == "signature_delta")
    assert sig == "openai#" + enc
    delta = next(d for n, d in events if n == "message_delta")
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"] == {"input_tokens": 70, "output_tokens": 5, "cache_read_input_tokens": 30}, "C73 usage split"
    for signature, kept in ((sig, True), ("EqQBclaude", False)):
        body, warnings = request(D.ANTHROPIC, D.CODEX, {"model": "m", "max_tokens": 10, "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "plan", "signature": signature}, {"type": "text", "text": "ok"}]},
            {"role": "user", "content": "more"}]})
        items = [i for i in body["input"] if i["type"] == "reasoning"]
        if kept:
            assert items == [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "plan"}], "encrypted_content": enc}]
            pos = [i["type"] + ":" + i.get("role", "") for i in body["input"]]
            assert pos == ["message:user", "reasoning:", "message:assistant", "message:user"]
            assert "reasoning.encrypted_content" in body["include"]
        else:
            assert items == [] and any("another model family" in w for w in warnings)


def test_responses_client_reasoning_replays_to_claude() -> None:
    out, _ = response(D.OPENAI_RESPONSES, D.ANTHROPIC, {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "c", "stop_reason": "end_turn",
        "content": [{"type": "thinking", "thinking": "plan", "signature": SIG}, {"type": "text", "text": "ok"}],
        "usage": {"input_tokens": 1, "output_tokens": 2}})
    reasoning = out["output"][0]
    assert reasoning["type"] == "reasoning" and reasoning["encrypted_content"] == "claude#" + SIG
    body, _ = request(D.OPENAI_RESPONSES, D.ANTHROPIC, {"model": "g", "input": [
        {"role": "user", "content": "go"}, reasoning, out["output"][1], {"role": "user", "content": "more"}]})
    assert body["messages"][1]["content"][0] == {"type": "thinking", "thinking": "plan", "signature": SIG}


def test_function_calls_without_a_signature_get_the_skip_sentinel() -> None:
    """Gemini 3 rejects replayed function calls without a thought signature (§5.11)."""
    for dst in (D.GEMINI, D.GEMINI_CLI, D.ANTIGRAVITY):
        body, _ = request(D.OPENAI_RESPONSES, dst, {"model": "g", "input": [
            {"role": "user", "content": "go"}, {"type": "function_call", "call_id": "a", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "a", "output": "{\"x\":1}"}]})
        req = body.get("request", body)
        fc = req["contents"][1]["parts"][0]
        assert fc["thoughtSignature"] == "skip_thought_signature_validator"
        assert req["contents"][2]["parts"][0]["functionResponse"]["response"] == {"output": {"x": 1}}, "C99: JSON output stays JSON"
