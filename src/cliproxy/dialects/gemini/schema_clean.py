"""Make a JSON Schema acceptable to Gemini function declarations (providers.md §1.6, translation.md §4.3).

Gemini's tool schemas are a subset of OpenAPI 3: no ``$ref``, ``const``, ``anyOf`` mixtures, type
arrays, ``additionalProperties``, string formats beyond a few, and so on; unknown keys are a 400.
The cleaner rewrites what it can (local ``$ref`` inlined, ``const`` → one-value ``enum``,
``allOf`` merged, ``anyOf``/``oneOf`` → the richest branch, nullable types → hints) and moves
the constraints it must delete into ``description`` hints so the model still sees them. Only
keywords are touched: a *property* named ``format`` or ``title`` is kept. The input is never
mutated. The Antigravity variant (Claude's VALIDATED mode) also adds a placeholder property to
objects that have none.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

_HINT_KEYS = ("minLength", "maxLength", "exclusiveMinimum", "exclusiveMaximum", "pattern",
              "minItems", "maxItems", "uniqueItems", "format", "default", "examples")
_DROP = frozenset(_HINT_KEYS) | {
    "$schema", "$defs", "definitions", "const", "$ref", "$id", "$anchor", "$comment",
    "additionalProperties", "propertyNames", "patternProperties", "enumTitles", "enumDescriptions",
    "prefill", "deprecated", "readOnly", "writeOnly", "if", "then", "else", "not",
    "dependentRequired", "dependentSchemas", "unevaluatedProperties", "unevaluatedItems",
    "contains", "minContains", "maxContains", "prefixItems", "multipleOf", "minProperties",
    "maxProperties", "contentEncoding", "contentMediaType", "strict",
}
_GEMINI_DROP = frozenset({"nullable", "title"})
_KEEP_FORMATS = frozenset({"enum", "date-time"})
_REASON = MappingProxyType({"type": "string", "description": "Brief explanation of why you are calling this tool"})
_MAX_REF_DEPTH = 8


def _hint(node: dict[str, Any], text: str) -> None:
    desc = node.get("description")
    node["description"] = f"{desc} ({text})" if isinstance(desc, str) and desc else text


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _score(branch: Any) -> int:
    if not isinstance(branch, dict):
        return 0
    t = branch.get("type")
    if t == "object" or "properties" in branch:
        return 3
    if t == "array" or "items" in branch:
        return 2
    if t == "null":
        return 0
    return 1


def _type_name(branch: Any) -> str:
    if not isinstance(branch, dict):
        return "any"
    t = branch.get("type")
    if isinstance(t, str):
        return t.lower()
    if "properties" in branch:
        return "object"
    if "items" in branch:
        return "array"
    return "any"


class _Cleaner:
    def __init__(self, root: dict[str, Any], antigravity: bool) -> None:
        defs: dict[str, Any] = {}
        for key in ("$defs", "definitions"):
            if isinstance(root.get(key), dict):
                defs.update(root[key])
        self.defs = defs
        self.antigravity = antigravity

    def resolve(self, ref: str, depth: int) -> dict[str, Any] | None:
        if depth >= _MAX_REF_DEPTH or not ref.startswith("#/"):
            return None
        name = ref.rsplit("/", 1)[-1]
        target = self.defs.get(name)
        return dict(target) if isinstance(target, dict) else None

    def clean(self, node: Any, *, top: bool = False, depth: int = 0) -> tuple[Any, bool]:
        """Return (cleaned node, nullable)."""
        if not isinstance(node, dict):
            return node, False
        n = dict(node)
        nullable = False
        ref = n.get("$ref")
        if isinstance(ref, str):
            target = self.resolve(ref, depth)
            desc = n.get("description")
            if target is not None:
                n = {**target, **{k: v for k, v in n.items() if k != "$ref"}}
                depth += 1
            else:
                n = {"type": "object"}
                _hint(n, f"See: {ref.rsplit('/', 1)[-1]}")
                if isinstance(desc, str) and desc:
                    n["description"] = f"{desc} ({n['description']})"
        if "allOf" in n:
            for b in n.pop("allOf") or []:
                b, _ = self.clean(b, depth=depth)
                if not isinstance(b, dict):
                    continue
                if isinstance(b.get("properties"), dict):
                    n["properties"] = {**(n.get("properties") or {}), **b["properties"]}
                if isinstance(b.get("required"), list):
                    n["required"] = list(dict.fromkeys([*(n.get("required") or []), *b["required"]]))
                for k in ("type", "description", "items", "enum"):
                    if k in b and k not in n:
                        n[k] = b[k]
        for key in ("anyOf", "oneOf"):
            if key in n:
                branches = [b for b in n.pop(key) or [] if isinstance(b, dict)]
                types = list(dict.fromkeys(_type_name(b) for b in branches))
                if "null" in types:
                    nullable = True
                best = max(branches, key=_score, default={}) if branches else {}
                best, _ = self.clean(best, depth=depth)
                parent_desc = n.get("description")
                for k, v in best.items():
                    if k == "description" and isinstance(parent_desc, str) and parent_desc:
                        continue
                    n.setdefault(k, v)
                if len(types) > 1:
                    _hint(n, "Accepts: " + " | ".join(types))
        if "const" in n and "enum" not in n:
            n["enum"] = [n["const"]]
        if isinstance(n.get("enum"), list):
            n["enum"] = [v if isinstance(v, str) else _fmt(v) for v in n["enum"] if v is not None]
            n["type"] = "string"
            if 2 <= len(n["enum"]) <= 10:
                _hint(n, "Allowed: " + ", ".join(n["enum"]))
        t = n.get("type")
        if isinstance(t, list):
            kinds = [str(x).lower() for x in t if x != "null"]
            if "null" in t:
                nullable = True
            n["type"] = kinds[0] if kinds else "string"
            if len(kinds) > 1:
                _hint(n, "Accepts: " + " | ".join(kinds))
            if "null" in t:
                _hint(n, "(nullable)" if not n.get("description") else "nullable")
        elif isinstance(t, str):
            n["type"] = t.lower()
        if n.get("nullable") is True:
            nullable = True
        if n.get("additionalProperties") is False:
            _hint(n, "No extra properties allowed")
        for k in _HINT_KEYS:
            if k in n:
                if k == "format" and n.get(k) in _KEEP_FORMATS and n.get("type") == "string":
                    continue
                _hint(n, f"{k}: {_fmt(n[k])}")
        for k in list(n):
            if k in _DROP or k.startswith("x-") or k in _GEMINI_DROP:
                if k == "format" and n.get(k) in _KEEP_FORMATS and n.get("type") == "string":
                    continue
                del n[k]
        props = n.get("properties")
        if isinstance(props, dict):
            req = [r for r in n.get("required") or [] if isinstance(r, str)]
            cleaned: dict[str, Any] = {}
            for name, sub in props.items():
                c, sub_nullable = self.clean(sub, depth=depth)
                cleaned[name] = c if isinstance(c, dict) else {"type": "string"}
                if sub_nullable and name in req:
                    req.remove(name)
            n["properties"] = cleaned
            n["required"] = [r for r in req if r in cleaned]
        elif "required" in n:
            n["required"] = []
        items = n.get("items")
        if isinstance(items, list):
            items = items[0] if items else {"type": "string"}
        if isinstance(items, dict):
            n["items"], _ = self.clean(items, depth=depth)
        elif "items" in n:
            del n["items"]
        if n.get("type") == "array" and "items" not in n:
            n["items"] = {"type": "string"}
        if "type" not in n:
            if "properties" in n:
                n["type"] = "object"
            elif "items" in n:
                n["type"] = "array"
        if self.antigravity and n.get("type") == "object":
            if not n.get("properties"):
                n["properties"] = {"reason": dict(_REASON)}
                n["required"] = ["reason"]
            elif not n.get("required") and not top:
                n["properties"] = {**n["properties"], "_": {"type": "boolean"}}
                n["required"] = ["_"]
        if not n.get("required"):
            n.pop("required", None)
        return n, nullable


def clean_schema(schema: dict[str, Any] | None, *, antigravity: bool = False) -> dict[str, Any]:
    if not schema:
        schema = {"type": "object", "properties": {}}
    out, _ = _Cleaner(schema, antigravity).clean(schema, top=True)
    if out.get("type") != "object":
        out = {"type": "object", "properties": {"value": out}, "required": ["value"]}
    out.setdefault("properties", {})
    if antigravity and not out["properties"]:
        out["properties"] = {"reason": dict(_REASON)}
        out["required"] = ["reason"]
    return out


def lower_types(schema: Any) -> Any:
    """OpenAPI-style upper-case types (``STRING``) → JSON Schema (``string``), recursively."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for k, v in schema.items():
            if k == "type" and isinstance(v, str):
                out[k] = v.lower()
            elif k == "type" and isinstance(v, list):
                out[k] = [x.lower() if isinstance(x, str) else x for x in v]
            elif k == "properties" and isinstance(v, dict):
                out[k] = {name: lower_types(sub) for name, sub in v.items()}
            else:
                out[k] = lower_types(v) if isinstance(v, dict | list) else v
        return out
    if isinstance(schema, list):
        return [lower_types(x) for x in schema]
    return schema
