"""The access log: one line per request, batched, same shape as other log lines, secrets masked."""

from __future__ import annotations

import asyncio
import io
import logging
import re

from cliproxy.observability.logs import AccessLog


async def test_lines_are_batched_and_shaped_like_log_lines() -> None:
    out = io.StringIO()
    al = AccessLog(interval=0.05)
    al.stream = out
    al("POST", "/v1/chat/completions", 200, 1.234, "gpt-x")
    al("POST", "/v1/messages", 429, 10.0, "claude-y")
    assert out.getvalue() == ""  # nothing written per request
    await asyncio.sleep(0.12)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO    cliproxy\.access: "
                        r"POST /v1/chat/completions 200 1\.2ms model=gpt-x", lines[0])
    assert lines[1].endswith("POST /v1/messages 429 10.0ms model=claude-y")


async def test_secrets_in_path_or_model_are_masked() -> None:
    out = io.StringIO()
    al = AccessLog(interval=0.01)
    al.stream = out
    al("POST", "/v1beta/models/AIzaSyA1234567890abcdefghijkl:generateContent", 200, 1.0,
       "sk-proj-abcdefghijklmnopqrstuvwxyz")
    al.flush()
    text = out.getvalue()
    assert "AIzaSyA1234567890abcdefghijkl" not in text and "abcdefghijklmnopqrstuvwxyz" not in text
    assert "AIza..." in text and "sk-p..." in text


def test_without_a_stream_lines_go_through_logging(caplog) -> None:
    al = AccessLog()
    with caplog.at_level(logging.INFO, logger="cliproxy.access"):
        al("GET", "/v1/models", 200, 0.5, "-")
    assert [r.getMessage() for r in caplog.records] == ["GET /v1/models 200 0.5ms model=-"]
