"""Quota: a 429 with a retry delay moves traffic to the next account; the first comes back after the delay."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from cliproxy.providers.antigravity import AntigravityProvider
from cliproxy.providers.gemini_cli import GeminiCliProvider
from emulators import CloudCodeEmulator, CodexEmulator, Fault

from .support import antigravity_file, codex_file, config, gemini_file, proxy, write

TOKENS = ("tok-account-a", "tok-account-b")


def _served_by(emu, path: str) -> list[str]:
    return [r.header("Authorization", "").removeprefix("Bearer ") for r in emu.requests_to(path)]


async def test_codex_usage_limit_cools_until_reset(auth_dir: Path) -> None:
    for i, tok in enumerate(TOKENS):
        write(auth_dir, f"codex-{'ab'[i]}@example.com-plus.json",
              codex_file(tok, f"rt_{i}", email=f"{'ab'[i]}@example.com"))
    with CodexEmulator(access_token=list(TOKENS), account_id="acc-emulator") as cdx:
        cdx.script(Fault.quota_exhausted(retry_after=1.0), times=1)
        async with proxy(config(auth_dir, {"https://chatgpt.com/backend-api/codex": cdx.base_url})) as px:
            body = {"model": "gpt-5.4", "input": "hi"}
            assert (await px.post("/v1/responses", body))[0] == 200
            assert _served_by(cdx, "/responses") == ["tok-account-a", "tok-account-b"]  # 429, then failover
            st = {s.name: s for s in px.accounts.states()}["codex-a@example.com-plus.json"]
            assert st.cooling_models["gpt-5.4"] == pytest.approx(time.time() + 1.0, abs=1.0)
            for _ in range(2):
                assert (await px.post("/v1/responses", body))[0] == 200
            assert _served_by(cdx, "/responses")[2:] == ["tok-account-b", "tok-account-b"]  # a is cooling
            await asyncio.sleep(1.6)
            for _ in range(2):
                assert (await px.post("/v1/responses", body))[0] == 200
            assert set(_served_by(cdx, "/responses")[4:]) == set(TOKENS)  # a is back


async def test_gemini_cli_retry_delay_is_the_cooldown(auth_dir: Path) -> None:
    for i, tok in enumerate(TOKENS):
        write(auth_dir, f"gemini-{'ab'[i]}@example.com-emu-project-123.json",
              gemini_file(tok, f"1//0{i}", email=f"{'ab'[i]}@example.com"))
    with CloudCodeEmulator(access_token=list(TOKENS)) as cc:
        cc.script(Fault.rate_limit(retry_after=1.2), times=1)
        async with proxy(config(auth_dir, {"https://cloudcode-pa.googleapis.com": cc.url})) as px:
            gen = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
            status, body = await px.post("/v1beta/models/gemini-2.5-pro:generateContent", gen)
            assert status == 200, body
            assert "candidates" in json.loads(body)
            assert _served_by(cc, ":generateContent") == ["tok-account-a", "tok-account-b"]
            book = px.state.book
            cid = "gemini-a@example.com-emu-project-123.json"
            assert book.blocked_for(cid, "gemini-2.5-pro") == pytest.approx(1.2, abs=0.3)  # exactly the delay
            sent = cc.requests_to(":generateContent")[-1]
            assert sent.json["project"] == "emu-project-123" and sent.json["model"] == "gemini-2.5-pro"
            assert sent.header("User-Agent", "").startswith("cliproxy/")
            assert (await px.post("/v1beta/models/gemini-2.5-pro:generateContent", gen))[0] == 200
            assert _served_by(cc, ":generateContent")[-1] == "tok-account-b"
            await asyncio.sleep(1.5)
            for _ in range(2):
                assert (await px.post("/v1beta/models/gemini-2.5-pro:generateContent", gen))[0] == 200
            assert set(_served_by(cc, ":generateContent")[-2:]) == set(TOKENS)
            # streaming and an OpenAI client through the same account
            status, body = await px.post("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", gen)
            assert status == 200 and body.startswith(b"data: {"), body
            status, body = await px.post("/v1/chat/completions", {
                "model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]})
            assert status == 200, body
            assert json.loads(body)["choices"][0]["message"]["content"]


async def test_antigravity_through_the_proxy(auth_dir: Path) -> None:
    write(auth_dir, "antigravity-a@example.com.json", antigravity_file("ya29.ag", "1//0ag"))
    with CloudCodeEmulator(access_token="ya29.ag", flavor="antigravity") as ag:
        async with proxy(config(auth_dir, {"https://daily-cloudcode-pa.googleapis.com": ag.url})) as px:
            gen = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
                   "generationConfig": {"maxOutputTokens": 100}}
            status, body = await px.post("/v1beta/models/gemini-3-flash:generateContent", gen)
            assert status == 200, body
            sent = ag.requests_to(":generateContent")[-1].json
            assert sent["userAgent"] == "antigravity" and sent["requestType"] == "agent"
            assert sent["requestId"].startswith("agent-") and sent["request"]["sessionId"].startswith("-")
            assert "maxOutputTokens" not in sent["request"].get("generationConfig", {})
            status, body = await px.post("/v1/messages", {
                "model": "claude-sonnet-4-6", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]},
                **{"anthropic-version": "2023-06-01"})
            assert status == 200, body
            assert json.loads(body)["content"][0]["type"] == "text"


def test_google_429_bodies_parse_to_exact_delays() -> None:
    body = json.dumps({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                                 "status": "RESOURCE_EXHAUSTED", "details": [
                                     {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                      "reason": "RATE_LIMIT_EXCEEDED", "metadata": {"quotaResetDelay": "373.8ms"}},
                                     {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.847655010s"}]}})
    for prov in (GeminiCliProvider(), AntigravityProvider()):
        err = prov.classify(429, body.encode(), {})
        assert err.retry_after == pytest.approx(0.847655010) and err.status == 429
    only_info = json.dumps({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "x", "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "metadata": {"quotaResetDelay": "1h2m3s"}}]}})
    assert GeminiCliProvider().classify(429, only_info.encode(), {}).retry_after == 3723
    msg = json.dumps({"error": {"code": 429, "message": "Your quota will reset after 17s."}})
    assert AntigravityProvider().classify(429, msg.encode(), {}).retry_after == 17
