"""Chunk boundaries never change what is decoded or translated (translation.md §5.7–§5.8, C97).

The SSE decoder (``cliproxy.dialects.sse``) is fed the same byte stream cut at arbitrary points,
including inside multi-byte UTF-8 characters and between ``\\r`` and ``\\n``; it must yield the same
events. End to end, a translated stream is byte-identical however the upstream bytes were cut.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cliproxy.dialects.ids import Dialect
from cliproxy.dialects.sse import SSEDecoder
from cliproxy.translate.base import UpstreamEvent
from cliproxy.translate.router import get_translator
from translate.conftest import make_ctx
from translate.support.cases import stream_cases

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=40)
EVENT_NAME = st.sampled_from(["", "message_start", "content_block_delta", "response.output_text.delta"])
EVENTS = st.lists(st.tuples(EVENT_NAME, st.lists(TEXT, min_size=1, max_size=3)), min_size=1, max_size=8)


def _encode(events: list[tuple[str, list[str]]], eol: bytes, space: bool, comments: bool) -> bytes:
    out = b""
    for i, (name, lines) in enumerate(events):
        if comments and i % 2 == 0:
            out += b": keep-alive" + eol
        if name:
            out += b"event:" + (b" " if space else b"") + name.encode() + eol
        for line in lines:
            out += b"data:" + (b" " if space else b"") + line.encode() + eol
        out += eol
    return out


def _cuts(data: bytes, positions: list[int]) -> list[bytes]:
    points = sorted({p % (len(data) + 1) for p in positions})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


def _decode(pieces: list[bytes]) -> list[tuple[str, bytes]]:
    dec = SSEDecoder()
    out = [(e.event, e.data) for piece in pieces for e in dec.feed(piece)]
    out += [(e.event, e.data) for e in dec.flush()]
    return out


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(EVENTS, st.sampled_from([b"\n", b"\r\n"]), st.booleans(), st.booleans(),
       st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_sse_decoder_is_split_invariant(events, eol, space, comments, positions) -> None:
    # a value that starts with a space keeps it when "data:" has no separating space of its own
    events = [(n, [line.lstrip(" ") if not space else line for line in lines]) for n, lines in events]
    raw = _encode(events, eol, space, comments)
    want = [(n, "\n".join(lines).encode()) for n, lines in events]
    assert _decode([raw]) == want
    assert _decode(_cuts(raw, positions)) == want


def test_sse_decoder_one_byte_at_a_time_keeps_utf8_whole() -> None:
    raw = 'data: {"t":"你好 🌍"}\r\n\r\ndata: x\n\n'.encode()
    got = _decode([raw[i:i + 1] for i in range(len(raw))])
    assert got == [("", '{"t":"你好 🌍"}'.encode()), ("", b"x")]
    assert json.loads(got[0][1])["t"] == "你好 🌍"


def test_sse_decoder_takes_a_5mb_event_whole() -> None:
    big = "x" * (5 * 1024 * 1024)
    raw = b'data: {"t":"' + big.encode() + b'"}\n\n'
    got = _decode([raw[i:i + 65536] for i in range(0, len(raw), 65536)])
    assert len(got) == 1 and len(got[0][1]) == len(big) + 8


def _wire(case_events: tuple[tuple[str, bytes], ...]) -> bytes:
    out = b""
    for name, data in case_events:
        if name:
            out += b"event: " + name.encode() + b"\n"
        out += b"data: " + data + b"\n\n"
    return out


CASES = [(Dialect.ANTHROPIC, c) for c in stream_cases("claude")] + \
        [(Dialect.OPENAI_CHAT, c) for c in stream_cases("openai")] + \
        [(Dialect.GEMINI, c) for c in stream_cases("gemini")] + \
        [(Dialect.OPENAI_RESPONSES, c) for c in stream_cases("openai-response")]
CLIENT_FOR = {Dialect.ANTHROPIC: Dialect.OPENAI_CHAT, Dialect.OPENAI_CHAT: Dialect.ANTHROPIC,
              Dialect.GEMINI: Dialect.OPENAI_RESPONSES, Dialect.OPENAI_RESPONSES: Dialect.GEMINI}


def _translate(dst: Dialect, pieces: list[bytes]) -> bytes:
    src = CLIENT_FOR[dst]
    ctx = make_ctx(src, dst, {"model": "m", "stream": True}, stream=True)
    st_ = get_translator(src, dst).stream(ctx)
    dec = SSEDecoder()
    out = []
    for piece in pieces:
        for e in dec.feed(piece):
            out.extend(st_.feed(UpstreamEvent(e.event, e.data)))
    for e in dec.flush():
        out.extend(st_.feed(UpstreamEvent(e.event, e.data)))
    out.extend(st_.finish())
    return b"".join(out)


_CREATED = re.compile(rb'"created(_at)?":\d+')


def _stable(raw: bytes) -> bytes:
    """Timestamps are minted when the upstream sends none; they are the only allowed difference."""
    return _CREATED.sub(b'"created":0', raw)


@pytest.mark.parametrize("case", CASES, ids=[f"{d.value}:{c.name}" for d, c in CASES])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions=st.lists(st.integers(min_value=0, max_value=20_000), max_size=20))
def test_translated_stream_is_split_invariant(case, positions) -> None:
    dst, c = case
    raw = _wire(c.events)
    whole = _translate(dst, [raw])
    assert _stable(_translate(dst, _cuts(raw, positions))) == _stable(whole)


def test_unicode_split_inside_a_character_end_to_end() -> None:
    """C97: "你好" split inside the 3-byte "你" arrives unchanged (no U+FFFD)."""
    raw = 'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"你好"}]},"finishReason":"STOP","index":0}]}\n\n'.encode()
    cut = raw.index("你".encode()) + 1
    out = _translate(Dialect.GEMINI, [raw[:cut], raw[cut:]]).decode("utf-8")
    assert "你好" in out and "\ufffd" not in out
