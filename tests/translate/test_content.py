"""Content mappings not covered by the matrices: candidates, output images, tool-name rules and
round trips, namespaces, parallel-call controls, hosted tools (translation.md §4.2–§4.4; C47)."""

from __future__ import annotations

from cliproxy.dialects.ids import Dialect as D
from translate.support.run import ev, request, response, stream


def test_c47_gemini_candidates_and_images_for_openai() -> None:
    out, _ = response(D.OPENAI_CHAT, D.GEMINI, {"candidates": [
        {"content": {"role": "model", "parts": [{"text": "a"}]}, "finishReason": "STOP", "index": 0},
        {"content": {"role": "model", "parts": [{"inlineData": {"mimeType": "image/png", "data": "QQ"}}]},
         "finishReason": "STOP", "index": 1}]})
    assert [c["index"] for c in out["choices"]] == [0, 1]
    assert out["choices"][1]["message"]["images"][0]["image_url"]["url"] == "data:image/png;base64,QQ"


def test_n_becomes_candidate_count_and_back() -> None:
    body, _ = request(D.OPENAI_CHAT, D.GEMINI, {"model": "m", "n": 2, "messages": [{"role": "user", "content": "x"}]})
    assert body["generationConfig"]["candidateCount"] == 2
    events, _ = stream(D.OPENAI_CHAT, D.GEMINI, [ev("", {"candidates": [
        {"content": {"parts": [{"text": "a"}]}, "index": 0}, {"content": {"parts": [{"text": "b"}]}, "index": 1}]}),
        ev("", {"candidates": [{"finishReason": "STOP", "index": 0}, {"finishReason": "MAX_TOKENS", "index": 1}]})])
    texts: dict[int, str] = {}
    finish: dict[int, str] = {}
    for _, d in events:
        if d == "[DONE]":
            continue
        for c in d["choices"]:
            texts[c["index"]] = texts.get(c["index"], "") + (c["delta"].get("content") or "")
            if c["finish_reason"]:
                finish[c["index"]] = c["finish_reason"]
    assert texts == {0: "a", 1: "b"} and finish == {0: "stop", 1: "length"}


def test_tool_names_are_made_safe_and_restored() -> None:
    tools = [{"type": "function", "function": {"name": "my tool!", "parameters": {"type": "object", "properties": {}}}},
             {"type": "function", "function": {"name": "9lives", "parameters": {}}}]
    body, _ = request(D.OPENAI_CHAT, D.GEMINI, {"model": "m", "tools": tools, "messages": [{"role": "user", "content": "x"}]})
    names = [d["name"] for d in body["tools"][0]["functionDeclarations"]]
    assert names == ["my_tool_", "_9lives"]
    client = {"model": "m", "tools": tools, "stream": True}
    events, _ = stream(D.OPENAI_CHAT, D.GEMINI, [ev("", {"candidates": [{"content": {"parts": [
        {"functionCall": {"name": "my_tool_", "args": {}}}]}, "finishReason": "STOP", "index": 0}]})], body=client)
    calls = [tc for _, d in events if d != "[DONE]" for c in d["choices"] for tc in c["delta"].get("tool_calls") or []]
    assert calls[0]["function"]["name"] == "my tool!"
    long = "mcp__server__" + "x" * 80
    body, _ = request(D.ANTHROPIC, D.OPENAI_RESPONSES, {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
                                                        "tools": [{"name": long, "input_schema": {"type": "object"}}]})
    assert len(body["tools"][0]["name"]) <= 64 and body["tools"][0]["name"].startswith("mcp__")
    out, _ = response(D.ANTHROPIC, D.OPENAI_RESPONSES, {"id": "r", "status": "completed", "output": [
        {"type": "function_call", "call_id": "c", "name": body["tools"][0]["name"], "arguments": "{}"}]},
        body={"model": "m", "tools": [{"name": long, "input_schema": {"type": "object"}}]})
    assert out["content"][0]["name"] == long, "the short name maps back (C71)"


def test_responses_namespaces_round_trip() -> None:
    client = {"model": "g", "tools": [{"type": "namespace", "name": "fs", "tools": [{"type": "function", "name": "read"}]}]}
    out, _ = response(D.OPENAI_RESPONSES, D.ANTHROPIC, {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "c", "stop_reason": "tool_use",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "fs__read", "input": {"p": 1}}],
        "usage": {"input_tokens": 1, "output_tokens": 1}}, body=client)
    call = out["output"][0]
    assert (call["name"], call["namespace"], call["call_id"]) == ("read", "fs", "toolu_1")
    nxt, _ = request(D.OPENAI_RESPONSES, D.ANTHROPIC, {**client, "input": [
        {"role": "user", "content": "go"}, {"type": "function_call", "call_id": "toolu_1", "name": "read", "namespace": "fs",
                                            "arguments": "{\"p\":1}"},
        {"type": "function_call_output", "call_id": "toolu_1", "output": "data"}]})
    assert nxt["messages"][1]["content"][0]["name"] == "fs__read"


def test_parallel_tool_call_controls() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    c, _ = request(D.OPENAI_CHAT, D.ANTHROPIC, {"model": "m", "tools": tools, "parallel_tool_calls": False,
                                                "messages": [{"role": "user", "content": "x"}]})
    assert c["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    o, _ = request(D.ANTHROPIC, D.CODEX, {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
                                          "tools": [{"name": "f", "input_schema": {"type": "object"}}],
                                          "tool_choice": {"type": "any", "disable_parallel_tool_use": True}})
    assert o["parallel_tool_calls"] is False and o["tool_choice"] == "required"


def test_hosted_web_search_maps_between_vendors() -> None:
    c, _ = request(D.OPENAI_RESPONSES, D.ANTHROPIC, {"model": "g", "input": "x", "tools": [
        {"type": "web_search", "filters": {"allowed_domains": ["a.com"]}}, {"type": "image_generation"}]})
    assert c["tools"] == [{"type": "web_search_20250305", "name": "web_search", "allowed_domains": ["a.com"]}]
    g, w = request(D.ANTHROPIC, D.GEMINI, {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
                                           "tools": [{"type": "web_search_20250305", "name": "web_search"}]})
    assert g["tools"] == [{"googleSearch": {}}]
    _, w = request(D.OPENAI_RESPONSES, D.GEMINI, {"model": "g", "input": "x", "tools": [{"type": "image_generation"}]})
    assert any("image_generation" in x for x in w), "C25: hosted tools without an equivalent are reported"


def test_claude_image_and_document_reach_openai_and_responses() -> None:
    png, pdf = "iVBORw0KGgo=", "JVBERi0x"
    msg = {"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                                       {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": pdf}},
                                       {"type": "text", "text": "?"}]}
    o, _ = request(D.ANTHROPIC, D.OPENAI_CHAT, {"model": "m", "max_tokens": 5, "messages": [msg]})
    parts = o["messages"][0]["content"]
    assert parts[0] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    assert parts[1] == {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{pdf}", "filename": "file.pdf"}}
    r, _ = request(D.ANTHROPIC, D.OPENAI_RESPONSES, {"model": "m", "max_tokens": 5, "messages": [msg]})
    kinds = [p["type"] for p in r["input"][0]["content"]]
    assert kinds == ["input_image", "input_file", "input_text"]


def test_mid_conversation_system_keeps_its_place_for_openai() -> None:
    """Claude Code sends a ``system`` role inside ``messages``; chat targets keep it in place."""
    o, _ = request(D.ANTHROPIC, D.OPENAI_CHAT, {"model": "m", "max_tokens": 5, "system": "S", "messages": [
        {"role": "user", "content": "a"}, {"role": "system", "content": "mid"}, {"role": "user", "content": "b"}]})
    assert [m["role"] for m in o["messages"]] == ["system", "user", "system", "user"]
    g, w = request(D.ANTHROPIC, D.GEMINI, {"model": "m", "max_tokens": 5, "system": "S", "messages": [
        {"role": "user", "content": "a"}, {"role": "system", "content": "mid"}, {"role": "user", "content": "b"}]})
    assert [p["text"] for p in g["systemInstruction"]["parts"]] == ["S", "mid"]
    assert g["contents"] == [{"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}], "user turns merged"
    assert any("moved to systemInstruction" in x for x in w)
