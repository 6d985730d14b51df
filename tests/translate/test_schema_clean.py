"""The Gemini tool-schema cleaner (providers.md §1.6, translation.md §4.3, C49, C93–C95).

Beyond the named cases, a property test throws arbitrary JSON Schemas at it: the result must
always be inside the OpenAPI subset Gemini accepts (checked with the strict ``SchemaNode``), every
property name must survive, and the input must not be mutated.
"""

from __future__ import annotations

import copy

import msgspec
from hypothesis import HealthCheck, given, settings, strategies as st

from cliproxy.dialects.gemini.schema import SchemaNode
from cliproxy.dialects.gemini.schema_clean import clean_schema


def test_c49_gemini_rejected_keywords_become_hints() -> None:
    src = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": False,
           "properties": {"mode": {"const": "x"}, "v": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                          "d": {"type": "string", "format": "date", "default": "2020-01-01"},
                          "r": {"$ref": "#/$defs/R"}, "n": {"type": ["string", "null"]}, "title": {"type": "string"}},
           "required": ["mode", "n", "missing"]}
    out = clean_schema(src)
    p = out["properties"]
    assert p["mode"] == {"type": "string", "enum": ["x"]}
    assert p["v"] == {"type": "string", "description": "Accepts: string | null"}
    assert p["d"] == {"type": "string", "description": "format: date (default: 2020-01-01)"}
    assert p["r"] == {"type": "object", "description": "See: R"}
    assert p["n"] == {"type": "string", "description": "(nullable)"}
    assert p["title"] == {"type": "string"}, "a property *named* title is kept"
    assert out["required"] == ["mode"]
    assert out["description"] == "No extra properties allowed"
    text = msgspec.json.encode(out)
    for key in (b'"$schema"', b'"additionalProperties"', b'"format"', b'"default"', b'"$ref"', b'"const"'):
        assert key not in text
    msgspec.convert(out, SchemaNode)


def test_local_refs_are_inlined() -> None:
    src = {"type": "object", "properties": {"loc": {"$ref": "#/$defs/Loc", "description": "where"}},
           "$defs": {"Loc": {"type": "object", "properties": {"lat": {"type": "number"}}, "required": ["lat"]}}}
    out = clean_schema(src)
    assert out["properties"]["loc"] == {"type": "object", "properties": {"lat": {"type": "number"}},
                                        "required": ["lat"], "description": "where"}
    assert "$defs" not in out


def test_recursive_refs_terminate() -> None:
    src = {"type": "object", "properties": {"node": {"$ref": "#/$defs/N"}},
           "$defs": {"N": {"type": "object", "properties": {"child": {"$ref": "#/$defs/N"}}}}}
    msgspec.convert(clean_schema(src), SchemaNode)


def test_c93_antigravity_placeholders() -> None:
    assert clean_schema({"type": "object"}, antigravity=True) == {
        "type": "object", "properties": {"reason": {"type": "string", "description": "Brief explanation of why you are calling this tool"}},
        "required": ["reason"]}
    out = clean_schema({"type": "object", "properties": {"o": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                       antigravity=True)
    assert out["properties"]["o"]["required"] == ["_"] and out["properties"]["o"]["properties"]["_"] == {"type": "boolean"}
    assert "_" not in out["properties"], "never at the top level"


def test_c94_gemini_variant_drops_title_nullable_and_extensions() -> None:
    out = clean_schema({"title": "T", "type": "object",
                        "properties": {"format": {"type": "string", "x-foo": 1, "nullable": True}}})
    assert out == {"type": "object", "properties": {"format": {"type": "string"}}}


def test_c95_any_of_takes_the_richest_branch() -> None:
    out = clean_schema({"type": "object", "properties": {"x": {"description": "D", "anyOf": [
        {"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "string"}]}}})
    assert out["properties"]["x"] == {"description": "D (Accepts: object | string)", "type": "object",
                                      "properties": {"a": {"type": "string"}}}


def test_all_of_is_merged() -> None:
    out = clean_schema({"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                                  {"properties": {"b": {"type": "integer"}}, "required": ["b"]}]})
    assert out == {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a", "b"]}


def test_enums_are_strings() -> None:
    out = clean_schema({"type": "object", "properties": {"n": {"type": "integer", "enum": [1, 2, 3]}}})
    assert out["properties"]["n"] == {"type": "string", "enum": ["1", "2", "3"], "description": "Allowed: 1, 2, 3"}


def test_real_claude_code_tool_schemas_clean_to_the_gemini_subset() -> None:
    import json

    from translate.support.cases import CASES

    body = json.loads((CASES / "claude" / "capture_claude-code.oneturn.request.json").read_text())["request"]["body"]
    assert len(body["tools"]) > 20
    for tool in body["tools"]:
        before = copy.deepcopy(tool["input_schema"])
        out = clean_schema(tool["input_schema"])
        assert tool["input_schema"] == before
        msgspec.convert(out, SchemaNode)
        assert set(out["properties"]) == set(before.get("properties", {}))


# ---------------------------------------------------------------- property test

NAMES = st.sampled_from(["a", "b", "title", "format", "pattern", "type", "properties", "x-y", "$ref", "enum"])
SCALARS = st.sampled_from(["string", "integer", "number", "boolean", "null"])


def schemas() -> st.SearchStrategy:
    leaf = st.one_of(
        st.builds(lambda t: {"type": t}, SCALARS),
        st.builds(lambda t, n: {"type": [t, "null"], "minLength": n}, SCALARS, st.integers(0, 5)),
        st.builds(lambda v: {"const": v}, st.one_of(st.integers(), st.text(max_size=5), st.booleans())),
        st.builds(lambda vs: {"enum": vs}, st.lists(st.one_of(st.integers(), st.text(max_size=4)), min_size=1, max_size=12)),
        st.just({"$ref": "#/$defs/Thing"}), st.just({"$ref": "#/definitions/Missing"}),
        st.just({"type": "string", "format": "uri", "pattern": "^h", "default": "x", "examples": ["a"], "x-k": 1}),
        st.just({}),
    )

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.builds(lambda ps, req, ap: {"type": "object", "properties": ps, "required": req, "additionalProperties": ap},
                      st.dictionaries(NAMES, children, max_size=4), st.lists(NAMES, max_size=3), st.booleans()),
            st.builds(lambda it: {"type": "array", "items": it, "minItems": 1, "uniqueItems": True}, children),
            st.builds(lambda bs: {"anyOf": bs}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda bs: {"oneOf": bs, "description": "d"}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda bs: {"allOf": bs}, st.lists(children, min_size=1, max_size=2)),
            st.builds(lambda it: {"type": "array", "items": [it]}, children),
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(st.builds(lambda p, d: {"type": "object", "properties": p, "$defs": {"Thing": d}},
                 st.dictionaries(NAMES, schemas(), max_size=5), schemas()),
       st.booleans())
def test_any_schema_cleans_into_the_gemini_subset(schema, antigravity) -> None:
    before = copy.deepcopy(schema)
    out = clean_schema(schema, antigravity=antigravity)
    assert schema == before, "the input is not mutated"
    node = msgspec.convert(out, SchemaNode)
    assert node.type == "object"
    assert set(before["properties"]) <= set(out["properties"]), "property names survive"

    def check(n: SchemaNode) -> None:
        if n.required:
            assert set(n.required) <= set(n.properties or {}), "required names exist"
        if n.enum is not None:
            assert n.type == "string"
        for sub in (n.properties or {}).values():
            check(sub)
        if n.items is not None:
            check(n.items)

    check(node)
