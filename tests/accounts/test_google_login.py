"""Gemini CLI and Antigravity logins: Google OAuth, then loadCodeAssist / onboardUser / project selection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cliproxy.cli_accounts import login
from cliproxy.oauth.flow import LoginError, LoginOptions
from emulators import CloudCodeEmulator, GoogleOAuthEmulator
from emulators.oauth_google import ANTIGRAVITY_CLIENT, GEMINI_CLI_CLIENT

from .support import ScriptedIO, config


class StandardTierEmulator(CloudCodeEmulator):
    """A Workspace / standard-tier account: the user must bring a Cloud project."""

    def _tiers(self) -> list[dict[str, Any]]:
        return [{"id": "standard-tier", "name": "Gemini Code Assist", "isDefault": True,
                 "userDefinedCloudaicompanionProject": True}]


@pytest.fixture
def google():
    with GoogleOAuthEmulator(clients={GEMINI_CLI_CLIENT: None, ANTIGRAVITY_CLIENT: None}, email="me@example.com",
                             projects=("proj-one", "proj-two")) as emu:
        yield emu


def _cfg(auth_dir: Path, google: GoogleOAuthEmulator, cc: CloudCodeEmulator):
    return config(auth_dir, {
        "https://accounts.google.com": google.url, "https://oauth2.googleapis.com": google.url,
        "https://www.googleapis.com": google.url, "https://cloudresourcemanager.googleapis.com": google.url,
        "https://serviceusage.googleapis.com": google.url, "https://cloudcode-pa.googleapis.com": cc.url})


def _opts(**kw) -> LoginOptions:
    return LoginOptions(callback_port=0, poll_scale=0.001, **kw)


async def test_gemini_free_tier_automatic_project(auth_dir: Path, google: GoogleOAuthEmulator) -> None:
    with CloudCodeEmulator(access_token=google.is_valid_access_token, project=None, onboard_polls=1) as cc:
        io = ScriptedIO(lines=[""])  # Enter: automatic setup
        path = await login("gemini-cli", _cfg(auth_dir, google, cc), io, _opts())
    assert path.name == "gemini-me@example.com-emu-onboarded-project.json"
    data = json.loads(path.read_text())
    assert set(data) == {"token", "project_id", "email", "auto", "checked", "type"}
    assert data["type"] == "gemini" and data["project_id"] == "emu-onboarded-project" and data["auto"] is True
    tok = data["token"]
    assert tok["client_id"] == GEMINI_CLI_CLIENT and tok["refresh_token"].startswith("1//")
    assert {"access_token", "token_type", "expiry", "token_uri", "client_secret", "scopes",
            "universe_domain"} <= set(tok)
    loads = cc.requests_to(":loadCodeAssist")
    assert loads[0].json["metadata"]["pluginType"] == "GEMINI" and "cloudaicompanionProject" not in loads[0].json
    onboards = [r.json for r in cc.requests_to(":onboardUser")]
    assert onboards[0] == {"tierId": "free-tier", "metadata": loads[0].json["metadata"]}  # polled …
    assert onboards[-1]["cloudaicompanionProject"] == "emu-onboarded-project"  # … then confirmed
    assert "proj-one" in io.text()  # the Cloud projects were offered
    q = parse_qs(urlsplit(io.opened[0]).query)
    assert q["access_type"] == ["offline"] and q["redirect_uri"][0].endswith("/oauth2callback")
    assert q["state"][0] != "state-token" and len(q["state"][0]) == 32  # random, not upstream's constant


async def test_gemini_user_project(auth_dir: Path, google: GoogleOAuthEmulator) -> None:
    with CloudCodeEmulator(access_token=google.is_valid_access_token, project=None) as cc:
        path = await login("gemini-cli", _cfg(auth_dir, google, cc), ScriptedIO(), _opts(project_id="proj-two"))
    assert path.name == "gemini-me@example.com-proj-two.json"
    data = json.loads(path.read_text())
    assert data["project_id"] == "proj-two" and data["auto"] is False and data["checked"] is True
    assert cc.requests_to(":loadCodeAssist")[0].json["cloudaicompanionProject"] == "proj-two"
    assert "proj-two/cloudaicompanion.googleapis.com" in google.enabled_services  # API enabled for the user


async def test_gemini_standard_tier_needs_a_project(auth_dir: Path, google: GoogleOAuthEmulator) -> None:
    with StandardTierEmulator(access_token=google.is_valid_access_token, project=None) as cc:
        with pytest.raises(LoginError, match="--project_id"):
            await login("gemini-cli", _cfg(auth_dir, google, cc), ScriptedIO(lines=[""]), _opts())
        assert list(auth_dir.iterdir()) == []
        path = await login("gemini-cli", _cfg(auth_dir, google, cc), ScriptedIO(), _opts(project_id="proj-one"))
    assert json.loads(path.read_text())["project_id"] == "proj-one"
    assert cc.requests_to(":onboardUser")[-1].json["tierId"] == "standard-tier"


async def test_gemini_all_projects(auth_dir: Path, google: GoogleOAuthEmulator) -> None:
    with CloudCodeEmulator(access_token=google.is_valid_access_token, project=None) as cc:
        path = await login("gemini-cli", _cfg(auth_dir, google, cc), ScriptedIO(), _opts(project_id="ALL"))
    assert path.name == "gemini-me@example.com-all.json"
    assert json.loads(path.read_text())["project_id"] == "proj-one,proj-two"


async def test_antigravity_login(auth_dir: Path, google: GoogleOAuthEmulator) -> None:
    with CloudCodeEmulator(access_token=google.is_valid_access_token, flavor="antigravity", project=None,
                           onboard_polls=2) as cc:
        cfg = _cfg(auth_dir, google, cc)
        io = ScriptedIO()
        path = await login("antigravity", cfg, io, _opts())
    assert path.name == "antigravity-me@example.com.json"
    data = json.loads(path.read_text())
    assert {"type", "access_token", "refresh_token", "expires_in", "timestamp", "expired", "email",
            "project_id"} == set(data)
    assert data["project_id"] == "emu-onboarded-project" and data["timestamp"] > 1e12
    q = parse_qs(urlsplit(io.opened[0]).query)
    assert q["client_id"] == [ANTIGRAVITY_CLIENT] and "auth/cclog" in q["scope"][0]
    assert urlsplit(io.opened[0]).path == "/o/oauth2/v2/auth"
    assert q["redirect_uri"][0].endswith("/oauth-callback")
    assert cc.requests_to(":loadCodeAssist")[0].json["metadata"]["ide_type"] == "ANTIGRAVITY"
    assert len(cc.requests_to(":onboardUser")) == 3
    assert google.requests_to("/oauth2/v2/userinfo")
