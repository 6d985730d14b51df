"""Turn config blocks into Credential records (API-key upstreams).

IDs are stable across reloads as long as an entry keeps its key and base URL, so cooldown state
and round-robin cursors survive a config edit.
"""

from __future__ import annotations

import hashlib

from cliproxy.config.schema import CompatModel, Config, ModelAlias
from cliproxy.providers import models_catalog
from cliproxy.providers.base import Credential, ModelEntry


def mask(secret: str) -> str:
    if len(secret) <= 8:
        return "***"
    return f"{secret[:4]}...{secret[-4:]}"


def _stable_id(kind: str, *parts: str) -> str:
    h = hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]
    return f"{kind}:{h}"


def _alias_entries(models: tuple[ModelAlias, ...] | tuple[CompatModel, ...]) -> tuple[ModelEntry, ...]:
    """``models[{name, alias}]``: expose alias (or name); repeating an alias makes a pool."""
    pools: dict[str, list[str]] = {}
    thinking: dict[str, object] = {}
    for m in models:
        if not m.name:
            continue
        alias = m.alias or m.name
        pools.setdefault(alias, [])
        if m.name not in pools[alias]:
            pools[alias].append(m.name)
        th = getattr(m, "thinking", None)
        if th is not None:
            thinking[alias] = {"levels": list(th.levels), "min": th.min, "max": th.max,
                               "zero_allowed": th.zero_allowed, "dynamic_allowed": th.dynamic_allowed}
    out = []
    for alias, names in pools.items():
        cat = models_catalog.lookup(names[0])
        th = thinking.get(alias) or (cat[4] if cat else None)
        out.append(ModelEntry(id=alias, upstream=tuple(names), thinking=th,  # type: ignore[arg-type]
                              display_name=cat[1] if cat else alias,
                              context_length=cat[2] if cat else 0, max_output_tokens=cat[3] if cat else 0))
    return tuple(out)


def config_credentials(cfg: Config) -> list[Credential]:
    creds: list[Credential] = []
    for kind, block in (("gemini", cfg.gemini_api_key), ("claude", cfg.claude_api_key),
                        ("codex", cfg.codex_api_key), ("vertex", cfg.vertex_api_key)):
        for e in block:
            if not e.api_key or e.disabled or (kind == "codex" and not e.base_url):
                continue  # CLIProxyAPI drops codex-api-key entries without a base-url
            attrs = {"websockets": True} if getattr(e, "websockets", False) else {}
            creds.append(Credential(
                id=_stable_id(f"{kind}-api-key", e.api_key, e.base_url),
                provider=kind, secret=e.api_key, base_url=e.base_url, proxy_url=e.proxy_url,
                headers=dict(e.headers), prefix=e.prefix, priority=e.priority,
                models=_alias_entries(e.models), excluded=tuple(e.excluded_models),
                label=mask(e.api_key), attrs=attrs,
            ))
    for compat in cfg.openai_compatibility:
        if compat.disabled or not compat.base_url:
            continue
        entries = compat.api_key_entries or ()
        keys = [(k.api_key, k.proxy_url) for k in entries] or [("", "")]
        models = _alias_entries(compat.models)
        for i, (key, proxy) in enumerate(keys):
            creds.append(Credential(
                id=_stable_id(f"openai-compat-{compat.name}", key, compat.base_url, str(i)),
                provider=f"openai-compat:{compat.name}", secret=key, base_url=compat.base_url,
                proxy_url=proxy, headers=dict(compat.headers), prefix=compat.prefix,
                priority=compat.priority, models=models, excluded=tuple(compat.excluded_models),
                label=f"{compat.name} {mask(key)}" if key else compat.name,
            ))
    return creds
