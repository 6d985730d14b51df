"""payload default / override / filter rules (upstream-server.md §5.8)."""

from __future__ import annotations

from cliproxy.routing.payload import apply_payload_rules
from proxy_harness import config_from


def payload(data):
    return config_from({"payload": data}).payload


def test_default_only_when_client_did_not_send_it():
    p = payload({"default": [{"models": [{"name": "gemini-*", "protocol": "gemini"}],
                              "params": {"generationConfig.thinkingConfig.thinkingBudget": 32768}}]})
    body = {"contents": []}
    apply_payload_rules(p, body, original={}, protocol="gemini", upstream_model="gemini-2.5-pro",
                        requested_model="gemini-2.5-pro")
    assert body["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 32768
    original = {"generationConfig": {"thinkingConfig": {"thinkingBudget": 5}}}
    body2 = {"generationConfig": {"thinkingConfig": {"thinkingBudget": 5}}}
    apply_payload_rules(p, body2, original=original, protocol="gemini", upstream_model="gemini-2.5-pro",
                        requested_model="gemini-2.5-pro")
    assert body2["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 5


def test_protocol_and_model_filters():
    p = payload({"override": [{"models": [{"name": "gpt-*", "protocol": "codex"}], "params": {"x": 1}}]})
    body: dict = {}
    apply_payload_rules(p, body, original={}, protocol="openai", upstream_model="gpt-5", requested_model="gpt-5")
    assert body == {}
    apply_payload_rules(p, body, original={}, protocol="codex", upstream_model="gpt-5", requested_model="gpt-5")
    assert body == {"x": 1}


def test_override_raw_and_filter():
    p = payload({"override-raw": [{"params": {"response_format": '{"type":"json_object"}'}}],
                 "filter": [{"params": ["temperature", "a.b"]}]})
    body = {"temperature": 0.2, "a": {"b": 1, "c": 2}}
    apply_payload_rules(p, body, original=dict(body), protocol="openai", upstream_model="m", requested_model="m")
    assert body == {"response_format": {"type": "json_object"}, "a": {"c": 2}}
