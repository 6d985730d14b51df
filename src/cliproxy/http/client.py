"""Pooled upstream HTTP sessions, one per outbound proxy setting, plus ``upstream-url-overrides``.

Why one session per proxy: aiohttp binds SOCKS proxies to the connector, so every distinct proxy
URL gets its own pooled session, created lazily and closed with the app. ``direct``/``none``
bypass both the global ``proxy-url`` and the environment's proxies, as in CLIProxyAPI.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from cliproxy.http.fast import FastClient

log = logging.getLogger("cliproxy.http")

_DIRECT = ("direct", "none")

# (method, url, body, headers) -> a response with .status, .headers, .content, .read(), .release()
Sender = Callable[[str, str, bytes, dict[str, str]], Awaitable[Any]]


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
        # the lean client serves direct calls; CLIPROXY_HTTP_CLIENT=aiohttp sends everything through aiohttp
        self._use_fast = os.environ.get("CLIPROXY_HTTP_CLIENT", "").strip().lower() != "aiohttp"
        self.fast = FastClient(connect_timeout=connect_timeout, idle_timeout=idle_timeout)

    def reconfigure(self, *, global_proxy: str, overrides: Mapping[str, str],
                    connect_timeout: float, idle_timeout: float) -> None:
        """Hot reload: new rules apply to the next request; pooled sessions are kept."""
        self.rewrite = UrlRewriter(overrides)
        self.timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=idle_timeout)
        self.global_proxy = global_proxy.strip()
        self.fast.reconfigure(connect_timeout=connect_timeout, idle_timeout=idle_timeout)

    def sender(self, proxy_url: str = "") -> Sender:
        """How to call an upstream for a credential: the lean client for direct connections, aiohttp
        through a proxy (a configured one, or the environment's ``HTTP(S)_PROXY``)."""
        proxy = (proxy_url or self.global_proxy).strip()
        direct = proxy.lower() in _DIRECT or (proxy == "" and not self._env_proxy)
        if direct and self._use_fast:
            return self._fast_send
        sess, per_request = self.session(proxy_url)
        timeout = self.timeout

        async def send(method: str, url: str, body: bytes, headers: dict[str, str]) -> Any:
            return await sess.request(method, url, data=body, headers=headers, proxy=per_request, timeout=timeout)

        return send

    async def _fast_send(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Any:
        return await self.fast.request(method, url, data=body, headers=headers)

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
        await self.fast.close()
        for s in self._sessions.values():
            if not s.closed:
                await s.close()
        self._sessions.clear()
