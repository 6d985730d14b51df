"""The first config.yaml a user gets: safe defaults, every section explained, most commented out.

Convention inside the template: ``# text`` is an explanation, ``#key: value`` (no space after
``#``) is a setting you can switch on by deleting the ``#``. The tests uncomment every such
line and check the result still parses, so the examples cannot rot.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from pathlib import Path

DEFAULT_AUTH_DIR = "~/.cli-proxy-api"  # CLIProxyAPI's own default, so existing logins are found

_TEMPLATE = """\
# cliproxy configuration. Key names and meanings match CLIProxyAPI's config.yaml, so an existing
# CLIProxyAPI config works here unchanged. Check a file with:  cliproxy config check config.yaml
# Most changes apply live when you save; host, port, tls and commercial-mode need a restart.

# Address to listen on. 127.0.0.1 keeps the proxy private to this machine; "" (empty) listens
# on every interface, so set api-keys before exposing it.
host: "127.0.0.1"
port: __PORT__

# Keys your clients send (Authorization: Bearer <key>, x-api-key, x-goog-api-key or ?key=).
# An empty list means anyone who can reach the port can use your accounts.
api-keys:
  - __KEY__

# Directory holding login credentials (one JSON file per account). "~" is your home directory.
auth-dir: __AUTH_DIR__

# --- Logging -------------------------------------------------------------------------------
# debug: verbose logs. request-log: write every request and response to files (large!).
#debug: false
#request-log: false
#logging-to-file: false
# Delete the oldest log files when the logs directory grows past this many MB (0 = never).
#logs-max-total-size-mb: 0
# Error request logs kept when request-log is off (0 = keep all).
#error-logs-max-files: 10
#usage-statistics-enabled: false

# --- HTTPS (restart needed) ----------------------------------------------------------------
#tls:
#  enable: true
#  cert: "/path/to/cert.pem"
#  key: "/path/to/key.pem"

# --- Outbound proxy ------------------------------------------------------------------------
# socks5://, socks5h://, http:// or https://. Each upstream entry may override it with its own
# proxy-url, or with "direct" to bypass every proxy.
#proxy-url: "socks5://user:pass@127.0.0.1:1080"

# --- Retries and cooldowns -----------------------------------------------------------------
# Retries per credential on 403/408/5xx; how many distinct credentials to try (0 = all);
# longest wait in seconds for a cooling-down credential before retrying (0 = never wait).
#request-retry: 3
#max-retry-credentials: 0
#max-retry-interval: 30
# Never put a credential into cooldown after rate limits or errors.
#disable-cooling: false

# --- Routing -------------------------------------------------------------------------------
# round-robin spreads requests over matching credentials; fill-first uses one until it is
# exhausted. session-affinity keeps one conversation on one credential for session-affinity-ttl.
#routing:
#  strategy: "round-robin"
#  session-affinity: false
#  session-affinity-ttl: "1h"
# Prefixed credentials (prefix: teamA) answer only "teamA/model" when this is true.
#force-model-prefix: false

# --- Streaming -----------------------------------------------------------------------------
# SSE keep-alive comment every N seconds (0 = off); retries allowed before the first byte.
#streaming:
#  keepalive-seconds: 15
#  bootstrap-retries: 1
# Blank-line keep-alives for slow non-streaming answers, every N seconds (0 = off).
#nonstream-keepalive-interval: 0
# Forward upstream response headers (Retry-After and friends) to clients.
#passthrough-headers: false

# --- API-key upstreams ---------------------------------------------------------------------
# Every entry may also set: priority (higher wins), prefix, base-url, proxy-url, headers,
# models (expose only these, under alias), excluded-models (wildcards allowed: "gpt-5-*").
#gemini-api-key:
#  - api-key: "AIza..."
#    models:
#      - name: "gemini-2.5-flash"
#        alias: "flash"
#    excluded-models:
#      - "*-preview"
#claude-api-key:
#  - api-key: "sk-ant-..."
#    priority: 1
#    headers:
#      X-Team: "research"
# codex-api-key entries require base-url.
#codex-api-key:
#  - api-key: "sk-..."
#    base-url: "https://api.openai.com/v1"
# Vertex-style endpoints authenticated with an API key; base-url optional.
#vertex-api-key:
#  - api-key: "vk-..."
#    base-url: "https://example.com/api"

# --- Any OpenAI-compatible service ---------------------------------------------------------
# Repeating one alias across several names makes a pool: requests rotate between them.
#openai-compatibility:
#  - name: "openrouter"
#    base-url: "https://openrouter.ai/api/v1"
#    api-key-entries:
#      - api-key: "sk-or-v1-..."
#    models:
#      - name: "moonshotai/kimi-k2"
#        alias: "kimi-k2"

# --- Login (OAuth) accounts ----------------------------------------------------------------
# Rename or hide models of logged-in accounts, per channel (gemini-cli, vertex, aistudio,
# antigravity, claude, codex, kiro, github-copilot, kimi). fork: true keeps the original too.
#oauth-model-alias:
#  codex:
#    - name: "gpt-5"
#      alias: "g5"
#      fork: true
#oauth-excluded-models:
#  gemini-cli:
#    - "gemini-2.5-flash-lite"
# After free Antigravity accounts run out, retry Claude models on one with AI credits.
#quota-exceeded:
#  antigravity-credits: true

# --- Payload rules -------------------------------------------------------------------------
# Edit the upstream request body per model (wildcards) and protocol. default: set when absent;
# override: always set; *-raw: the value is a JSON string; filter: delete paths.
#payload:
#  default:
#    - models:
#        - name: "gemini-2.5-pro"
#          protocol: "gemini"
#      params:
#        "generationConfig.thinkingConfig.thinkingBudget": 32768
#  override-raw:
#    - models:
#        - name: "gpt-*"
#      params:
#        "text.format": "{\\"type\\":\\"text\\"}"
#  filter:
#    - models:
#        - name: "gemini-*"
#      params:
#        - "generationConfig.responseJsonSchema"

# --- Management API ------------------------------------------------------------------------
# An empty secret-key turns the management API off. allow-remote permits non-local callers.
#remote-management:
#  allow-remote: false
#  secret-key: ""
#  disable-control-panel: false

# --- cliproxy additions (not in CLIProxyAPI) -----------------------------------------------
# Send an upstream's traffic somewhere else (a mirror, a test server): URL prefix -> URL prefix.
#upstream-url-overrides:
#  "https://api.anthropic.com": "http://127.0.0.1:9000"
# Largest request body accepted, in bytes; upstream connect and idle timeouts, in seconds.
#max-body-bytes: 67108864
#upstream-connect-timeout: 30
#upstream-idle-timeout: 300
"""


def default_config_text(api_key: str, auth_dir: str, port: int = 8317) -> str:
    """A commented starter config that binds 127.0.0.1 and requires ``api_key``."""
    return (_TEMPLATE.replace("__PORT__", str(int(port)))
            .replace("__KEY__", json.dumps(api_key))
            .replace("__AUTH_DIR__", json.dumps(auth_dir)))


def generate_client_key() -> str:
    return "sk-" + secrets.token_urlsafe(32)


def write_default_config(path: Path, *, auth_dir: str = DEFAULT_AUTH_DIR, port: int = 8317,
                         overwrite: bool = False) -> tuple[Path, str]:
    """Write a starter config with a fresh client key (mode 0600, atomically); returns (path, key).

    Refuses to replace an existing file unless ``overwrite``: it may hold a user's keys.
    """
    path = Path(path).expanduser()
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_client_key()
    data = default_config_text(key, auth_dir, port).encode()
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path, key
