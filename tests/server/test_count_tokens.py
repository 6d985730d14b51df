"""Token counting when the upstream has no count endpoint (OpenAI-compatible, Codex): the proxy
counts locally and answers in the client's count shape, without calling the upstream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proxy_harness import ProxyServer

from ._support import CODEX_UP_KEY, anthropic_client, base_config, compat_block, genai_client

TEXT = "the quick brown fox jumps over the lazy dog " * 5


@pytest.fixture(scope="module")
def px(openai_emu, codex_emu) -> Iterator[ProxyServer]:
    cfg = base_config(**{
        "openai-compatibility": [compat_block(openai_emu, models={"compat-model": "gpt-4o"})],
        "codex-api-key": [{"api-key": CODEX_UP_KEY, "base-url": codex_emu.base_url}],
    })
    with ProxyServer(cfg) as px:
        yield px


@pytest.mark.parametrize("model", ["compat-model", "gpt-5.4"])
def test_anthropic_count_tokens_is_counted_locally(px, closing, openai_emu, codex_emu, model):
    c = closing(anthropic_client(px))
    short = c.messages.count_tokens(model=model, messages=[{"role": "user", "content": "hi"}])
    long = c.messages.count_tokens(model=model, messages=[{"role": "user", "content": TEXT}])
    assert 0 < short.input_tokens < long.input_tokens
    assert not openai_emu.requests and not codex_emu.requests


def test_gemini_count_tokens_is_counted_locally(px, openai_emu):
    with genai_client(px) as g:
        r = g.models.count_tokens(model="compat-model", contents=TEXT)
    assert r.total_tokens and r.total_tokens > 10
    assert not openai_emu.requests
