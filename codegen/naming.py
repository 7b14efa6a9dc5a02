"""Name every inline schema from its place in the spec, before the models are generated.

datamodel-codegen names an inline schema after the field that holds it and numbers the
clashes (``Function``, ``Function1``, ``Function2``), so a class's name depended on the
order of the whole file, and a new field anywhere could rename a type users import.
Here every inline schema that becomes a class or a type alias is moved into
``components/schemas`` first, under a name built from where it stands:

- a property: its owner's name and the property's (``ChatCompletionMessageToolCall`` +
  ``function`` → ``ChatCompletionMessageToolCallFunction``);
- the items of an array: the singular of the array's name (``...Response`` + ``choices``
  → ``CreateChatCompletionResponseChoice``), or the name and ``Item`` when the singular
  is taken or there is none;
- a member of a union: the union's name and the member's kind (``Text``, ``Array``,
  ``Object``, ``Integer``, ...), or its title when it has one and the kinds clash.

The same schema at the same place therefore gets the same name in every upstream
version. ``NAMES`` overrides the rule where the domain has a better word. A name that
is already taken is an error, never a number.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["NAMES", "NamingError", "inline_names", "name_inline_schemas"]

Json = Any

# Where the rule's name is correct but a reader would look for another word.
# Keyed by the place (`Owner.property[]` as `place()` spells it).
NAMES: dict[str, str] = {
    # The items of a stored completion's message list: stored messages, with an id.
    "ChatCompletionMessageList.data[]": "ChatCompletionStoredMessage",
    # A custom voice is the object member of "a built-in voice or a custom voice".
    "VoiceIdsOrCustomVoice|object": "CustomVoice",
    # The names these objects have in the API's guides and in the official SDK.
    "CreateChatCompletionRequest.web_search_options": "WebSearchOptions",
    "ResponseFormatJsonSchema.json_schema": "JsonSchema",
}

_SCALARS = {"string": "Text", "integer": "Integer", "number": "Number", "boolean": "Boolean"}


class NamingError(ValueError):
    """Two inline schemas would get the same name."""


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _singular(name: str) -> str | None:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return None


def _is_null(schema: Json) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) <= 2


def _members(schema: Json) -> list[Json]:
    return [m for key in ("anyOf", "oneOf") for m in schema.get(key, []) if isinstance(m, dict)]


def _becomes_a_type(schema: Json) -> bool:
    """Whether datamodel-codegen would make a class or an alias of this inline schema.

    A constrained value (``integer, 0..20``) counts: merging ``allOf`` parents, the
    generator makes aliases of those and names them after the field.
    """
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    if "allOf" in schema or (isinstance(schema.get("properties"), dict) and schema["properties"]):
        return True
    members = [m for m in _members(schema) if not _is_null(m)]
    if len(members) > 1:
        # A union of plain values (`Literal[...] | str`) stays inline; one that holds a
        # type, an array or an object is an alias.
        return any(_kind(m) not in _SCALARS.values() for m in members)
    kind = schema.get("type")
    constrained = any(
        k in schema
        for k in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern")
    )
    return kind in ("array", *_SCALARS) and constrained


def _kind(schema: Json) -> str:
    kind = schema.get("type")
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if isinstance(kind, str) and kind in _SCALARS:
        return _SCALARS[kind]
    if all(_kind(m) in _SCALARS.values() for m in _members(schema)) and _members(schema):
        return "Text"
    if kind == "array":
        return "Array"
    if kind == "object" or "properties" in schema or "allOf" in schema:
        return "Object"
    return "Union"


class _Namer:
    def __init__(self, document: Json) -> None:
        self.schemas: dict[str, Json] = document["components"]["schemas"]
        self.taken = set(self.schemas)
        self.hoisted: list[tuple[str, Json]] = []
        self.places: dict[str, str] = {}

    def hoist(self, schema: Json, place: str, name: str) -> Json:
        name = NAMES.get(place, name)
        if name in self.taken:
            raise NamingError(f"{place}: the name {name} is taken; add a name for it to codegen.naming.NAMES")
        self.taken.add(name)
        self.places[place] = name
        hoisted = {k: v for k, v in schema.items() if k not in ("description", "deprecated")}
        # The description says what the field means where it stands; it stays there.
        schema_at_place = {"$ref": f"#/components/schemas/{name}"}
        for key in ("description", "deprecated"):
            if key in schema:
                schema_at_place[key] = schema[key]
        self.hoisted.append((name, hoisted))
        self.visit(hoisted, name, name)
        return schema_at_place

    def child(self, schema: Json, place: str, name: str) -> Json:
        if _becomes_a_type(schema):
            return self.hoist(schema, place, name)
        self.visit(schema, place, name)
        return schema

    def visit(self, schema: Json, place: str, name: str) -> None:
        """Name what ``schema`` (the type called ``name``, at ``place``) holds inline."""
        if not isinstance(schema, dict):
            return
        properties = schema.get("properties")
        if isinstance(properties, dict):
            for prop, sub in list(properties.items()):
                properties[prop] = self.child(sub, f"{place}.{prop}", name + _pascal(prop))
        items = schema.get("items")
        if isinstance(items, dict):
            singular = _singular(name)
            item_name = singular if singular and singular not in self.taken else name + "Item"
            schema["items"] = self.child(items, f"{place}[]", item_name)
        for member in schema.get("allOf", []):
            # The parts of an allOf are the type itself, not types of their own.
            self.visit(member, place, name)
        members = [m for m in _members(schema) if not _is_null(m)]
        kinds = [_kind(m) for m in members]
        for key in ("anyOf", "oneOf"):
            union = schema.get(key)
            if not isinstance(union, list):
                continue
            for index, member in enumerate(union):
                if _is_null(member) or not isinstance(member, dict):
                    continue
                kind = _kind(member)
                if len(members) == 1:
                    # `X | null`: the member is the type itself.
                    union[index] = self.child(member, place, name)
                    continue
                if kinds.count(kind) > 1 and member.get("title"):
                    kind = _pascal(member["title"])
                union[index] = self.child(member, f"{place}|{kind.lower()}", name + kind)


def _refs_to(node: Json, names: set[str]) -> list[Json]:
    """Every ``{$ref: ...}`` node under ``node`` that points at one of ``names``."""
    found: list[Json] = []
    if isinstance(node, dict):
        if node.get("$ref", "").rsplit("/", 1)[-1] in names:
            found.append(node)
        for value in node.values():
            found.extend(_refs_to(value, names))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs_to(value, names))
    return found


def _unwrap_nullable_components(document: Json) -> None:
    """A component that is ``anyOf: [<object>, null]`` becomes the object, and each
    reference to it ``anyOf: [<ref>, null]``: the same JSON, and the class takes the
    component's own name instead of a numbered one beside an alias."""
    schemas = document["components"]["schemas"]
    unwrapped: set[str] = set()
    for name, schema in schemas.items():
        members = _members(schema)
        inner = [m for m in members if not _is_null(m)]
        if len(inner) == 1 and len(members) == 2 and _becomes_a_type(inner[0]):
            meta = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "default")}
            schemas[name] = {**inner[0], **meta}
            unwrapped.add(name)
    for ref in _refs_to(document, unwrapped):
        target = ref.pop("$ref")
        ref["anyOf"] = [{"$ref": target}, {"type": "null"}]


def _named(document: Json) -> tuple[Json, dict[str, str]]:
    document = copy.deepcopy(document)
    _unwrap_nullable_components(document)
    namer = _Namer(document)
    for name in list(namer.schemas):
        namer.visit(namer.schemas[name], name, name)
    for name, schema in namer.hoisted:
        namer.schemas[name] = schema
    return document, namer.places


def name_inline_schemas(document: Json) -> Json:
    """A copy of ``document`` in which every inline schema that becomes a type is a
    component named from its place."""
    return _named(document)[0]


def inline_names(document: Json) -> dict[str, str]:
    """The name each inline schema of ``document`` gets, by its place
    (``Owner.property``, ``[]`` for items, ``|kind`` for a union member)."""
    return _named(document)[1]
