"""Gemini, same dialect: ``google-genai`` SDK → proxy → a ``gemini-api-key`` or a ``vertex-api-key``
upstream. Both of the SDK's API versions (``v1beta`` and its default ``v1``) must work, streaming
and non-streaming, with a full function-calling round trip; plus countTokens and model lookups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.genai import errors as genai_errors, types

from proxy_harness import ProxyServer

from ._support import (
    BASH_TOOL_SCHEMA,
    GEMINI_UP_KEY,
    TOOL_OUTPUT,
    VERTEX_UP_KEY,
    base_config,
    genai_client,
    raw,
    upstream_json,
)

GEMINI_MODEL = "gemini-2.5-flash"
VERTEX_ALIAS = "vertex-flash"
TOOL = types.Tool(function_declarations=[types.FunctionDeclaration(
    name="bash", description="run a command", parameters_json_schema=BASH_TOOL_SCHEMA)])


@pytest.fixture(scope="module")
def px(gemini_emu, vertex_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{
        "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url}],
        "vertex-api-key": [{"api-key": VERTEX_UP_KEY, "base-url": vertex_emu.url,
                            "models": [{"name": GEMINI_MODEL, "alias": VERTEX_ALIAS}]}],
    })
    with ProxyServer(cfg) as px:
        yield px


BACKENDS = [
    pytest.param(GEMINI_MODEL, "gemini", id="gemini-api-key"),
    pytest.param(VERTEX_ALIAS, "vertex", id="vertex-api-key"),
]
VERSIONS = [pytest.param("v1beta", id="v1beta"), pytest.param(None, id="default-v1")]


@pytest.fixture(scope="module", params=VERSIONS)
def client(request, px):
    c = genai_client(px, api_version=request.param)  # building a genai client is slow: share it
    yield c
    c.close()


def _upstream(kind, gemini_emu, vertex_emu):
    return gemini_emu if kind == "gemini" else vertex_emu


def _check_upstream_call(kind, emu, action: str):
    recs = [r for r in emu.requests if action in r.path]
    assert recs, f"the {kind} upstream saw no {action} call: {[r.path for r in emu.requests]}"
    rec = recs[-1]
    if kind == "gemini":
        assert rec.path.startswith(f"/v1beta/models/{GEMINI_MODEL}:")
        assert rec.header("x-goog-api-key") == GEMINI_UP_KEY
    else:
        assert rec.path.startswith(f"/v1/publishers/google/models/{GEMINI_MODEL}:")
        assert rec.header("x-goog-api-key") == VERTEX_UP_KEY
    return rec


@pytest.mark.parametrize(("model", "kind"), BACKENDS)
def test_generate_content(client, model, kind, gemini_emu, vertex_emu):
    r = client.models.generate_content(model=model, contents="hello gemini")
    assert r.text == "EMU_OK hello gemini"
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.usage_metadata.candidates_token_count > 0
    rec = _check_upstream_call(kind, _upstream(kind, gemini_emu, vertex_emu), ":generateContent")
    assert upstream_json(rec)["contents"][0]["parts"][0]["text"] == "hello gemini"


@pytest.mark.parametrize(("model", "kind"), BACKENDS)
def test_stream_generate_content(client, model, kind, gemini_emu, vertex_emu):
    chunks = list(client.models.generate_content_stream(model=model, contents="stream gemini"))
    assert len(chunks) > 1
    assert "".join(c.text or "" for c in chunks) == "EMU_OK stream gemini"
    rec = _check_upstream_call(kind, _upstream(kind, gemini_emu, vertex_emu), ":streamGenerateContent")
    assert rec.query.get("alt") == "sse"


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
@pytest.mark.parametrize(("model", "kind"), BACKENDS)
def test_function_calling_round_trip(client, model, kind, stream, gemini_emu, vertex_emu):
    config = types.GenerateContentConfig(tools=[TOOL])
    user = types.Content(role="user", parts=[types.Part(text="USE_TOOL please list files")])
    if stream:
        chunks = list(client.models.generate_content_stream(model=model, contents=[user], config=config))
        parts = [p for c in chunks for p in (c.candidates[0].content.parts or [])]
        model_turn = types.Content(role="model", parts=parts)
    else:
        r = client.models.generate_content(model=model, contents=[user], config=config)
        model_turn = r.candidates[0].content
    calls = [p.function_call for p in model_turn.parts if p.function_call]
    assert len(calls) == 1
    assert calls[0].name == "bash"
    assert dict(calls[0].args) == {"command": "echo EMU_TOOL_OK"}
    # the upstream's thought signature reaches the client intact
    assert all(p.thought_signature for p in model_turn.parts if p.function_call)
    # Replay without it: google-genai re-encodes the bytes as URL-safe base64, which the emulator's
    # signature check rejects (the real API accepts both alphabets); gemini-2.5 does not need it.
    model_turn = types.Content(role="model", parts=[
        types.Part(function_call=p.function_call) if p.function_call else p for p in model_turn.parts])
    result = types.Content(role="user", parts=[types.Part.from_function_response(
        name="bash", response={"output": TOOL_OUTPUT})])
    contents = [user, model_turn, result]
    if stream:
        text = "".join(c.text or "" for c in client.models.generate_content_stream(
            model=model, contents=contents, config=config))
    else:
        text = client.models.generate_content(model=model, contents=contents, config=config).text
    assert text == f"EMU_RESULT: {TOOL_OUTPUT}"
    emu = _upstream(kind, gemini_emu, vertex_emu)
    last = upstream_json([r for r in emu.requests if "enerateContent" in r.path][-1])
    assert last["contents"][-1]["parts"][0]["functionResponse"]["name"] == "bash"


@pytest.mark.parametrize(("model", "kind"), BACKENDS)
def test_count_tokens(client, model, kind, gemini_emu, vertex_emu):
    r = client.models.count_tokens(model=model, contents="one two three four five")
    assert r.total_tokens == 5
    _check_upstream_call(kind, _upstream(kind, gemini_emu, vertex_emu), ":countTokens")


def test_model_list(client):
    names = {m.name for m in client.models.list()}
    assert f"models/{GEMINI_MODEL}" in names
    assert f"models/{VERTEX_ALIAS}" in names


def test_model_get(client):
    m = client.models.get(model=GEMINI_MODEL)
    assert m.name == f"models/{GEMINI_MODEL}"
    assert "generateContent" in (m.supported_actions or [])


def test_model_get_unknown_is_404(client):
    with pytest.raises(genai_errors.ClientError) as ei:
        client.models.get(model="gemini-no-such-model")
    assert ei.value.code == 404


def test_v1beta_model_paths_raw(px):
    key = {"x-goog-api-key": "sk-client-0123456789"}
    listing = raw(px, "GET", "/v1beta/models", headers=key)
    assert listing.status == 200
    assert any(m["name"] == f"models/{GEMINI_MODEL}" for m in listing.json()["models"])
    for path in (f"/v1beta/models/{GEMINI_MODEL}", f"/v1beta/models/models/{GEMINI_MODEL}"):
        one = raw(px, "GET", path, headers=key)
        assert one.status == 200, path
        assert one.json()["name"] == f"models/{GEMINI_MODEL}"
    missing = raw(px, "GET", "/v1beta/models/nope-model", headers=key)
    assert missing.status == 404
    assert missing.json()["error"]["code"] == 404


def test_stream_without_alt_defaults_to_sse(px):
    """Like CLIProxyAPI: no ``alt`` means SSE."""
    resp = raw(px, "POST", f"/v1beta/models/{GEMINI_MODEL}:streamGenerateContent",
               headers={"x-goog-api-key": "sk-client-0123456789"},
               body={"contents": [{"role": "user", "parts": [{"text": "sse please"}]}]})
    assert resp.status == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.body.startswith(b"data: ")


def test_stream_with_alt_json_is_a_json_array(px):
    resp = raw(px, "POST", f"/v1beta/models/{GEMINI_MODEL}:streamGenerateContent?alt=json",
               headers={"x-goog-api-key": "sk-client-0123456789"},
               body={"contents": [{"role": "user", "parts": [{"text": "array please"}]}]})
    assert resp.status == 200
    chunks = resp.json()
    assert isinstance(chunks, list) and len(chunks) > 1
    text = "".join(p.get("text", "") for c in chunks for p in c["candidates"][0]["content"]["parts"])
    assert text == "EMU_OK array please"


def test_alias_is_shown_back_as_model_version(px, vertex_emu):
    key = {"x-goog-api-key": "sk-client-0123456789"}
    body = {"contents": [{"role": "user", "parts": [{"text": "alias"}]}]}
    one = raw(px, "POST", f"/v1beta/models/{VERTEX_ALIAS}:generateContent", headers=key, body=body)
    assert one.status == 200
    assert one.json()["modelVersion"] == VERTEX_ALIAS
    streamed = raw(px, "POST", f"/v1beta/models/{VERTEX_ALIAS}:streamGenerateContent?alt=sse", headers=key,
                   body=body)
    assert streamed.status == 200
    assert f'"modelVersion":"{GEMINI_MODEL}"'.encode() not in streamed.body
    assert f'"modelVersion":"{VERTEX_ALIAS}"'.encode() in streamed.body.replace(b" ", b"")


def test_unknown_fields_pass_through(px, gemini_emu):
    key = {"x-goog-api-key": "sk-client-0123456789"}
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}],
            "generationConfig": {"temperature": 0.5, "seed": 7},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}
    resp = raw(px, "POST", f"/v1beta/models/{GEMINI_MODEL}:generateContent", headers=key, body=body)
    assert resp.status == 200, resp.text
    sent = upstream_json(gemini_emu.requests[-1])
    assert sent["generationConfig"] == {"temperature": 0.5, "seed": 7}
    assert sent["safetySettings"] == body["safetySettings"]


def test_count_tokens_with_a_generate_content_request_wrapper(px, gemini_emu):
    key = {"x-goog-api-key": "sk-client-0123456789"}
    body = {"generateContentRequest": {"model": f"models/{GEMINI_MODEL}",
                                       "contents": [{"role": "user", "parts": [{"text": "a b c"}]}]}}
    resp = raw(px, "POST", f"/v1beta/models/{GEMINI_MODEL}:countTokens", headers=key, body=body)
    assert resp.status == 200, resp.text
    assert resp.json()["totalTokens"] == 3


def test_json_array_stream_reset_ends_with_an_error_element(px, gemini_emu):
    from emulators import Fault

    gemini_emu.script(Fault.reset(after_events=2))
    resp = raw(px, "POST", f"/v1beta/models/{GEMINI_MODEL}:streamGenerateContent?alt=json",
               headers={"x-goog-api-key": "sk-client-0123456789"},
               body={"contents": [{"role": "user", "parts": [{"text": "one two three four"}]}]})
    assert resp.status == 200
    items = resp.json()  # still one valid JSON array
    assert isinstance(items, list) and "candidates" in items[0]
    assert items[-1]["error"]["code"] >= 500
