"""Parsing: a realistic CLIProxyAPI config, every error at once with lines, unknown keys, YAML syntax."""

from __future__ import annotations

import textwrap

import pytest

from cliproxy.config.errors import ConfigError, Problem
from cliproxy.config.load import parse_config_text

# A CLIProxyAPI user's config: the example file's settings with every commented block switched on,
# plus keys from config.example.custom.yaml that CLIProxyAPI itself ignores.
REALISTIC = textwrap.dedent("""\
    host: ''
    port: 8317
    tls:
      enable: false
      cert: ''
      key: ''
    remote-management:
      allow-remote: false
      secret-key: '$2a$10$abcdefghijklmnopqrstuv'
      disable-control-panel: false
      panel-github-repository: 'https://github.com/router-for-me/Cli-Proxy-API-Management-Center'
    auth-dir: '~/.cli-proxy-api'
    api-keys:
      - 'your-api-key-1'
      - 'your-api-key-2'
    debug: false
    pprof:
      enable: false
      addr: '127.0.0.1:8316'
    commercial-mode: false
    incognito-browser: true
    logging-to-file: false
    logs-max-total-size-mb: 0
    error-logs-max-files: 10
    usage-statistics-enabled: false
    redis-usage-queue-retention-seconds: 60
    proxy-url: ""
    force-model-prefix: false
    passthrough-headers: false
    request-retry: 3
    max-retry-credentials: 0
    max-retry-interval: 30
    disable-cooling: false
    disable-image-generation: false
    quota-exceeded:
      antigravity-credits: true
    routing:
      strategy: "round-robin"
      session-affinity: false
      session-affinity-ttl: "1h"
    ws-auth: false
    enable-gemini-cli-endpoint: false
    nonstream-keepalive-interval: 0
    streaming:
      keepalive-seconds: 15
      bootstrap-retries: 1
    request-timeout: 900
    gemini-api-key:
      - api-key: "AIzaSy...01"
        prefix: "test"
        base-url: "https://generativelanguage.googleapis.com"
        headers:
          X-Custom-Header: "custom-value"
        proxy-url: "socks5://proxy.example.com:1080"
        models:
          - name: "gemini-2.5-flash"
            alias: "gemini-flash"
        excluded-models:
          - "gemini-2.5-pro"
          - "gemini-2.5-*"
          - "*-preview"
      - api-key: "AIzaSy...02"
    codex-api-key:
      - api-key: "sk-atSM..."
        prefix: "test"
        base-url: "https://www.example.com"
        websockets: true
        models:
          - name: "gpt-5-codex"
            alias: "codex-latest"
    claude-api-key:
      - api-key: "sk-atSM..."
      - api-key: "sk-atSM...2"
        priority: 5
        base-url: "https://www.example.com"
        models:
          - name: "claude-3-5-sonnet-20241022"
            alias: "claude-sonnet-latest"
    claude-header-defaults:
      user-agent: "claude-cli/2.1.44 (external, sdk-cli)"
      package-version: "0.74.0"
      runtime-version: "v24.3.0"
      os: "MacOS"
      arch: "arm64"
      timeout: "600"
    codex-header-defaults:
      user-agent: "codex_cli_rs/0.114.0"
      beta-features: "multi_agent"
    kiro:
      - token-file: "~/.aws/sso/cache/kiro-auth-token.json"
        agent-task-type: ""
        region: "us-east-1"
      - access-token: "aoaAAAAA..."
        refresh-token: "aorAAAAA..."
        profile-arn: "arn:aws:codewhisperer:us-east-1:1"
    openai-compatibility:
      - name: "openrouter"
        disabled: false
        prefix: "test"
        base-url: "https://openrouter.ai/api/v1"
        headers:
          X-Custom-Header: "custom-value"
        api-key-entries:
          - api-key: "sk-or-v1-...b780"
            proxy-url: "socks5://proxy.example.com:1080"
          - api-key: "sk-or-v1-...b781"
        models:
          - name: "moonshotai/kimi-k2:free"
            alias: "kimi-k2"
            thinking:
              levels: ["low", "medium", "high"]
          - name: "deepseek-v3.1"
            alias: "claude-opus-4.66"
          - name: "glm-5"
            alias: "claude-opus-4.66"
    vertex-api-key:
      - api-key: "vk-123..."
        prefix: "test"
        base-url: "https://example.com/api"
        models:
          - name: "gemini-2.5-flash"
            alias: "vertex-flash"
    ampcode:
      upstream-url: "https://ampcode.com"
      upstream-api-key: ""
      upstream-api-keys:
        - upstream-api-key: "amp_key_for_team_a"
          api-keys:
            - "your-api-key-1"
      restrict-management-to-localhost: false
      force-model-mappings: false
      model-mappings:
        - from: "claude-opus-4-5-20251101"
          to: "gemini-claude-opus-4-5-thinking"
        - from: "^claude-.*$"
          to: "gemini-2.5-flash"
          regex: true
    oauth-model-alias:
      gemini-cli:
        - name: "gemini-2.5-pro"
          alias: "g2.5p"
          fork: true
      kiro: []
    oauth-excluded-models:
      gemini-cli:
        - "gemini-2.5-pro"
        - "*flash*"
    payload:
      default:
        - models:
            - name: "gemini-2.5-pro"
              protocol: "gemini"
          params:
            "generationConfig.thinkingConfig.thinkingBudget": 32768
      default-raw:
        - models:
            - name: "gemini-2.5-pro"
              protocol: "gemini"
          params:
            "generationConfig.responseJsonSchema": "{\\"type\\":\\"object\\"}"
      override:
        - models:
            - name: "gpt-*"
              protocol: "codex"
          params:
            "reasoning.effort": "high"
      filter:
        - models:
            - name: "gemini-2.5-pro"
              protocol: "gemini"
          params:
            - "generationConfig.thinkingConfig.thinkingBudget"
    """)


def parse(text: str):
    return parse_config_text(textwrap.dedent(text))


def test_realistic_cliproxyapi_config_parses_with_every_block() -> None:
    cfg, warnings = parse_config_text(REALISTIC, "config.yaml")
    assert cfg.port == 8317 and cfg.host == ""
    assert cfg.api_keys == ("your-api-key-1", "your-api-key-2")
    assert cfg.auth_dir.endswith(".cli-proxy-api") and "~" not in cfg.auth_dir
    assert cfg.incognito_browser is True and cfg.request_retry == 3 and cfg.max_retry_interval == 30
    assert cfg.quota_exceeded.antigravity_credits is True
    assert cfg.streaming.keepalive_seconds == 15 and cfg.streaming.bootstrap_retries == 1
    g = cfg.gemini_api_key
    assert [e.api_key for e in g] == ["AIzaSy...01", "AIzaSy...02"]
    assert g[0].prefix == "test" and g[0].headers == {"X-Custom-Header": "custom-value"}
    assert g[0].models[0].name == "gemini-2.5-flash" and g[0].models[0].alias == "gemini-flash"
    assert g[0].excluded_models == ("gemini-2.5-pro", "gemini-2.5-*", "*-preview")
    assert cfg.codex_api_key[0].websockets is True
    assert cfg.claude_api_key[1].priority == 5
    assert cfg.claude_header_defaults.timeout == "600"
    assert cfg.codex_header_defaults.beta_features == "multi_agent"
    assert cfg.kiro[1].profile_arn.startswith("arn:aws")
    compat = cfg.openai_compatibility[0]
    assert compat.name == "openrouter" and len(compat.api_key_entries) == 2
    assert compat.models[0].thinking is not None and compat.models[0].thinking.levels == ("low", "medium", "high")
    assert [m.alias for m in compat.models].count("claude-opus-4.66") == 2
    assert cfg.vertex_api_key[0].models[0].alias == "vertex-flash"
    assert cfg.ampcode.model_mappings[1].from_ == "^claude-.*$" and cfg.ampcode.model_mappings[1].regex
    assert cfg.ampcode.upstream_api_keys[0].api_keys == ("your-api-key-1",)
    assert cfg.oauth_model_alias["gemini-cli"][0].fork is True
    assert cfg.oauth_model_alias["kiro"] is None  # explicit empty channel = "no built-in defaults"
    assert cfg.oauth_excluded_models == {"gemini-cli": ("gemini-2.5-pro", "*flash*")}
    assert cfg.payload.default[0].params == {"generationConfig.thinkingConfig.thinkingBudget": 32768}
    assert cfg.payload.default_raw[0].params == {"generationConfig.responseJsonSchema": '{"type":"object"}'}
    assert cfg.payload.filter[0].params == ("generationConfig.thinkingConfig.thinkingBudget",)
    # only the key CLIProxyAPI ignores too (host "" listens everywhere, but api-keys are set)
    assert [(w.key_path, w.line) for w in warnings] == [("request-timeout", 47)]
    assert "ignored" in warnings[0].message


def test_many_errors_are_reported_at_once_with_lines() -> None:
    text = textwrap.dedent("""\
        host: 127.0.0.1
        port: eighty
        debug: maybe
        gemini-api-key:
          - api-key: k
            priority: high
        routing:
          strategy: random
        tls: [1, 2]
        api-keys: just-one-string
        disable-image-generation: sometimes
        """)
    with pytest.raises(ConfigError) as exc:
        parse_config_text(text, "config.yaml")
    got = [(p.key_path, p.line) for p in exc.value.problems]
    assert got == [
        ("port", 2), ("debug", 3), ("gemini-api-key[0].priority", 6), ("routing.strategy", 8),
        ("tls", 9), ("api-keys", 10), ("disable-image-generation", 11),
    ]
    first = exc.value.problems[0]
    assert first.expected == "an integer" and first.got == '"eighty"'
    assert str(exc.value.problems[2]) == 'gemini-api-key[0].priority (line 6): expected an integer, got "high"'
    message = str(exc.value)
    assert message.startswith("config.yaml: 7 problems")
    assert "routing.strategy (line 8)" in message


def test_quoted_number_is_an_error_with_a_hint() -> None:
    with pytest.raises(ConfigError) as exc:
        parse('port: "8317"\n')
    (p,) = exc.value.problems
    assert (p.key_path, p.line, p.got) == ("port", 1, '"8317"') and "remove the quotes" in p.message


def test_huge_integer_is_a_problem_not_a_crash() -> None:
    with pytest.raises(ConfigError) as exc:
        parse("request-retry: 99999999999999999999999\n")
    assert exc.value.problems[0].key_path == "request-retry"


def test_go_yaml_coercions_are_accepted() -> None:
    cfg, _ = parse("""\
        debug: yes
        ws-auth: off
        request-log: True
        port: 0x2075
        upstream-connect-timeout: 5
        client-user-agent: 12345
        api-keys: [12345, true]
        """)
    assert cfg.debug is True and cfg.ws_auth is False and cfg.request_log is True
    assert cfg.port == 8309
    assert cfg.upstream_connect_timeout == 5.0
    assert cfg.client_user_agent == "12345"
    assert cfg.api_keys == ("12345", "true")


@pytest.mark.parametrize(("value", "expected"), [
    ("false", False), ("true", True), ('"chat"', "chat"), ("Chat", "chat"), ('"true"', True), ("off", False),
])
def test_disable_image_generation_tri_state(value: str, expected: object) -> None:
    cfg, _ = parse(f"disable-image-generation: {value}\n")
    assert cfg.disable_image_generation == expected


def test_null_values_mean_absent() -> None:
    cfg, warnings = parse("""\
        api-keys: [k]
        host: 127.0.0.1
        tls:
        routing:
          strategy:
        error-logs-max-files: ~
        """)
    assert cfg.routing.strategy == "round-robin" and cfg.error_logs_max_files == 10 and not cfg.tls.enable
    assert warnings == []


def test_merge_keys_and_anchors() -> None:
    cfg, _ = parse("""\
        base: &base
          base-url: "https://proxy.test"
          priority: 2
        claude-api-key:
          - <<: *base
            api-key: a
          - <<: *base
            api-key: b
            priority: 9
        """)
    assert [(e.api_key, e.base_url, e.priority) for e in cfg.claude_api_key] == [
        ("a", "https://proxy.test", 2), ("b", "https://proxy.test", 9)]


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(ConfigError) as exc:
        parse("""\
            port: 1
            debug: true
            port: 2
            """)
    (p,) = exc.value.problems
    assert (p.key_path, p.line) == ("port", 3) and "first defined on line 1" in p.message


# -- unknown keys ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "path", "hint"), [
    ("prot: 8317\n", "prot", 'did you mean "port"?'),
    ("api_keys: [a]\n", "api_keys", 'did you mean "api-keys"?'),
    ("authDir: /x\n", "authDir", 'did you mean "auth-dir"?'),
    ("routing:\n  stratgy: ff\n", "routing.stratgy", 'did you mean "strategy"?'),
    ("strategy: ff\n", "strategy", 'did you mean "routing.strategy"?'),
    ("gemini-api-key:\n  - api-key: k\n    base_url: https://x\n", "gemini-api-key[0].base_url",
     'did you mean "base-url"?'),
])
def test_unknown_keys_warn_with_a_suggestion(text: str, path: str, hint: str) -> None:
    _cfg, warnings = parse_config_text("api-keys: [k]\nhost: 127.0.0.1\n" + text)
    (w,) = warnings
    assert w.key_path == path and hint in w.message and w.line is not None and w.line >= 3


def test_unknown_key_without_close_match_still_only_warns() -> None:
    cfg, warnings = parse("api-keys: [k]\nhost: 127.0.0.1\nzzzzzz: {deep: [1, 2]}\n")
    assert cfg.api_keys == ("k",)
    assert [(w.key_path, w.line, w.message) for w in warnings] == [("zzzzzz", 3, "unknown key, ignored")]


def test_server_block_from_the_seed_readme_is_explained() -> None:
    cfg, warnings = parse("server:\n  port: 8317\n")
    assert cfg.port == 0  # CLIProxyAPI ignores the block too
    w = next(w for w in warnings if w.key_path == "server")
    assert "move port to the top level" in w.message


@pytest.mark.parametrize("key", ["generative-language-api-key", "amp-upstream-url", "codex-instructions-enabled"])
def test_legacy_keys_are_warned_not_errors(key: str) -> None:
    _cfg, warnings = parse(f"api-keys: [k]\nhost: 127.0.0.1\n{key}: x\n")
    assert [w.key_path for w in warnings] == [key]
    assert "ignored" in warnings[0].message


def test_legacy_openai_compat_api_keys_points_to_api_key_entries() -> None:
    _cfg, warnings = parse("""\
        api-keys: [k]
        host: 127.0.0.1
        openai-compatibility:
          - name: x
            base-url: https://x.test
            api-keys: [a]
        """)
    assert [w.key_path for w in warnings] == ["openai-compatibility[0].api-keys"]
    assert "api-key-entries" in warnings[0].message


# -- YAML syntax -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line"), [
    ("port: 8317\nhost: 1\n  debug: true\n", 3),
    ("api-keys:\n  - 'unclosed\nport: 1\n", 4),
    ("port: 8317\n\tdebug: true\n", 2),
    ("a: [1, 2\n", 2),
])
def test_yaml_syntax_errors_have_a_line_and_column(text: str, line: int) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config_text(text, "config.yaml")
    (p,) = exc.value.problems
    assert p.key_path == "(yaml syntax)"
    assert p.line == line and p.column is not None
    assert str(p).startswith(f"(yaml syntax) (line {line}, column {p.column}): ")


def test_document_that_is_not_a_mapping() -> None:
    with pytest.raises(ConfigError) as exc:
        parse("- port: 1\n")
    assert exc.value.problems[0].expected == "a mapping" and exc.value.problems[0].got == "a list"


def test_problem_rendering() -> None:
    assert str(Problem("a.b", 3, "an integer", '"x"')) == 'a.b (line 3): expected an integer, got "x"'
    assert str(Problem("a", None, "", "", "gone")) == "a: gone"
    assert str(Problem("", 1, "", "", "bad")) == "(document) (line 1): bad"
