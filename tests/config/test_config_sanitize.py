"""Each load-time sanitisation rule of CLIProxyAPI (upstream-server.md §2.2), one test apiece."""

from __future__ import annotations

import os
import textwrap

import pytest

from cliproxy.config.errors import ConfigError
from cliproxy.config.load import parse_config_text
from cliproxy.config.sanitize import parse_go_duration

SAFE = "api-keys: [client]\nhost: 127.0.0.1\n"  # keeps the open-access note out of the way


def parse(text: str):
    return parse_config_text(SAFE + textwrap.dedent(text))


def paths(warnings) -> list[str]:
    return [w.key_path for w in warnings]


def test_api_keys_trimmed_deduplicated_and_empties_dropped() -> None:
    cfg, w = parse_config_text("host: 127.0.0.1\napi-keys: [' a ', a, '', b]\n")
    assert cfg.api_keys == ("a", "b")
    assert paths(w) == ["api-keys[1]", "api-keys[2]"]


@pytest.mark.parametrize(("raw", "expected", "warned"), [
    ("' /team/ '", "team", False),
    ("'team'", "team", False),
    ("'//'", "", False),
    ("'a/b'", "", True),
    ("'/a/b/'", "", True),
])
def test_prefix_normalised(raw: str, expected: str, warned: bool) -> None:
    cfg, w = parse(f"claude-api-key:\n  - api-key: k\n    prefix: {raw}\n")
    assert cfg.claude_api_key[0].prefix == expected
    assert paths(w) == (["claude-api-key[0].prefix"] if warned else [])


def test_prefix_rule_applies_to_every_block() -> None:
    cfg, w = parse("""\
        gemini-api-key: [{api-key: g, prefix: /g/}]
        vertex-api-key: [{api-key: v, prefix: v/}]
        codex-api-key: [{api-key: c, base-url: https://c.test, prefix: /c}]
        openai-compatibility: [{name: o, base-url: https://o.test, prefix: x/y}]
        """)
    assert (cfg.gemini_api_key[0].prefix, cfg.vertex_api_key[0].prefix, cfg.codex_api_key[0].prefix) == ("g", "v", "c")
    assert cfg.openai_compatibility[0].prefix == ""
    assert paths(w) == ["openai-compatibility[0].prefix"]


def test_headers_with_empty_name_or_value_dropped() -> None:
    cfg, w = parse("""\
        gemini-api-key:
          - api-key: k
            headers:
              X-Keep: " v "
              X-Empty: ""
              X-Null:
              " ": value
        """)
    assert cfg.gemini_api_key[0].headers == {"X-Keep": "v"}
    assert sorted(paths(w)) == sorted(["gemini-api-key[0].headers.X-Empty", "gemini-api-key[0].headers.X-Null",
                                       'gemini-api-key[0].headers[" "]'])


def test_excluded_models_lower_cased_and_deduplicated() -> None:
    cfg, _ = parse("""\
        codex-api-key:
          - api-key: k
            base-url: https://c.test
            excluded-models: [GPT-5, gpt-5, " *-Mini ", ""]
        oauth-excluded-models:
          Gemini-CLI: [Gemini-2.5-Pro, gemini-2.5-pro]
          empty: []
        """)
    assert cfg.codex_api_key[0].excluded_models == ("gpt-5", "*-mini")
    assert cfg.oauth_excluded_models == {"gemini-cli": ("gemini-2.5-pro",)}


@pytest.mark.parametrize("block", ["gemini-api-key", "vertex-api-key"])
def test_gemini_and_vertex_deduplicated_on_key_and_base_url(block: str) -> None:
    cfg, w = parse(f"""\
        {block}:
          - api-key: k1
          - api-key: " k1 "
          - api-key: k1
            base-url: https://other.test
          - api-key: ""
        """)
    entries = getattr(cfg, block.replace("-", "_"))
    assert [(e.api_key, e.base_url) for e in entries] == [("k1", ""), ("k1", "https://other.test")]
    assert paths(w) == [f"{block}[1]", f"{block}[3]"]
    assert w[0].line == 5 and "duplicate" in w[0].message
    assert "without api-key" in w[1].message


def test_codex_entries_without_base_url_dropped() -> None:
    cfg, w = parse("""\
        codex-api-key:
          - api-key: a
          - api-key: b
            base-url: " https://c.test "
        """)
    assert [(e.api_key, e.base_url) for e in cfg.codex_api_key] == [("b", "https://c.test")]
    assert paths(w) == ["codex-api-key[0]"] and w[0].line == 4 and "base-url" in w[0].message


def test_openai_compat_without_base_url_dropped() -> None:
    cfg, w = parse("""\
        openai-compatibility:
          - name: nobase
          - name: " ok "
            base-url: https://o.test
        """)
    assert [c.name for c in cfg.openai_compatibility] == ["ok"]
    assert paths(w) == ["openai-compatibility[0]"] and "base-url" in w[0].message


def test_vertex_models_need_name_and_alias() -> None:
    cfg, w = parse("""\
        vertex-api-key:
          - api-key: v
            models:
              - {name: a, alias: b}
              - {name: only-name}
              - {alias: only-alias}
        """)
    assert [(m.name, m.alias) for m in cfg.vertex_api_key[0].models] == [("a", "b")]
    assert paths(w) == ["vertex-api-key[0].models[1]", "vertex-api-key[0].models[2]"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("round-robin", "round-robin"), ("roundrobin", "round-robin"), ("RR", "round-robin"),
    ("fill-first", "fill-first"), ("fillfirst", "fill-first"), (" ff ", "fill-first"), ("''", "round-robin"),
])
def test_routing_strategy_aliases(raw: str, expected: str) -> None:
    cfg, _ = parse(f"routing:\n  strategy: {raw}\n")
    assert cfg.routing.strategy == expected


def test_unknown_routing_strategy_is_a_problem() -> None:
    with pytest.raises(ConfigError) as exc:
        parse("routing:\n  strategy: random\n")
    (p,) = exc.value.problems
    assert (p.key_path, p.line, p.got) == ("routing.strategy", 4, '"random"')


def test_claude_code_session_affinity_implies_session_affinity() -> None:
    cfg, _ = parse("routing:\n  claude-code-session-affinity: true\n")
    assert cfg.routing.session_affinity is True


@pytest.mark.parametrize(("ttl", "expected", "warned"), [
    ('"30m"', "30m", False), ('"2h30m"', "2h30m", False), ('""', "1h", False), ('"soon"', "1h", True),
    ('"-5m"', "1h", True),
])
def test_session_affinity_ttl(ttl: str, expected: str, warned: bool) -> None:
    cfg, w = parse(f"routing:\n  session-affinity-ttl: {ttl}\n")
    assert cfg.routing.session_affinity_ttl == expected
    assert paths(w) == (["routing.session-affinity-ttl"] if warned else [])


def test_go_durations() -> None:
    assert parse_go_duration("1h") == 3600
    assert parse_go_duration("1h30m") == 5400
    assert parse_go_duration("1.5h") == 5400
    assert parse_go_duration("250ms") == 0.25
    assert parse_go_duration("0") == 0
    assert parse_go_duration("10") is None and parse_go_duration("1d") is None and parse_go_duration("") is None


@pytest.mark.parametrize(("value", "expected", "warned"), [
    (0, 60, True), (-3, 60, True), (1, 1, False), (3600, 3600, False), (9999, 3600, True),
])
def test_redis_usage_queue_retention_bounds(value: int, expected: int, warned: bool) -> None:
    cfg, w = parse(f"redis-usage-queue-retention-seconds: {value}\n")
    assert cfg.redis_usage_queue_retention_seconds == expected
    assert paths(w) == (["redis-usage-queue-retention-seconds"] if warned else [])


def test_negative_log_limits() -> None:
    cfg, w = parse("logs-max-total-size-mb: -1\nerror-logs-max-files: -2\nmax-retry-credentials: -1\n")
    assert (cfg.logs_max_total_size_mb, cfg.error_logs_max_files, cfg.max_retry_credentials) == (0, 10, 0)
    assert paths(w) == ["logs-max-total-size-mb", "error-logs-max-files"]
    cfg, _ = parse("error-logs-max-files: 0\n")
    assert cfg.error_logs_max_files == 0  # 0 = no cleanup, kept


def test_auth_refresh_workers_non_positive_means_default() -> None:
    cfg, _ = parse("auth-auto-refresh-workers: 0\n")
    assert cfg.auth_auto_refresh_workers == 16


def test_auth_dir_tilde_expanded() -> None:
    home = os.path.expanduser("~")
    cfg, _ = parse("auth-dir: '~/.cli-proxy-api'\n")
    assert cfg.auth_dir == os.path.join(home, ".cli-proxy-api")
    cfg, _ = parse("auth-dir: '~'\n")
    assert cfg.auth_dir == home
    cfg, _ = parse("auth-dir: /srv/auths/\n")
    assert cfg.auth_dir == "/srv/auths"


def test_pprof_addr_and_panel_repo_fall_back_when_blank() -> None:
    cfg, _ = parse("pprof:\n  addr: ' '\nremote-management:\n  panel-github-repository: ''\n")
    assert cfg.pprof.addr == "127.0.0.1:8316"
    assert cfg.remote_management.panel_github_repository.startswith("https://github.com/router-for-me/")


def test_raw_payload_rules_with_invalid_json_dropped() -> None:
    cfg, w = parse("""\
        payload:
          default-raw:
            - params: {"a": "{\\"ok\\": 1}"}
            - params: {"b": "{not json"}
            - params: {}
          override-raw:
            - params: {"c": "[1,2]", "d": "oops"}
            - params: {"e": 5}
        """)
    assert [r.params for r in cfg.payload.default_raw] == [{"a": '{"ok": 1}'}]
    assert [r.params for r in cfg.payload.override_raw] == [{"e": 5}]
    assert paths(w) == ["payload.default-raw[1].params.b", "payload.default-raw[2]",
                        "payload.override-raw[0].params.d"]
    assert "invalid raw JSON" in w[0].message


def test_non_raw_payload_rules_keep_any_value() -> None:
    cfg, w = parse('payload:\n  override:\n    - params: {"x": "{not json", "y": [1, {"z": null}]}\n')
    assert cfg.payload.override[0].params == {"x": "{not json", "y": [1, {"z": None}]}
    assert w == []


def test_upstream_url_overrides_must_be_http_urls() -> None:
    cfg, _ = parse("upstream-url-overrides:\n  'https://api.anthropic.com': 'http://127.0.0.1:9000'\n")
    assert cfg.upstream_url_overrides == {"https://api.anthropic.com": "http://127.0.0.1:9000"}
    with pytest.raises(ConfigError) as exc:
        parse("""\
            upstream-url-overrides:
              'api.anthropic.com': 'http://127.0.0.1:9000'
              'https://ok.test': 'ftp://nope'
            """)
    assert [(p.key_path, p.line) for p in exc.value.problems] == [
        ('upstream-url-overrides["api.anthropic.com"]', 4), ('upstream-url-overrides["https://ok.test"]', 5)]


def test_oauth_model_alias_sanitised() -> None:
    cfg, w = parse("""\
        oauth-model-alias:
          Codex:
            - {name: gpt-5, alias: g5, fork: true}
            - {name: gpt-5, alias: G5}
            - {name: same, alias: SAME}
            - {name: "", alias: x}
          kiro:
        """)
    assert [(a.name, a.alias, a.fork) for a in cfg.oauth_model_alias["codex"]] == [("gpt-5", "g5", True)]
    assert cfg.oauth_model_alias["kiro"] is None
    assert paths(w) == ["oauth-model-alias.Codex[1]", "oauth-model-alias.Codex[2]", "oauth-model-alias.Codex[3]"]


def test_kiro_and_header_defaults_trimmed() -> None:
    cfg, _ = parse("kiro: [{token-file: ' t.json ', region: ' eu-west-1 '}]\nclaude-header-defaults: {os: ' MacOS '}\n")
    assert cfg.kiro[0].token_file == "t.json" and cfg.kiro[0].region == "eu-west-1"
    assert cfg.claude_header_defaults.os == "MacOS"


def test_port_range_checked() -> None:
    with pytest.raises(ConfigError) as exc:
        parse("port: 70000\n")
    assert exc.value.problems[0].key_path == "port"


@pytest.mark.parametrize(("proxy", "warned"), [
    ("socks5://u:p@h:1080", False), ("http://h:3128", False), ("direct", False), ("NONE", False),
    ("h:3128", True), ("ftp://h", True),
])
def test_proxy_urls_checked(proxy: str, warned: bool) -> None:
    _cfg, w = parse(f"claude-api-key: [{{api-key: k, proxy-url: '{proxy}'}}]\n")
    assert paths(w) == (["claude-api-key[0].proxy-url"] if warned else [])
    if warned:
        assert "p@" not in w[0].message


def test_inert_keys_are_warned() -> None:
    _cfg, w = parse("""\
        quota-exceeded:
          switch-project: true
          switch-preview-model: false
        claude-api-key:
          - api-key: k
            cloak: {mode: always}
        """)
    assert paths(w) == ["quota-exceeded.switch-project", "claude-api-key[0].cloak"]


def test_open_access_is_warned() -> None:
    _cfg, w = parse_config_text("host: ''\nport: 8317\n")
    assert paths(w) == ["api-keys"] and "anyone" in w[0].message
    _cfg, w = parse_config_text("host: 127.0.0.1\nport: 8317\n")
    assert w == []
    _cfg, w = parse_config_text("host: ''\napi-keys: [k]\n")
    assert w == []
