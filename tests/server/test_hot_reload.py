"""Hot reload of a real config file: edits apply without a restart, an invalid edit keeps the last
good config, and requests already in flight finish on the snapshot they started with."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import openai
import pytest
from ruamel.yaml import YAML

from proxy_harness import ProxyServer

from ._support import (
    CLIENT_KEY,
    OPENAI_UP_KEY,
    ControlledUpstream,
    base_config,
    compat_block,
    eventually,
    openai_client,
)

NEW_CLIENT_KEY = "sk-client-added-by-reload"
MSG = [{"role": "user", "content": "reload"}]


def write_yaml(path: Path, cfg: dict[str, Any]) -> None:
    buf = io.StringIO()
    YAML().dump(cfg, buf)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(buf.getvalue())
    tmp.replace(path)  # an atomic save, like most editors


def listed(c) -> set[str]:
    return {m.id for m in c.models.list()}


def test_edit_adds_a_model_a_key_and_a_client_key(tmp_path, openai_emu, closing):
    path = tmp_path / "config.yaml"
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu, models={"m1": "gpt-4o"})]})
    write_yaml(path, cfg)
    with ProxyServer(path=path) as px:
        c = closing(openai_client(px))
        assert c.chat.completions.create(model="m1", messages=MSG).choices[0].message.content == "EMU_OK reload"
        with pytest.raises(openai.NotFoundError):
            c.chat.completions.create(model="m2", messages=MSG)

        cfg["api-keys"] = [*cfg["api-keys"], NEW_CLIENT_KEY]
        cfg["openai-compatibility"] = [compat_block(
            openai_emu, models={"m1": "gpt-4o", "m2": "gpt-4o-mini"}, keys=(OPENAI_UP_KEY + "-b",))]
        write_yaml(path, cfg)
        eventually(lambda: "m2" in listed(c), timeout=10, what="the edited config to be applied")

        r = c.chat.completions.create(model="m2", messages=MSG)
        assert r.choices[0].message.content == "EMU_OK reload"
        rec = openai_emu.requests[-1]
        assert rec.json["model"] == "gpt-4o-mini"
        assert rec.header("Authorization") == f"Bearer {OPENAI_UP_KEY}-b"  # the new upstream key
        c2 = closing(openai_client(px, key=NEW_CLIENT_KEY))
        assert c2.chat.completions.create(model="m1", messages=MSG).choices[0].message.content == "EMU_OK reload"


def test_edit_removes_a_model_and_a_client_key(tmp_path, openai_emu, closing):
    path = tmp_path / "config.yaml"
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu, models={"m1": "gpt-4o",
                                                                                      "m2": "gpt-4o"})]})
    write_yaml(path, cfg)
    with ProxyServer(path=path) as px:
        c = closing(openai_client(px))
        assert {"m1", "m2"} <= listed(c)
        cfg["api-keys"] = [CLIENT_KEY]
        cfg["openai-compatibility"] = [compat_block(openai_emu, models={"m1": "gpt-4o"})]
        write_yaml(path, cfg)
        eventually(lambda: "m2" not in listed(c), timeout=10, what="m2 to disappear")
        with pytest.raises(openai.NotFoundError):
            c.chat.completions.create(model="m2", messages=MSG)
        other = closing(openai_client(px, key="sk-client-other-9876"))
        with pytest.raises(openai.AuthenticationError):
            other.chat.completions.create(model="m1", messages=MSG)


@pytest.mark.parametrize("bad", [
    "api-keys: [unclosed\n",
    "openai-compatibility: 12\n",
    "port: not-a-number\n",
], ids=["yaml-syntax", "wrong-type-list", "wrong-type-int"])
def test_invalid_edit_keeps_the_last_good_config(tmp_path, openai_emu, closing, caplog, bad):
    caplog.set_level(logging.WARNING)
    path = tmp_path / "config.yaml"
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu, models={"m1": "gpt-4o"})]})
    write_yaml(path, cfg)
    with ProxyServer(path=path) as px:
        c = closing(openai_client(px))
        good_runtime = px.state.runtime
        path.write_text(bad)
        eventually(lambda: any("rejected" in r.getMessage() for r in caplog.records), timeout=10,
                   what="the invalid edit to be rejected")
        assert px.state.runtime is good_runtime
        assert c.chat.completions.create(model="m1", messages=MSG).choices[0].message.content == "EMU_OK reload"
        # the watcher survived the bad edit: a later good edit still applies
        cfg["openai-compatibility"] = [compat_block(openai_emu, models={"m1": "gpt-4o", "m3": "gpt-4o"})]
        write_yaml(path, cfg)
        eventually(lambda: "m3" in listed(c), timeout=10, what="the next good edit to be applied")


def test_requests_in_flight_survive_a_reload(tmp_path, openai_emu, closing):
    path = tmp_path / "config.yaml"
    with ControlledUpstream(mode="gate") as up:
        ctl = {"name": "ctl", "base-url": up.url + "/v1", "api-key-entries": [{"api-key": "k"}],
               "models": [{"name": "ctl-model", "alias": "slow"}]}
        cfg = base_config(**{"openai-compatibility": [ctl, compat_block(openai_emu)]})
        write_yaml(path, cfg)
        with ProxyServer(path=path) as px:
            c = closing(openai_client(px))
            stream = c.chat.completions.create(model="slow", messages=MSG, stream=True)
            it = iter(stream)
            assert next(it).choices[0].delta.content == "first "
            # remove the model the stream is using (and its upstream) while it is in flight
            cfg["openai-compatibility"] = [compat_block(openai_emu, models={"gpt-4o": "gpt-4o", "fresh": "gpt-4o"})]
            write_yaml(path, cfg)
            eventually(lambda: "fresh" in listed(c) and "slow" not in listed(c), timeout=10,
                       what="the reload to be applied")
            up.release.set()
            rest = "".join(ch.choices[0].delta.content or "" for ch in it if ch.choices)
            assert rest == "second"
            assert up.finished.is_set()
            with pytest.raises(openai.NotFoundError):
                c.chat.completions.create(model="slow", messages=MSG)


def test_reload_keeps_cooldowns_of_unchanged_credentials(tmp_path, openai_emu, closing):
    from emulators import Fault

    path = tmp_path / "config.yaml"
    cfg = base_config(**{"openai-compatibility": [compat_block(openai_emu, models={"m1": "gpt-4o"})]})
    write_yaml(path, cfg)
    with ProxyServer(path=path) as px:
        c = closing(openai_client(px))
        openai_emu.script(Fault.rate_limit(retry_after=60))
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="m1", messages=MSG)
        cfg["openai-compatibility"] = [compat_block(openai_emu, models={"m1": "gpt-4o", "m9": "gpt-4o-mini"})]
        write_yaml(path, cfg)
        eventually(lambda: "m9" in listed(c), timeout=10, what="the reload")
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="m1", messages=MSG)
        assert len(openai_emu.requests) == 1, "the credential's cooldown must survive the reload"
