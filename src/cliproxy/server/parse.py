"""Read and check a client request body: size, content type, JSON, field types.

Each problem becomes a 4xx that names it, rendered later in the client's dialect.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from cliproxy.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

_decode = msgspec.json.decode


async def read_json(request: web.Request, limit: int) -> dict[str, Any]:
    ctype = request.headers.get("Content-Type", "")
    if ctype and "json" not in ctype.lower() and not ctype.lower().startswith("text/plain"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, got {ctype!r}")
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"request body is {length} bytes; the limit is {limit} bytes (max-body-bytes)")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.readany()
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes (max-body-bytes)")
        chunks.append(chunk)
    raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if not raw.strip():
        raise BadRequest("request body is empty; expected a JSON object")
    try:
        body = _decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest(f"request body must be a JSON object, got {type(body).__name__}")
    return body


def expect(body: dict[str, Any], key: str, types: type | tuple[type, ...], *, required: bool = False,
           what: str = "") -> Any:
    if key not in body or body[key] is None:
        if required:
            raise BadRequest(f"missing required field '{key}'" + (f" ({what})" if what else ""))
        return None
    v = body[key]
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in _tuple(types)):
        names = "/".join(_jsonname(t) for t in _tuple(types))
        raise BadRequest(f"field '{key}' must be {names}, got {_jsonname(type(v))}")
    return v


def _tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _jsonname(t: type) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "an array",
            dict: "an object", type(None): "null"}.get(t, t.__name__)
