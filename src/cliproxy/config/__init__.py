"""Configuration: CLIProxyAPI's config.yaml, key for key, as an immutable typed snapshot.

Importing this package loads only the schema; the loader (ruamel.yaml) and the watcher
(watchfiles) load on first use of their names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cliproxy.config.schema import Config

if TYPE_CHECKING:
    from cliproxy.config.check import run_check
    from cliproxy.config.errors import ConfigError, Problem
    from cliproxy.config.load import LoadedConfig, find_config, load_config, parse_config_text, restart_needed
    from cliproxy.config.redact import diff_configs, redact
    from cliproxy.config.template import default_config_text, write_default_config
    from cliproxy.config.watch import ConfigWatcher

_LAZY = {
    "ConfigError": "errors", "Problem": "errors",
    "LoadedConfig": "load", "find_config": "load", "load_config": "load",
    "parse_config_text": "load", "restart_needed": "load",
    "diff_configs": "redact", "redact": "redact",
    "default_config_text": "template", "write_default_config": "template",
    "run_check": "check", "ConfigWatcher": "watch",
}

__all__ = [
    "Config",
    "ConfigError",
    "ConfigWatcher",
    "LoadedConfig",
    "Problem",
    "default_config_text",
    "diff_configs",
    "find_config",
    "load_config",
    "parse_config_text",
    "redact",
    "restart_needed",
    "run_check",
    "write_default_config",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"cliproxy.config.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'cliproxy.config' has no attribute {name!r}")
