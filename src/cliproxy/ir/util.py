"""Small neutral helpers shared by the dialect codecs: data URLs, MIME guesses, ids."""

from __future__ import annotations

import secrets
import time
from types import MappingProxyType

_EXT_MIME = MappingProxyType({
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "webp": "image/webp", "heic": "image/heic", "heif": "image/heif", "bmp": "image/bmp",
    "pdf": "application/pdf", "txt": "text/plain", "md": "text/markdown", "csv": "text/csv",
    "html": "text/html", "json": "application/json", "xml": "application/xml",
    "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac",
    "aac": "audio/aac", "m4a": "audio/mp4", "webm": "audio/webm", "mp4": "video/mp4",
    "mov": "video/quicktime", "py": "text/x-python", "js": "text/javascript",
})

AUDIO_FORMAT_MIME = MappingProxyType({
    "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac",
    "aac": "audio/aac", "webm": "audio/webm", "pcm16": "audio/pcm", "g711_ulaw": "audio/basic",
    "g711_alaw": "audio/basic", "m4a": "audio/mp4", "opus": "audio/ogg",
})

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def parse_data_url(url: str) -> tuple[str, str] | None:
    """``data:<mime>[;param…][;base64],<payload>`` → (mime, base64 payload); None if not a data URL.

    A non-base64 payload is percent-decoded and re-encoded as base64 so callers see one form.
    """
    if not url.startswith("data:"):
        return None
    head, sep, payload = url[5:].partition(",")
    if not sep:
        return None
    params = head.split(";")
    mime = params[0] or "application/octet-stream"
    if "base64" in params[1:]:
        return mime, payload
    import base64
    from urllib.parse import unquote_to_bytes

    return mime, base64.b64encode(unquote_to_bytes(payload)).decode()


def data_url(mime: str, data: str) -> str:
    return f"data:{mime or 'application/octet-stream'};base64,{data}"


def mime_from_name(name: str, default: str = "") -> str:
    stem = name.rsplit("?", 1)[0].rsplit("#", 1)[0]
    if "." not in stem:
        return default
    return _EXT_MIME.get(stem.rsplit(".", 1)[1].lower(), default)


def new_id(prefix: str, n: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(n))


def call_id(response_id: str, n: int) -> str:
    """A tool-call id for an upstream that gave none (Gemini): stable for one response, so the
    streamed and the non-stream translation of the same answer agree, and unique across answers."""
    if not response_id:
        return new_id("call_")
    safe = "".join(c if c.isalnum() else "_" for c in response_id)[:32]
    return f"call_{safe}_{n}"


def now() -> int:
    return int(time.time())
