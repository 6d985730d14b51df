"""The model registry: which credentials can serve a client-visible model id, and as what.

Built once per config/auth snapshot (immutable). Resolution handles prefixes
(``teamA/model``), ``force-model-prefix``, aliases and alias pools, and excluded-model
wildcards. A model is listed while at least one credential registers it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cliproxy.providers.base import Credential, ModelEntry, Provider


@dataclass(frozen=True, slots=True)
class Route:
    cred: Credential
    provider: Provider
    entry: ModelEntry


def excluded(patterns: Iterable[str], *names: str) -> bool:
    for p in patterns:
        for n in names:
            if fnmatch.fnmatchcase(n.lower(), p):
                return True
    return False


class ModelRegistry:
    def __init__(self, creds: Iterable[Credential], providers: Mapping[str, Provider], *,
                 force_prefix: bool = False, global_excluded: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self._routes: dict[str, list[Route]] = {}
        self._entries: dict[str, tuple[ModelEntry, str]] = {}  # id -> (entry, owner provider key)
        for cred in creds:
            if cred.disabled:
                continue
            prov = providers.get(cred.provider)
            if prov is None:
                continue
            entries = cred.models or prov.default_models(cred)
            extra = (global_excluded or {}).get(cred.provider.split(":")[0], ())
            patterns = tuple(p.lower() for p in (*cred.excluded, *extra))
            for entry in entries:
                if patterns and excluded(patterns, entry.id, *entry.upstream):
                    continue
                route = Route(cred, prov, entry)
                ids = []
                if not (force_prefix and cred.prefix) or cred.prefix == entry.id:
                    ids.append(entry.id)
                if cred.prefix:
                    ids.append(f"{cred.prefix}/{entry.id}")
                for mid in ids:
                    self._routes.setdefault(mid, []).append(route)
                    self._entries.setdefault(mid, (entry, cred.provider))
        for routes in self._routes.values():
            routes.sort(key=lambda r: r.cred.id)

    def resolve(self, model: str) -> list[Route]:
        return self._routes.get(model, [])

    def __contains__(self, model: str) -> bool:
        return model in self._routes

    def first_model(self) -> str | None:
        return next(iter(self._routes), None)

    def listing(self) -> list[tuple[str, ModelEntry, str]]:
        """(id, entry, owning provider key) for every listed model, in registration order."""
        return [(mid, e, owner) for mid, (e, owner) in self._entries.items()]

    def providers_for(self, model: str) -> list[str]:
        seen: list[str] = []
        for r in self._routes.get(model, []):
            if r.cred.provider not in seen:
                seen.append(r.cred.provider)
        return seen
