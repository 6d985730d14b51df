"""The issue's bar: an auth dir of CLIProxyAPI-format files for all four subscription providers
serves each provider's models to all four client dialects, through the emulators."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulators import AnthropicEmulator, CloudCodeEmulator, CodexEmulator

from .support import antigravity_file, claude_file, codex_file, config, gemini_file, proxy, write

CLAUDE_TOKEN = "sk-ant-oat01-matrix-token"
CODEX_TOKEN = "codex-matrix-access-token"
GOOGLE_TOKEN = "ya29.matrix-access-token"

# one model per provider that no other provider registers, so routing is unambiguous
MODELS = {"claude": "claude-haiku-4-5-20251001", "codex": "gpt-5.4",
          "gemini-cli": "gemini-2.5-pro", "antigravity": "gemini-3-pro-high"}


def _request(dialect: str, model: str) -> tuple[str, dict, dict]:
    text = f"hello from {dialect}"
    if dialect == "openai":
        return "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": text}]}, {}
    if dialect == "responses":
        return "/v1/responses", {"model": model, "input": text}, {}
    if dialect == "anthropic":
        return "/v1/messages", {"model": model, "max_tokens": 256,
                                "messages": [{"role": "user", "content": text}]}, {"anthropic-version": "2023-06-01"}
    return (f"/v1beta/models/{model}:generateContent",
            {"contents": [{"role": "user", "parts": [{"text": text}]}]}, {})


def _answer_text(dialect: str, body: bytes) -> str:
    obj = json.loads(body)
    if dialect == "openai":
        return obj["choices"][0]["message"]["content"]
    if dialect == "responses":
        return "".join(c.get("text", "") for item in obj["output"] if item["type"] == "message"
                       for c in item["content"])
    if dialect == "anthropic":
        return "".join(b.get("text", "") for b in obj["content"] if b["type"] == "text")
    return "".join(p.get("text", "") for p in obj["candidates"][0]["content"]["parts"] if not p.get("thought"))


@pytest.fixture
def upstreams():
    with AnthropicEmulator(api_key=CLAUDE_TOKEN, auth_mode="bearer") as anth, \
            CodexEmulator(access_token=CODEX_TOKEN, account_id="acc-emulator") as cdx, \
            CloudCodeEmulator(access_token=GOOGLE_TOKEN) as cc, \
            CloudCodeEmulator(access_token=GOOGLE_TOKEN, flavor="antigravity") as ag:
        yield {"claude": anth, "codex": cdx, "gemini-cli": cc, "antigravity": ag}


async def test_every_provider_serves_every_client_dialect(auth_dir: Path, upstreams) -> None:
    write(auth_dir, "claude-c@example.com.json", claude_file(CLAUDE_TOKEN, "sk-ant-ort01-x", email="c@example.com"))
    write(auth_dir, "codex-x@example.com-plus.json", codex_file(CODEX_TOKEN, "rt_x", email="x@example.com"))
    write(auth_dir, "gemini-g@example.com-emu-project-123.json", gemini_file(GOOGLE_TOKEN, "1//0x"))
    write(auth_dir, "antigravity-a@example.com.json", antigravity_file(GOOGLE_TOKEN, "1//0y"))
    cfg = config(auth_dir, {"https://api.anthropic.com": upstreams["claude"].url,
                            "https://chatgpt.com/backend-api/codex": upstreams["codex"].base_url,
                            "https://cloudcode-pa.googleapis.com": upstreams["gemini-cli"].url,
                            "https://daily-cloudcode-pa.googleapis.com": upstreams["antigravity"].url})
    failures = []
    async with proxy(cfg) as px:
        for provider, model in MODELS.items():
            emu = upstreams[provider]
            for dialect in ("openai", "responses", "anthropic", "gemini"):
                before = len(emu.requests)
                path, body, headers = _request(dialect, model)
                status, answer = await px.post(path, body, **headers)
                if status != 200:
                    failures.append(f"{dialect} -> {provider}: HTTP {status} {answer[:200]!r}")
                    continue
                text = _answer_text(dialect, answer)
                if f"hello from {dialect}" not in text:
                    failures.append(f"{dialect} -> {provider}: unexpected answer {text!r}")
                if len(emu.requests) <= before:
                    failures.append(f"{dialect} -> {provider}: the {provider} upstream was not called")
    assert not failures, "\n".join(failures)
