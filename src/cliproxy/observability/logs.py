"""Process logging. Secrets never reach logs: a filter masks anything that looks like a key.

The filter is a cheap substring pre-check, then a regex only on lines that might carry one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from typing import TextIO

_SECRET = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|ya29\.[0-9A-Za-z_\-.]{10,}"
    r"|(?i:bearer)\s+[A-Za-z0-9_\-.=]{12,}|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*"
    r"|1//[0-9A-Za-z_\-]{20,})")
_HINTS = ("sk-", "AIza", "ya29.", "earer", "eyJ", "1//")


def mask_secrets(text: str) -> str:
    if not any(h in text for h in _HINTS):
        return text
    return _SECRET.sub(lambda m: _mask(m.group(0)), text)


def _mask(s: str) -> str:
    if s.lower().startswith("bearer"):
        return "Bearer ***"
    return s[:4] + "..." + (s[-4:] if len(s) > 16 else "")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        masked = mask_secrets(msg)
        if masked != msg:
            record.msg, record.args = masked, None
        return True


class AccessLog:
    """One line per request, written without the logging module's per-record cost.

    The line has the same shape as every other log line. Lines are formatted once and written in
    one batch per ``interval`` to the stream the root handler writes to (a burst of requests
    costs one write). Without a stream set by :func:`configure` (e.g. tests that capture
    records), lines go through ``logging`` as usual.
    """

    __slots__ = ("_armed", "_buf", "_sec", "_stamp", "interval", "log", "stream")

    def __init__(self, interval: float = 0.05) -> None:
        self.log = logging.getLogger("cliproxy.access")
        self.stream: TextIO | None = None
        self.interval = interval
        self._buf: list[str] = []
        self._armed = False
        self._sec = -1
        self._stamp = ""

    def enabled(self) -> bool:
        return self.log.isEnabledFor(logging.INFO)

    def __call__(self, method: str, path: str, status: int, ms: float, model: str) -> None:
        path, model = mask_secrets(path), mask_secrets(model)
        if self.stream is None:
            self.log.info("%s %s %d %.1fms model=%s", method, path, status, ms, model)
            return
        sec = int(time.time())
        if sec != self._sec:
            self._sec, self._stamp = sec, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sec))
        self._buf.append(f"{self._stamp} INFO    cliproxy.access: {method} {path} {status} {ms:.1f}ms model={model}\n")
        if not self._armed:
            try:
                asyncio.get_running_loop().call_later(self.interval, self.flush)
            except RuntimeError:  # no loop: write now
                self.flush()
                return
            self._armed = True

    def flush(self) -> None:
        self._armed = False
        if not self._buf or self.stream is None:
            return
        data, self._buf = "".join(self._buf), []
        try:
            self.stream.write(data)
            self.stream.flush()
        except (OSError, ValueError):  # a closed stderr must not break serving
            pass


access_log = AccessLog()


def configure(level: str) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                           datefmt="%Y-%m-%d %H:%M:%S"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    access_log.flush()
    access_log.stream = handler.stream
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # watchfiles logs every change it sees at INFO. With the log file beside config.yaml, that line
    # is itself a change in the watched directory: a loop of ten lines a second. Our watcher says
    # what matters (config reloads, auth files) itself.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
