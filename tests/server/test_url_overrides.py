"""``upstream-url-overrides`` redirects a provider's real default host to another URL while the
request keeps the real host's shape: path, and the auth style the real host expects."""

from __future__ import annotations

import pytest

from proxy_harness import ProxyServer

from ._support import CLAUDE_UP_KEY, GEMINI_UP_KEY, anthropic_client, base_config, genai_client, upstream_json


def test_anthropic_default_host_is_redirected_with_x_api_key(anthropic_emu, closing):
    cfg = base_config(**{"claude-api-key": [{"api-key": CLAUDE_UP_KEY}],
                         "upstream-url-overrides": {"https://api.anthropic.com": anthropic_emu.url}})
    with ProxyServer(cfg) as px:
        c = closing(anthropic_client(px))
        msg = c.messages.create(model="claude-sonnet-4-6", max_tokens=32,
                                messages=[{"role": "user", "content": "override"}])
        assert msg.content[0].text == "EMU_OK override"
        rec = anthropic_emu.requests[-1]
        assert rec.path == "/v1/messages"
        # the real host's auth style: x-api-key, not a Bearer token
        assert rec.header("x-api-key") == CLAUDE_UP_KEY
        assert rec.header("Authorization") is None
        assert rec.header("anthropic-version")
        c.messages.count_tokens(model="claude-sonnet-4-6", messages=[{"role": "user", "content": "x"}])
        assert anthropic_emu.requests[-1].path == "/v1/messages/count_tokens"
        assert anthropic_emu.requests[-1].header("x-api-key") == CLAUDE_UP_KEY


def test_gemini_default_host_is_redirected(gemini_emu):
    cfg = base_config(**{"gemini-api-key": [{"api-key": GEMINI_UP_KEY}],
                         "upstream-url-overrides": {"https://generativelanguage.googleapis.com": gemini_emu.url}})
    with ProxyServer(cfg) as px, genai_client(px) as g:
        assert g.models.generate_content(model="gemini-2.5-flash", contents="hi").text == "EMU_OK hi"
        rec = gemini_emu.requests[-1]
        assert rec.path == "/v1beta/models/gemini-2.5-flash:generateContent"
        assert rec.header("x-goog-api-key") == GEMINI_UP_KEY


def test_the_longest_matching_prefix_wins(anthropic_emu, closing):
    from emulators import AnthropicEmulator

    with AnthropicEmulator(api_key=CLAUDE_UP_KEY) as counter:
        cfg = base_config(**{"claude-api-key": [{"api-key": CLAUDE_UP_KEY}], "upstream-url-overrides": {
            "https://api.anthropic.com": anthropic_emu.url,
            "https://api.anthropic.com/v1/messages/count_tokens": counter.url + "/v1/messages/count_tokens",
        }})
        with ProxyServer(cfg) as px:
            c = closing(anthropic_client(px))
            c.messages.count_tokens(model="claude-sonnet-4-6", messages=[{"role": "user", "content": "x"}])
            c.messages.create(model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "y"}])
        assert [r.path for r in counter.requests] == ["/v1/messages/count_tokens"]
        assert [r.path for r in anthropic_emu.requests] == ["/v1/messages"]


def test_an_explicit_base_url_uses_bearer_auth(anthropic_emu, closing):
    """Contrast: a custom ``base-url`` (not the real host) gets the key as a Bearer token."""
    cfg = base_config(**{"claude-api-key": [{"api-key": CLAUDE_UP_KEY, "base-url": anthropic_emu.url}]})
    with ProxyServer(cfg) as px:
        c = closing(anthropic_client(px))
        c.messages.create(model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "y"}])
        rec = anthropic_emu.requests[-1]
        assert rec.header("Authorization") == f"Bearer {CLAUDE_UP_KEY}"
        assert upstream_json(rec)["model"] == "claude-sonnet-4-6"


@pytest.mark.parametrize("trailing", ["", "/"])
def test_override_target_with_or_without_trailing_slash(anthropic_emu, closing, trailing):
    cfg = base_config(**{"claude-api-key": [{"api-key": CLAUDE_UP_KEY}],
                         "upstream-url-overrides": {"https://api.anthropic.com" + trailing:
                                                    anthropic_emu.url + trailing}})
    with ProxyServer(cfg) as px:
        c = closing(anthropic_client(px))
        c.messages.create(model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "z"}])
        assert anthropic_emu.requests[-1].path == "/v1/messages"
