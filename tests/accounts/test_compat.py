"""Auth files written by CLIProxyAPI (field lists from providers.md §2.1, §6.1, §7.1, §8.3) load and work."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from cliproxy.accounts.manager import AccountManager
from cliproxy.accounts.store import FileAuthStore
from cliproxy.dialects.ids import Action
from cliproxy.http.client import HttpPool
from cliproxy.providers.antigravity import AntigravityProvider
from cliproxy.providers.base import UpstreamCall
from cliproxy.providers.gemini_cli import GeminiCliProvider
from emulators import AnthropicEmulator, CloudCodeEmulator, CodexEmulator

from .support import antigravity_file, claude_file, codex_file, config, gemini_file, proxy, write

CLAUDE_TOKEN = "sk-ant-oat01-compat-token"
CODEX_TOKEN = "codex-compat-access-token"
GOOGLE_TOKEN = "ya29.compat-access-token"


def _all_files(auth_dir: Path) -> None:
    write(auth_dir, "claude-c@example.com.json", claude_file(CLAUDE_TOKEN, "sk-ant-ort01-x", email="c@example.com"))
    write(auth_dir, "codex-x@example.com-plus.json", codex_file(CODEX_TOKEN, "rt_x", email="x@example.com"))
    write(auth_dir, "gemini-g@example.com-all.json",
          gemini_file(GOOGLE_TOKEN, "1//0x", project="proj-a,proj-b", email="g@example.com"))
    write(auth_dir, "antigravity-a@example.com.json", antigravity_file(GOOGLE_TOKEN, "1//0y", email="a@example.com"))
    write(auth_dir, "kiro-someone.json", {"type": "kiro", "access_token": "x"})  # not served yet: skipped


async def test_cliproxyapi_files_become_credentials(auth_dir: Path) -> None:
    _all_files(auth_dir)
    cfg = config(auth_dir, **{"oauth-model-alias": {"claude": [{"name": "claude-sonnet-4-6", "alias": "sonnet",
                                                                "fork": True}],
                                                    "codex": [{"name": "gpt-5.4", "alias": "g54"}]},
                              "oauth-excluded-models": {"gemini-cli": ["gemini-2.5-flash-lite"]}})
    pool = HttpPool()
    try:
        mgr = AccountManager(FileAuthStore(auth_dir), http=pool, config=cfg)
        await mgr.load()
        creds = {c.id: c for c in mgr.credentials()}
    finally:
        await pool.close()
    assert set(creds) == {"claude-c@example.com.json", "codex-x@example.com-plus.json",
                          "gemini-g@example.com-all.json#proj-a", "gemini-g@example.com-all.json#proj-b",
                          "antigravity-a@example.com.json"}
    assert mgr.unsupported == {"kiro-someone.json": "kiro"}
    claude = creds["claude-c@example.com.json"]
    assert claude.provider == "claude-oauth" and claude.kind == "oauth" and claude.label == "c@example.com"
    ids = [m.id for m in claude.models]
    assert "sonnet" in ids and "claude-sonnet-4-6" in ids  # fork keeps the original
    assert next(m for m in claude.models if m.id == "sonnet").upstream == ("claude-sonnet-4-6",)
    codex = creds["codex-x@example.com-plus.json"]
    assert codex.provider == "codex" and codex.attrs["account_id"] == "acc-emulator"
    assert codex.attrs["plan_type"] == "plus" and codex.base_url == "https://chatgpt.com/backend-api/codex"
    cids = [m.id for m in codex.models]
    assert "g54" in cids and "gpt-5.4" not in cids and "gpt-5.3-codex-spark" in cids  # plus plan
    a, b = creds["gemini-g@example.com-all.json#proj-a"], creds["gemini-g@example.com-all.json#proj-b"]
    assert (a.attrs["project_id"], b.attrs["project_id"]) == ("proj-a", "proj-b")
    assert a.tokens is b.tokens  # one OAuth token shared by the per-project credentials
    assert "gemini-2.5-flash-lite" in a.excluded
    assert creds["antigravity-a@example.com.json"].attrs["project_id"] == "emu-project-123"


async def test_per_file_keys_are_honoured(auth_dir: Path) -> None:
    write(auth_dir, "claude-k.json", claude_file("t", "r", prefix="team", priority="5", proxy_url="direct",
                                                 headers={"X-Extra": "1"}, excluded_models=["claude-3-*"],
                                                 disable_cooling=True, request_retry=1))
    write(auth_dir, "claude-off.json", claude_file("t2", "r2", disabled=True))
    pool = HttpPool()
    try:
        mgr = AccountManager(FileAuthStore(auth_dir), http=pool, config=config(auth_dir))
        await mgr.load()
        creds = {c.id: c for c in mgr.credentials()}
    finally:
        await pool.close()
    k = creds["claude-k.json"]
    assert (k.prefix, k.priority, k.proxy_url, dict(k.headers)) == ("team", 5, "direct", {"X-Extra": "1"})
    assert k.excluded == ("claude-3-*",) and k.disable_cooling is True and k.request_retry == 1
    assert creds["claude-off.json"].disabled


async def test_claude_and_codex_files_serve_requests(auth_dir: Path) -> None:
    _all_files(auth_dir)
    with AnthropicEmulator(api_key=CLAUDE_TOKEN, auth_mode="bearer") as anth, \
            CodexEmulator(access_token=CODEX_TOKEN, account_id="acc-emulator") as cdx:
        cfg = config(auth_dir, {"https://api.anthropic.com": anth.url,
                                "https://chatgpt.com/backend-api/codex": cdx.base_url})
        async with proxy(cfg) as px:
            status, body = await px.post("/v1/messages", {
                "model": "claude-sonnet-4-6", "max_tokens": 64,
                "messages": [{"role": "user", "content": "hello"}]},
                **{"anthropic-version": "2023-06-01", "anthropic-beta": "interleaved-thinking-2025-05-14"})
            assert status == 200, body
            assert json.loads(body)["type"] == "message"
            sent = anth.last_request
            assert sent.header("Authorization") == f"Bearer {CLAUDE_TOKEN}"
            betas = sent.header("anthropic-beta", "").split(",")
            assert "oauth-2025-04-20" in betas and "interleaved-thinking-2025-05-14" in betas
            assert sent.header("User-Agent", "").startswith("cliproxy/")
            assert sent.query.get("beta") == "true"
            for key in ("system", "metadata"):  # forwarded honestly: nothing injected
                assert key not in sent.json

            status, body = await px.post("/v1/responses", {"model": "gpt-5.4", "input": "hello"})
            assert status == 200, body
            assert json.loads(body)["status"] == "completed"  # the stream, assembled
            sent = cdx.last_request
            assert sent.header("ChatGPT-Account-Id") == "acc-emulator"
            assert sent.json["stream"] is True and sent.json["store"] is False

            status, body = await px.get("/v1/models")
            ids = {m["id"] for m in json.loads(body)["data"]}
            assert {"claude-sonnet-4-6", "gpt-5.4", "gemini-2.5-pro", "claude-opus-4-6-thinking"} <= ids


async def _send(pool: HttpPool, out) -> tuple[int, bytes]:
    session, proxy_arg = pool.session("")
    async with session.post(pool.rewrite(out.url), data=out.body, headers=out.headers, proxy=proxy_arg) as r:
        return r.status, await r.read()


async def test_gemini_cli_and_antigravity_files_serve_requests(auth_dir: Path) -> None:
    write(auth_dir, "gemini-g@example.com-emu-project-123.json", gemini_file(GOOGLE_TOKEN, "1//0x"))
    write(auth_dir, "antigravity-a@example.com.json", antigravity_file(GOOGLE_TOKEN, "1//0y"))
    with CloudCodeEmulator(access_token=GOOGLE_TOKEN) as cc, \
            CloudCodeEmulator(access_token=GOOGLE_TOKEN, flavor="antigravity") as ag:
        pool = HttpPool(overrides={"https://cloudcode-pa.googleapis.com": cc.url,
                                   "https://daily-cloudcode-pa.googleapis.com": ag.url})
        try:
            mgr = AccountManager(FileAuthStore(auth_dir), http=pool, config=config(auth_dir))
            await mgr.load()
            creds = {c.provider: c for c in mgr.credentials()}
            for prov, model in ((GeminiCliProvider(), "gemini-2.5-pro"), (AntigravityProvider(), "gemini-3-flash")):
                cred = creds[prov.key]
                for stream in (False, True):
                    call = UpstreamCall(Action.GENERATE, model, {"contents": [{"role": "user",
                                                                               "parts": [{"text": "hi"}]}]},
                                        stream, {})
                    prov.patch_body(cred, call)
                    out = prov.build(cred, await cred.tokens.access_token(), call)
                    status, body = await _send(pool, out)
                    assert status == 200, body
                    first = body.split(b"\n")[0].removeprefix(b"data: ") if stream else body
                    assert "candidates" in msgspec.json.decode(first)["response"]
                call = UpstreamCall(Action.COUNT_TOKENS, model, {"contents": [{"role": "user",
                                                                                "parts": [{"text": "hi there"}]}]},
                                    False, {})
                prov.patch_body(cred, call)
                status, body = await _send(pool, prov.build(cred, await cred.tokens.access_token(), call))
                assert status == 200 and msgspec.json.decode(body)["totalTokens"] > 0, body
        finally:
            await pool.close()
