"""Pooled upstream HTTP sessions, one per outbound proxy setting, plus ``upstream-url-overrides``.

Why one session per proxy: aiohttp binds SOCKS proxies to the connector, so every distinct proxy
URL gets its own pooled session, created lazily and closed with the app. ``direct``/``none``
bypass both the global ``proxy-url`` and the environment's proxies, as in CLIProxyAPI.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import aiohttp

log = logging.getLogger("cliproxy.http")

_DIRECT = ("direct", "none")


class UrlRewriter:
    """Apply ``upstream-url-overrides``: the longest matching URL prefix is replaced."""

    __slots__ = ("_rules",)

    def __init__(self, overrides: Mapping[str, str]) -> None:
        self._rules = sorted(((k, v) for k, v in overrides.items() if k), key=lambda kv: -len(kv[0]))

    def __call__(self, url: str) -> str:
        for prefix, repl in self._rules:
            if url.startswith(prefix):
                return repl + url[len(prefix):]
        return url

    def __bool__(self) -> bool:
        return bool(self._rules)


class HttpPool:
    """Owns every upstream ClientSession. Create with the app, ``await close()`` on shutdown."""

    def __init__(
        self,
        *,
        global_proxy: str = "",
        overrides: Mapping[str, str] | None = None,
        connect_timeout: float = 30.0,
        idle_timeout: float = 300.0,
    ) -> None:
        self.rewrite = UrlRewriter(overrides or {})
        self.global_proxy = global_proxy.strip()
        self.timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=idle_timeout)
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._env_proxy = any(os.environ.get(k) for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                                                           "https_proxy", "ALL_PROXY", "all_proxy"))

    def reconfigure(self, *, global_proxy: str, overrides: Mapping[str, str],
                    connect_timeout: float, idle_timeout: float) -> None:
        """Hot reload: new rules apply to the next request; pooled sessions are kept."""
        self.rewrite = UrlRewriter(overrides)
        self.timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=idle_timeout)
        self.global_proxy = global_proxy.strip()

    def session(self, proxy_url: str = "") -> tuple[aiohttp.ClientSession, str | None]:
        """The pooled session for a credential's proxy, and the per-request ``proxy=`` argument."""
        proxy = (proxy_url or self.global_proxy).strip()
        if proxy.lower() in _DIRECT:
            proxy = "direct"
        key = proxy or ""
        sess = self._sessions.get(key)
        if sess is None or sess.closed:
            sess = self._make(proxy)
            self._sessions[key] = sess
        if proxy.startswith(("http://", "https://")):
            return sess, proxy
        return sess, None

    def _make(self, proxy: str) -> aiohttp.ClientSession:
        common = dict(limit=0, ttl_dns_cache=300, keepalive_timeout=60, enable_cleanup_closed=False)
        if proxy.startswith(("socks5://", "socks5h://", "socks4://")):
            from aiohttp_socks import ProxyConnector  # lazy: only SOCKS users pay for the import

            connector: aiohttp.BaseConnector = ProxyConnector.from_url(
                proxy.replace("socks5h://", "socks5://"), rdns=proxy.startswith("socks5h://"), limit=0)
        else:
            connector = aiohttp.TCPConnector(**common)  # type: ignore[arg-type]
        trust_env = self._env_proxy and proxy == ""
        return aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            trust_env=trust_env,
            auto_decompress=True,
            skip_auto_headers=("User-Agent",),
        )

    async def close(self) -> None:
        for s in self._sessions.values():
            if not s.closed:
                await s.close()
        self._sessions.clear()
