"""Failover, cooldowns and retries across credentials (upstream-server.md §5.2–5.4).

Two credentials A and B serve the same model. A 429 with a retry hint on A makes the request
succeed through B; while A cools down B takes the traffic; once the hint expires A is used again.
Waiting is always "poll until", never a timing assertion.
"""

from __future__ import annotations

import pytest

from emulators import Fault
from proxy_harness import ProxyServer

from ._support import (
    GEMINI_UP_KEY,
    OPENAI_UP_KEY,
    base_config,
    compat_block,
    eventually,
    genai_client,
    openai_client,
)

KEY_A = OPENAI_UP_KEY
KEY_B = OPENAI_UP_KEY + "-b"
GKEY_A = GEMINI_UP_KEY
GKEY_B = GEMINI_UP_KEY + "-b"
MSG = [{"role": "user", "content": "failover"}]


def keys_used(emu) -> list[str]:
    """Which upstream key each recorded request carried, oldest first."""
    out = []
    for r in emu.requests:
        auth = r.header("Authorization") or ""
        out.append(auth.removeprefix("Bearer ") if auth else (r.header("x-goog-api-key") or ""))
    return out


def statuses(emu) -> list[int | None]:
    return [r.status for r in emu.requests]


def two_compat_entries(emu, *, prio_a: int = 1, prio_b: int = 0, **extra) -> dict:
    """Credentials A (preferred by priority) and B, both serving ``gpt-4o``, on one emulator."""
    return base_config(**{"openai-compatibility": [
        compat_block(emu, name="a", keys=(KEY_A,), priority=prio_a),
        compat_block(emu, name="b", keys=(KEY_B,), priority=prio_b),
    ]}, **extra)


# ---------------------------------------------------------------- failover + cooldown lifecycle


def test_retry_after_429_fails_over_then_cools_down_then_recovers(openai_emu, closing):
    with ProxyServer(two_compat_entries(openai_emu)) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.rate_limit(retry_after=1))
        r = c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert r.choices[0].message.content == "EMU_OK failover"
        assert keys_used(openai_emu) == [KEY_A, KEY_B]
        assert statuses(openai_emu) == [429, 200]
        # A is cooling: the next request goes straight to B
        c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert keys_used(openai_emu)[2] == KEY_B
        # once the hint has passed, A (the higher priority) serves again
        def a_is_back():
            c.chat.completions.create(model="gpt-4o", messages=MSG)
            return keys_used(openai_emu)[-1] == KEY_A
        eventually(a_is_back, timeout=10, interval=0.1, what="credential A to come back after its cooldown")
        assert statuses(openai_emu)[-1] == 200


def test_gemini_retry_info_fails_over_and_recovers(gemini_emu):
    cfg = base_config(**{"gemini-api-key": [
        {"api-key": GKEY_A, "base-url": gemini_emu.url, "priority": 1},
        {"api-key": GKEY_B, "base-url": gemini_emu.url},
    ]})
    with ProxyServer(cfg) as px, genai_client(px) as c:
        gemini_emu.script(Fault.rate_limit(retry_after=1))  # RetryInfo.retryDelay "1s" in the body
        assert c.models.generate_content(model="gemini-2.5-flash", contents="hi").text == "EMU_OK hi"
        assert keys_used(gemini_emu) == [GKEY_A, GKEY_B]
        assert px.state.book.blocked_for(_cred_id(px, GKEY_A), "gemini-2.5-flash") > 0
        # the cooldown follows the hint (seconds), not a default minutes-long penalty
        assert px.state.book.blocked_for(_cred_id(px, GKEY_A), "gemini-2.5-flash") <= 1.5
        c.models.generate_content(model="gemini-2.5-flash", contents="hi")
        assert keys_used(gemini_emu)[-1] == GKEY_B

        def a_is_back():
            c.models.generate_content(model="gemini-2.5-flash", contents="hi")
            return keys_used(gemini_emu)[-1] == GKEY_A
        eventually(a_is_back, timeout=10, interval=0.1, what="gemini key A to come back")


def _cred_id(px: ProxyServer, secret: str) -> str:
    for cred in px.state.runtime.credentials:
        if cred.secret == secret:
            return cred.id
    raise AssertionError(f"no credential with key {secret[:6]}…")


def test_stream_fails_over_before_the_first_byte(openai_emu, closing):
    with ProxyServer(two_compat_entries(openai_emu)) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.server_error(503))
        chunks = list(c.chat.completions.create(model="gpt-4o", messages=MSG, stream=True))
        assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == "EMU_OK failover"
        assert keys_used(openai_emu) == [KEY_A, KEY_B]


def test_model_cooldown_when_every_credential_cools(openai_emu, closing):
    import openai

    with ProxyServer(two_compat_entries(openai_emu, prio_a=0, prio_b=0)) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.rate_limit(retry_after=20), times=2)
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert sorted(keys_used(openai_emu)) == sorted([KEY_A, KEY_B])
        with pytest.raises(openai.RateLimitError) as ei:
            c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert len(openai_emu.requests) == 2, "no upstream call while everything cools"
        assert ei.value.body["code"] == "model_cooldown"
        retry_after = ei.value.response.headers.get("retry-after")
        assert retry_after is not None and 1 <= int(retry_after) <= 20


def test_a_request_scoped_error_is_not_failed_over(openai_emu, closing):
    import openai

    with ProxyServer(two_compat_entries(openai_emu)) as px:
        c = closing(openai_client(px))
        body = '{"error":{"message":"EMU_BAD bad param","type":"invalid_request_error","param":null,"code":null}}'
        openai_emu.script(Fault.http(400, body))
        with pytest.raises(openai.BadRequestError) as ei:
            c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert "EMU_BAD" in ei.value.message
        assert len(openai_emu.requests) == 1, "a 400 about the request itself must not be retried elsewhere"
        # and it did not put the credential into cooldown
        c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert keys_used(openai_emu)[-1] == KEY_A


def test_unauthorized_credential_fails_over(openai_emu, closing):
    with ProxyServer(two_compat_entries(openai_emu)) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.unauthorized())
        r = c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert r.choices[0].message.content == "EMU_OK failover"
        assert keys_used(openai_emu) == [KEY_A, KEY_B]


# ---------------------------------------------------------------- request-retry / max-retry-*


def test_request_retry_waits_for_a_short_cooldown(openai_emu, closing):
    cfg = base_config(**{"request-retry": 2, "max-retry-interval": 10,
                         "openai-compatibility": [compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.rate_limit(retry_after=1))
        r = c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert r.choices[0].message.content == "EMU_OK failover"
        assert statuses(openai_emu) == [429, 200]


def test_no_waiting_when_the_cooldown_exceeds_max_retry_interval(openai_emu, closing):
    import openai

    cfg = base_config(**{"request-retry": 2, "max-retry-interval": 1,
                         "openai-compatibility": [compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.rate_limit(retry_after=30))
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert statuses(openai_emu) == [429]


def test_no_waiting_without_request_retry(openai_emu, closing):
    import openai

    cfg = base_config(**{"max-retry-interval": 10, "openai-compatibility": [compat_block(openai_emu)]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.rate_limit(retry_after=1))
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert statuses(openai_emu) == [429]


@pytest.mark.parametrize(("limit", "expected"), [(0, 3), (2, 2), (1, 1)])
def test_max_retry_credentials(openai_emu, closing, limit, expected):
    import openai

    keys = (KEY_A, KEY_B, KEY_A)  # three credentials (the emulator accepts A and B)
    block = compat_block(openai_emu, keys=keys)
    cfg = base_config(**{"max-retry-credentials": limit, "openai-compatibility": [block]})
    with ProxyServer(cfg) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.server_error(500), times=None)
        with pytest.raises(openai.InternalServerError):
            c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert len(openai_emu.requests) == expected


def test_disable_cooling_keeps_a_failed_credential_in_rotation(openai_emu, closing):
    with ProxyServer(two_compat_entries(openai_emu, **{"disable-cooling": True})) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.rate_limit(retry_after=30))
        c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert keys_used(openai_emu) == [KEY_A, KEY_B]
        c.chat.completions.create(model="gpt-4o", messages=MSG)
        assert keys_used(openai_emu)[-1] == KEY_A, "with disable-cooling A is not skipped"
