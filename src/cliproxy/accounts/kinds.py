"""What the accounts layer needs to know about one kind of subscription account, and where to find it.

An ``AccountKind`` lives in its provider module (``providers/claude_oauth.py`` …): how to read its
auth file, refresh its token, log in, and which ``Provider`` serves it. This module only names the
modules, as lazy ``module:attr`` strings keyed by the auth file's ``type`` (like
``providers/catalog.py``), so nothing is imported until an account of that kind exists.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cliproxy.providers.base import ModelEntry

if TYPE_CHECKING:
    from cliproxy.oauth.client import OAuthClient
    from cliproxy.oauth.flow import LoginContext

# file "type" -> account kind. Gemini CLI files say "gemini" (renamed to gemini-cli at load time).
BUILTIN_KINDS: dict[str, str] = {
    "gemini": "cliproxy.providers.gemini_cli:GeminiCliAccount",
    "gemini-cli": "cliproxy.providers.gemini_cli:GeminiCliAccount",
    "antigravity": "cliproxy.providers.antigravity:AntigravityAccount",
    "claude": "cliproxy.providers.claude_oauth:ClaudeAccount",
    "codex": "cliproxy.providers.codex_oauth:CodexAccount",
}
# ``cliproxy login <name>`` -> file type
LOGIN_NAMES: dict[str, str] = {"gemini-cli": "gemini", "gemini": "gemini", "antigravity": "antigravity",
                               "claude": "claude", "codex": "codex"}


@dataclass(slots=True)
class LoginResult:
    """What a login produced: the file name CLIProxyAPI would use and the file's JSON object."""

    name: str
    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class AccountKind(Protocol):
    type: str  # the "type" a login writes
    login_name: str  # ``cliproxy login <login_name>``
    provider: str  # key of the Provider that serves these credentials
    channel: str  # key in oauth-model-alias / oauth-excluded-models
    refresh_lead: float  # seconds before expiry the background refresher renews the token

    def access_token(self, data: dict[str, Any]) -> str: ...

    def refresh_token(self, data: dict[str, Any]) -> str: ...

    def label(self, data: dict[str, Any]) -> str: ...

    def base_url(self, data: dict[str, Any]) -> str: ...

    def attrs(self, data: dict[str, Any]) -> dict[str, Any]: ...

    def projects(self, data: dict[str, Any]) -> list[str]:
        """More than one project: one credential per project, sharing the token."""
        ...

    def models(self, data: dict[str, Any]) -> tuple[ModelEntry, ...]: ...

    async def refresh(self, client: OAuthClient, data: dict[str, Any]) -> dict[str, Any]:
        """Renew the access token; returns the updated file object or raises ``RefreshFailed``."""
        ...

    async def login(self, ctx: LoginContext) -> LoginResult: ...


class KindCatalog:
    """Instantiates account kinds on first use (one instance per catalog, no global state)."""

    def __init__(self, table: dict[str, str] | None = None) -> None:
        self._table = dict(BUILTIN_KINDS if table is None else table)
        self._cache: dict[str, AccountKind] = {}

    def known_types(self) -> tuple[str, ...]:
        return tuple(self._table)

    def for_type(self, type_: str) -> AccountKind | None:
        target = self._table.get(type_.lower())
        if target is None:
            return None
        kind = self._cache.get(target)
        if kind is None:
            mod, _, attr = target.partition(":")
            kind = self._cache[target] = getattr(importlib.import_module(mod), attr)()
        return kind

    def for_login(self, name: str) -> AccountKind:
        type_ = LOGIN_NAMES.get(name.lower())
        kind = self.for_type(type_) if type_ else None
        if kind is None:
            raise KeyError(f"unknown login provider {name!r} (choose from {', '.join(sorted(set(LOGIN_NAMES)))})")
        return kind
