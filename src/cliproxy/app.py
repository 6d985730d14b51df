"""Composition root: builds every component from a config snapshot and owns start/stop.

``Runtime`` is immutable and swapped atomically on reload; a request reads ``state.runtime``
once and keeps that snapshot to the end. State that must outlive a reload (HTTP pools,
cooldowns, round-robin cursors) lives on ``AppState``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from cliproxy.config.schema import Config
from cliproxy.http.client import HttpPool
from cliproxy.providers.base import Credential, Provider
from cliproxy.providers.catalog import load_factory
from cliproxy.routing.cooldown import CooldownBook
from cliproxy.routing.credentials import config_credentials, mask
from cliproxy.routing.registry import ModelRegistry
from cliproxy.routing.selector import Selector

log = logging.getLogger("cliproxy.app")


def parse_duration_s(text: str, default: float) -> float:
    from cliproxy.providers.base import parse_duration

    v = parse_duration(text) if text else None
    return v if v is not None else default


@dataclass(frozen=True)
class Runtime:
    config: Config
    registry: ModelRegistry
    providers: dict[str, Provider]
    credentials: tuple[Credential, ...]
    client_keys: tuple[bytes, ...]
    strategy: str
    affinity: bool
    affinity_ttl: float
    key_labels: dict[bytes, str] = field(default_factory=dict)


def build_providers(cfg: Config, creds: Iterable[Credential]) -> dict[str, Provider]:
    ua = cfg.client_user_agent
    providers: dict[str, Provider] = {}
    for cred in creds:
        if cred.provider in providers:
            continue
        kind = cred.provider.split(":", 1)[0]
        factory = load_factory(kind)
        providers[cred.provider] = factory(cred.provider, user_agent=ua) if kind == "openai-compat" \
            else factory(user_agent=ua)
    return providers


def build_runtime(cfg: Config, extra_credentials: Iterable[Credential] = ()) -> Runtime:
    creds = [*config_credentials(cfg), *extra_credentials]
    providers = build_providers(cfg, creds)
    registry = ModelRegistry(creds, providers, force_prefix=cfg.force_model_prefix,
                             global_excluded={k: tuple(v) for k, v in cfg.oauth_excluded_models.items()})
    keys = tuple(k.encode() for k in cfg.api_keys if k)
    strategy = cfg.routing.strategy
    strategy = {"rr": "round-robin", "roundrobin": "round-robin", "ff": "fill-first",
                "fillfirst": "fill-first"}.get(strategy, strategy)
    return Runtime(
        config=cfg, registry=registry, providers=providers, credentials=tuple(creds),
        client_keys=keys, strategy=strategy,
        affinity=cfg.routing.session_affinity or cfg.routing.claude_code_session_affinity,
        affinity_ttl=parse_duration_s(cfg.routing.session_affinity_ttl, 3600.0),
        key_labels={k: mask(k.decode()) for k in keys},
    )


class AppState:
    """Everything that lives as long as the process."""

    def __init__(self, cfg: Config, *, config_path: str = "") -> None:
        self.config_path = config_path
        self.http = HttpPool(global_proxy=cfg.proxy_url, overrides=cfg.upstream_url_overrides,
                             connect_timeout=cfg.upstream_connect_timeout,
                             idle_timeout=cfg.upstream_idle_timeout)
        self.book = CooldownBook()
        self.translation_warnings: Counter[str] = Counter()  # what targets could not express
        self.selector = Selector(self.book)
        self.extra_credentials: tuple[Credential, ...] = ()
        self.runtime = build_runtime(cfg)
        from cliproxy.pipeline.execute import Pipeline

        self.pipeline = Pipeline(self)

    def apply_config(self, cfg: Config) -> None:
        """Hot reload: build a new snapshot, then swap it in one assignment."""
        rt = build_runtime(cfg, self.extra_credentials)
        self.http.reconfigure(global_proxy=cfg.proxy_url, overrides=cfg.upstream_url_overrides,
                              connect_timeout=cfg.upstream_connect_timeout,
                              idle_timeout=cfg.upstream_idle_timeout)
        self.runtime = rt
        log.info("config applied: %d credentials, %d models", len(rt.credentials),
                 len(rt.registry.listing()))

    def set_extra_credentials(self, creds: Iterable[Credential]) -> None:
        """Credentials from the auth dir (OAuth accounts) join the config's API keys."""
        self.extra_credentials = tuple(creds)
        self.apply_config(self.runtime.config)

    async def close(self) -> None:
        await self.http.close()
