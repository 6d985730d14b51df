"""Channel rules of the subscription providers (URLs, headers, envelopes, signatures, fallback order)."""

from __future__ import annotations

import copy

from cliproxy.accounts.build import apply_aliases
from cliproxy.config.schema import OAuthAlias
from cliproxy.dialects.ids import Action
from cliproxy.providers.antigravity import DAILY_BASE, PROD_BASE, AntigravityProvider, shape_request
from cliproxy.providers.base import Credential, ModelEntry, UpstreamCall
from cliproxy.providers.claude_oauth import ClaudeOAuthProvider
from cliproxy.providers.codex_oauth import CodexAccount
from cliproxy.providers.gemini_cli import GeminiCliProvider

from .support import codex_file

SENT = "skip_thought_signature_validator"
REAL = "R" * 60


def _history() -> list[dict]:
    return [
        {"role": "user", "parts": [{"text": "first question"}]},
        {"role": "model", "parts": [{"thought": True, "text": "old thinking", "thoughtSignature": REAL},
                                    {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": REAL}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
        {"role": "model", "parts": [{"thought": True, "text": "new thinking", "thoughtSignature": REAL},
                                    {"thought": True, "text": "unsigned"},
                                    {"functionCall": {"name": "g", "args": {}}, "thought_signature": "short"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "g", "response": {}}}]},
    ]


def test_antigravity_signatures_for_gemini_models() -> None:  # seed patch 003
    out = shape_request({"contents": _history()}, "gemini-3-pro-high", "p")
    model_parts = [p for c in out["request"]["contents"] if c["role"] == "model" for p in c["parts"]]
    assert all(p["thoughtSignature"] == SENT for p in model_parts if p.get("thought"))
    calls = [p for p in model_parts if "functionCall" in p]
    assert calls[0]["thoughtSignature"] == REAL and calls[1]["thoughtSignature"] == SENT
    assert all("thought_signature" not in p for p in model_parts)


def test_antigravity_signatures_for_claude_models() -> None:
    out = shape_request({"contents": _history()}, "claude-sonnet-4-6", "p")
    turns = [c for c in out["request"]["contents"] if c["role"] == "model"]
    assert turns[0]["parts"] == [{"functionCall": {"name": "f", "args": {}}}]  # earlier turn: thinking stripped
    assert turns[1]["parts"][0] == {"thought": True, "text": "new thinking", "thoughtSignature": REAL}
    assert len(turns[1]["parts"]) == 2 and "thoughtSignature" not in turns[1]["parts"][1]  # unsigned one gone
    assert SENT not in str(out)


def test_antigravity_envelope_rules() -> None:
    body = {"model": "x", "project": "", "request": {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}], "safetySettings": [{"x": 1}],
        "tools": [{"functionDeclarations": [{"name": "f"}]}], "generationConfig": {"maxOutputTokens": 99}},
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}}}
    claude = shape_request(copy.deepcopy(body), "claude-sonnet-4-6", "proj")
    assert claude["project"] == "proj" and claude["userAgent"] == "antigravity"
    assert claude["request"]["toolConfig"]["functionCallingConfig"]["mode"] == "VALIDATED"
    assert claude["request"]["generationConfig"]["maxOutputTokens"] == 99 and "safetySettings" not in claude["request"]
    assert claude["request"]["sessionId"] == shape_request({"contents": [{"role": "user", "parts": [
        {"text": "hi"}]}]}, "gemini-3-flash", "p")["request"]["sessionId"]  # stable per conversation
    none = {"request": {"contents": [], "tools": [{}], "toolConfig": {"functionCallingConfig": {"mode": "NONE"}}}}
    assert shape_request(none, "claude-sonnet-4-6", "p")["request"]["toolConfig"]["functionCallingConfig"][
        "mode"] == "NONE"
    gem = shape_request(copy.deepcopy(body), "gemini-3-flash", "proj")
    assert "maxOutputTokens" not in gem["request"]["generationConfig"]
    img = shape_request({"contents": []}, "gemini-3.1-flash-image", "proj")
    assert img["requestType"] == "image_gen" and img["requestId"].startswith("image_gen/")
    assert "sessionId" not in img["request"]


def test_antigravity_endpoint_order() -> None:
    prov = AntigravityProvider()
    cred = Credential(id="a", provider="antigravity", kind="oauth", attrs={"project_id": "p"})
    assert prov.endpoint_bases(cred) == (DAILY_BASE, PROD_BASE)
    assert prov.endpoint_bases(Credential(id="b", provider="antigravity", base_url="http://x/")) == ("http://x",)
    assert prov.try_next_base(429, b"") and prov.try_next_base(0, b"")
    assert prov.try_next_base(503, b"No capacity available for model") and not prov.try_next_base(400, b"")
    call = UpstreamCall(Action.GENERATE, "gemini-3-flash", {"contents": []}, True, {})
    prov.patch_body(cred, call)
    out = prov.build(cred, "tok", call)
    assert out.url == DAILY_BASE + "/v1internal:streamGenerateContent?alt=sse"
    assert prov.build(cred, "tok", call, base=PROD_BASE).url.startswith(PROD_BASE)
    assert out.headers["Authorization"] == "Bearer tok" and out.headers["User-Agent"].startswith("cliproxy/")


def test_gemini_cli_envelope_and_count() -> None:
    prov = GeminiCliProvider(user_agent="my-app/1")
    cred = Credential(id="g", provider="gemini-cli", kind="oauth", attrs={"project_id": "proj"},
                      headers={"X-Team": "t"})
    call = UpstreamCall(Action.GENERATE, "gemini-2.5-pro", {"contents": [
        {"role": "model", "parts": [{"functionCall": {"name": "f"}}]}]}, False, {})
    prov.patch_body(cred, call)
    assert call.body["project"] == "proj" and call.body["model"] == "gemini-2.5-pro"
    assert call.body["request"]["contents"][0]["parts"][0]["thoughtSignature"] == SENT
    out = prov.build(cred, "ya29.x", call)
    assert out.url == "https://cloudcode-pa.googleapis.com/v1internal:generateContent"
    assert out.headers["User-Agent"] == "my-app/1" and out.headers["X-Team"] == "t"
    count = UpstreamCall(Action.COUNT_TOKENS, "gemini-2.5-pro", {"model": "gemini-2.5-pro", "project": "",
                                                                 "request": {"contents": [], "safetySettings": []}},
                         False, {})
    prov.patch_body(cred, count)
    assert count.body == {"request": {"model": "models/gemini-2.5-pro", "contents": []}}


def test_claude_oauth_beta_is_added_to_the_clients_betas() -> None:
    prov = ClaudeOAuthProvider()
    cred = Credential(id="c", provider="claude-oauth", kind="oauth", headers={"Anthropic-Beta": "custom-1"})
    call = UpstreamCall(Action.GENERATE, "claude-sonnet-4-6", {"messages": []}, True,
                        {"anthropic-beta": "interleaved-thinking-2025-05-14"})
    prov.patch_body(cred, call)
    out = prov.build(cred, "sk-ant-oat01-x", call)
    assert [k for k in out.headers if k.lower() == "anthropic-beta"] == ["anthropic-beta"]
    assert out.headers["anthropic-beta"] == "oauth-2025-04-20,custom-1"  # configured headers still win
    assert out.headers["Authorization"] == "Bearer sk-ant-oat01-x" and "x-api-key" not in out.headers
    assert out.url == "https://api.anthropic.com/v1/messages?beta=true"
    call2 = UpstreamCall(Action.COUNT_TOKENS, "claude-sonnet-4-6", {"messages": []}, False, {})
    out2 = prov.build(Credential(id="c", provider="claude-oauth", kind="oauth"), "t", call2)
    assert out2.url.endswith("/v1/messages/count_tokens?beta=true")
    assert out2.headers["anthropic-beta"] == "oauth-2025-04-20"


def test_codex_models_follow_the_plan() -> None:
    acct = CodexAccount()
    plus = {m.id for m in acct.models(codex_file("a", "r", plan="plus"))}
    free = {m.id for m in acct.models(codex_file("a", "r", plan="free"))}
    assert "gpt-5.3-codex-spark" in plus and "gpt-5.3-codex-spark" not in free and "gpt-5.4" in free


def test_alias_fork_and_replace() -> None:
    entries = (ModelEntry(id="a", upstream=("a",)), ModelEntry(id="b", upstream=("b",)))
    out = apply_aliases(entries, [OAuthAlias(name="a", alias="x"), OAuthAlias(name="b", alias="y", fork=True),
                                  OAuthAlias(name="b", alias="z"), OAuthAlias(name="a", alias="a")])
    assert [(e.id, e.upstream) for e in out] == [("x", ("a",)), ("b", ("b",)), ("y", ("b",)), ("z", ("b",))]
