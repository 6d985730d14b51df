"""Every upstream stream case × every client the router serves from that upstream:

- the client stream passes the client SDK's framing rules, event types and stream helpers;
- the non-stream answer (upstream stream → ``assemble_stream`` → ``response``) passes the SDK's
  response type;
- stream ≡ non-stream: both reduce to the same neutral answer (text, reasoning, tool calls with
  arguments, finish reason, usage), and that answer is the case's expected one;
- usage reported to the pipeline matches the case.

Generated from the router and the case folders: a new pair or case needs no new test code.
"""

from __future__ import annotations

import pytest

from cliproxy.translate.router import CLIENT_DIALECTS, UPSTREAM_DIALECTS, kind
from translate.support.cases import streams_for
from translate.support.checks import stream_case

# robustness cases (upstream quirks) apply to translated pairs only: passthrough and envelope
# pairs forward upstream quirks verbatim by design, which test_passthrough covers
PARAMS = [pytest.param(src, dst, case, id=f"{src.value}<-{dst.value}:{case.name}")
          for src in CLIENT_DIALECTS for dst in UPSTREAM_DIALECTS for case in streams_for(dst)
          if kind(src, dst) == "hub" or "robustness" not in case.features]


@pytest.mark.parametrize(("src", "dst", "case"), PARAMS)
def test_stream_equals_nonstream(src, dst, case) -> None:
    errs = stream_case(src, dst, case)
    assert not errs, "\n".join(errs)
