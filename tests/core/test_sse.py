"""SSE framing: any chunking decodes to the same events; passthrough cuts only at event ends."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cliproxy.dialects.sse import EventSplitter, SSEDecoder

STREAM = (
    "event: message_start\ndata: {\"type\":\"message_start\",\"t\":\"héllo wörld ✓ 漢字\"}\n\n"
    ": keep-alive comment\n\n"
    "data:{\"no\":\"space\"}\r\n\r\n"
    "event: multi\ndata: line1\ndata: line2\n\n"
    "id: 7\nretry: 10\ndata: 🎉🎉\n\n"
    "data: [DONE]\n\n"
).encode()

EXPECTED = [("message_start", '{"type":"message_start","t":"héllo wörld ✓ 漢字"}'),
            ("", '{"no":"space"}'), ("multi", "line1\nline2"), ("", "🎉🎉"), ("", "[DONE]")]


def _decode(chunks):
    d = SSEDecoder()
    out = []
    for c in chunks:
        out += d.feed(c)
    out += d.flush()
    return [(e.event, e.data.decode("utf-8")) for e in out]


def _cuts(data: bytes, points: list[int]) -> list[bytes]:
    pts = sorted({p % (len(data) + 1) for p in points})
    out, prev = [], 0
    for p in pts:
        out.append(data[prev:p])
        prev = p
    out.append(data[prev:])
    return out


def test_whole_stream():
    assert _decode([STREAM]) == EXPECTED


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=40))
def test_any_byte_split_decodes_the_same(points):
    assert _decode(_cuts(STREAM, points)) == EXPECTED


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=40))
def test_splitter_emits_whole_events_and_whole_utf8(points):
    sp = EventSplitter()
    outs = [sp.feed(c) for c in _cuts(STREAM, points)]
    outs.append(sp.flush())
    assert b"".join(outs) == STREAM
    for o in outs[:-1]:
        if o:
            o.decode("utf-8")  # never a split character
            assert o.endswith((b"\n\n", b"\r\n\r\n"))


def test_final_event_without_blank_line_is_kept():
    assert _decode([b"data: a\n\ndata: b"]) == [("", "a"), ("", "b")]
