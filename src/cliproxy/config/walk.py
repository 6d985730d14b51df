"""YAML node tree -> plain values, checked against the msgspec schema, collecting every problem.

msgspec stops at the first type error and knows no line numbers, so we compose the YAML into
nodes (ruamel.yaml keeps marks for every node) and walk it against ``msgspec.inspect`` type
info ourselves. Coercions follow Go's yaml.v3, which CLIProxyAPI uses, so a file it accepts we
accept: any scalar fits a string field (``api-key: 12345``), YAML 1.1 words (``yes``/``off``)
fit a bool field, a quoted number does NOT fit an int field, null means "absent", and mapping
keys may not repeat. Unknown keys are warnings with a "did you mean" hint, never errors.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

import msgspec.inspect as mi
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cliproxy.config.errors import Problem

BAD: Any = object()  # sentinel: this value had a problem and was reported

_TAG = "tag:yaml.org,2002:"
_NULL, _BOOL, _INT, _FLOAT, _STR = (_TAG + t for t in ("null", "bool", "int", "float", "str"))
_BOOL_TRUE = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
_BOOL_FALSE = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

# Keys CLIProxyAPI once had (or that its example files carry) but no longer reads.
LEGACY_KEYS: dict[str, str] = {
    "generative-language-api-key": 'legacy key, ignored; use "gemini-api-key" entries',
    "amp-upstream-url": 'legacy key, ignored; use "ampcode.upstream-url"',
    "amp-upstream-api-key": 'legacy key, ignored; use "ampcode.upstream-api-key"',
    "amp-restrict-management-to-localhost":
        'legacy key, ignored; use "ampcode.restrict-management-to-localhost"',
    "amp-model-mappings": 'legacy key, ignored; use "ampcode.model-mappings"',
    "request-timeout": "not read by CLIProxyAPI or cliproxy, ignored",
    "codex-instructions-enabled": "not read by CLIProxyAPI or cliproxy, ignored",
    "auth": 'legacy block, ignored; credentials live in "auth-dir" and the *-api-key lists',
}


def join(path: str, key: str) -> str:
    if _SIMPLE_KEY.match(key):
        return f"{path}.{key}" if path else key
    quoted = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{path}[{quoted}]"


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def describe(node: Node) -> str:
    """How a node appears in "got ..." text."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing (null)"
    text = str(node.value)
    if len(text) > 60:
        text = text[:57] + "..."
    if node.tag == _STR or getattr(node, "style", None) in ("'", '"'):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def parse_int(text: str) -> int | None:
    t = text.replace("_", "")
    try:
        return int(t, 0)
    except ValueError:
        try:
            return int(t, 10)  # Go's ParseInt accepts leading zeros that Python's base 0 rejects
        except ValueError:
            return None


def _parse_float(text: str) -> float | None:
    t = text.replace("_", "").lower()
    if t in (".inf", "+.inf"):
        return math.inf
    if t == "-.inf":
        return -math.inf
    try:
        v = float(t)
    except ValueError:
        return None
    return None if math.isnan(v) else v


def _camel_to_kebab(key: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", key).replace("_", "-").lower()


def suggest(key: str, known: list[str], elsewhere: dict[str, str] | None = None) -> str:
    """A "did you mean" hint for an unknown key, or ''."""
    norm = _camel_to_kebab(key.strip())
    if norm in known and norm != key:
        return f'did you mean "{norm}"?'
    if elsewhere and norm in elsewhere:
        return f'did you mean "{elsewhere[norm]}"? (it belongs under "{elsewhere[norm].rsplit(".", 1)[0]}")'
    close = difflib.get_close_matches(norm, known, n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    return ""


class Walker:
    """Converts one document; read ``problems``, ``warnings`` and ``lines`` afterwards."""

    def __init__(self, nested_keys: dict[str, str] | None = None) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.lines: dict[str, int] = {}
        self._nested_keys = nested_keys or {}

    # -- reporting ---------------------------------------------------------------------------
    def error(self, path: str, node: Node, expected: str, message: str = "") -> Any:
        self.problems.append(Problem(path, line_of(node), expected, describe(node), message))
        return BAD

    def warn(self, path: str, line: int | None, message: str) -> None:
        self.warnings.append(Problem(path, line, "", "", message))

    # -- mappings ----------------------------------------------------------------------------
    def pairs(self, node: MappingNode, path: str) -> list[tuple[str, ScalarNode, Node]]:
        """Key/value pairs with ``<<`` merges applied and duplicate keys reported."""
        merged: list[tuple[str, ScalarNode, Node]] = []
        explicit: list[tuple[str, ScalarNode, Node]] = []
        seen: dict[str, int] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode):
                self.error(path or "(document)", knode, "a plain key", "complex mapping keys are not supported")
                continue
            key = str(knode.value)
            if key == "<<" and knode.style is None:
                sources = vnode.value if isinstance(vnode, SequenceNode) else [vnode]
                for src in sources:
                    if isinstance(src, MappingNode):
                        merged.extend(self.pairs(src, path))
                    else:
                        self.error(join(path, "<<"), src, "a mapping to merge")
                continue
            if key in seen:
                self.problems.append(Problem(join(path, key), line_of(knode), "", "",
                                             f"duplicate key; first defined on line {seen[key]}"))
                continue
            seen[key] = line_of(knode)
            explicit.append((key, knode, vnode))
        keys = {k for k, _, _ in explicit}
        out: list[tuple[str, ScalarNode, Node]] = []
        done: set[str] = set()
        for k, kn, vn in merged:  # merged keys lose to explicit ones and to earlier merges
            if k not in keys and k not in done:
                done.add(k)
                out.append((k, kn, vn))
        return out + explicit

    def struct(self, node: Node, info: mi.StructType, path: str) -> Any:
        if _is_null(node):
            return {}
        if not isinstance(node, MappingNode):
            return self.error(path or "(document)", node, "a mapping")
        fields = {f.encode_name: f for f in info.fields}
        out: dict[str, Any] = {}
        for key, knode, vnode in self.pairs(node, path):
            sub = join(path, key)
            field = fields.get(key)
            if field is None:
                self._unknown(key, knode, vnode, path, list(fields))
                continue
            self.lines[sub] = line_of(knode)
            if _is_null(vnode) and not _accepts_none(field.type):
                continue  # null means "absent": the code default applies
            value = self.value(vnode, field.type, sub)
            if value is not BAD:
                out[key] = value
        return out

    def _unknown(self, key: str, knode: ScalarNode, vnode: Node, path: str, known: list[str]) -> None:
        sub = join(path, key)
        if not path and key in LEGACY_KEYS:
            return self.warn(sub, line_of(knode), LEGACY_KEYS[key])
        if path.startswith("openai-compatibility[") and key == "api-keys":
            return self.warn(sub, line_of(knode), 'legacy key, ignored; use "api-key-entries: [{api-key: ...}]"')
        if not path and key == "server" and isinstance(vnode, MappingNode):
            moved = [str(k.value) for k, _ in vnode.value if isinstance(k, ScalarNode) and str(k.value) in known]
            if moved:
                keys = ", ".join(moved)
                return self.warn(sub, line_of(knode),
                                 f'unknown key, ignored: CLIProxyAPI has no "server" block; move {keys} to the top level')
        hint = suggest(key, known, self._nested_keys if not path else None)
        self.warn(sub, line_of(knode), "unknown key, ignored" + (f"; {hint}" if hint else ""))

    # -- values ------------------------------------------------------------------------------
    def value(self, node: Node, t: Any, path: str) -> Any:
        if isinstance(t, mi.StructType):
            return self.struct(node, t, path)
        if isinstance(t, mi.UnionType):
            return self._union(node, t, path)
        if isinstance(t, mi.VarTupleType | mi.ListType):
            if not isinstance(node, SequenceNode):
                return self.error(path, node, "a list")
            items = []
            ok = True
            for i, item in enumerate(node.value):
                sub = f"{path}[{i}]"
                self.lines[sub] = line_of(item)
                v = self._null_item(t.item_type) if _is_null(item) else self.value(item, t.item_type, sub)
                ok = ok and v is not BAD
                items.append(v)
            return items if ok else BAD
        if isinstance(t, mi.DictType):
            if not isinstance(node, MappingNode):
                return self.error(path, node, "a mapping")
            out: dict[str, Any] = {}
            ok = True
            for key, knode, vnode in self.pairs(node, path):
                sub = join(path, key)
                self.lines[sub] = line_of(knode)
                if _is_null(vnode):
                    v = None if _accepts_none(t.value_type) else self._null_item(t.value_type)
                else:
                    v = self.value(vnode, t.value_type, sub)
                ok = ok and v is not BAD
                out[key] = v
            return out if ok else BAD
        if isinstance(t, mi.AnyType):
            return self.plain(node)
        if not isinstance(node, ScalarNode):
            return self.error(path, node, _expected_name(t))
        text = str(node.value)
        if isinstance(t, mi.StrType):
            return text
        if isinstance(t, mi.BoolType):
            if node.tag == _BOOL:
                return text.lower() in ("true", "yes", "on", "y")
            if text in _BOOL_TRUE:  # YAML 1.1 words, accepted by yaml.v3 for typed bools
                return True
            if text in _BOOL_FALSE:
                return False
            return self.error(path, node, "true or false")
        if isinstance(t, mi.IntType):
            if node.tag == _INT and (n := parse_int(text)) is not None:
                if -(2**63) <= n < 2**63:
                    return n
                return self.error(path, node, "a 64-bit integer")
            if node.tag == _FLOAT:
                f = _parse_float(text)
                if f is not None and f.is_integer():
                    return int(f)
            hint = "remove the quotes" if node.tag == _STR and parse_int(text) is not None else ""
            return self.error(path, node, "an integer", hint)
        if isinstance(t, mi.FloatType):
            if node.tag == _INT and (whole := parse_int(text)) is not None:
                return float(whole)
            if node.tag == _FLOAT and (f := _parse_float(text)) is not None:
                return f
            return self.error(path, node, "a number")
        if isinstance(t, mi.LiteralType):
            if text in t.values:
                return text
            return self.error(path, node, "one of " + ", ".join(map(str, t.values)))
        return self.error(path, node, _expected_name(t))

    def _union(self, node: Node, t: mi.UnionType, path: str) -> Any:
        types = [x for x in t.types if not isinstance(x, mi.NoneType)]
        if _is_null(node) and len(types) < len(t.types):
            return None
        lits = [x for x in types if isinstance(x, mi.LiteralType)]
        if lits and any(isinstance(x, mi.BoolType) for x in types):
            return self._bool_or_literal(node, lits, path)
        if len(types) == 1:
            return self.value(node, types[0], path)
        return self.error(path, node, " or ".join(_expected_name(x) for x in types))

    def _bool_or_literal(self, node: Node, lits: list[mi.LiteralType], path: str) -> Any:
        """``disable-image-generation``: false | true | "chat" (CLIProxyAPI's tri-state)."""
        words = [str(v) for lit in lits for v in lit.values]
        if isinstance(node, ScalarNode):
            text = str(node.value).strip().lower()
            if text in ("", "false", "0", "off", "no"):
                return False
            if text in ("true", "1", "on", "yes"):
                return True
            if text in words:
                return text
        return self.error(path, node, "true, false or " + " or ".join(f'"{w}"' for w in words))

    @staticmethod
    def _null_item(t: Any) -> Any:
        """Go's zero value for a null list item / map value."""
        if isinstance(t, mi.StrType):
            return ""
        if isinstance(t, mi.StructType):
            return {}
        return None

    def plain(self, node: Node) -> Any:
        """Untyped value (payload ``params``), decoded like Go's ``map[string]any``."""
        if isinstance(node, MappingNode):
            return {str(k.value): self.plain(v) for k, v in ((k, v) for k, v in node.value)}
        if isinstance(node, SequenceNode):
            return [self.plain(v) for v in node.value]
        text = str(node.value)
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            return text.lower() in ("true", "yes", "on", "y")
        if node.tag == _INT:
            v = parse_int(text)
            return v if v is not None else text
        if node.tag == _FLOAT:
            f = _parse_float(text)
            return f if f is not None else text
        return text


def _accepts_none(t: Any) -> bool:
    return isinstance(t, mi.UnionType) and any(isinstance(x, mi.NoneType) for x in t.types)


def _expected_name(t: Any) -> str:
    if isinstance(t, mi.StrType):
        return "a string"
    if isinstance(t, mi.IntType):
        return "an integer"
    if isinstance(t, mi.FloatType):
        return "a number"
    if isinstance(t, mi.BoolType):
        return "true or false"
    if isinstance(t, mi.StructType | mi.DictType):
        return "a mapping"
    if isinstance(t, mi.VarTupleType | mi.ListType):
        return "a list"
    return "a valid value"
