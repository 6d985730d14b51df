"""Local token counting and count-tokens answers (translation.md §3.6, §5.10; C96)."""

from __future__ import annotations

import json

import pytest

from cliproxy.dialects.ids import Dialect as D
from cliproxy.translate.router import get_translator
from cliproxy.translate.tokens import IMAGE_TOKENS, Counter, approx_tokens, count_request, count_tokens_body
from translate.conftest import make_ctx

# cl100k_base counts of a few well-known strings (OpenAI cookbook / tokenizer page)
REFERENCE = {"Hello world": 2, "The quick brown fox jumps over the lazy dog.": 10, "tiktoken is great!": 6}


def test_counter_says_whether_it_is_approximate() -> None:
    c = Counter()
    assert c.approximate == (c.method == "approximate")
    if c.approximate:
        got = sum(approx_tokens(t) for t in REFERENCE)
        want = sum(REFERENCE.values())
        assert abs(got - want) / want <= 0.10


def test_counts_grow_with_content_and_images() -> None:
    base = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    longer = {**base, "messages": [{"role": "user", "content": "hi " * 200}]}
    image = {**base, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "hi"}, {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]}]}
    n0, n1, n2 = (count_request(D.ANTHROPIC, b).tokens for b in (base, longer, image))
    assert n0 < n1 and n2 - n0 == IMAGE_TOKENS


@pytest.mark.parametrize(("dialect", "body"), [
    (D.OPENAI_CHAT, {"model": "m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello world"}]}),
    (D.ANTHROPIC, {"model": "m", "system": "Be brief.", "messages": [{"role": "user", "content": "Hello world"}]}),
    (D.OPENAI_RESPONSES, {"model": "m", "instructions": "Be brief.", "input": "Hello world"}),
    (D.GEMINI, {"systemInstruction": {"parts": [{"text": "Be brief."}]}, "contents": [{"role": "user", "parts": [{"text": "Hello world"}]}]}),
])
def test_the_same_request_counts_the_same_in_every_dialect(dialect, body) -> None:
    assert count_request(dialect, body).tokens == count_request(D.ANTHROPIC, {
        "model": "m", "system": "Be brief.", "messages": [{"role": "user", "content": "Hello world"}]}).tokens


def test_c96_count_answers_in_the_client_dialect() -> None:
    claude_ctx = make_ctx(D.ANTHROPIC, D.GEMINI, {})
    assert json.loads(get_translator(D.ANTHROPIC, D.GEMINI).count_tokens_response(claude_ctx, b'{"totalTokens":42}')) == {
        "input_tokens": 42}
    gem_ctx = make_ctx(D.GEMINI, D.ANTHROPIC, {})
    assert json.loads(get_translator(D.GEMINI, D.ANTHROPIC).count_tokens_response(gem_ctx, b'{"input_tokens":42}')) == {
        "totalTokens": 42, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 42}]}
    assert json.loads(count_tokens_body(D.ANTHROPIC, 7)) == {"input_tokens": 7}, "not Kiro's {count:N} (§5.13.13)"
    assert json.loads(count_tokens_body(D.OPENAI_RESPONSES, 7)) == {"object": "response.input_tokens", "input_tokens": 7}


def test_count_tokens_request_bodies() -> None:
    from cliproxy.dialects.ids import Action

    ctx = make_ctx(D.ANTHROPIC, D.GEMINI, {"model": "m", "max_tokens": 10, "system": "S",
                                          "messages": [{"role": "user", "content": "x"}]}, action=Action.COUNT_TOKENS)
    body = get_translator(D.ANTHROPIC, D.GEMINI).request(ctx)
    assert "generationConfig" not in body and "safetySettings" not in body and body["contents"]
    ctx = make_ctx(D.GEMINI, D.ANTHROPIC, {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}, action=Action.COUNT_TOKENS)
    body = get_translator(D.GEMINI, D.ANTHROPIC).request(ctx)
    assert set(body) == {"model", "messages"}, "count_tokens accepts no max_tokens/stream"
    ctx = make_ctx(D.ANTHROPIC, D.GEMINI_CLI, {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]},
                   action=Action.COUNT_TOKENS)
    assert set(get_translator(D.ANTHROPIC, D.GEMINI_CLI).request(ctx)) == {"request"}


def test_real_offline_tokenizer_for_openai_families() -> None:
    """With the ``tokenizers`` extra (bpe-openai, tables in the wheel) counts are exact and offline."""
    from cliproxy.translate.tokens import Counter, encoding_for_model

    assert encoding_for_model("gpt-5.4") == ("o200k_base", True)
    assert encoding_for_model("openrouter/gpt-4-turbo") == ("cl100k_base", True)
    assert encoding_for_model("llama-3.3-70b") == ("o200k_base", False)
    cl = Counter("cl100k_base")
    assert cl.method == "bpe-openai:cl100k_base" and not cl.approximate
    assert cl.text("hello world") == 2  # [15339, 1917]
    o2 = Counter("o200k_base")
    assert o2.text("Hello, world!") == 4
    assert Counter("o200k_base", exact_family=False).approximate  # non-OpenAI model: said so
