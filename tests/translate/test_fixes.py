"""One named test per REF defect that cliproxy fixes (translation.md §5.3, §5.5, §5.12, §5.13, §6).

Each test states the REF behaviour it rejects; the expected values are the corrected ones.
"""

from __future__ import annotations

from cliproxy.dialects.ids import Dialect as D
from translate.support.run import ev, request, response, stream

C_START = ev("message_start", {"type": "message_start", "message": {"id": "msg_1", "model": "c", "usage": {"input_tokens": 3}}})
C_STOP = ev("message_stop", {"type": "message_stop"})


def c_text(i: int, text: str) -> list:
    return [ev("content_block_start", {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}),
            ev("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": text}}),
            ev("content_block_stop", {"type": "content_block_stop", "index": i})]


def c_delta(stop: str, out: int = 4) -> object:
    return ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": out}})


def test_fix_developer_messages_reach_claude_system() -> None:
    """REF dropped OpenAI ``developer`` messages on the way to Claude (C07)."""
    body, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "messages": [
        {"role": "system", "content": "S"}, {"role": "developer", "content": "D"}, {"role": "user", "content": "hi"}]})
    assert [b["text"] for b in body["system"]] == ["S", "D"]


def test_fix_claude_to_gemini_reports_max_tokens_not_stop() -> None:
    """REF overwrote every Claude finish with STOP for Gemini clients (C57, §5.13.1)."""
    events, _ = stream(D.GEMINI, D.ANTHROPIC, [C_START, *c_text(0, "abc"), c_delta("max_tokens"), C_STOP])
    finishes = [c["finishReason"] for _, d in events for c in d.get("candidates", []) if "finishReason" in c]
    assert finishes == ["MAX_TOKENS"]


def test_fix_max_tokens_and_stop_kept_for_gemini() -> None:
    """REF dropped max_tokens and stop sequences on OpenAI/Claude → Gemini (C42, C53, §5.13.2)."""
    o, _ = request(D.OPENAI_CHAT, D.GEMINI, {"model": "m", "max_tokens": 50, "stop": ["x"],
                                             "messages": [{"role": "user", "content": "hi"}]})
    c, _ = request(D.ANTHROPIC, D.GEMINI_CLI, {"model": "m", "max_tokens": 100, "stop_sequences": ["y"],
                                               "messages": [{"role": "user", "content": "hi"}]})
    assert o["generationConfig"]["maxOutputTokens"] == 50 and o["generationConfig"]["stopSequences"] == ["x"]
    gc = c["request"]["generationConfig"]
    assert gc["maxOutputTokens"] == 100 and gc["stopSequences"] == ["y"]


def test_fix_openai_response_format_reaches_gemini() -> None:
    """REF dropped response_format for Gemini (§5.13.2; mainline 20f83cae9)."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body, _ = request(D.OPENAI_CHAT, D.GEMINI, {"model": "m", "messages": [{"role": "user", "content": "x"}],
                                                "response_format": {"type": "json_schema", "json_schema": {"name": "R", "schema": schema}}})
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    assert body["generationConfig"]["responseJsonSchema"] == schema


def test_fix_tool_results_are_not_quoted_for_gemini() -> None:
    """REF sent ``result:"\\"sunny\\""`` (a JSON string inside a string) to Gemini (C37, §5.13.4)."""
    body, _ = request(D.OPENAI_CHAT, D.GEMINI, {"model": "m", "messages": [
        {"role": "user", "content": "?"},
        {"role": "assistant", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"c\":\"x\"}"}},
            {"id": "b", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "sunny"},
        {"role": "tool", "tool_call_id": "b", "content": "{\"t\":1}"}]})
    results = [p["functionResponse"] for p in body["contents"][-1]["parts"]]
    assert [r["name"] for r in results] == ["get_weather", "get_time"]
    assert results[0]["response"] == {"output": "sunny"}
    assert results[1]["response"] == {"output": {"t": 1}}
    calls = [p for p in body["contents"][1]["parts"]]
    assert all(p["thoughtSignature"] == "skip_thought_signature_validator" for p in calls)


def test_fix_parallel_gemini_results_get_distinct_fifo_ids() -> None:
    """REF gave every parallel functionResponse the *last* generated id (C82, §5.5)."""
    body, _ = request(D.GEMINI, D.OPENAI_CHAT, {"contents": [
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}, {"functionCall": {"name": "g", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"output": "F"}}},
                                   {"functionResponse": {"name": "g", "response": {"output": "G"}}}]}]})
    call_ids = [c["id"] for c in body["messages"][1]["tool_calls"]]
    tools = [m for m in body["messages"] if m["role"] == "tool"]
    assert len(set(call_ids)) == 2
    assert [(m["tool_call_id"], m["content"]) for m in tools] == [(call_ids[0], "F"), (call_ids[1], "G")]
    assert body["messages"][-1]["role"] == "tool", "no empty user message after the results"


def test_fix_gemini_finish_reasons_for_openai_clients() -> None:
    """REF reported ``"max_tokens"`` (not OpenAI's ``length``) and ``null`` for SAFETY (C46, §5.13.8)."""
    def finish(reason: str) -> str:
        events, _ = stream(D.OPENAI_CHAT, D.GEMINI, [ev("", {"candidates": [
            {"content": {"role": "model", "parts": [{"text": "x"}]}, "finishReason": reason, "index": 0}]})])
        return [c["finish_reason"] for _, d in events if d != "[DONE]" for c in d["choices"] if c["finish_reason"]][-1]
    assert finish("MAX_TOKENS") == "length"
    assert finish("SAFETY") == "content_filter"


def test_fix_claude_refusal_is_content_filter_for_openai() -> None:
    """REF mapped Claude ``refusal`` to ``stop`` (C20; mainline fab077a04)."""
    events, _ = stream(D.OPENAI_CHAT, D.ANTHROPIC, [C_START, *c_text(0, "no"), c_delta("refusal"), C_STOP])
    assert [c["finish_reason"] for _, d in events if d != "[DONE]" for c in d["choices"] if c["finish_reason"]] == ["content_filter"]


def test_fix_claude_tool_choice_none_stays_none() -> None:
    """REF turned Claude ``tool_choice:none`` into OpenAI ``auto`` and sent OpenAI ``none`` as no
    choice to Claude (C13, C81, §5.13.7)."""
    tools_c = [{"name": "f", "input_schema": {"type": "object", "properties": {}}}]
    o, _ = request(D.ANTHROPIC, D.OPENAI_CHAT, {"model": "m", "max_tokens": 5, "tools": tools_c,
                                                "tool_choice": {"type": "none"}, "messages": [{"role": "user", "content": "x"}]})
    c, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "tool_choice": "none", "messages": [{"role": "user", "content": "x"}],
                                                "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]})
    assert o["tool_choice"] == "none"
    assert c["tool_choice"] == {"type": "none"} and c["tools"]


def test_fix_claude_reasoning_goes_to_reasoning_content() -> None:
    """REF put Claude thinking in ``message.reasoning`` for non-stream chat clients (C19, §5.13.9)."""
    out, _ = response(D.OPENAI_CHAT, D.ANTHROPIC, {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "c", "stop_reason": "tool_use",
        "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "ok"},
                    {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}],
        "usage": {"input_tokens": 1, "output_tokens": 2}})
    msg = out["choices"][0]["message"]
    assert msg["reasoning_content"] == "hmm" and "reasoning" not in msg
    assert msg["tool_calls"][0]["function"]["arguments"] == "{}"
    assert out["choices"][0]["finish_reason"] == "tool_calls"


def test_fix_openai_non_stream_keeps_block_order_for_claude() -> None:
    """REF emitted text, then thinking, then tool_use for Claude clients (§5.13.9)."""
    out, _ = response(D.ANTHROPIC, D.OPENAI_CHAT, {
        "id": "c1", "object": "chat.completion", "created": 1, "model": "g",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "text", "reasoning_content": "think",
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}]})
    assert [b["type"] for b in out["content"]] == ["thinking", "text", "tool_use"]


def test_fix_responses_output_indexes_are_real() -> None:
    """REF used output_index 0 for every message item and the Claude block index for others (C27, §5.13.10)."""
    events, _ = stream(D.OPENAI_RESPONSES, D.ANTHROPIC, [
        C_START,
        ev("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
        ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "t"}}),
        ev("content_block_stop", {"type": "content_block_stop", "index": 0}),
        *c_text(1, "Hi"),
        ev("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "T", "name": "f", "input": {}}}),
        ev("content_block_stop", {"type": "content_block_stop", "index": 2}),
        c_delta("tool_use"), C_STOP])
    added = [(d["output_index"], d["item"]["type"]) for n, d in events if n == "response.output_item.added"]
    assert added == [(0, "reasoning"), (1, "message"), (2, "function_call")]
    seq = [d["sequence_number"] for _, d in events]
    assert seq == list(range(len(seq)))
    done = events[-1][1]["response"]
    assert [o["type"] for o in done["output"]] == ["reasoning", "message", "function_call"]
    assert done["usage"]["output_tokens_details"]["reasoning_tokens"] == 0, "no len(text)/4 guess (C29)"


def test_fix_codex_incomplete_is_length_for_openai_and_gemini() -> None:
    """REF ignored ``response.incomplete`` for chat clients and always said STOP to Gemini (C73/C74, §5.13.11)."""
    evs = [ev("response.created", {"type": "response.created", "response": {"id": "r", "model": "g", "output": []}}),
           ev("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": {
               "type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "abc"}]}}),
           ev("response.incomplete", {"type": "response.incomplete", "response": {
               "id": "r", "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}, "output": []}})]
    o, _ = stream(D.OPENAI_CHAT, D.CODEX, evs)
    g, _ = stream(D.GEMINI, D.CODEX, evs)
    assert [c["finish_reason"] for _, d in o if d != "[DONE]" for c in d["choices"] if c["finish_reason"]] == ["length"]
    assert [c["finishReason"] for _, d in g for c in d["candidates"] if "finishReason" in c] == ["MAX_TOKENS"]


def test_fix_responses_to_chat_keeps_sampling_and_object_tool_choice() -> None:
    """REF dropped temperature/top_p and stringified an object tool_choice (C35, §5.13.12)."""
    body, _ = request(D.OPENAI_RESPONSES, D.OPENAI_CHAT, {
        "model": "g", "input": [{"role": "developer", "content": "be nice"}, {"role": "user", "content": "x"}],
        "temperature": 0.3, "top_p": 0.8, "reasoning": {"effort": "High"},
        "tools": [{"type": "function", "name": "f", "parameters": {}}], "tool_choice": {"type": "function", "name": "f"}})
    assert body["temperature"] == 0.3 and body["top_p"] == 0.8
    assert body["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert body["reasoning_effort"] == "high"
    assert body["messages"][0] == {"role": "system", "content": "be nice"}, "developer is a system message, not user"


def test_fix_responses_instructions_are_claude_system() -> None:
    """REF sent ``instructions`` to Claude as a leading *user* message and dropped temperature (C21)."""
    body, _ = request(D.OPENAI_RESPONSES, D.ANTHROPIC, {"model": "g", "instructions": "Be brief", "input": "hi",
                                                        "max_output_tokens": 100, "temperature": 0.5})
    assert body["system"] == [{"type": "text", "text": "Be brief"}]
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert body["max_tokens"] == 100 and body["temperature"] == 0.5


def test_fix_gemini_camel_case_system_and_inline_data_reach_claude() -> None:
    """REF ignored camelCase ``systemInstruction`` and ``inlineData`` on Gemini → Claude/Codex (§5.13.3)."""
    png = "iVBORw0KGgo="
    body, _ = request(D.GEMINI, D.ANTHROPIC, {"systemInstruction": {"parts": [{"text": "S"}]}, "contents": [
        {"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": png}}, {"text": "?"}]}]})
    assert body["system"] == [{"type": "text", "text": "S"}]
    assert body["messages"][0]["content"][0] == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}
    codex, _ = request(D.GEMINI, D.CODEX, {"systemInstruction": {"parts": [{"text": "S"}]}, "contents": [
        {"role": "user", "parts": [{"text": "?"}]}]})
    assert codex["input"][0]["role"] == "developer"


def test_fix_claude_tool_id_with_dash_keeps_the_tool_name() -> None:
    """REF derived the Gemini function name from a ``-`` in the tool_use id, and used the raw
    ``toolu_…`` id as the functionResponse name (C50, §5.13.5)."""
    for tid in ("get_weather-3", "toolu_01ABC"):
        body, _ = request(D.ANTHROPIC, D.GEMINI, {"model": "m", "max_tokens": 10, "messages": [
            {"role": "user", "content": "w?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": tid, "name": "gw", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tid, "content": "sunny"}]}]})
        assert body["contents"][1]["parts"][0]["functionCall"]["name"] == "gw"
        assert body["contents"][2]["parts"][0]["functionResponse"]["name"] == "gw"
        assert body["contents"][2]["parts"][0]["functionResponse"]["response"] == {"output": "sunny"}


def test_fix_gemini_to_claude_tool_ids_round_trip() -> None:
    """REF's Gemini-CLI → Claude non-stream ids were ``tool_1``… and the next turn lost the name (§5.13.6)."""
    out, _ = response(D.ANTHROPIC, D.GEMINI_CLI, {"response": {"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "f", "args": {"a": 1}}}, {"functionCall": {"name": "g", "args": {}}}]},
        "finishReason": "STOP", "index": 0}]}})
    ids = [b["id"] for b in out["content"]]
    assert len(set(ids)) == 2 and out["stop_reason"] == "tool_use"
    nxt, _ = request(D.ANTHROPIC, D.GEMINI_CLI, {"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "go"}, {"role": "assistant", "content": out["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": ids[1], "content": "G"},
                                     {"type": "tool_result", "tool_use_id": ids[0], "content": "F"}]}]})
    frs = [p["functionResponse"] for p in nxt["request"]["contents"][2]["parts"]]
    assert [(r["name"], r["response"]["output"]) for r in frs] == [("f", "F"), ("g", "G")], "answers follow call order"


def test_fix_antigravity_schema_cleaning_only_touches_tool_schemas() -> None:
    """REF ran the schema cleaner over the whole Antigravity payload, rewriting history such as
    ``functionCall.args:{"pattern":"*.go"}`` (C66, §5.12)."""
    hist = {"role": "model", "parts": [{"functionCall": {"name": "grep", "args": {"pattern": "*.go", "format": "x"}},
                                        "thoughtSignature": "s" * 60}]}
    gem = {"contents": [{"role": "user", "parts": [{"text": "find"}]}, hist,
                        {"role": "user", "parts": [{"functionResponse": {"name": "grep", "response": {"output": "a.go"}}}]}],
           "tools": [{"functionDeclarations": [{"name": "grep", "parametersJsonSchema": {
               "type": "object", "properties": {"pattern": {"type": "string", "pattern": "^.+$"}}}}]}]}
    env, _ = request(D.GEMINI, D.ANTIGRAVITY, gem, upstream_model="gemini-3-pro-high")
    assert env["request"]["contents"][1]["parts"][0]["functionCall"]["args"] == {"pattern": "*.go", "format": "x"}
    decl = env["request"]["tools"][0]["functionDeclarations"][0]
    assert "pattern" not in decl["parameters"]["properties"]["pattern"], "the *keyword* is cleaned in the schema"
    hub, _ = request(D.OPENAI_CHAT, D.ANTIGRAVITY, {"model": "m", "messages": [
        {"role": "user", "content": "find"},
        {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "grep", "arguments": "{\"pattern\":\"*.go\"}"}}]},
        {"role": "tool", "tool_call_id": "c", "content": "a.go"}]}, upstream_model="claude-sonnet-4-6")
    assert hub["request"]["contents"][1]["parts"][0]["functionCall"]["args"] == {"pattern": "*.go"}


def test_fix_empty_assistant_message_is_not_sent_to_claude() -> None:
    """REF sent ``{"role":"assistant","content":[]}`` for an empty assistant turn; Claude answers 400 (§5.3)."""
    body, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "messages": [
        {"role": "user", "content": "a"}, {"role": "assistant", "content": None}, {"role": "user", "content": "b"}]})
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]


def test_fix_gemini_two_text_parts_in_one_chunk_are_both_streamed() -> None:
    """REF kept only the last text part of a chunk for OpenAI clients (C44)."""
    events, _ = stream(D.OPENAI_CHAT, D.GEMINI, [ev("", {"candidates": [{"content": {"role": "model", "parts": [
        {"text": "a"}, {"text": "b"}]}, "finishReason": "STOP", "index": 0}]})])
    text = "".join(c["delta"].get("content") or "" for _, d in events if d != "[DONE]" for c in d["choices"])
    assert text == "ab"


def test_fix_claude_stream_tool_index_is_the_tool_ordinal() -> None:
    """REF used the Claude *block* index as the OpenAI tool_calls index (1 after a text block; C16)."""
    events, _ = stream(D.OPENAI_CHAT, D.ANTHROPIC, [C_START, *c_text(0, "x"),
        ev("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_x", "name": "W", "input": {}}}),
        ev("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"p\":"}}),
        ev("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "\"a\"}"}}),
        ev("content_block_stop", {"type": "content_block_stop", "index": 1}), c_delta("tool_use"), C_STOP])
    calls = [tc for _, d in events if d != "[DONE]" for c in d["choices"] for tc in c["delta"].get("tool_calls") or []]
    assert calls[0] == {"index": 0, "id": "toolu_x", "type": "function", "function": {"name": "W", "arguments": ""}}
    assert [c["function"]["arguments"] for c in calls[1:]] == ["{\"p\":", "\"a\"}"], "argument deltas stream, not buffered"
    assert {c["index"] for c in calls} == {0}


def test_fix_openai_to_responses_completes_after_the_usage_chunk() -> None:
    """``response.completed`` must carry the usage that arrives after ``finish_reason`` (C30; REF
    never completed without ``[DONE]``)."""
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "g"}
    evs = [ev("", {**chunk, "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]}),
           ev("", {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
           ev("", {**chunk, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})]
    for tail in ([ev("", b"[DONE]")], []):
        events, _ = stream(D.OPENAI_RESPONSES, D.OPENAI_CHAT, evs + tail)
        names = [n for n, _ in events]
        assert names[-1] == "response.completed" and names.count("response.completed") == 1
        u = events[-1][1]["response"]["usage"]
        assert (u["input_tokens"], u["output_tokens"], u["total_tokens"]) == (3, 1, 4)


def test_fix_stream_ending_early_is_an_error_not_a_silent_success() -> None:
    """An upstream that drops the connection mid-answer must not look like a complete answer
    ("empty streams" / truncated answers are the most reported symptom)."""
    events, _ = stream(D.ANTHROPIC, D.OPENAI_CHAT, [ev("", {"id": "c", "object": "chat.completion.chunk", "created": 1,
        "model": "g", "choices": [{"index": 0, "delta": {"content": "Hal"}, "finish_reason": None}]})])
    names = [n for n, _ in events]
    assert "error" in names and "message_stop" not in names
    assert events[-1][1]["error"]["type"] == "api_error"


def test_fix_max_completion_tokens_is_honoured() -> None:
    """REF ignored ``max_completion_tokens`` (the newer OpenAI name) and defaulted Claude to 32000."""
    body, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "max_completion_tokens": 77,
                                                   "messages": [{"role": "user", "content": "x"}]})
    assert body["max_tokens"] == 77


def test_fix_claude_stop_sequences_stay_a_list_for_openai() -> None:
    """REF turned a single stop sequence into a bare string (mainline 4ac37ed3c)."""
    body, _ = request(D.ANTHROPIC, D.OPENAI_CHAT, {"model": "m", "max_tokens": 5, "stop_sequences": ["a"],
                                                   "messages": [{"role": "user", "content": "x"}]})
    assert body["stop"] == ["a"]


def test_fix_chat_tool_result_images_are_not_put_in_tool_messages() -> None:
    """OpenAI tool messages carry text only; REF put image parts there (C81). They move to a user turn."""
    png = "iVBORw0KGgo="
    body, warnings = request(D.ANTHROPIC, D.OPENAI_CHAT, {"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "shot"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "screenshot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "text", "text": "here"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}]},
            {"type": "text", "text": "go"}]}]})
    tool, user = body["messages"][2], body["messages"][3]
    assert tool == {"role": "tool", "tool_call_id": "t1", "content": "here"}
    assert user["content"][0] == {"type": "text", "text": "go"}
    assert user["content"][1]["image_url"]["url"] == f"data:image/png;base64,{png}"
    assert any("moved to a user message" in w for w in warnings)


def test_fix_dropped_fields_are_reported() -> None:
    """Nothing is dropped silently: fields without an equivalent become warnings."""
    _, warnings = request(D.ANTHROPIC, D.GEMINI, {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
                                                  "context_management": {"edits": []}, "container": "c"})
    assert any("context_management" in w for w in warnings) and any("container" in w for w in warnings)
    _, warnings = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "messages": [{"role": "user", "content": "x"}],
                                                       "logprobs": True, "seed": 1})
    assert any("logprobs" in w for w in warnings) and any("seed" in w for w in warnings)




def test_summary_only_reasoning_does_not_invent_an_effort_for_chat_upstreams() -> None:
    """Codex CLI sends ``reasoning: {summary: auto}`` with no effort; a chat upstream (e.g. gpt-4o
    behind openai-compatibility) must not get a ``reasoning_effort`` it may reject."""
    from cliproxy.dialects.ids import Dialect
    from cliproxy.translate.router import get_translator
    from translate.conftest import make_ctx

    t = get_translator(Dialect.OPENAI_RESPONSES, Dialect.OPENAI_CHAT)
    summary_only = {"model": "m", "input": "hi", "reasoning": {"summary": "auto"}}
    assert "reasoning_effort" not in t.request(make_ctx(Dialect.OPENAI_RESPONSES, Dialect.OPENAI_CHAT, summary_only))
    explicit = {"model": "m", "input": "hi", "reasoning": {"effort": "high", "summary": "auto"}}
    out = t.request(make_ctx(Dialect.OPENAI_RESPONSES, Dialect.OPENAI_CHAT, explicit))
    assert out["reasoning_effort"] == "high"
