"""Process logging. Secrets never reach logs: a filter masks anything that looks like a key.

The filter is a cheap substring pre-check, then a regex only on lines that might carry one.
"""

from __future__ import annotations

import logging
import re
import sys

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


def configure(level: str) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                           datefmt="%Y-%m-%d %H:%M:%S"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
