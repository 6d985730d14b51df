"""What a target cannot express is logged and counted; ``translation-strict`` refuses it (400)."""

from __future__ import annotations

import openai
import pytest

from emulators import OpenAIEmulator
from proxy_harness import ProxyServer


@pytest.fixture(scope="module")
def upstream():
    with OpenAIEmulator(api_key="up") as emu:
        yield emu


def _cfg(emu, strict):
    return {"api-keys": ["k"], "translation-strict": strict,
            "openai-compatibility": [{"name": "oc", "base-url": emu.url + "/v1",
                                      "api-key-entries": [{"api-key": "up"}],
                                      "models": [{"name": "gpt-4o", "alias": "gpt-4o"}]}]}


def _call(px):
    with openai.OpenAI(base_url=px.url + "/v1", api_key="k", max_retries=0) as c:
        # Responses `metadata` has no chat-completions equivalent without stored completions
        return c.responses.create(model="gpt-4o", input="hello", metadata={"ticket": "42"})


def test_warnings_are_counted_and_the_request_still_served(upstream):
    with ProxyServer(_cfg(upstream, False)) as px:
        r = _call(px)
        assert "EMU_OK hello" in r.output_text
        counted = dict(px.state.translation_warnings)
    assert any("metadata" in w for w in counted), counted


def test_strict_mode_refuses_with_a_400_naming_the_loss(upstream):
    upstream.reset()
    with ProxyServer(_cfg(upstream, True)) as px, pytest.raises(openai.BadRequestError) as ei:
        _call(px)
    assert "metadata" in str(ei.value)
    assert not upstream.requests  # nothing was sent upstream
