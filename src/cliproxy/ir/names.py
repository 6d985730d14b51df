"""Tool names that survive a round trip through an upstream with stricter name rules.

Each dialect has a ``safe_name`` rule (Anthropic and OpenAI: ``[a-zA-Z0-9_-]{1,64}``; Gemini:
``[a-zA-Z0-9_.:-]``, starting with a letter or ``_``, at most 64). ``NameMap`` is built from the
client's declared tools: it gives each one a unique upstream-safe name and maps answers back to the
client's spelling (and Responses namespace). Names that were valid stay untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

NS_SEP = "__"


def flat(namespace: str, name: str) -> str:
    if not namespace:
        return name
    if name.startswith(namespace) or name.startswith("mcp__"):
        return name
    return namespace + name if namespace.endswith(NS_SEP) else namespace + NS_SEP + name


class NameMap:
    __slots__ = ("_back", "_fwd", "_safe")

    def __init__(self, tools: Iterable[tuple[str, str]], safe: Callable[[str], str]) -> None:
        self._safe = safe
        self._fwd: dict[tuple[str, str], str] = {}
        self._back: dict[str, tuple[str, str]] = {}
        for ns, name in tools:
            if (ns, name) in self._fwd:
                continue
            up = safe(flat(ns, name))
            base, k = up, 1
            while up in self._back:
                suffix = f"_{k}"
                up = base[: 64 - len(suffix)] + suffix
                k += 1
            self._fwd[(ns, name)] = up
            self._back[up] = (ns, name)

    def upstream(self, name: str, namespace: str = "") -> str:
        up = self._fwd.get((namespace, name))
        return up if up is not None else self._safe(flat(namespace, name))

    def client(self, upstream_name: str) -> tuple[str, str]:
        """(namespace, name) as the client declared it; unknown names come back unchanged."""
        hit = self._back.get(upstream_name)
        if hit is not None:
            return hit
        low = upstream_name.lower().lstrip("_")
        for up, orig in self._back.items():
            if up.lower().lstrip("_") == low:
                return orig
        return "", upstream_name


def identity(name: str) -> str:
    return name


EMPTY = NameMap((), identity)
