"""``payload`` rules (upstream-server.md §5.8), applied to the upstream body just before sending.

Paths are dotted (``generationConfig.thinkingConfig.thinkingBudget``; digits index arrays).
``default`` sets a path only when the client's original request lacked it, ``override`` always
sets it, ``filter`` deletes it; the ``-raw`` variants take their value as a JSON string.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import msgspec

from cliproxy.config.schema import Payload, PayloadModel

_MISSING = object()


def _matches(models: tuple[PayloadModel, ...], protocol: str, names: tuple[str, ...]) -> bool:
    if not models:
        return True
    for m in models:
        if m.protocol and m.protocol != protocol:
            continue
        pat = (m.name or "*").lower()
        if any(fnmatch.fnmatchcase(n.lower(), pat) for n in names if n):
            return True
    return False


def get_path(obj: Any, path: str) -> Any:
    cur = obj
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part, _MISSING)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _MISSING
        if cur is _MISSING:
            return _MISSING
    return cur


def set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    cur: Any = obj
    for part in parts[:-1]:
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
            continue
        nxt = cur.get(part) if isinstance(cur, dict) else None
        if not isinstance(nxt, dict | list):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    last = parts[-1]
    if isinstance(cur, list) and last.isdigit() and int(last) < len(cur):
        cur[int(last)] = value
    elif isinstance(cur, dict):
        cur[last] = value


def delete_path(obj: dict[str, Any], path: str) -> None:
    parts = path.split(".")
    parent = get_path(obj, ".".join(parts[:-1])) if len(parts) > 1 else obj
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)
    elif isinstance(parent, list) and parts[-1].isdigit() and int(parts[-1]) < len(parent):
        del parent[int(parts[-1])]


def _raw(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return msgspec.json.decode(v)
        except msgspec.DecodeError:
            return v
    return v


def has_rules(p: Payload) -> bool:
    return bool(p.default or p.default_raw or p.override or p.override_raw or p.filter)


def apply_payload_rules(p: Payload, body: dict[str, Any], *, original: dict[str, Any], protocol: str,
                        upstream_model: str, requested_model: str) -> None:
    names = (upstream_model, requested_model)
    for rules, raw in ((p.default, False), (p.default_raw, True)):
        for rule in rules:
            if _matches(rule.models, protocol, names):
                for path, value in rule.params.items():
                    if get_path(original, path) is _MISSING and get_path(body, path) is _MISSING:
                        set_path(body, path, _raw(value) if raw else value)
    for rules, raw in ((p.override, False), (p.override_raw, True)):
        for rule in rules:
            if _matches(rule.models, protocol, names):
                for path, value in rule.params.items():
                    set_path(body, path, _raw(value) if raw else value)
    for frule in p.filter:
        if _matches(frule.models, protocol, names):
            for path in frule.params:
                delete_path(body, path)
