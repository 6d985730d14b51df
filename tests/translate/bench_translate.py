"""Micro-benchmark: CPU per request and per stream chunk, translated vs passthrough.

Run: ``python tests/translate/bench_translate.py`` (prints µs per operation). Uses the perfkit
bodies and chunk shapes (a 4-character text delta per chunk).
"""

from __future__ import annotations

import json
import time

from cliproxy.dialects.ids import Action, Dialect
from cliproxy.translate.base import TranslateContext, UpstreamEvent
from cliproxy.translate.router import get_translator

OPENAI_BODY = {"model": "fake-gpt", "max_tokens": 64,
               "messages": [{"role": "system", "content": "You are a terse assistant."},
                            {"role": "user", "content": "Say hello in five words."}]}
CLAUDE_BODY = {"model": "fake-gpt", "max_tokens": 64, "system": "You are a terse assistant.",
               "messages": [{"role": "user", "content": "Say hello in five words."}]}
OPENAI_RESPONSE = json.dumps({
    "id": "chatcmpl-fake0001", "object": "chat.completion", "created": 1700000000, "model": "fake-gpt",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, how are you?"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}}).encode()
OPENAI_CHUNK = json.dumps({"id": "chatcmpl-fake0001", "object": "chat.completion.chunk", "created": 1700000000,
                           "model": "fake-gpt", "choices": [{"index": 0, "delta": {"content": "abcd"},
                                                             "logprobs": None, "finish_reason": None}]}).encode()
CLAUDE_CHUNK = json.dumps({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": "abcd"}}).encode()


def per_op(fn, n: int = 20000) -> float:
    for _ in range(200):
        fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e6


def ctx(src: Dialect, dst: Dialect, body: dict) -> TranslateContext:
    return TranslateContext(src, dst, Action.GENERATE, "fake-gpt", "fake-gpt", False, body)


def main() -> None:
    rows = []
    hub = get_translator(Dialect.ANTHROPIC, Dialect.OPENAI_CHAT)
    pas = get_translator(Dialect.OPENAI_CHAT, Dialect.OPENAI_CHAT)
    c1 = ctx(Dialect.ANTHROPIC, Dialect.OPENAI_CHAT, CLAUDE_BODY)
    c2 = ctx(Dialect.OPENAI_CHAT, Dialect.OPENAI_CHAT, OPENAI_BODY)
    rows.append(("request claude→openai (hub)", per_op(lambda: hub.request(c1))))
    rows.append(("request openai→openai (passthrough)", per_op(lambda: pas.request(c2))))
    rows.append(("response openai→claude (hub)", per_op(lambda: hub.response(c1, OPENAI_RESPONSE))))
    rows.append(("response openai→openai (passthrough)", per_op(lambda: pas.response(c2, OPENAI_RESPONSE))))
    ev = UpstreamEvent("", OPENAI_CHUNK)
    s_hub = hub.stream(c1)
    s_hub.feed(ev)
    s_pas = pas.stream(c2)
    rows.append(("chunk openai→claude (hub)", per_op(lambda: s_hub.feed(ev), 100000)))
    rows.append(("chunk openai→openai (passthrough)", per_op(lambda: s_pas.feed(ev), 100000)))
    hub2 = get_translator(Dialect.OPENAI_CHAT, Dialect.ANTHROPIC)
    s2 = hub2.stream(ctx(Dialect.OPENAI_CHAT, Dialect.ANTHROPIC, OPENAI_BODY))
    ev2 = UpstreamEvent("content_block_delta", CLAUDE_CHUNK)
    s2.feed(UpstreamEvent("message_start", b'{"type":"message_start","message":{"id":"m","model":"x","usage":{}}}'))
    s2.feed(UpstreamEvent("content_block_start", b'{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'))
    rows.append(("chunk claude→openai (hub)", per_op(lambda: s2.feed(ev2), 100000)))
    for name, us in rows:
        print(f"{name:42s} {us:8.2f} µs")


if __name__ == "__main__":
    main()
