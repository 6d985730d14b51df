"""/v1internal:* is opt-in and loopback-only; when on, the Code Assist envelope is served."""

from __future__ import annotations

import aiohttp
import pytest

from emulators import GeminiEmulator
from proxy_harness import ProxyServer


@pytest.fixture(scope="module")
def gemini():
    with GeminiEmulator(api_key="g-key") as emu:
        yield emu


def _cfg(emu, enabled):
    return {"api-keys": ["k"], "enable-gemini-cli-endpoint": enabled,
            "gemini-api-key": [{"api-key": "g-key", "base-url": emu.url}]}


async def _post(url, body, path=":generateContent"):
    async with aiohttp.ClientSession() as s, s.post(url + "/v1internal" + path, json=body,
                                                    headers={"Authorization": "Bearer k"}) as r:
        return r.status, await r.read()


ENVELOPE = {"model": "gemini-2.5-flash", "project": "p-1",
            "request": {"contents": [{"role": "user", "parts": [{"text": "hello internal"}]}]}}


async def test_disabled_by_default(gemini):
    with ProxyServer(_cfg(gemini, False)) as px:
        status, body = await _post(px.url, ENVELOPE)
    assert status == 403 and b"Gemini CLI endpoint is disabled" in body


async def test_enabled_wraps_and_unwraps(gemini):
    import msgspec

    with ProxyServer(_cfg(gemini, True)) as px:
        status, body = await _post(px.url, ENVELOPE)
        assert status == 200, body
        obj = msgspec.json.decode(body)
        assert "EMU_OK hello internal" in obj["response"]["candidates"][0]["content"]["parts"][0]["text"]
        status, body = await _post(px.url, ENVELOPE, ":streamGenerateContent?alt=sse")
        assert status == 200
        events = [msgspec.json.decode(line[6:]) for line in body.split(b"\n") if line.startswith(b"data: ")]
        assert events and all("response" in e for e in events)
        text = "".join(p.get("text", "") for e in events for c in e["response"].get("candidates", [])
                       for p in c["content"]["parts"])
        assert "hello internal" in text
        assert gemini.last_request.path.endswith("/v1beta/models/gemini-2.5-flash:streamGenerateContent")
