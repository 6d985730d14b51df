"""Turn accounts into ``Credential`` records for the model registry.

Honours the per-file keys (``disabled``, ``priority``, ``prefix``, ``proxy_url``, ``headers``,
``excluded_models``, ``disable_cooling``, ``request_retry``), the config's ``oauth-model-alias``
(with ``fork``) and ``oauth-excluded-models`` for the account's channel, and splits a Gemini
``project_id`` comma list into one credential per project, all sharing one token
(upstream-server.md §4.1, §5.6). Credential ids are the file names (``name#project`` for the
per-project credentials), so cooldowns survive reloads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from cliproxy.accounts.tokens import Account
from cliproxy.config.schema import Config, OAuthAlias
from cliproxy.providers.base import Credential, ModelEntry

T = TypeVar("T")


def apply_aliases(entries: tuple[ModelEntry, ...], aliases: Iterable[OAuthAlias] | None) -> tuple[ModelEntry, ...]:
    """``{name, alias, fork}``: the alias replaces ``name``; with ``fork`` the original stays too."""
    rules: dict[str, list[OAuthAlias]] = {}
    for a in aliases or ():
        if a.name and a.alias and a.alias != a.name:
            rules.setdefault(a.name.lower(), []).append(a)
    if not rules:
        return entries
    out: list[ModelEntry] = []
    seen: set[str] = set()
    for e in entries:
        matched = rules.get(e.id.lower())
        if not matched:
            if e.id not in seen:
                out.append(e)
                seen.add(e.id)
            continue
        keep = any(a.fork for a in matched)
        if keep and e.id not in seen:
            out.append(e)
            seen.add(e.id)
        for a in matched:
            if a.alias in seen:
                continue
            out.append(ModelEntry(id=a.alias, upstream=e.upstream, thinking=e.thinking,
                                  display_name=e.display_name, context_length=e.context_length,
                                  max_output_tokens=e.max_output_tokens))
            seen.add(a.alias)
    return tuple(out)


def account_credentials(acct: Account, cfg: Config) -> list[Credential]:
    rec = acct.record
    kind = acct.kind
    data = rec.data
    aliases = _channel(cfg.oauth_model_alias, kind.channel)
    models = apply_aliases(kind.models(data), aliases)
    excluded = (*rec.excluded_models, *(_channel(cfg.oauth_excluded_models, kind.channel) or ()))
    base_attrs = {"account": rec.name, "channel": kind.channel, **kind.attrs(data)}
    common = dict(provider=kind.provider, base_url=kind.base_url(data), proxy_url=rec.proxy_url,
                  headers=rec.headers, prefix=rec.prefix, priority=rec.priority, models=models,
                  excluded=tuple(excluded), label=acct.label, disabled=rec.disabled,
                  disable_cooling=rec.disable_cooling, request_retry=rec.request_retry,
                  tokens=acct, kind="oauth")
    projects = kind.projects(data)
    if len(projects) <= 1:
        return [Credential(id=rec.name, attrs=base_attrs, **common)]  # type: ignore[arg-type]
    return [Credential(id=f"{rec.name}#{p}", attrs={**base_attrs, "project_id": p},
                       **{**common, "label": f"{acct.label} ({p})"})  # type: ignore[arg-type]
            for p in projects]


def _channel(table: Mapping[str, Iterable[T] | None], channel: str) -> tuple[T, ...]:
    for key, value in table.items():
        if key.lower() == channel:
            return tuple(value) if value else ()
    return ()
