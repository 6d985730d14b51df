"""An upstream error in the middle of a stream reaches every client in its own error shape, one
its SDK raises on (translation.md §1.5, clients.md §2; C18)."""

from __future__ import annotations

import msgspec
import pytest
from openai.types.responses import ResponseErrorEvent

from cliproxy.dialects.ids import Dialect as D
from cliproxy.translate.router import CLIENT_DIALECTS
from translate.support.run import ev, stream

UPSTREAM_ERRORS = {
    D.ANTHROPIC: [ev("message_start", {"type": "message_start", "message": {"id": "m", "model": "c", "usage": {}}}),
                  ev("error", {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})],
    D.OPENAI_CHAT: [ev("", {"error": {"message": "busy", "type": "server_error", "code": 503}})],
    D.OPENAI_RESPONSES: [ev("response.created", {"type": "response.created", "response": {"id": "r", "output": []}}),
                         ev("error", {"type": "error", "code": "rate_limit_exceeded", "message": "busy", "sequence_number": 1})],
    D.GEMINI: [ev("", {"error": {"code": 429, "message": "busy", "status": "RESOURCE_EXHAUSTED"}})],
}


@pytest.mark.parametrize("src", [d for d in CLIENT_DIALECTS], ids=lambda d: d.value)
@pytest.mark.parametrize("dst", list(UPSTREAM_ERRORS), ids=lambda d: d.value)
def test_mid_stream_error_reaches_the_client(src, dst) -> None:
    events, _ = stream(src, dst, UPSTREAM_ERRORS[dst])
    if src is dst:  # passthrough: the upstream's own error event arrives unchanged
        upstream_last = UPSTREAM_ERRORS[dst][-1]
        assert events[-1][1] == msgspec.json.decode(upstream_last.data)
        return
    name, data = events[-1] if src is not D.OPENAI_CHAT else [e for e in events if e[1] != "[DONE]"][-1]
    match src:
        case D.ANTHROPIC:
            assert name == "error"
            assert data["type"] == "error" and data["error"]["message"] == "busy"
            assert data["error"]["type"] in ("overloaded_error", "rate_limit_error", "api_error", "invalid_request_error")
            assert "message_stop" not in [n for n, _ in events]
        case D.OPENAI_CHAT:
            assert name is None and data["error"]["message"] == "busy"
        case D.OPENAI_RESPONSES:
            assert name == "error"
            e = ResponseErrorEvent.model_validate(data)
            assert e.message == "busy" and e.code
        case D.GEMINI:
            assert name is None and data["error"]["message"] == "busy"
            assert isinstance(data["error"]["code"], int) and data["error"]["status"]
