"""A client that goes away cancels the upstream call: the upstream sees its connection closed and
stops being read, for streams (mid-stream) and for non-stream requests still waiting."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from proxy_harness import ProxyServer

from ._support import CLIENT_KEY, ControlledUpstream, base_config, eventually, openai_client


def _config(up: ControlledUpstream) -> dict:
    return base_config(**{"openai-compatibility": [{
        "name": "ctl", "base-url": up.url + "/v1", "api-key-entries": [{"api-key": "k"}],
        "models": [{"name": "ctl-model", "alias": "ctl-model"}]}]})


@pytest.mark.parametrize("mode", ["forever", "gate"])
def test_client_disconnect_mid_stream_cancels_the_upstream(closing, mode):
    with ControlledUpstream(mode=mode) as up, ProxyServer(_config(up)) as px:
        c = closing(openai_client(px))
        stream = c.chat.completions.create(model="ctl-model", stream=True,
                                           messages=[{"role": "user", "content": "go"}])
        first = next(iter(stream))
        assert first.choices[0].delta.content == "first "
        assert up.connected.is_set() and not up.disconnected.is_set()
        stream.close()  # the client hangs up mid-stream
        eventually(up.disconnected.is_set, timeout=10, what="the upstream to see its connection closed")
        assert not up.finished.is_set()
        # and the proxy keeps serving
        up.release.set()
        r = c.chat.completions.create(model="ctl-model", messages=[{"role": "user", "content": "again"}])
        assert r.choices[0].message.content == "released"


def test_client_disconnect_while_waiting_for_a_non_stream_answer(closing):
    with ControlledUpstream(mode="gate") as up, ProxyServer(_config(up)) as px:
        body = json.dumps({"model": "ctl-model", "messages": [{"role": "user", "content": "wait"}]}).encode()
        sock = socket.create_connection(("127.0.0.1", px.port), timeout=10)
        try:
            head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: Bearer {CLIENT_KEY}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            sock.sendall(head + body)
            eventually(up.connected.is_set, timeout=10, what="the request to reach the upstream")
        finally:
            sock.close()  # give up before the answer
        eventually(up.disconnected.is_set, timeout=10, what="the upstream call to be cancelled")
        assert not up.finished.is_set()


def test_stream_completes_when_the_client_stays(closing):
    """Control for the tests above: with the client still there the same stream finishes normally."""
    with ControlledUpstream(mode="gate") as up, ProxyServer(_config(up)) as px:
        conn = http.client.HTTPConnection("127.0.0.1", px.port, timeout=10)
        conn.request("POST", "/v1/chat/completions", headers={"Authorization": f"Bearer {CLIENT_KEY}",
                                                              "Content-Type": "application/json"},
                     body=json.dumps({"model": "ctl-model", "stream": True,
                                      "messages": [{"role": "user", "content": "go"}]}))
        resp = conn.getresponse()
        assert resp.status == 200
        first = resp.readline()
        assert first.startswith(b"data: ")
        up.release.set()
        rest = resp.read()
        conn.close()
        assert b"second" in rest and rest.rstrip().endswith(b"data: [DONE]")
        assert up.finished.is_set() and not up.disconnected.is_set()
