"""Stream plumbing: SSE and non-stream keep-alives, and many concurrent streams without cross-talk."""

from __future__ import annotations

import asyncio
import http.client
import json

import aiohttp

from proxy_harness import ProxyServer

from ._support import CLIENT_KEY, ControlledUpstream, base_config, bearer, compat_block, openai_client


def _ctl_config(up: ControlledUpstream, **extra) -> dict:
    return base_config(**{"openai-compatibility": [{
        "name": "ctl", "base-url": up.url + "/v1", "api-key-entries": [{"api-key": "k"}],
        "models": [{"name": "ctl-model", "alias": "ctl-model"}]}]}, **extra)


def _post(px: ProxyServer, body: dict) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", px.port, timeout=15)
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                 headers={"Authorization": f"Bearer {CLIENT_KEY}", "Content-Type": "application/json"})
    return conn, conn.getresponse()


def test_sse_keepalive_comments_while_the_upstream_is_quiet(closing):
    with ControlledUpstream(mode="gate") as up, ProxyServer(_ctl_config(up, streaming={"keepalive-seconds": 1})) as px:
        conn, resp = _post(px, {"model": "ctl-model", "stream": True,
                                "messages": [{"role": "user", "content": "go"}]})
        try:
            assert resp.status == 200
            lines = []
            while True:  # read until a keep-alive comment shows up, then let the upstream finish
                line = resp.readline()
                assert line, "stream ended before any keep-alive"
                lines.append(line)
                if line.startswith(b": keep-alive"):
                    break
            up.release.set()
            rest = resp.read()
        finally:
            conn.close()
        assert lines[0].startswith(b"data: ")
        assert b"second" in rest and rest.rstrip().endswith(b"data: [DONE]")
        # the SDK ignores the comments
        c = closing(openai_client(px))
        text = "".join(ch.choices[0].delta.content or "" for ch in c.chat.completions.create(
            model="ctl-model", stream=True, messages=[{"role": "user", "content": "go"}]) if ch.choices)
        assert text == "first second"


def test_nonstream_keepalive_newlines_keep_the_json_parseable(closing):
    with ControlledUpstream(mode="gate") as up, \
            ProxyServer(_ctl_config(up, **{"nonstream-keepalive-interval": 1})) as px:
        conn, resp = _post(px, {"model": "ctl-model", "messages": [{"role": "user", "content": "wait"}]})
        try:
            assert resp.status == 200  # committed early by the keep-alive
            first = resp.read(1)
            assert first == b"\n"
            up.release.set()
            rest = resp.read()
        finally:
            conn.close()
        body = json.loads(first + rest)
        assert body["choices"][0]["message"]["content"] == "released"
        c = closing(openai_client(px))
        r = c.chat.completions.create(model="ctl-model", messages=[{"role": "user", "content": "again"}])
        assert r.choices[0].message.content == "released"


async def test_concurrent_streams_do_not_mix(openai_emu):
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        async def one(i: int, session: aiohttp.ClientSession) -> str:
            body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": f"n{i} hello"}]}
            text = []
            async with session.post(px.url + "/v1/chat/completions", json=body, headers=bearer()) as resp:
                assert resp.status == 200
                async for raw_line in resp.content:
                    line = raw_line.strip()
                    if not line.startswith(b"data: ") or line == b"data: [DONE]":
                        continue
                    obj = json.loads(line[6:])
                    for ch in obj["choices"]:
                        text.append(ch["delta"].get("content") or "")
            return "".join(text)

        async with aiohttp.ClientSession() as session:
            results = await asyncio.gather(*(one(i, session) for i in range(40)))
        assert results == [f"EMU_OK n{i} hello" for i in range(40)]
        assert len(openai_emu.requests) == 40
