"""Files: load_config (+ .env, DEPLOY=cloud), find_config, the template, ``config check``, redaction."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from pathlib import Path

import pytest

from cliproxy.config.check import run_check
from cliproxy.config.errors import ConfigError
from cliproxy.config.load import find_config, load_config, parse_config_text, restart_needed
from cliproxy.config.redact import diff_configs, mask, redact
from cliproxy.config.schema import Config
from cliproxy.config.template import default_config_text, write_default_config

GOOD = "host: 127.0.0.1\nport: 8317\napi-keys: [sk-verysecretclientkey-iuqx]\n"


# -- load_config ---------------------------------------------------------------------------------

def test_load_config_returns_snapshot_path_and_hash(tmp_path: Path) -> None:
    p = tmp_path / "config.yaml"
    p.write_text(GOOD + "prot: 1\n")
    loaded = load_config(p)
    assert loaded.config.port == 8317 and loaded.path == p
    assert loaded.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert [w.key_path for w in loaded.warnings] == ["prot"]


def test_load_config_raises_on_invalid_and_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEPLOY", raising=False)
    p = tmp_path / "config.yaml"
    p.write_text("port: x\ndebug: maybe\n")
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    assert len(exc.value.problems) == 2 and str(p) in str(exc.value)
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.yaml")


def test_dotenv_loaded_from_config_dir_without_overriding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPROXY_T_KEEP", "from-env")
    monkeypatch.delenv("CLIPROXY_T_NEW", raising=False)
    monkeypatch.delenv("CLIPROXY_T_QUOTED", raising=False)
    (tmp_path / ".env").write_text(
        "# comment\nCLIPROXY_T_KEEP=from-file\nexport CLIPROXY_T_NEW=new # trailing\n"
        "CLIPROXY_T_QUOTED=\"a b#c\"\nnot a line\n")
    p = tmp_path / "config.yaml"
    p.write_text(GOOD)
    load_config(p)
    assert os.environ["CLIPROXY_T_KEEP"] == "from-env"
    assert os.environ["CLIPROXY_T_NEW"] == "new"
    assert os.environ["CLIPROXY_T_QUOTED"] == "a b#c"


def test_cloud_deploy_tolerates_missing_empty_and_invalid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOY", "cloud")
    missing = load_config(tmp_path / "config.yaml")
    assert missing.config == Config() and "standby" in missing.warnings[0].message
    p = tmp_path / "config.yaml"
    p.write_text("")
    assert load_config(p).config == Config()
    p.write_text("port: [\n")
    loaded = load_config(p)
    assert loaded.config == Config() and any(w.key_path == "(yaml syntax)" for w in loaded.warnings)
    with pytest.raises(ConfigError):
        load_config(p, optional=False)


def test_cloud_mode_can_come_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEPLOY", raising=False)
    (tmp_path / ".env").write_text("DEPLOY=cloud\n")
    try:
        assert load_config(tmp_path / "config.yaml").config == Config()
    finally:
        os.environ.pop("DEPLOY", None)


def test_find_config_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work, xdg = tmp_path / "work", tmp_path / "xdg"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert find_config(None) is None
    user = xdg / "cliproxy" / "config.yaml"
    user.parent.mkdir(parents=True)
    user.write_text(GOOD)
    assert find_config(None) == user
    (work / "config.yaml").write_text(GOOD)
    assert find_config(None) == Path("config.yaml")
    assert find_config("~/elsewhere.yaml") == Path(os.path.expanduser("~/elsewhere.yaml"))


def test_find_config_defaults_to_dot_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    user = tmp_path / "home" / ".config" / "cliproxy" / "config.yaml"
    user.parent.mkdir(parents=True)
    user.write_text(GOOD)
    assert find_config(None) == user


def test_restart_needed_lists_listener_keys_only() -> None:
    old, _ = parse_config_text(GOOD)
    new, _ = parse_config_text(GOOD.replace("8317", "9000") + "debug: true\ntls: {enable: true, cert: c, key: k}\n")
    assert restart_needed(old, new) == ["port", "tls.enable", "tls.cert", "tls.key"]
    assert restart_needed(old, old) == []
    live, _ = parse_config_text(GOOD + "debug: true\n")
    assert restart_needed(old, live) == []


# -- template --------------------------------------------------------------------------------------

def test_default_template_parses_clean_and_is_safe() -> None:
    text = default_config_text("sk-test-key-123", "~/.cli-proxy-api", port=9123)
    cfg, warnings = parse_config_text(text)
    assert warnings == []
    assert cfg.host == "127.0.0.1" and cfg.port == 9123 and cfg.api_keys == ("sk-test-key-123",)
    assert cfg.auth_dir == os.path.join(os.path.expanduser("~"), ".cli-proxy-api")
    for section in ("gemini-api-key", "claude-api-key", "codex-api-key", "vertex-api-key", "openai-compatibility",
                    "routing", "request-retry", "streaming", "payload", "remote-management",
                    "upstream-url-overrides"):
        assert f"#{section}:" in text, section


def test_every_commented_setting_in_the_template_is_valid() -> None:
    text = default_config_text("k" * 20, "/tmp/a")
    uncommented = "\n".join(re.sub(r"^#(?=\S|  )", "", line) for line in text.splitlines())
    assert len(uncommented.splitlines()) == len(text.splitlines())
    cfg, warnings = parse_config_text(uncommented)
    assert warnings == []
    assert cfg.gemini_api_key and cfg.claude_api_key and cfg.codex_api_key and cfg.vertex_api_key
    assert cfg.openai_compatibility and cfg.payload.filter and cfg.upstream_url_overrides
    assert cfg.routing.strategy == "round-robin" and cfg.tls.enable


def test_template_quotes_awkward_values() -> None:
    cfg, _ = parse_config_text(default_config_text('a"b: #c', "/tmp/my dir: x"))
    assert cfg.api_keys == ('a"b: #c',) and cfg.auth_dir == "/tmp/my dir: x"


def test_write_default_config(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "dir" / "config.yaml"
    path, key = write_default_config(target)
    assert path == target and stat.S_IMODE(target.stat().st_mode) == 0o600
    cfg = load_config(target).config
    assert cfg.api_keys == (key,) and len(key) >= 32
    assert not [p for p in target.parent.iterdir() if p.name != "config.yaml"]  # no temp file left
    with pytest.raises(FileExistsError):
        write_default_config(target)
    _, key2 = write_default_config(target, overwrite=True)
    assert key2 != key


# -- config check ------------------------------------------------------------------------------------

def _check(path: Path | str) -> tuple[int, str]:
    out = io.StringIO()
    return run_check(str(path), out), out.getvalue()


def test_check_valid_file(tmp_path: Path) -> None:
    p = tmp_path / "config.yaml"
    p.write_text(GOOD)
    code, out = _check(p)
    assert code == 0 and out.strip().splitlines() == [f"{p} is valid."]


def test_check_valid_with_warnings(tmp_path: Path) -> None:
    p = tmp_path / "config.yaml"
    p.write_text(GOOD + "prot: 1\n")
    code, out = _check(p)
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == '  warning: prot (line 4): unknown key, ignored; did you mean "port"?'
    assert lines[-1] == f"{p} is valid (1 warning)."


def test_check_invalid_lists_every_problem(tmp_path: Path) -> None:
    p = tmp_path / "config.yaml"
    p.write_text("port: high\ndebug: maybe\nprot: 1\nhost: 127.0.0.1\napi-keys: [k]\n")
    code, out = _check(p)
    lines = out.splitlines()
    assert code == 1
    assert '  error: port (line 1): expected an integer, got "high"' in lines
    assert '  error: debug (line 2): expected true or false, got "maybe"' in lines
    assert any(line.startswith("  warning: prot (line 3)") for line in lines)
    assert lines[-1].startswith(f"{p} is INVALID: 2 errors, 1 warning.")


def test_check_yaml_syntax_error(tmp_path: Path) -> None:
    p = tmp_path / "config.yaml"
    p.write_text("port: 1\n  debug: true\n")
    code, out = _check(p)
    assert code == 1 and "(line 2, column" in out


def test_check_missing_or_unreadable(tmp_path: Path) -> None:
    code, out = _check(tmp_path / "nope.yaml")
    assert code == 2 and "no such file" in out
    code, out = _check(tmp_path)
    assert code == 2 and "directory" in out


# -- redaction ---------------------------------------------------------------------------------------

SECRETS = """\
host: 127.0.0.1
api-keys: [sk-verysecretclientkey-iuqx]
proxy-url: "socks5://user:hunter2pass@127.0.0.1:1080"
remote-management: {secret-key: management-secret-value}
gemini-api-key:
  - api-key: AIzaSyGEMINIKEYVALUE1234
    headers: {Authorization: "Bearer headersecrettoken", X-Team: research}
openai-compatibility:
  - name: o
    base-url: https://o.test
    api-key-entries: [{api-key: sk-or-v1-compatsecret99, proxy-url: "http://tok3nonly@proxy:1"}]
kiro: [{access-token: kiroaccesstokenvalue, refresh-token: kirorefreshtokenvalue}]
ampcode:
  upstream-api-key: ampupstreamkeyvalue
  upstream-api-keys: [{upstream-api-key: ampteamkeyvalue1, api-keys: [sk-verysecretclientkey-iuqx]}]
"""


def test_redact_masks_every_secret() -> None:
    cfg, _ = parse_config_text(SECRETS)
    red = redact(cfg)
    import json

    text = json.dumps(red)
    for secret in ("verysecretclientkey", "hunter2pass", "management-secret", "GEMINIKEYVALUE", "headersecret",
                   "compatsecret", "tok3nonly", "kiroaccess", "kirorefresh", "ampupstream", "ampteamkey"):
        assert secret not in text, secret
    assert red["api-keys"] == ["sk-v...iuqx"]
    assert red["proxy-url"] == "socks5://user:***@127.0.0.1:1080"
    assert red["gemini-api-key"][0]["headers"]["X-Team"] == "research"
    assert red["host"] == "127.0.0.1"


def test_mask() -> None:
    assert mask("sk-verysecretclientkey-iuqx") == "sk-v...iuqx"
    assert mask("short") == "***" and mask("") == ""


def test_diff_configs_names_changed_paths_with_masked_values() -> None:
    old, _ = parse_config_text(SECRETS)
    new, _ = parse_config_text(SECRETS.replace("AIzaSyGEMINIKEYVALUE1234", "AIzaSyOTHERKEYVALUE5678")
                               .replace("host: 127.0.0.1", "host: 127.0.0.1\nport: 9000\nrequest-retry: 2"))
    changes = diff_configs(old, new)
    assert "port: 0 -> 9000" in changes and "request-retry: 0 -> 2" in changes
    assert 'gemini-api-key[0].api-key: "AIza...1234" -> "AIza...5678"' in changes
    assert "GEMINIKEY" not in " ".join(changes) and len(changes) == 3
    assert diff_configs(old, old) == []
    more, _ = parse_config_text(SECRETS.replace("kiro: [{", "kiro: [{token-file: t}, {"))
    assert "kiro: 1 -> 2 entries" in diff_configs(old, more)
