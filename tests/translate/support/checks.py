"""The checks behind the matrix tests, as plain functions the report generator reuses.

Each returns a list of problems (empty = pass) and whether something was dropped *with* a warning.
"""

from __future__ import annotations

import copy
from typing import Any

from cliproxy.dialects.ids import Dialect
from cliproxy.translate.router import assemble_stream, get_translator, kind
from translate.conftest import make_ctx
from translate.support import probes
from translate.support.cases import RequestCase, StreamCase
from translate.support.client import body_facts, stream_facts
from translate.support.expect import problems, validate

CLIENT_BODY: dict[str, Any] = {"model": "client-model", "messages": [{"role": "user", "content": "hi"}],
                               "stream": True, "stream_options": {"include_usage": True}}


FEATURE_KEYS = {"sampling": ("temperature", "top_p", "top_k"), "json_schema": ("json",)}


def request_case(case: RequestCase, dst: Dialect) -> tuple[list[str], set[str]]:
    """(problems, degraded features): a degraded feature's fact cannot be expressed by the target
    and was dropped with a warning."""
    body = copy.deepcopy(case.request)
    ctx = make_ctx(case.dialect, dst, body, query=case.query)
    try:
        out = get_translator(case.dialect, dst).request(ctx)
        if body != case.request:
            return ["the client body was mutated"], set()
        if kind(case.dialect, dst) == "passthrough":
            expected = body
            if dst is Dialect.ANTHROPIC:
                # the one declared patch on Claude passthrough: adjacency and foreign-signature repair
                from cliproxy.dialects.anthropic.adjacency import repair_claude_body

                expected, _notes = repair_claude_body(copy.deepcopy(body))
                if expected != body and not ctx.warnings:
                    return ["passthrough repaired the body without a warning"], set()
            same = {k: v for k, v in out.items() if k != "model"} == {k: v for k, v in expected.items() if k != "model"}
            return ([] if same else ["passthrough changed the body"]), set()
        validate(dst, out, hub=kind(case.dialect, dst) == "hub")
        errs = problems(dst, probes.facts(dst, out), case.expect, case.unsupported, ctx.warnings)
    except Exception as e:  # the report must list failures, not stop at the first
        return [f"{type(e).__name__}: {e}"], set()
    dropped = {key for key, targets in case.unsupported.items() if key in case.expect and dst.value in targets}
    degraded = {f for f in case.features if set(FEATURE_KEYS.get(f, (f,))) & dropped}
    return errs, degraded


def stream_case(src: Dialect, dst: Dialect, case: StreamCase) -> list[str]:
    t = get_translator(src, dst)
    events = case.upstream_events(dst)
    try:
        sctx = make_ctx(src, dst, dict(CLIENT_BODY), stream=True, query={"alt": "sse"})
        st = t.stream(sctx)
        chunks = [b for e in events for b in st.feed(e)] + st.finish()
        streamed = stream_facts(src, chunks)
        nctx = make_ctx(src, dst, dict(CLIENT_BODY, stream=False))
        body, usage = t.response(nctx, assemble_stream(dst, events))
        whole = body_facts(src, body)
    except Exception as e:
        return [f"{type(e).__name__}: {str(e)[:300]}"]
    errs = []
    if streamed != whole:
        errs.append(f"stream {streamed} != non-stream {whole}")
    want = case.expected(src)
    got = {k: streamed[k] for k in ("text", "reasoning", "tool_calls", "finish", "usage")}
    if got != want:
        errs.append(f"got {got} want {want}")
    for u in (st.usage, usage):
        if u is None or (u.input_tokens, u.output_tokens) != (want["usage"]["input"], want["usage"]["output"]):
            errs.append(f"pipeline usage {u} != {want['usage']}")
    return errs
