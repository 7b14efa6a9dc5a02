"""completionkit.types has the official openai package's name for each type of the API that
package names (tests/fixtures/openai_names.yaml lists them, without importing openai), and
under each name the type built from that schema of spec/openapi.yaml, of the kind openai's is."""

from __future__ import annotations

import ast
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

import completionkit.types
from codegen.cut import load_yaml
from completionkit._generated import models, params

from .conftest import FIXTURES

NAMES: dict[str, dict[str, str]] = load_yaml((FIXTURES / "openai_names.yaml").read_bytes())
KINDS = {"model", "model union", "param", "param union", "roles"}
# What params.py defines, read from its source: at run time a twin TypedDict is a plain dict.
PARAMS_TREE = ast.parse(Path(params.__file__).read_text("utf-8"))

Keys = frozenset[str]


# --- the spec's side: the properties of a schema, by place --------------------------------


def _resolved(spec: Any, schema: Any) -> Any:
    """The schema a reference points at, and the one type of a `X | null`."""
    while True:
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            continue
        members = [m for m in schema.get("anyOf", []) + schema.get("oneOf", []) if m.get("type") != "null"]
        if len(members) == 1 and "properties" not in schema:
            schema = members[0]
            continue
        return schema


def _properties(spec: Any, schema: Any) -> dict[str, Any]:
    """A schema's properties, with those of the schemas it merges (allOf)."""
    schema = _resolved(spec, schema)
    found = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found.update(_properties(spec, part))
    return found


def _at(spec: Any, place: str) -> Any:
    """The schema at a place: a component's name, then `.property` and `[]` steps."""
    head, *steps = re.findall(r"^\w+|\.\w+|\[\]", place)
    assert "".join([head, *steps]) == place, place
    schema = spec["components"]["schemas"][head]
    for step in steps:
        schema = _resolved(spec, schema)["items"] if step == "[]" else _properties(spec, schema)[step[1:]]
    return _resolved(spec, schema)


def _member_keys(spec: Any, schema: Any) -> list[Keys]:
    """The properties of each object a union admits, through the unions it holds, sorted."""
    schema = _resolved(spec, schema)
    members = schema.get("anyOf", []) + schema.get("oneOf", [])
    if not members:
        properties = _properties(spec, schema)
        return [frozenset(properties)] if properties else []
    return sorted((keys for member in members for keys in _member_keys(spec, member)), key=sorted)


# --- completionkit's side -----------------------------------------------------------------


def _struct_keys(cls: type) -> Keys:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    tag = {info.tag_field} if info.tag_field is not None else set()
    return frozenset(tag | {item.encode_name for item in info.fields})


def _typeddicts() -> dict[str, Keys]:
    """Each TypedDict params.py defines for the type checkers, with its keys."""
    found: dict[str, Keys] = {}
    for node in ast.walk(PARAMS_TREE):
        if isinstance(node, ast.ClassDef) and [ast.unparse(b) for b in node.bases] == ["TypedDict"]:
            found[node.name] = frozenset(
                s.target.id
                for s in node.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            )
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "TypedDict":
            name, keys = node.args
            assert isinstance(name, ast.Constant)
            assert isinstance(keys, ast.Dict)
            found[str(name.value)] = frozenset(str(k.value) for k in keys.keys if isinstance(k, ast.Constant))
    return found


def _type_aliases(tree: ast.Module) -> dict[str, ast.expr]:
    return {
        node.target.id: node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and ast.unparse(node.annotation) == "TypeAlias"
        and node.value is not None
    }


def _union_members(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        yield from _union_members(node.left)
        yield from _union_members(node.right)
    else:
        yield node


def _param_member_keys(
    name: str, typeddicts: dict[str, Keys], aliases: dict[str, ast.expr]
) -> tuple[list[Keys], list[Keys]]:
    """The keys of each object a params.py alias admits: of its TypedDicts, and of its Structs
    (each object's twin stands beside it), each list sorted."""
    dicts: list[Keys] = []
    structs: list[Keys] = []
    for member in _union_members(aliases[name]):
        if not isinstance(member, ast.Name) or member.id in ("str", "None"):
            assert ast.unparse(member).startswith(("Literal[", "str", "None")), ast.unparse(member)
        elif member.id in typeddicts:
            dicts.append(typeddicts[member.id])
        elif member.id in aliases:
            inner_dicts, inner_structs = _param_member_keys(member.id, typeddicts, aliases)
            dicts += inner_dicts
            structs += inner_structs
        else:
            structs.append(_struct_keys(getattr(models, member.id)))
    return sorted(dicts, key=sorted), sorted(structs, key=sorted)


# --- the checks ---------------------------------------------------------------------------


def test_the_fixture_lists_each_name_once_with_a_known_kind() -> None:
    assert len(NAMES) >= 40
    for name, entry in NAMES.items():
        assert set(entry) == {"kind", "schema"}, name
        assert entry["kind"] in KINDS, name
    # The names issue 21 asked for by name, at least.
    assert {
        "ChatCompletion",
        "ChatCompletionChunk",
        "ChatCompletionMessage",
        "ChatCompletionMessageParam",
        "ChatCompletionToolParam",
        "ChatCompletionMessageToolCall",
        "ChatCompletionToolChoiceOptionParam",
        "ChatCompletionNamedToolChoiceParam",
        "ChatCompletionStreamOptionsParam",
        "ChatCompletionTokenLogprob",
        "ChatCompletionAudio",
        "ChatCompletionDeleted",
        "ChatCompletionStoreMessage",
        "CompletionUsage",
        *(
            f"ChatCompletion{role}MessageParam"
            for role in ("System", "Developer", "User", "Assistant", "Tool")
        ),
        "ChatCompletionFunctionMessageParam",
        *(f"ChatCompletionContentPart{part}Param" for part in ("Text", "Image", "InputAudio", "Refusal")),
    } <= set(NAMES)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_each_openai_name_is_a_type_of_its_schema(name: str, spec: Any) -> None:
    kind, place = NAMES[name]["kind"], NAMES[name]["schema"]
    assert name in completionkit.types.__all__
    value = getattr(completionkit.types, name)
    schema = _at(spec, place)
    if kind == "model":
        assert isinstance(value, type)
        assert issubclass(value, msgspec.Struct)
        assert _struct_keys(value) == set(_properties(spec, schema)), place
    elif kind == "model union":
        assert name in _type_aliases(ast.parse(Path(models.__file__).read_text("utf-8")))
        members = typing.get_args(value)
        assert members
        assert all(isinstance(m, type) and issubclass(m, msgspec.Struct) for m in members), members
        assert sorted(map(_struct_keys, members), key=sorted) == _member_keys(spec, schema), place
    elif kind == "param":
        typeddicts = _typeddicts()
        assert name in typeddicts, f"{name} is no TypedDict of params.py"
        assert typeddicts[name] == set(_properties(spec, schema)), place
    elif kind == "param union":
        aliases = _type_aliases(PARAMS_TREE)
        assert name in aliases, f"{name} is no type alias of params.py"
        dicts, structs = _param_member_keys(name, _typeddicts(), aliases)
        assert dicts == structs == _member_keys(spec, schema), place
    else:
        assert kind == "roles"
        assert typing.get_origin(value) is typing.Literal
        members = [_resolved(spec, m) for m in schema.get("oneOf", []) + schema.get("anyOf", [])]
        roles = [role for member in members for role in member["properties"]["role"]["enum"]]
        assert list(typing.get_args(value)) == roles
