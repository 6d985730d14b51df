"""Code defaults when a key is absent, checked against a table written from upstream-server.md §2.1.

The table is written by hand, not derived from the schema: a wrong default in schema.py, or a
new field added without deciding its default, fails here.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from cliproxy.config.load import parse_config_text
from cliproxy.config.schema import Config

PANEL = "https://github.com/router-for-me/Cli-Proxy-API-Management-Center"

# key path -> CLIProxyAPI code default (value when the key is absent)
DEFAULTS: dict[str, Any] = {
    "host": "",
    "port": 0,
    "tls.enable": False,
    "tls.cert": "",
    "tls.key": "",
    "remote-management.allow-remote": False,
    "remote-management.secret-key": "",
    "remote-management.disable-control-panel": False,
    "remote-management.disable-auto-update-panel": False,
    "remote-management.panel-github-repository": PANEL,
    "auth-dir": "",
    "api-keys": [],
    "debug": False,
    "pprof.enable": False,
    "pprof.addr": "127.0.0.1:8316",
    "commercial-mode": False,
    "incognito-browser": False,
    "logging-to-file": False,
    "logs-max-total-size-mb": 0,
    "error-logs-max-files": 10,
    "request-log": False,
    "usage-statistics-enabled": False,
    "redis-usage-queue-retention-seconds": 60,
    "proxy-url": "",
    "force-model-prefix": False,
    "passthrough-headers": False,
    "request-retry": 0,
    "max-retry-credentials": 0,
    "max-retry-interval": 0,
    "disable-cooling": False,
    "disable-image-generation": False,
    "auth-auto-refresh-workers": 16,
    "quota-exceeded.switch-project": False,
    "quota-exceeded.switch-preview-model": False,
    "quota-exceeded.antigravity-credits": False,
    "routing.strategy": "round-robin",
    "routing.session-affinity": False,
    "routing.session-affinity-ttl": "1h",
    "routing.claude-code-session-affinity": False,
    "ws-auth": False,
    "enable-gemini-cli-endpoint": False,
    "nonstream-keepalive-interval": 0,
    "streaming.keepalive-seconds": 0,
    "streaming.bootstrap-retries": 0,
    "antigravity-signature-cache-enabled": True,
    "antigravity-signature-bypass-strict": False,
    "claude-header-defaults.user-agent": "",
    "claude-header-defaults.package-version": "",
    "claude-header-defaults.runtime-version": "",
    "claude-header-defaults.os": "",
    "claude-header-defaults.arch": "",
    "claude-header-defaults.timeout": "",
    "claude-header-defaults.stabilize-device-profile": False,
    "codex-header-defaults.user-agent": "",
    "codex-header-defaults.beta-features": "",
    "kiro-preferred-endpoint": "ide",
    "kiro-fingerprint.oidc-sdk-version": "",
    "kiro-fingerprint.runtime-sdk-version": "",
    "kiro-fingerprint.streaming-sdk-version": "",
    "kiro-fingerprint.os-type": "",
    "kiro-fingerprint.os-version": "",
    "kiro-fingerprint.node-version": "",
    "kiro-fingerprint.kiro-version": "",
    "kiro-fingerprint.kiro-hash": "",
    "gemini-api-key": [],
    "claude-api-key": [],
    "codex-api-key": [],
    "vertex-api-key": [],
    "openai-compatibility": [],
    "kiro": [],
    "ampcode.upstream-url": "",
    "ampcode.upstream-api-key": "",
    "ampcode.upstream-api-keys": [],
    "ampcode.restrict-management-to-localhost": False,
    "ampcode.model-mappings": [],
    "ampcode.force-model-mappings": False,
    "oauth-model-alias": {},
    "oauth-excluded-models": {},
    "payload.default": [],
    "payload.default-raw": [],
    "payload.override": [],
    "payload.override-raw": [],
    "payload.filter": [],
    # cliproxy additions
    "upstream-url-overrides": {},
    "max-body-bytes": 64 * 1024 * 1024,
    "upstream-connect-timeout": 30.0,
    "upstream-idle-timeout": 300.0,
    "translation-strict": False,
    "client-user-agent": "",
}


def _json(cfg: Config) -> Any:
    return msgspec.json.decode(msgspec.json.encode(cfg))


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value and path.count(".") < 1 and not path.endswith(
            ("oauth-model-alias", "oauth-excluded-models", "upstream-url-overrides")):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{path}.{k}" if path else k))
        return out
    return {path: value}


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n", "{}\n"])
def test_absent_keys_take_code_defaults(text: str) -> None:
    cfg, warnings = parse_config_text(text)
    # an empty document has no warnings; "{}" only the open-access one (no api-keys, all interfaces)
    assert [w.key_path for w in warnings] == ([] if text != "{}\n" else ["api-keys"])
    flat = _flatten(_json(cfg))
    assert set(flat) == set(DEFAULTS), f"schema keys differ from the table: {set(flat) ^ set(DEFAULTS)}"
    for key, expected in DEFAULTS.items():
        assert flat[key] == expected, f"{key}: default {flat[key]!r}, CLIProxyAPI's is {expected!r}"


@pytest.mark.parametrize("key", sorted({k.split(".")[0] for k in DEFAULTS}))
def test_each_top_level_key_defaults_when_the_others_are_set(key: str) -> None:
    """Leaving exactly one key out of a full config still gives that key its default."""
    full = _FULL_VALUES
    text = "".join(f"{k}: {v}\n" for k, v in full.items() if k != key)
    cfg, _ = parse_config_text(text)
    flat = _flatten(_json(cfg))
    for path, expected in DEFAULTS.items():
        if path.split(".")[0] == key:
            assert flat[path] == expected, path
    assert cfg != Config()


# a non-default value for every top-level key (flow style, one line each)
_FULL_VALUES: dict[str, str] = {
    "host": "0.0.0.0", "port": "9000", "tls": "{enable: true, cert: c.pem, key: k.pem}",
    "remote-management": "{allow-remote: true, secret-key: s3cret-value-123}",
    "auth-dir": "/tmp/auths", "api-keys": "[k1]", "debug": "true", "pprof": "{addr: '127.0.0.1:9999'}",
    "commercial-mode": "true", "incognito-browser": "true", "logging-to-file": "true",
    "logs-max-total-size-mb": "5", "error-logs-max-files": "3", "request-log": "true",
    "usage-statistics-enabled": "true", "redis-usage-queue-retention-seconds": "120",
    "proxy-url": "socks5://127.0.0.1:1080", "force-model-prefix": "true", "passthrough-headers": "true",
    "request-retry": "3", "max-retry-credentials": "2", "max-retry-interval": "30", "disable-cooling": "true",
    "disable-image-generation": "chat", "auth-auto-refresh-workers": "4",
    "quota-exceeded": "{antigravity-credits: true}", "routing": "{strategy: fill-first}", "ws-auth": "true",
    "enable-gemini-cli-endpoint": "true", "nonstream-keepalive-interval": "10",
    "streaming": "{keepalive-seconds: 15}", "antigravity-signature-cache-enabled": "false",
    "antigravity-signature-bypass-strict": "true", "claude-header-defaults": "{os: MacOS}",
    "codex-header-defaults": "{user-agent: ua}", "kiro-preferred-endpoint": "cli",
    "kiro-fingerprint": "{os-type: darwin}", "gemini-api-key": "[{api-key: g}]",
    "claude-api-key": "[{api-key: c}]", "codex-api-key": "[{api-key: x, base-url: 'https://x.test'}]",
    "vertex-api-key": "[{api-key: v}]", "openai-compatibility": "[{name: o, base-url: 'https://o.test'}]",
    "kiro": "[{token-file: t.json}]", "ampcode": "{upstream-url: 'https://ampcode.com'}",
    "oauth-model-alias": "{codex: [{name: gpt-5, alias: g5}]}", "oauth-excluded-models": "{codex: [gpt-5]}",
    "payload": "{filter: [{params: [a.b]}]}",
    "upstream-url-overrides": "{'https://a.test': 'http://127.0.0.1:1'}", "max-body-bytes": "1000",
    "upstream-connect-timeout": "5", "upstream-idle-timeout": "60", "translation-strict": "true",
    "client-user-agent": "me/1",
}


def test_full_values_cover_every_top_level_key_and_all_differ_from_defaults() -> None:
    assert set(_FULL_VALUES) == {k.split(".")[0] for k in DEFAULTS}
    cfg, _ = parse_config_text("".join(f"{k}: {v}\n" for k, v in _FULL_VALUES.items()))
    data = _json(cfg)
    default = _json(Config())
    same = [k for k in _FULL_VALUES if data[k] == default[k]]
    assert same == [], f"these keys did not take the configured value: {same}"
