"""Tests for the Google-side emulators: Gemini API (via `google-genai`), Vertex routes and Cloud Code Assist,
including Google's proto-level validation, thought signatures, stream framings and quota errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from google import genai
from google.genai import errors as genai_errors, types

from emulators import GEMINI_SKIP_SENTINEL, CloudCodeEmulator, Fault, GeminiEmulator

KEY = {"x-goog-api-key": "gm-test"}
USER = {"role": "user", "parts": [{"text": "USE_TOOL go"}]}


@pytest.fixture(scope="module")
def server() -> Iterator[GeminiEmulator]:
    with GeminiEmulator() as emu:
        yield emu


@pytest.fixture
def emu(server: GeminiEmulator) -> GeminiEmulator:
    server.reset()
    return server


@pytest.fixture
def client(emu: GeminiEmulator) -> genai.Client:
    return genai.Client(api_key="gm-test", http_options=types.HttpOptions(base_url=emu.url, api_version="v1beta"))


async def post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.read()


def decl(params: dict[str, Any], key: str = "parameters", name: str = "run_shell_command") -> dict[str, Any]:
    return {"tools": [{"functionDeclarations": [{"name": name, "description": "d", key: params}]}]}


SHELL = {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}


def test_sdk_generate_stream_count_and_models(client: genai.Client) -> None:
    r = client.models.generate_content(model="gemini-2.5-flash", contents="hello gem")
    assert r.text == "EMU_OK hello gem" and r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.usage_metadata.prompt_token_count == 2 and r.usage_metadata.candidates_token_count == 3
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="a b c"))
    assert "".join(c.text for c in chunks) == "EMU_OK a b c" and len(chunks) == 4
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert client.models.count_tokens(model="gemini-2.5-flash", contents="a b c").total_tokens == 3
    assert "models/gemini-2.5-flash" in [m.name for m in client.models.list()]
    assert client.models.get(model="gemini-2.5-pro").name == "models/gemini-2.5-pro"


def test_sdk_tool_round_trip_gemini3(client: genai.Client) -> None:
    def run_shell_command(command: str) -> str:
        """Run a shell command."""
        return command

    config = types.GenerateContentConfig(
        tools=[run_shell_command], thinking_config=types.ThinkingConfig(include_thoughts=True),
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    first = client.models.generate_content(model="gemini-3-pro-preview", contents="USE_TOOL now", config=config)
    assert first.function_calls[0].args == {"command": "echo EMU_TOOL_OK"}
    call_part = next(p for p in first.candidates[0].content.parts if p.function_call)
    assert call_part.thought_signature
    history = [types.Content(role="user", parts=[types.Part(text="USE_TOOL now")]), first.candidates[0].content,
               types.Content(role="user", parts=[types.Part.from_function_response(
                   name="run_shell_command", response={"output": "EMU_TOOL_OK"})])]
    second = client.models.generate_content(model="gemini-3-pro-preview", contents=history, config=config)
    assert second.text == "EMU_RESULT: EMU_TOOL_OK"


def test_sdk_json_mode_router_schema(client: genai.Client) -> None:
    schema = {"type": "object", "properties": {"complexity_reasoning": {"type": "string"},
                                               "complexity_score": {"type": "integer"}}}
    r = client.models.generate_content(model="gemini-2.5-flash", contents="classify", config=types.GenerateContentConfig(
        response_mime_type="application/json", response_json_schema=schema))
    assert json.loads(r.text) == {"complexity_reasoning": "EMU", "complexity_score": 1}


async def test_stream_framings(emu: GeminiEmulator) -> None:
    body = {"contents": [{"parts": [{"text": "x y"}]}]}
    url = emu.url + "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    status, headers, raw = await post(url + "?alt=sse", body, KEY)
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    frames = raw.decode().split("\r\n\r\n")
    assert frames[-1] == "" and all(f.startswith("data: {") for f in frames[:-1])
    assert b"event:" not in raw and b"[DONE]" not in raw
    last = json.loads(frames[-2][6:])
    assert last["candidates"][0]["finishReason"] == "STOP" and last["usageMetadata"]["totalTokenCount"] == 5
    status, headers, raw = await post(url, body, KEY)
    array = json.loads(raw)
    assert headers["Content-Type"].startswith("application/json") and len(array) == 3
    status, _, raw = await post(url, body, {"x-goog-api-key": "wrong"})
    error = json.loads(raw)
    assert status == 400 and isinstance(error, list) and error[0]["error"]["status"] == "INVALID_ARGUMENT"


async def test_schema_subset_rejections(emu: GeminiEmulator) -> None:
    params = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": False,
              "properties": {"mode": {"type": ["string", "null"]}, "n": {"type": "integer", "exclusiveMinimum": 0}}}
    status, _, raw = await post(emu.url + "/v1beta/models/gemini-2.5-flash:generateContent",
                                {"contents": [USER], **decl(params)}, KEY)
    error = json.loads(raw)["error"]
    where = "tools[0].function_declarations[0].parameters"
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["message"].split("\n") == [
        f'Invalid JSON payload received. Unknown name "$schema" at \'{where}\': Cannot find field.',
        f'Invalid JSON payload received. Unknown name "additionalProperties" at \'{where}\': Cannot find field.',
        f'Invalid JSON payload received. Unknown name "type" at \'{where}.properties[0].value\': Proto field is not '
        "repeating, cannot start list.",
        f'Invalid JSON payload received. Unknown name "exclusiveMinimum" at \'{where}.properties[1].value\': Cannot '
        "find field."]
    violations = error["details"][0]["fieldViolations"]
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest" and len(violations) == 4
    for key in ("parametersJsonSchema", "parameters_json_schema"):
        status, _, _ = await post(emu.url + "/v1beta/models/gemini-2.5-flash:generateContent",
                                  {"contents": [USER], **decl(params, key)}, KEY)
        assert status == 200


@pytest.mark.parametrize(("body", "message"), [
    ({"contents": []}, "* GenerateContentRequest.contents: contents is not specified\n"),
    ({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}, "Please use a valid role: user, model."),
    ({"contents": [{"role": "user", "parts": []}]},
     "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"),
    ({"contents": [{"role": "user", "parts": [{"thought": True}]}]},
     "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data' must have one initialized "
     "field\n"),
    ({"contents": [USER], "session_id": "s"},
     'Invalid JSON payload received. Unknown name "session_id": Cannot find field.'),
    ({"contents": [USER, {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
     "Please ensure that function response turn comes immediately after a function call turn."),
    ({"contents": [USER, {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}},
                                                      {"functionCall": {"name": "g", "args": {}}}]},
                   {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
     "Please ensure that the number of function response parts is equal to the number of function call parts of "
     "the function call turn."),
    ({"contents": [USER], **decl({"type": "OBJECT", "properties": {}})},
     "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for "
     "OBJECT type\n"),
    ({"contents": [USER], **decl(SHELL, name="bad name!")},
     "* GenerateContentRequest.tools[0].function_declarations[0].name: Invalid function name. Must start with a "
     "letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a "
     "maximum length of 64.\n"),
])
async def test_request_validation(emu: GeminiEmulator, body: dict[str, Any], message: str) -> None:
    status, _, raw = await post(emu.url + "/v1beta/models/gemini-2.5-flash:generateContent", body, KEY)
    assert status == 400 and json.loads(raw)["error"]["message"] == message


async def test_gemini3_thought_signatures(emu: GeminiEmulator) -> None:
    def history(signature: str | None) -> dict[str, Any]:
        call: dict[str, Any] = {"functionCall": {"name": "run_shell_command", "args": {"command": "ls"}}}
        if signature is not None:
            call["thoughtSignature"] = signature
        return {"contents": [USER, {"role": "model", "parts": [call]},
                             {"role": "user", "parts": [{"functionResponse": {"name": "run_shell_command",
                                                                              "response": {"output": "ok"}}}]}],
                **decl(SHELL)}

    url = emu.url + "/v1beta/models/gemini-3-flash-preview:generateContent"
    status, _, raw = await post(url, history(None), KEY)
    assert status == 400 and json.loads(raw)["error"]["message"].startswith(
        "Function call is missing a thought_signature in functionCall parts.")
    assert "`default_api:run_shell_command` , position 2." in json.loads(raw)["error"]["message"]
    status, _, raw = await post(url, history("Zm9yZWlnbg=="), KEY)
    assert status == 400 and json.loads(raw)["error"]["message"] == "Corrupted thought signature."
    status, _, raw = await post(url, history(GEMINI_SKIP_SENTINEL), KEY)
    assert status == 200 and json.loads(raw)["candidates"][0]["content"]["parts"][0]["text"] == "EMU_RESULT: ok"
    status, _, raw = await post(url.replace("gemini-3-flash-preview", "gemini-2.5-flash"), history(None), KEY)
    assert status == 200


async def test_auth_and_model_errors(emu: GeminiEmulator) -> None:
    body = {"contents": [USER]}
    base = emu.url + "/v1beta/models/gemini-2.5-flash:generateContent"
    status, _, raw = await post(base, body)
    assert status == 403 and json.loads(raw)["error"]["status"] == "PERMISSION_DENIED"
    status, _, raw = await post(base, body, {"x-goog-api-key": "nope"})
    error = json.loads(raw)["error"]
    assert status == 400 and error["message"] == "API key not valid. Please pass a valid API key."
    assert error["details"][0]["reason"] == "API_KEY_INVALID"
    status, _, _ = await post(base + "?key=gm-test", body)
    assert status == 200
    status, _, raw = await post(emu.url + "/v1beta/models/gemini-9:generateContent", body, KEY)
    assert status == 404 and json.loads(raw)["error"]["message"].startswith(
        "models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.")
    status, headers, raw = await post(emu.url + "/v1beta/nothing", body, KEY)
    assert status == 404 and headers["Content-Type"].startswith("text/html") and b"Error 404" in raw


async def test_vertex_routes(emu: GeminiEmulator) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi vertex"}]}]}
    path = "/v1/projects/proj-1/locations/us-central1/publishers/google/models/{}"
    status, _, raw = await post(emu.url + path.format("gemini-2.5-pro:generateContent"), body,
                                {"Authorization": "Bearer ya29.emulator"})
    data = json.loads(raw)
    assert status == 200 and data["usageMetadata"]["trafficType"] == "ON_DEMAND" and "createTime" in data
    status, _, raw = await post(emu.url + path.format("gemini-2.5-pro:generateContent"), body,
                                {"Authorization": "Bearer ya29.expired"})
    assert status == 401 and json.loads(raw)["error"]["status"] == "UNAUTHENTICATED"
    status, _, raw = await post(emu.url + path.format("gemini-x:generateContent"), body,
                                {"Authorization": "Bearer ya29.emulator"})
    assert status == 404 and json.loads(raw)["error"]["message"].startswith(
        "Publisher Model `projects/proj-1/locations/us-central1/publishers/google/models/gemini-x` was not found")
    status, _, raw = await post(emu.url + "/v1/publishers/google/models/gemini-2.5-flash:streamGenerateContent"
                                "?alt=sse", body, KEY)
    assert status == 200 and raw.startswith(b"data: ")
    status, _, raw = await post(emu.url + path.format("imagen-4.0-generate-001:predict"),
                                {"instances": [{"prompt": "cat"}]}, {"Authorization": "Bearer ya29.emulator"})
    assert json.loads(raw)["predictions"][0]["mimeType"] == "image/png"


async def test_quota_faults(emu: GeminiEmulator) -> None:
    emu.script(Fault.rate_limit(retry_after=1.2), model="gemini-2.5-pro")
    status, _, raw = await post(emu.url + "/v1beta/models/gemini-2.5-pro:generateContent", {"contents": [USER]}, KEY)
    details = {d["@type"].rsplit(".", 1)[1]: d for d in json.loads(raw)["error"]["details"]}
    assert status == 429 and json.loads(raw)["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert details["RetryInfo"]["retryDelay"] == "1.2s"
    assert details["ErrorInfo"]["metadata"]["quotaResetDelay"] == "1.2s"
    assert details["ErrorInfo"]["reason"] == "RATE_LIMIT_EXCEEDED"
    emu.script(Fault.stream_error(after_events=1))
    _, _, raw = await post(emu.url + "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
                           {"contents": [USER]}, KEY)
    assert json.loads(raw.decode().split("\r\n\r\n")[1][6:])["error"]["code"] == 503


def test_sdk_sees_rate_limit(emu: GeminiEmulator, client: genai.Client) -> None:
    emu.script(Fault.rate_limit(retry_after=0.3738))
    with pytest.raises(genai_errors.ClientError) as info:
        client.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert info.value.code == 429
    info_detail = next(d for d in info.value.details["error"]["details"] if d["@type"].endswith("ErrorInfo"))
    assert info_detail["metadata"]["quotaResetDelay"] == "373.8ms"


# -- Cloud Code Assist -----------------------------------------------------------------------
CC_HEADERS = {"Authorization": "Bearer ya29.cloudcode"}


async def test_cloudcode_setup_and_onboarding() -> None:
    with CloudCodeEmulator(project=None, onboard_polls=1) as cc:
        status, _, raw = await post(cc.url + "/v1internal:loadCodeAssist", {"metadata": {"pluginType": "GEMINI"}},
                                    CC_HEADERS)
        load = json.loads(raw)
        assert status == 200 and "cloudaicompanionProject" not in load
        assert [t["id"] for t in load["allowedTiers"] if t.get("isDefault")] == ["free-tier"]
        onboard = {"tierId": "free-tier", "metadata": {}}
        _, _, raw = await post(cc.url + "/v1internal:onboardUser", onboard, CC_HEADERS)
        assert json.loads(raw)["done"] is False
        _, _, raw = await post(cc.url + "/v1internal:onboardUser", onboard, CC_HEADERS)
        op = json.loads(raw)
        assert op["done"] is True and op["response"]["cloudaicompanionProject"]["id"] == "emu-onboarded-project"
        _, _, raw = await post(cc.url + "/v1internal:loadCodeAssist", {}, CC_HEADERS)
        assert json.loads(raw)["cloudaicompanionProject"] == "emu-onboarded-project"
        status, _, _ = await post(cc.url + "/v1internal:loadCodeAssist", {}, {"Authorization": "Bearer x"})
        assert status == 401


async def test_cloudcode_generate_stream_and_errors() -> None:
    with CloudCodeEmulator() as cc:
        envelope = {"model": "gemini-2.5-pro", "project": "emu-project-123",
                    "request": {"contents": [{"role": "user", "parts": [{"text": "hi cc"}]}]}}
        status, _, raw = await post(cc.url + "/v1internal:generateContent", envelope, CC_HEADERS)
        wrapped = json.loads(raw)
        assert status == 200 and wrapped["traceId"]
        assert wrapped["response"]["candidates"][0]["content"]["parts"][0]["text"] == "EMU_OK hi cc"
        _, _, raw = await post(cc.url + "/v1internal:streamGenerateContent?alt=sse", envelope, CC_HEADERS)
        frames = [json.loads(f[6:]) for f in raw.decode().split("\r\n\r\n") if f]
        assert len(frames) == 3 and all(set(f) == {"response", "traceId"} for f in frames)
        _, _, raw = await post(cc.url + "/v1internal:countTokens", {"request": {
            "model": "models/gemini-2.5-pro", "contents": envelope["request"]["contents"]}}, CC_HEADERS)
        assert json.loads(raw)["totalTokens"] == 2
        status, _, raw = await post(cc.url + "/v1internal:generateContent", dict(envelope, project="other"),
                                    CC_HEADERS)
        assert status == 403 and json.loads(raw)["error"]["status"] == "PERMISSION_DENIED"
        cc.script(Fault.rate_limit(retry_after=2, reason="QUOTA_EXHAUSTED"))
        status, _, raw = await post(cc.url + "/v1internal:generateContent", envelope, CC_HEADERS)
        info = json.loads(raw)["error"]["details"][0]
        assert status == 429 and info["reason"] == "QUOTA_EXHAUSTED" and info["domain"] == "cloudcode-pa.googleapis.com"
        cc.script(Fault.unavailable())
        status, _, raw = await post(cc.url + "/v1internal:generateContent", envelope, CC_HEADERS)
        assert status == 503 and "No capacity available for model gemini-2.5-pro" in json.loads(raw)["error"]["message"]


async def test_antigravity_envelope_and_claude_signatures() -> None:
    with CloudCodeEmulator(flavor="antigravity") as ag:
        inner = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "sessionId": "-123"}
        envelope = {"model": "gemini-3-flash", "project": "emu-project-123", "userAgent": "antigravity",
                    "requestType": "agent", "requestId": "agent-1", "request": inner}
        status, _, _ = await post(ag.url + "/v1internal:generateContent", envelope, CC_HEADERS)
        assert status == 200
        status, _, _ = await post(ag.url + "/v1internal:generateContent", dict(envelope, requestId=""), CC_HEADERS)
        assert status == 400
        replay = dict(inner, contents=[*inner["contents"], {"role": "model", "parts": [
            {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": GEMINI_SKIP_SENTINEL}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"output": "r"}}}]}])
        status, _, raw = await post(ag.url + "/v1internal:generateContent",
                                    dict(envelope, model="claude-sonnet-4-6", request=replay), CC_HEADERS)
        assert status == 400 and "Invalid `signature` in `thinking` block" in json.loads(raw)["error"]["message"]
        _, _, raw = await post(ag.url + "/v1internal:fetchAvailableModels", {"project": "emu-project-123"}, CC_HEADERS)
        assert "claude-sonnet-4-6" in json.loads(raw)["models"]
        _, _, raw = await post(ag.url + "/v1internal:loadCodeAssist", {}, CC_HEADERS)
        assert json.loads(raw)["paidTier"]["availableCredits"][0]["creditType"] == "GOOGLE_ONE_AI"
