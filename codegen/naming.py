"""Name every schema, before the models are generated: an inline one from its place in the
spec, a component by its upstream name or the official SDK's.

datamodel-codegen names an inline schema after the field that holds it and numbers the
clashes (``Function``, ``Function1``, ``Function2``), so a class's name depended on the
order of the whole file, and a new field anywhere could rename a type users import.
Here every inline schema that becomes a class or a type alias is moved into
``components/schemas`` first, under a name built from where it stands and from its
owner's public name:

- a property: its owner's name and the property's (``ChatCompletionMessageToolCall`` +
  ``function`` → ``ChatCompletionMessageToolCallFunction``);
- the items of an array: the singular of the array's name (``ChatCompletion`` +
  ``choices`` → ``ChatCompletionChoice``), or the name and ``Item`` when the singular is
  taken or there is none;
- a member of a union: the union's name and the member's kind (``Text``, ``Array``,
  ``Object``, ``Integer``, ...), or its title when it has one and the kinds clash;
- the keys and the values of a map (a constrained string, say): the map's name and
  ``Key`` or ``Value`` (``Metadata`` + ``{key}`` → ``MetadataKey``, ``{value}`` →
  ``MetadataValue``); datamodel-codegen checks a map's keys only when they are named.

The same schema at the same place therefore gets the same name in every upstream
version. A place is spelled from the upstream name of the component that holds it
(``CreateChatCompletionRequest.tools[]``), whatever the names given on the way.

Component schemas keep their upstream names, but for two rules: ``SDK_NAMES`` gives the
official SDK's name where it has one (``CreateChatCompletionResponse`` →
``ChatCompletion``), so that code written for it carries over, and ``NAMES`` a better
word where the domain has one; both are keyed by place (a component's place is its
upstream name) and apply to inline schemas too.  And a name never ends in ``Param``
(``ModerationParam`` → ``Moderation``): that suffix is the TypedDict twin's
(codegen/params.py, ``twin_name``).  Each schema has one name; a name that is already
taken is an error, never a number.
"""

from __future__ import annotations

import copy
import re
from typing import Any

__all__ = ["NAMES", "SDK_NAMES", "NamingError", "name_schemas", "schema_names", "twin_name"]

Json = Any

# The official SDK's names (openai-python: openai.types.chat, and CompletionUsage), so that
# code written against it carries over with its import line changed.  Keyed by place (a
# component's upstream name, or `Owner.property[]` as `_Namer` spells places).  A pair is
# (the model's name, its TypedDict twin's name), for where the SDK's `...Param` is not the
# model's name + `Param`: the request message union, whose model form would otherwise
# take the name of the response message's twin, and the request's audio options, whose
# model would take the response audio's name.  tests/fixtures/openai_names.yaml lists the
# SDK's names these give, and a test checks each against the schema it names.
SDK_NAMES: dict[str, str | tuple[str, str]] = {
    "CreateChatCompletionResponse": "ChatCompletion",
    "CreateChatCompletionStreamResponse": "ChatCompletionChunk",
    "ChatCompletionResponseMessage": "ChatCompletionMessage",
    "ChatCompletionResponseMessage.audio": "ChatCompletionAudio",
    "ChatCompletionMessageList.data[]": "ChatCompletionStoreMessage",
    "ChatCompletionRequestMessage": ("ChatCompletionRequestMessage", "ChatCompletionMessageParam"),
    "ChatCompletionRequestDeveloperMessage": "ChatCompletionDeveloperMessage",
    "ChatCompletionRequestSystemMessage": "ChatCompletionSystemMessage",
    "ChatCompletionRequestUserMessage": "ChatCompletionUserMessage",
    "ChatCompletionRequestAssistantMessage": "ChatCompletionAssistantMessage",
    "ChatCompletionRequestToolMessage": "ChatCompletionToolMessage",
    "ChatCompletionRequestFunctionMessage": "ChatCompletionFunctionMessage",
    "ChatCompletionRequestUserMessageContentPart": "ChatCompletionContentPart",
    "ChatCompletionRequestMessageContentPartText": "ChatCompletionContentPartText",
    "ChatCompletionRequestMessageContentPartImage": "ChatCompletionContentPartImage",
    "ChatCompletionRequestMessageContentPartAudio": "ChatCompletionContentPartInputAudio",
    "ChatCompletionRequestMessageContentPartFile": "ChatCompletionContentPartFile",
    "ChatCompletionRequestMessageContentPartRefusal": "ChatCompletionContentPartRefusal",
    "ChatCompletionAllowedToolsChoice": "ChatCompletionAllowedToolChoice",
    "CustomToolChatCompletions": "ChatCompletionCustomTool",
    "CreateChatCompletionRequest.tools[]": "ChatCompletionToolUnion",
    "ChatCompletionMessageToolCalls[]": "ChatCompletionMessageToolCallUnion",
    "PredictionContent": "ChatCompletionPredictionContent",
    "CreateChatCompletionRequest.audio": ("CreateChatCompletionRequestAudio", "ChatCompletionAudioParam"),
}

# Where the rule's name is correct but a reader would look for another word.  Keyed by
# place, as SDK_NAMES is.
NAMES: dict[str, str] = {
    # A custom voice is the object member of "a built-in voice or a custom voice".
    "VoiceIdsOrCustomVoice|object": "CustomVoice",
    # The names these objects have in the API's guides and in the official SDK.
    "CreateChatCompletionRequest.web_search_options": "WebSearchOptions",
    "ResponseFormatJsonSchema.json_schema": "JsonSchema",
    # The parts of the role messages' content, named like the messages in SDK_NAMES.
    "ChatCompletionRequestSystemMessageContentPart": "ChatCompletionSystemMessageContentPart",
    "ChatCompletionRequestToolMessageContentPart": "ChatCompletionToolMessageContentPart",
    "ChatCompletionRequestAssistantMessageContentPart": "ChatCompletionAssistantMessageContentPart",
}

# The TypedDict twin's name of each model that SDK_NAMES gives one other than `<name>Param`.
_TWINS: dict[str, str] = {value[0]: value[1] for value in SDK_NAMES.values() if isinstance(value, tuple)}

# What a twin's name ends in (codegen/params.py): no model's name may end in it too.
_TWIN_SUFFIX = "Param"

_SCALARS = {"string": "Text", "integer": "Integer", "number": "Number", "boolean": "Boolean"}


class NamingError(ValueError):
    """Two schemas would get the same name."""


def twin_name(name: str) -> str:
    """The name of the TypedDict twin of the model ``name`` (codegen/params.py): ``<name>Param``,
    or the official SDK's name where SDK_NAMES pairs one with the model's."""
    return _TWINS.get(name, name + _TWIN_SUFFIX)


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


def _public(place: str, name: str) -> str:
    """The name of the type at ``place`` whose rule name is ``name``: SDK_NAMES' or NAMES'
    where they have one, and never ending in the twins' suffix."""
    given = SDK_NAMES.get(place, NAMES.get(place, name))
    public = given[0] if isinstance(given, tuple) else given
    # `ModerationParam` would have the twin `ModerationParamParam`: the model drops the suffix.
    return public.removesuffix(_TWIN_SUFFIX) if public.endswith(_TWIN_SUFFIX) else public


class _Namer:
    def __init__(self, document: Json) -> None:
        self.schemas: dict[str, Json] = document["components"]["schemas"]
        self.hoisted: list[tuple[str, Json]] = []
        self.places: dict[str, str] = {}
        self.renamed = self._rename_components(document)
        self.taken = set(self.schemas)

    def _rename_components(self, document: Json) -> dict[str, str]:
        """Give each component its public name (``_public``) and point every reference at
        it; the public name of each component, by its upstream name."""
        public = {name: _public(name, name) for name in self.schemas}
        holders: dict[str, list[str]] = {}
        for upstream, name in public.items():
            holders.setdefault(name, []).append(upstream)
        clashes = {name: upstream for name, upstream in holders.items() if len(upstream) > 1}
        if clashes:
            name, upstream = min(clashes.items())
            raise NamingError(
                f"{' and '.join(upstream)} would both be named {name}; "
                "give one another name in codegen.naming.SDK_NAMES or NAMES"
            )
        renamed = {upstream: name for upstream, name in public.items() if upstream != name}
        if renamed:
            # The same order: datamodel-codegen writes the classes in it.
            items = list(self.schemas.items())
            self.schemas.clear()
            self.schemas.update((public[upstream], schema) for upstream, schema in items)
            for ref in _refs_to(document, set(renamed)):
                ref["$ref"] = f"#/components/schemas/{renamed[ref['$ref'].rsplit('/', 1)[-1]]}"
        self.places.update(public)
        return public

    def hoist(self, schema: Json, place: str, name: str) -> Json:
        name = _public(place, name)
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
        self.visit(hoisted, place, name)
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
        for key, part in (("propertyNames", "key"), ("additionalProperties", "value")):
            if isinstance(schema.get(key), dict):
                schema[key] = self.child(schema[key], f"{place}{{{part}}}", name + _pascal(part))
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


def _bounded_map(schema: Json) -> bool:
    """Whether ``schema`` is a map whose number of pairs is bounded (Metadata's 16)."""
    return schema.get("type") == "object" and ("maxProperties" in schema or "minProperties" in schema)


def _unwrap_nullable_components(document: Json) -> None:
    """A component that is ``anyOf: [<object>, null]`` becomes the object, and each
    reference to it ``anyOf: [<ref>, null]``: the same JSON, and the class takes the
    component's own name instead of a numbered one beside an alias.  So does a map whose
    number of pairs is bounded: datamodel-codegen checks that bound only on a map alias
    that null is no member of (and ``Metadata`` is then the official SDK's, a dict)."""
    schemas = document["components"]["schemas"]
    unwrapped: set[str] = set()
    for name, schema in schemas.items():
        members = _members(schema)
        inner = [m for m in members if not _is_null(m)]
        if len(inner) == 1 and len(members) == 2 and (_becomes_a_type(inner[0]) or _bounded_map(inner[0])):
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
    for upstream, name in namer.renamed.items():
        namer.visit(namer.schemas[name], upstream, name)
    for name, schema in namer.hoisted:
        namer.schemas[name] = schema
    return document, namer.places


def name_schemas(document: Json) -> Json:
    """A copy of ``document`` in which every schema that becomes a type is a component
    under its public name: every inline one named from its place, the components renamed
    where SDK_NAMES or NAMES say so, and every reference following."""
    return _named(document)[0]


def schema_names(document: Json) -> dict[str, str]:
    """The name each schema of ``document`` that becomes a type gets, by its place (a
    component's upstream name, ``Owner.property`` for a property, ``[]`` for items,
    ``|kind`` for a union member, ``{key}`` and ``{value}`` for a map's keys and values)."""
    return _named(document)[1]
