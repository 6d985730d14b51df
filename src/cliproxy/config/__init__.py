"""Configuration: CLIProxyAPI's config.yaml, key for key, as an immutable typed snapshot."""

from cliproxy.config.schema import Config

__all__ = ["Config"]
