"""The typed shape of config.yaml: every CLIProxyAPI key, with the same names and code defaults.

Each Struct field maps to the kebab-case YAML key of the same name (``api_keys`` <-> ``api-keys``).
Snapshots are frozen: a reload builds a new one and swaps it atomically, so a request keeps the
snapshot it started with. Keys that belong to features not wired yet still parse here; the README
lists which ones are inert.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class _Base(msgspec.Struct, frozen=True, kw_only=True, rename="kebab", forbid_unknown_fields=False):
    pass


class TLS(_Base, frozen=True):
    enable: bool = False
    cert: str = ""
    key: str = ""


class RemoteManagement(_Base, frozen=True):
    allow_remote: bool = False
    secret_key: str = ""
    disable_control_panel: bool = False
    disable_auto_update_panel: bool = False
    panel_github_repository: str = "https://github.com/router-for-me/Cli-Proxy-API-Management-Center"


class Pprof(_Base, frozen=True):
    enable: bool = False
    addr: str = "127.0.0.1:8316"


class QuotaExceeded(_Base, frozen=True):
    switch_project: bool = False
    switch_preview_model: bool = False
    antigravity_credits: bool = False


class Routing(_Base, frozen=True):
    strategy: str = "round-robin"
    session_affinity: bool = False
    session_affinity_ttl: str = "1h"
    claude_code_session_affinity: bool = False


class Streaming(_Base, frozen=True):
    keepalive_seconds: int = 0
    bootstrap_retries: int = 0


class ClaudeHeaderDefaults(_Base, frozen=True):
    user_agent: str = ""
    package_version: str = ""
    runtime_version: str = ""
    os: str = ""
    arch: str = ""
    timeout: str = ""
    stabilize_device_profile: bool = False


class CodexHeaderDefaults(_Base, frozen=True):
    user_agent: str = ""
    beta_features: str = ""


class KiroFingerprint(_Base, frozen=True):
    oidc_sdk_version: str = ""
    runtime_sdk_version: str = ""
    streaming_sdk_version: str = ""
    os_type: str = ""
    os_version: str = ""
    node_version: str = ""
    kiro_version: str = ""
    kiro_hash: str = ""


class ModelAlias(_Base, frozen=True):
    """``models[]`` entry of an API-key block: expose upstream ``name`` as ``alias``."""

    name: str = ""
    alias: str = ""


class ThinkingSupport(_Base, frozen=True):
    levels: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    zero_allowed: bool = False
    dynamic_allowed: bool = False


class CompatModel(_Base, frozen=True):
    name: str = ""
    alias: str = ""
    thinking: ThinkingSupport | None = None


class Cloak(_Base, frozen=True):
    """Parsed for compatibility only: cliproxy never disguises traffic (see README)."""

    mode: str = "auto"
    strict_mode: bool = False
    sensitive_words: tuple[str, ...] = ()
    cache_user_id: bool = False


class _KeyBlock(_Base, frozen=True):
    api_key: str = ""
    priority: int = 0
    prefix: str = ""
    base_url: str = ""
    proxy_url: str = ""
    headers: dict[str, str] = {}
    models: tuple[ModelAlias, ...] = ()
    excluded_models: tuple[str, ...] = ()
    disabled: bool = False


class GeminiKey(_KeyBlock, frozen=True):
    pass


class VertexKey(_KeyBlock, frozen=True):
    pass


class ClaudeKey(_KeyBlock, frozen=True):
    cloak: Cloak | None = None
    experimental_cch_signing: bool = False


class CodexKey(_KeyBlock, frozen=True):
    websockets: bool = False


class CompatKeyEntry(_Base, frozen=True):
    api_key: str = ""
    proxy_url: str = ""


class OpenAICompat(_Base, frozen=True):
    name: str = ""
    base_url: str = ""
    priority: int = 0
    disabled: bool = False
    prefix: str = ""
    headers: dict[str, str] = {}
    api_key_entries: tuple[CompatKeyEntry, ...] = ()
    models: tuple[CompatModel, ...] = ()
    excluded_models: tuple[str, ...] = ()


class KiroEntry(_Base, frozen=True):
    token_file: str = ""
    access_token: str = ""
    refresh_token: str = ""
    profile_arn: str = ""
    region: str = "us-east-1"
    start_url: str = ""
    proxy_url: str = ""
    agent_task_type: str = ""
    preferred_endpoint: str = ""


class AmpMapping(_Base, frozen=True):
    from_: str = msgspec.field(default="", name="from")
    to: str = ""
    regex: bool = False


class AmpUpstreamKeys(_Base, frozen=True):
    upstream_api_key: str = ""
    api_keys: tuple[str, ...] = ()


class Ampcode(_Base, frozen=True):
    upstream_url: str = ""
    upstream_api_key: str = ""
    upstream_api_keys: tuple[AmpUpstreamKeys, ...] = ()
    restrict_management_to_localhost: bool = False
    model_mappings: tuple[AmpMapping, ...] = ()
    force_model_mappings: bool = False


class OAuthAlias(_Base, frozen=True):
    name: str = ""
    alias: str = ""
    fork: bool = False


class PayloadModel(_Base, frozen=True):
    name: str = ""
    protocol: str = ""


class PayloadRule(_Base, frozen=True):
    models: tuple[PayloadModel, ...] = ()
    params: dict[str, Any] = {}


class PayloadFilterRule(_Base, frozen=True):
    models: tuple[PayloadModel, ...] = ()
    params: tuple[str, ...] = ()


class Payload(_Base, frozen=True):
    default: tuple[PayloadRule, ...] = ()
    default_raw: tuple[PayloadRule, ...] = ()
    override: tuple[PayloadRule, ...] = ()
    override_raw: tuple[PayloadRule, ...] = ()
    filter: tuple[PayloadFilterRule, ...] = ()


class Config(_Base, frozen=True):
    """One immutable config snapshot. Defaults are CLIProxyAPI's *code* defaults."""

    host: str = ""
    port: int = 0
    tls: TLS = TLS()
    remote_management: RemoteManagement = RemoteManagement()
    auth_dir: str = ""
    api_keys: tuple[str, ...] = ()
    debug: bool = False
    pprof: Pprof = Pprof()
    commercial_mode: bool = False
    incognito_browser: bool = False
    logging_to_file: bool = False
    logs_max_total_size_mb: int = 0
    error_logs_max_files: int = 10
    request_log: bool = False
    usage_statistics_enabled: bool = False
    redis_usage_queue_retention_seconds: int = 60
    proxy_url: str = ""
    force_model_prefix: bool = False
    passthrough_headers: bool = False
    request_retry: int = 0
    max_retry_credentials: int = 0
    max_retry_interval: int = 0
    disable_cooling: bool = False
    disable_image_generation: bool | Literal["chat"] = False
    auth_auto_refresh_workers: int = 16
    quota_exceeded: QuotaExceeded = QuotaExceeded()
    routing: Routing = Routing()
    ws_auth: bool = False
    enable_gemini_cli_endpoint: bool = False
    nonstream_keepalive_interval: int = 0
    streaming: Streaming = Streaming()
    antigravity_signature_cache_enabled: bool = True
    antigravity_signature_bypass_strict: bool = False
    claude_header_defaults: ClaudeHeaderDefaults = ClaudeHeaderDefaults()
    codex_header_defaults: CodexHeaderDefaults = CodexHeaderDefaults()
    kiro_preferred_endpoint: str = "ide"
    kiro_fingerprint: KiroFingerprint = KiroFingerprint()
    gemini_api_key: tuple[GeminiKey, ...] = ()
    claude_api_key: tuple[ClaudeKey, ...] = ()
    codex_api_key: tuple[CodexKey, ...] = ()
    vertex_api_key: tuple[VertexKey, ...] = ()
    openai_compatibility: tuple[OpenAICompat, ...] = ()
    kiro: tuple[KiroEntry, ...] = ()
    ampcode: Ampcode = Ampcode()
    oauth_model_alias: dict[str, tuple[OAuthAlias, ...] | None] = {}
    oauth_excluded_models: dict[str, tuple[str, ...]] = {}
    payload: Payload = Payload()
    # cliproxy additions (not in CLIProxyAPI):
    upstream_url_overrides: dict[str, str] = {}
    max_body_bytes: int = 64 * 1024 * 1024
    upstream_connect_timeout: float = 30.0
    upstream_idle_timeout: float = 300.0
    translation_strict: bool = False
    client_user_agent: str = ""
