"""Bad client input is a 4xx in the client's own dialect that names the problem: never a 500, never
a traceback, and never a call to the upstream. Raw HTTP, so each malformation reaches the server
exactly as written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest

from proxy_harness import ProxyServer

from ._support import (
    CLAUDE_UP_KEY,
    CLIENT_KEY,
    CODEX_UP_KEY,
    GEMINI_UP_KEY,
    anthropic_client,
    base_config,
    compat_block,
    openai_client,
    raw,
)

LIMIT = 1000


@pytest.fixture(scope="module")
def px(openai_emu, anthropic_emu, gemini_emu, codex_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{
        "max-body-bytes": LIMIT,
        "openai-compatibility": [compat_block(openai_emu)],
        "claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}],
        "gemini-api-key": [{"api-key": GEMINI_UP_KEY, "base-url": gemini_emu.url}],
        "codex-api-key": [{"api-key": CODEX_UP_KEY, "base-url": codex_emu.base_url}],
    })
    with ProxyServer(cfg) as px:
        yield px


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    dialect: str  # "openai" | "anthropic" | "gemini"
    good: dict[str, Any]  # a valid body (mutated per case)
    conversation_field: str | None  # the list field a wrong type is tried on


ROUTES = [
    Route("chat", "/v1/chat/completions", "openai",
          {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, "messages"),
    Route("completions", "/v1/completions", "openai", {"model": "gpt-4o", "prompt": "hi"}, None),
    Route("responses", "/v1/responses", "openai", {"model": "gpt-5.4", "input": "hi"}, "input"),
    Route("messages", "/v1/messages", "anthropic",
          {"model": "claude-sonnet-4-6", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]},
          "messages"),
    Route("count_tokens", "/v1/messages/count_tokens", "anthropic",
          {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "hi"}]}, "messages"),
    Route("gemini", "/v1beta/models/gemini-2.5-flash:generateContent", "gemini",
          {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}, "contents"),
    Route("gemini-stream", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "gemini",
          {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}, "contents"),
]
ROUTE_PARAMS = [pytest.param(r, id=r.name) for r in ROUTES]
MODEL_ROUTES = [pytest.param(r, id=r.name) for r in ROUTES if r.dialect != "gemini"]
LIST_ROUTES = [pytest.param(r, id=r.name) for r in ROUTES if r.conversation_field]
# Responses also accepts a plain string as ``input``
ARRAY_ONLY_ROUTES = [pytest.param(r, id=r.name) for r in ROUTES if r.conversation_field and r.name != "responses"]


def _headers(route: Route, **extra: str) -> dict[str, str]:
    h = {"Authorization": f"Bearer {CLIENT_KEY}"}
    if route.dialect == "anthropic":
        h["anthropic-version"] = "2023-06-01"
    h.update(extra)
    return h


def assert_dialect_error(route: Route, resp, status: int | tuple[int, ...], *words: str) -> str:
    """The response is a 4xx in ``route``'s dialect whose message mentions every word; returns it."""
    statuses = (status,) if isinstance(status, int) else status
    assert resp.status in statuses, (resp.status, resp.text)
    assert b"Traceback" not in resp.body and b'File "' not in resp.body
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    body = resp.json()
    if route.dialect == "anthropic":
        assert body.get("type") == "error", body
        assert body["error"]["type"] in ("invalid_request_error", "request_too_large"), body
        msg = body["error"]["message"]
    elif route.dialect == "gemini":
        err = body["error"]
        assert err["code"] == resp.status, body
        assert err["status"] == "INVALID_ARGUMENT", body
        msg = err["message"]
    else:
        err = body["error"]
        assert "status" not in err, body  # OpenAI's shape, not Google's
        assert err.get("type"), body
        msg = err["message"]
    assert isinstance(msg, str) and msg
    for w in words:
        assert w.lower() in msg.lower(), (w, msg)
    return msg


@pytest.fixture(autouse=True)
def _never_upstream(request, openai_emu, anthropic_emu, gemini_emu, codex_emu):
    yield
    if "allow_upstream" in request.keywords:
        return
    for emu in (openai_emu, anthropic_emu, gemini_emu, codex_emu):
        assert not emu.requests, f"bad input reached the upstream: {[r.path for r in emu.requests]}"


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize("text", ['{"model": "gpt-4o", "messages": [', "not json at all", "{'single': 1}"])
def test_malformed_json(px, route, text):
    resp = raw(px, "POST", route.path, body=text, headers=_headers(route))
    assert_dialect_error(route, resp, 400, "json")


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize("text", ["", "   ", "[1, 2]", '"just a string"', "null"])
def test_empty_or_non_object_body(px, route, text):
    resp = raw(px, "POST", route.path, body=text, headers=_headers(route))
    assert_dialect_error(route, resp, 400)


@pytest.mark.parametrize("route", MODEL_ROUTES)
def test_model_of_the_wrong_type(px, route):
    resp = raw(px, "POST", route.path, body={**route.good, "model": 123}, headers=_headers(route))
    assert_dialect_error(route, resp, 400, "model")


@pytest.mark.parametrize("route", MODEL_ROUTES)
def test_missing_model(px, route):
    body = {k: v for k, v in route.good.items() if k != "model"}
    resp = raw(px, "POST", route.path, body=body, headers=_headers(route))
    assert_dialect_error(route, resp, 400, "model")


@pytest.mark.parametrize("route", MODEL_ROUTES)
def test_empty_model(px, route):
    resp = raw(px, "POST", route.path, body={**route.good, "model": ""}, headers=_headers(route))
    assert_dialect_error(route, resp, 400, "model")


@pytest.mark.parametrize("route", LIST_ROUTES)
@pytest.mark.parametrize("value", [123, {"role": "user"}, True])
def test_conversation_of_the_wrong_type(px, route, value):
    field = route.conversation_field
    assert field is not None
    resp = raw(px, "POST", route.path, body={**route.good, field: value}, headers=_headers(route))
    assert_dialect_error(route, resp, 400, field)


@pytest.mark.parametrize("route", ARRAY_ONLY_ROUTES)
def test_conversation_string_where_a_list_is_required(px, route):
    field = route.conversation_field
    assert field is not None
    resp = raw(px, "POST", route.path, body={**route.good, field: "x"}, headers=_headers(route))
    assert_dialect_error(route, resp, 400, field)


@pytest.mark.parametrize("route", ARRAY_ONLY_ROUTES)
def test_missing_conversation(px, route):
    field = route.conversation_field
    body = {k: v for k, v in route.good.items() if k != field}
    resp = raw(px, "POST", route.path, body=body, headers=_headers(route))
    assert_dialect_error(route, resp, 400, field)


def test_stream_flag_of_the_wrong_type(px):
    route = ROUTES[0]
    resp = raw(px, "POST", route.path, body={**route.good, "stream": "yes"}, headers=_headers(route))
    assert_dialect_error(route, resp, 400, "stream")


def test_chat_message_without_role(px):
    route = ROUTES[0]
    resp = raw(px, "POST", route.path, body={**route.good, "messages": [{"content": "hi"}]},
               headers=_headers(route))
    assert_dialect_error(route, resp, 400, "role")


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_oversized_body(px, route):
    body = dict(route.good)
    body["padding"] = "x" * (LIMIT * 5)
    resp = raw(px, "POST", route.path, body=body, headers=_headers(route))
    msg = assert_dialect_error(route, resp, 413)
    assert str(LIMIT) in msg and "max-body-bytes" in msg


@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_oversized_chunked_body_without_content_length(px, route):
    payload = json.dumps({**route.good, "padding": "x" * (LIMIT * 5)}).encode()
    resp = raw(px, "POST", route.path, body=payload, headers=_headers(route), chunked=True)
    msg = assert_dialect_error(route, resp, 413)
    assert str(LIMIT) in msg


@pytest.mark.parametrize("route", ROUTE_PARAMS)
@pytest.mark.parametrize("ctype", ["text/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_wrong_content_type(px, route, ctype):
    resp = raw(px, "POST", route.path, body=json.dumps(route.good), headers=_headers(route, **{"Content-Type": ctype}))
    assert_dialect_error(route, resp, 415, ctype.split(";")[0])


@pytest.mark.allow_upstream
@pytest.mark.parametrize("route", ROUTE_PARAMS)
def test_a_body_just_under_the_limit_is_fine(px, route):
    body = dict(route.good)
    body["metadata_pad"] = ""
    room = LIMIT - len(json.dumps(body).encode()) - 10
    body["metadata_pad"] = "y" * room
    data = json.dumps(body)
    assert len(data.encode()) <= LIMIT
    # the upstream may reject the unknown field; what matters is that the proxy did not
    resp = raw(px, "POST", route.path, body=data, headers=_headers(route))
    assert resp.status not in (413, 415, 500), resp.text


def test_gemini_unknown_method(px):
    route = ROUTES[5]
    resp = raw(px, "POST", "/v1beta/models/gemini-2.5-flash:explode", body=route.good, headers=_headers(route))
    assert resp.status == 404
    assert resp.json()["error"]["status"] == "NOT_FOUND"


def test_sdks_raise_bad_request_errors(px, closing):
    oc = closing(openai_client(px))
    with pytest.raises(openai.BadRequestError) as ei:
        oc.chat.completions.create(model="gpt-4o", messages=[])
    assert "messages" in ei.value.message
    ac = closing(anthropic_client(px))
    with pytest.raises(anthropic.BadRequestError) as ei2:
        ac.messages.create(model="claude-sonnet-4-6", max_tokens="many",  # type: ignore[arg-type]
                           messages=[{"role": "user", "content": "x"}])
    assert "max_tokens" in ei2.value.message


def test_unknown_route_is_404(px):
    resp = raw(px, "POST", "/v1/nothing-here", body={}, headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    assert resp.status == 404
