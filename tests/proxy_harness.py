"""Run a real cliproxy server in a background thread (its own event loop) for tests.

The server is the production one (AppState + Server on a real socket); only the config comes
from a dict instead of a file, unless a path is given (then hot reload is active too).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import Any

import msgspec

from cliproxy.app import AppState
from cliproxy.config.schema import Config
from cliproxy.service import Service


def config_from(data: dict[str, Any]) -> Config:
    return msgspec.convert(data, Config, str_keys=True)


class ProxyServer:
    def __init__(self, config: dict[str, Any] | None = None, *, path: Path | None = None,
                 debounce_ms: int = 50) -> None:
        self._config = config
        self._path = path
        self._debounce = debounce_ms
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="cliproxy-test", daemon=True)
        self.service: Service | None = None
        self.port = 0

    def start(self) -> ProxyServer:
        self.thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        self.port = fut.result(timeout=20)
        return self

    async def _start(self) -> int:
        if self._path is not None:
            from cliproxy.config.load import load_config

            loaded = load_config(self._path)
            state = AppState(loaded.config, config_path=str(self._path))
            # accounts only when the test names an auth dir: never read the real ~/.cli-proxy-api
            self.service = Service(state, loaded, host="127.0.0.1", port=0, watch=True,
                                   debounce_ms=self._debounce, accounts=bool(loaded.config.auth_dir))
        else:
            cfg = config_from(self._config or {})
            state = AppState(cfg)
            self.service = Service(state, None, host="127.0.0.1", port=0, watch=False,
                                   accounts=bool(cfg.auth_dir))
        return await self.service.start()

    @property
    def state(self) -> AppState:
        assert self.service is not None
        return self.service.state

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, coro) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        if self.service is not None:
            with contextlib.suppress(Exception):
                self.call(self.service.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
