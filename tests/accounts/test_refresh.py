"""Token refresh: lazy when expired, single-flight, rotation saved first, invalid_grant, backoff, background."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import aiohttp
import pytest

from cliproxy.accounts.manager import AccountManager
from cliproxy.accounts.state import Status
from cliproxy.accounts.store import FileAuthStore
from cliproxy.accounts.timeutil import parse_time
from cliproxy.http.client import HttpPool
from cliproxy.oauth.client import RefreshFailed
from emulators import (
    AnthropicEmulator,
    AnthropicOAuthEmulator,
    Fault,
    GoogleOAuthEmulator,
    OpenAIAuthEmulator,
)

from .support import CLIENT_KEY, claude_file, codex_file, config, gemini_file, proxy, read, write

NAME = "claude-c@example.com.json"
SEED = "sk-ant-ort01-seeded-refresh-token"
MESSAGE = {"model": "claude-sonnet-4-6", "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]}
HDRS = {"anthropic-version": "2023-06-01"}


@pytest.fixture
def emus():
    with AnthropicOAuthEmulator() as oauth, AnthropicEmulator(api_key=oauth.is_valid_access_token,
                                                               auth_mode="bearer") as api:
        yield oauth, api


def _overrides(oauth, api) -> dict[str, str]:
    return {"https://api.anthropic.com/v1/oauth": oauth.url + "/v1/oauth", "https://api.anthropic.com": api.url}


async def _manager(auth_dir: Path, overrides: dict[str, str]) -> tuple[AccountManager, HttpPool]:
    pool = HttpPool(overrides=overrides)
    mgr = AccountManager(FileAuthStore(auth_dir), http=pool, config=config(auth_dir, overrides))
    await mgr.load()
    return mgr, pool


async def test_future_expiry_uses_the_stored_token(auth_dir: Path, emus) -> None:
    oauth, api = emus
    write(auth_dir, NAME, claude_file("sk-ant-oat01-stored", SEED, expires_in=3 * 3600))
    mgr, pool = await _manager(auth_dir, _overrides(oauth, api))
    try:
        acct = mgr.accounts[NAME]
        assert await acct.access_token() == "sk-ant-oat01-stored"
        assert oauth.refresh_calls == 0
        assert acct.due_at() == pytest.approx(time.time() + 3 * 3600 - 4 * 3600, abs=5)  # 4 h lead: due now
    finally:
        await pool.close()


async def test_past_expiry_refreshes_and_rotated_token_is_saved_first(auth_dir: Path, emus) -> None:
    oauth, api = emus
    oauth.seed_refresh_token(SEED)
    write(auth_dir, NAME, claude_file("sk-ant-oat01-expired", SEED, expires_in=-60))
    mgr, pool = await _manager(auth_dir, _overrides(oauth, api))
    acct = mgr.accounts[NAME]
    seen: list[tuple[str, str]] = []
    original_save = mgr.store.save

    async def save(record):  # when the file is written, nobody can have the new tokens yet
        seen.append((record.data["refresh_token"], acct.record.data["refresh_token"]))
        return await original_save(record)

    mgr.store.save = save  # type: ignore[method-assign]
    try:
        token = await acct.access_token()
        assert oauth.refresh_calls == 1 and oauth.is_valid_access_token(token)
        on_disk = read(auth_dir, NAME)
        assert on_disk["access_token"] == token and on_disk["refresh_token"] != SEED
        assert seen == [(on_disk["refresh_token"], SEED)]
        assert oauth.refresh_token_status(SEED) == "used"  # rotated: the old one is dead
        assert parse_time(on_disk["expired"]) > time.time() + 3600
        assert on_disk["type"] == "claude" and on_disk["email"] == "claude@example.com"  # other fields kept
        oauth.expire_access_tokens()
        acct.record.data["expired"] = "2000-01-01T00:00:00Z"
        assert await acct.access_token() != token  # the second refresh used the rotated token
        assert oauth.refresh_calls == 2
    finally:
        await pool.close()


async def test_fifty_concurrent_requests_cause_one_refresh(auth_dir: Path, emus) -> None:
    oauth, api = emus
    oauth.seed_refresh_token(SEED)
    oauth.script(Fault.stall(0.5), path="/v1/oauth/token")  # a slow token endpoint
    write(auth_dir, NAME, claude_file("sk-ant-oat01-expired", SEED, expires_in=-60))
    async with proxy(config(auth_dir, _overrides(oauth, api))) as px:
        results = await asyncio.gather(*(px.post("/v1/messages", MESSAGE, **HDRS) for _ in range(50)))
    assert [s for s, _ in results] == [200] * 50
    assert oauth.refresh_calls == 1
    assert len(api.requests_to("/v1/messages")) == 50


async def test_invalid_grant_marks_the_account_for_relogin(auth_dir: Path, emus,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    oauth, api = emus
    oauth.seed_refresh_token(SEED)
    oauth.revoke_refresh_tokens()
    write(auth_dir, NAME, claude_file("sk-ant-oat01-expired", SEED, expires_in=-60))
    with caplog.at_level(logging.ERROR):
        async with proxy(config(auth_dir, _overrides(oauth, api))) as px:
            status, body = await px.post("/v1/messages", MESSAGE, **HDRS)
            assert status == 401, body
            assert "needs a new login" in body.decode() and "cliproxy login claude" in body.decode()
            status, _ = await px.post("/v1/messages", MESSAGE, **HDRS)
            assert oauth.refresh_calls == 1  # no hammering the token endpoint
            states = px.accounts.states()
            assert states[0].status is Status.NEEDS_RELOGIN and "invalid_grant" in states[0].last_error
            await px.accounts.manager.write_snapshot()
            # a new login (the file replaced by hand) makes it active again
            oauth.seed_refresh_token("sk-ant-ort01-new")
            await px.accounts.on_auth_change({write(auth_dir, NAME, claude_file("x", "sk-ant-ort01-new",
                                                                                  expires_in=-60))}, set())
            status, body = await px.post("/v1/messages", MESSAGE, **HDRS)
            assert status == 200, body
    assert any("needs a new login" in r.getMessage() and NAME in r.getMessage() for r in caplog.records)
    assert all("sk-ant-ort01-" not in r.getMessage() for r in caplog.records)  # secrets never logged


async def test_transient_failure_backs_off(auth_dir: Path, emus) -> None:
    oauth, api = emus
    oauth.seed_refresh_token(SEED)
    oauth.script(Fault.server_error(), times=2, path="/v1/oauth/token")
    write(auth_dir, NAME, claude_file("sk-ant-oat01-expired", SEED, expires_in=-60))
    mgr, pool = await _manager(auth_dir, _overrides(oauth, api))
    try:
        acct = mgr.accounts[NAME]
        with pytest.raises(RefreshFailed) as err:
            await acct.refresh()
        assert not err.value.permanent and not acct.needs_relogin
        assert acct.due_at() == pytest.approx(time.time() + 30, abs=2)
        with pytest.raises(RefreshFailed):
            await acct.refresh()
        assert acct.due_at() == pytest.approx(time.time() + 60, abs=2)  # exponential
        await acct.refresh()
        assert acct.failures == 0 and acct.retry_at is None and acct.last_error == ""
    finally:
        await pool.close()


async def test_background_refresher_renews_before_expiry(auth_dir: Path, emus) -> None:
    oauth, api = emus
    oauth.seed_refresh_token(SEED)
    write(auth_dir, NAME, claude_file("sk-ant-oat01-old", SEED, expires_in=3600))  # inside the 4 h lead
    mgr, pool = await _manager(auth_dir, _overrides(oauth, api))
    try:
        await mgr.start()
        for _ in range(100):
            if oauth.refresh_calls:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert oauth.refresh_calls == 1  # refreshed once, then scheduled 4 h before the new expiry
        assert read(auth_dir, NAME)["access_token"] != "sk-ant-oat01-old"
        assert mgr.refresher.next_due() == pytest.approx(time.time() + 8 * 3600 - 4 * 3600, abs=60)
    finally:
        await mgr.stop()
        await pool.close()


async def test_codex_refresh_rotation_and_reuse_is_permanent(auth_dir: Path) -> None:
    with OpenAIAuthEmulator() as oauth:
        oauth.seed_refresh_token("rt_seed")
        name = "codex-x@example.com-plus.json"
        write(auth_dir, name, codex_file("old", "rt_seed", email="x@example.com", expires_in=-1))
        mgr, pool = await _manager(auth_dir, {"https://auth.openai.com": oauth.url})
        try:
            acct = mgr.accounts[name]
            token = await acct.access_token()
            data = read(auth_dir, name)
            assert data["access_token"] == token and data["refresh_token"] != "rt_seed"
            assert data["account_id"] == "acc-emulator" and data["id_token"].count(".") == 2
            sent = oauth.requests_to("/oauth/token")[-1]
            assert "scope=openid+profile+email" in sent.body.decode()
            acct.record.data["refresh_token"] = "rt_seed"  # replaying a rotated-out token
            with pytest.raises(RefreshFailed) as err:
                await acct.refresh()
            assert err.value.permanent and acct.needs_relogin and "refresh_token_reused" in acct.last_error
        finally:
            await pool.close()


async def test_gemini_refresh_writes_cliproxyapi_fields(auth_dir: Path) -> None:
    with GoogleOAuthEmulator() as oauth:
        oauth.seed_refresh_token("1//0seed", client_id="681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j."
                                                      "apps.googleusercontent.com")
        name = "gemini-g@example.com-p.json"
        write(auth_dir, name, gemini_file("ya29.old", "1//0seed", expires_in=-5))
        mgr, pool = await _manager(auth_dir, {"https://oauth2.googleapis.com": oauth.url})
        try:
            token = await mgr.accounts[name].access_token()
            data = read(auth_dir, name)
            assert data["token"]["access_token"] == data["access_token"] == token
            assert data["refresh_token"] == data["token"]["refresh_token"] == "1//0seed"  # Google does not rotate
            assert parse_time(data["expiry"]) == parse_time(data["token"]["expiry"]) > time.time() + 3000
            sent = oauth.requests_to("/token")[-1].body.decode()
            assert "client_secret=emu-secret" in sent and "grant_type=refresh_token" in sent
        finally:
            await pool.close()


async def test_accounts_json_lists_states(auth_dir: Path, emus) -> None:  # the server's live view
    oauth, api = emus
    write(auth_dir, NAME, claude_file("sk-ant-oat01-x", SEED, expires_in=3600 * 5))
    async with proxy(config(auth_dir, _overrides(oauth, api))) as px:
        st = px.accounts.states()[0]
        assert (st.provider, st.label, st.status) == ("claude", "claude@example.com", Status.ACTIVE)
        assert "claude-sonnet-4-6" in st.models and st.expires_at == pytest.approx(time.time() + 5 * 3600, abs=5)
        async with aiohttp.ClientSession() as s, s.get(px.url + "/v1/models",
                                                       headers={"Authorization": f"Bearer {CLIENT_KEY}"}) as r:
            assert "claude-sonnet-4-6" in json.dumps(await r.json())
