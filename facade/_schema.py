"""Strict JSON schemas from Python types, and answers decoded back into those types.

Structured Outputs (``response_format``) and strict tools (``tools[].function.parameters``)
take a JSON schema in a subset of JSON Schema, "strict mode": the root is an object,
every object lists all its properties in ``required`` and has ``additionalProperties:
false``, and only some keywords are allowed.  msgspec describes a type (a Struct,
dataclass, TypedDict, ...) in full JSON Schema; ``strict_schema`` turns that into the
strict subset, or refuses, before anything is sent, a type strict mode cannot express,
naming the field.  ``decode_parsed`` decodes the model's answer into the type again.

What msgspec's schema becomes:

- a field with a default becomes required (the model always writes it); an ``X | None``
  field keeps its ``null`` branch, so the model can still choose None;
- ``$ref`` to the root type becomes ``#`` (the root is written inline), other types stay
  under ``$defs``; recursion works;
- Enum and Literal are ``enum`` (with the ``type`` of their values); Struct tag unions
  are ``anyOf`` (the tag field tells the members apart; ``discriminator`` is dropped);
- ``bytes`` is a base64 string (a pattern keeps the model to base64 characters);
  ``Decimal`` a string holding a decimal number (a pattern, in place of msgspec's
  ``format: decimal``); ``datetime``, ``date``, ``time``, ``timedelta``, ``UUID`` keep
  the formats strict mode knows (a ``datetime`` is ``format: date-time`` only when
  annotated ``Meta(tz=True)``: an unconstrained one may be naive, which that format is not);
- constraints strict mode does not enforce (``minLength``, ``maxLength``, ``uniqueItems``,
  other formats, patterns with look-around) are written into the ``description`` for
  the model to read; msgspec still checks them when the answer is decoded;
- ``default`` and other annotations strict mode refuses are dropped.

Refused, with ``InvalidRequestError``: free-form maps (``dict[str, X]``), fixed-length
arrays (tuples and NamedTuples: ``prefixItems``), values without a type (``Any``,
``object``, ``msgspec.Raw``, ``list`` of those), types msgspec cannot describe, and a
root that is not an object.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from typing import Any, TypeVar

import msgspec
import msgspec.inspect as mi

from ._decoding import decode_json, error_location
from ._exceptions import InvalidRequestError, StructuredOutputError

__all__ = [
    "decode_parsed",
    "response_format_for",
    "schema_name",
    "strict_schema",
    "strict_schema_at",
]

T = TypeVar("T")

JsonSchema = dict[str, Any]

_DEFS = "#/$defs/"
_NAME_CHARACTERS = re.compile(r"[^a-zA-Z0-9_-]")

# Keywords strict mode accepts (beyond the structural ones handled one by one below).
_KEPT = frozenset(
    {
        "title",
        "description",
        "const",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
# Annotations with no say over what the model writes: strict mode refuses them.
_DROPPED = frozenset(
    {
        "default",
        "examples",
        "discriminator",
        "$comment",
        "$schema",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
    }
)
# Constraints strict mode does not enforce: the model reads them in the description,
# and msgspec checks them when the answer is decoded.
_NOTED = ("minLength", "maxLength", "uniqueItems", "minProperties", "maxProperties")
_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_BASE64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_DECIMAL = r"^-?[0-9]+(?:\.[0-9]+)?$"
_NO_TYPE = (
    "a value without a type (Any, object or msgspec.Raw) cannot be described in strict mode: "
    "give it a concrete type (str, a Struct, a union, ...)"
)
_JSON_TYPES: dict[type, str] = {str: "string", bool: "boolean", int: "integer", float: "number"}


# --- names ------------------------------------------------------------------------------


def _unannotated(type_: object) -> object:
    while typing.get_origin(type_) is typing.Annotated:
        type_ = typing.get_args(type_)[0]
    return type_


def schema_name(type_: object) -> str:
    """The type's ``__name__`` as the API's names must be: ``^[a-zA-Z0-9_-]{1,64}$``."""
    bare = _unannotated(type_)
    bare = typing.get_origin(bare) or bare  # a generic Struct: Page[int] is named Page
    name = getattr(bare, "__name__", None)
    if not isinstance(name, str) or not name:
        name = "response"
    return _NAME_CHARACTERS.sub("_", name)[:64]


def _summary(type_: object) -> str | None:
    """The first paragraph of the type's own docstring, None when it has none."""
    bare = _unannotated(type_)
    bare = typing.get_origin(bare) or bare
    if not isinstance(bare, type):
        return None
    doc = bare.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return None
    doc = inspect.cleandoc(doc)
    # A dataclass with no docstring is given its signature as one: that says nothing.
    if doc.startswith(f"{bare.__name__}(") and doc.endswith(")"):
        return None
    first = doc.split("\n\n", 1)[0]
    return " ".join(first.split()) or None


# --- the strict schema ------------------------------------------------------------------


def strict_schema(type_: object, *, where: str = "response_format") -> dict[str, Any]:
    """The strict-mode JSON schema of ``type_`` (a Struct, dataclass, TypedDict, ...).

    Raises ``InvalidRequestError`` for a type strict mode cannot express; its ``param``
    names the place, ``where`` then the type's name then the field:
    ``response_format.Weather.readings``.
    """
    bare = _unannotated(type_)
    bare = typing.get_origin(bare) or bare
    # Named by the user's class (Page for Page[int]), not by list[X] or X | Y.
    named = isinstance(bare, type) and bare.__module__ not in ("builtins", "collections.abc", "types")
    return strict_schema_at(type_, f"{where}.{schema_name(type_)}" if named else where)


def strict_schema_at(type_: object, path: str) -> dict[str, Any]:
    """``strict_schema`` with ``path`` as the whole prefix of the names in its errors:
    for a tool's parameters, ``tools.get_weather`` (then ``tools.get_weather.city``)."""
    try:
        hash(type_)
    except TypeError:  # Annotated with unhashable metadata: made every time
        return _build(type_, path)
    # Made once per type and kept as JSON: each call decodes a fresh copy, which the
    # caller may change.
    schema: JsonSchema = msgspec.json.decode(_encoded_schema(type_, path))
    return schema


@functools.lru_cache(maxsize=256)
def _encoded_schema(type_: object, path: str) -> bytes:
    return msgspec.json.encode(_build(type_, path))


def _build(type_: object, path: str) -> JsonSchema:
    try:
        (root,), defs = msgspec.json.schema_components((type_,), ref_template=_DEFS + "{name}")
    except (TypeError, ValueError) as error:
        raise _undescribable(type_, path, error) from None
    root_name: str | None = None
    if "$ref" in root:
        # The root must be the object itself, not a reference to it: its definition is
        # written inline, and references to it (recursion) become "#".
        name: str = root.pop("$ref").removeprefix(_DEFS)
        root = {**defs.pop(name), **root}
        root_name = name
    _check_root(type_, root, path)
    walk = _Walk(defs, root_name)
    schema = walk.node(root, path)
    if walk.used:
        schema["$defs"] = walk.used
    return schema


_WHAT = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "None",
    "array": "an array",
    "object": "a free-form map",
}


def _check_root(type_: object, root: JsonSchema, path: str) -> None:
    if root.get("type") == "object" and "properties" in root:
        return
    if "anyOf" in root:
        what = "a union (anyOf)"
    elif "enum" in root:
        what = "an enum"
    else:
        what = _WHAT.get(root.get("type", ""), "a value of any type")
    raise _not_an_object(type_, what, path)


def _not_an_object(type_: object, what: str, path: str) -> InvalidRequestError:
    return InvalidRequestError(
        path,
        f"the answer must be a JSON object, and {_type_repr(type_)} is {what}: use a Struct, "
        "dataclass or TypedDict with named fields (for a list or a single value, wrap it in "
        "one: `class Answer(msgspec.Struct): items: list[Weather]`)",
    )


# Keywords each handled by the walk itself.
_STRUCTURE = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "anyOf",
        "$ref",
        "enum",
        "format",
        "contentEncoding",
    }
)


class _Walk:
    """One pass over msgspec's schema, making each node strict.  Each definition is made
    strict once, and named in errors by the path it was first reached by."""

    def __init__(self, defs: dict[str, JsonSchema], root_name: str | None) -> None:
        self.defs = defs
        self.root_name = root_name
        self.used: dict[str, JsonSchema] = {}

    def node(self, schema: JsonSchema, path: str) -> JsonSchema:
        out: JsonSchema = {}
        notes: list[str] = []
        for key, value in schema.items():
            if key in _KEPT:
                out[key] = (
                    inspect.cleandoc(value) if key == "description" and isinstance(value, str) else value
                )
            elif key in _NOTED:
                notes.append(f"{key}={msgspec.json.encode(value).decode()}")
            elif key not in _DROPPED and key not in _STRUCTURE:
                raise InvalidRequestError(
                    path, f"its schema uses `{key}`, which strict mode does not support"
                )
        if "$ref" in schema:
            return self._reference(schema["$ref"], out, notes, path)
        if "anyOf" in schema:
            out["anyOf"] = [self.node(member, path) for member in schema["anyOf"]]
        kind = schema.get("type")
        if "enum" in schema:
            out["type"] = kind if kind is not None else _enum_type(schema["enum"])
            out["enum"] = schema["enum"]
        elif kind is not None:
            out["type"] = kind
        if kind == "object":
            self._object(schema, out, path)
        elif kind == "array":
            self._array(schema, out, path)
        elif kind == "string":
            _string(schema, out, notes)
        if not ({"type", "anyOf", "enum", "const"} & out.keys()):
            raise InvalidRequestError(path, _NO_TYPE)
        _note(out, notes)
        return out

    def _reference(self, ref: str, out: JsonSchema, notes: list[str], path: str) -> JsonSchema:
        name = ref.removeprefix(_DEFS)
        if name == self.root_name:
            ref = "#"
        elif name not in self.used:
            self.used[name] = {}  # taken before its walk: a recursive type refers to itself
            self.used[name] = self.node(self.defs[name], path)
        _note(out, notes)
        if not out:
            return {"$ref": ref}
        # Strict mode allows no keyword beside "$ref" (msgspec puts a field's description
        # there), but allows them beside "anyOf".
        return {**out, "anyOf": [{"$ref": ref}]}

    def _object(self, schema: JsonSchema, out: JsonSchema, path: str) -> None:
        if "properties" not in schema or schema.get("additionalProperties", False) is not False:
            raise InvalidRequestError(
                path,
                "a free-form map (dict) cannot be described in strict mode, which names every "
                "key of an object: use a Struct, dataclass or TypedDict with named fields, or a "
                "list of key/value Structs",
            )
        properties: dict[str, JsonSchema] = schema["properties"]
        out["properties"] = {name: self.node(sub, f"{path}.{name}") for name, sub in properties.items()}
        # The model writes every property, so every one is required (a field with a
        # default too; an `X | None` one keeps its null branch) and no other is allowed.
        out["required"] = list(properties)
        out["additionalProperties"] = False

    def _array(self, schema: JsonSchema, out: JsonSchema, path: str) -> None:
        if "prefixItems" in schema or schema.get("items") is False:
            raise InvalidRequestError(
                path,
                "a fixed-length array (a tuple or NamedTuple) cannot be described in strict mode "
                "(no prefixItems): use a Struct or dataclass with named fields, or a list "
                "(list[int], tuple[int, ...])",
            )
        if "items" not in schema:
            raise InvalidRequestError(
                path,
                "a list of values without a type (list, list[Any]) cannot be described in strict "
                "mode: give its items a type (list[str], ...)",
            )
        out["items"] = self.node(schema["items"], f"{path}[]")


def _string(schema: JsonSchema, out: JsonSchema, notes: list[str]) -> None:
    fmt = schema.get("format")
    if schema.get("contentEncoding") == "base64":
        out.setdefault("pattern", _BASE64)
        notes.insert(0, "base64-encoded bytes")
    elif fmt == "decimal":
        out.setdefault("pattern", _DECIMAL)
        notes.insert(0, "a decimal number")
    elif fmt in _FORMATS:
        out["format"] = fmt
    elif fmt is not None:
        notes.append(f"format={fmt}")
    pattern = out.get("pattern")
    if isinstance(pattern, str) and _has_lookaround(pattern):
        del out["pattern"]
        notes.append(f"pattern={pattern}")


def _enum_type(values: list[object]) -> str | list[str]:
    types = sorted({_json_type(value) for value in values})
    return types[0] if len(types) == 1 else types


def _json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), "number")


def _has_lookaround(pattern: str) -> bool:
    escaped = False
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif pattern.startswith(_LOOKAROUND, i):
            return True
    return False


def _note(out: JsonSchema, notes: list[str]) -> None:
    if notes:
        text = "; ".join(notes)
        description = out.get("description")
        out["description"] = f"{description} ({text})" if description else text


def _type_repr(type_: object) -> str:
    """``list[Weather]``, not ``list[app.models.Weather]``."""
    if isinstance(type_, type):
        return type_.__qualname__
    return re.sub(r"\b[\w.]+\.(\w+)", r"\1", repr(type_))


def _undescribable(type_: object, path: str, error: Exception) -> InvalidRequestError:
    """msgspec cannot describe ``type_``: say which field holds the type it cannot."""
    info = mi.type_info(type_)
    if not isinstance(info, mi.StructType | mi.DataclassType | mi.TypedDictType):
        return _not_an_object(type_, "not an object", path)  # whatever else is wrong inside
    culprit, at = _custom_type(info, path, set())
    if culprit is object:
        return InvalidRequestError(at, _NO_TYPE)
    reason = str(error).strip().splitlines()[-1]  # msgspec's last line names the type
    what = _type_repr(culprit) if culprit is not None else _type_repr(type_)
    return InvalidRequestError(
        at,
        f"msgspec cannot describe `{what}` ({reason}): use types msgspec knows "
        "(str, int, float, bool, list, Literal, Enum, Struct, dataclass, TypedDict, ...)",
    )


def _custom_type(info: mi.Type, path: str, seen: set[int]) -> tuple[object | None, str]:
    """The first type msgspec does not know inside ``info``, and the path to it."""
    if id(info) in seen:
        return None, path
    seen.add(id(info))
    if isinstance(info, mi.CustomType):
        return info.cls, path
    children: list[tuple[mi.Type, str]] = []
    if isinstance(info, mi.StructType | mi.DataclassType | mi.TypedDictType | mi.NamedTupleType):
        children = [(field.type, f"{path}.{field.encode_name}") for field in info.fields]
    elif isinstance(info, mi.UnionType):
        children = [(member, path) for member in info.types]
    elif isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        children = [(info.item_type, f"{path}[]")]
    elif isinstance(info, mi.TupleType):
        children = [(item, f"{path}[]") for item in info.item_types]
    elif isinstance(info, mi.DictType):
        children = [(info.key_type, path), (info.value_type, path)]
    for child, at in children:
        found, where = _custom_type(child, at, seen)
        if found is not None:
            return found, where
    return None, path


# --- response_format --------------------------------------------------------------------


def response_format_for(type_: object) -> dict[str, Any]:
    """The ``response_format`` asking the model to answer as ``type_``, strictly:
    ``{"type": "json_schema", "json_schema": {"name", "description"?, "schema", "strict"}}``.

    The name is the type's ``__name__`` (made to fit the API's names), the description
    the first paragraph of its docstring.
    """
    json_schema: dict[str, Any] = {"name": schema_name(type_)}
    description = _summary(type_)
    if description is not None:
        json_schema["description"] = description
    json_schema["schema"] = strict_schema(type_)
    json_schema["strict"] = True
    return {"type": "json_schema", "json_schema": json_schema}


# --- the answer -------------------------------------------------------------------------


def decode_parsed(text: str | bytes, type_: type[T]) -> T:
    """The model's answer decoded into ``type_``, strictly (no type coercion).

    Raises ``StructuredOutputError`` naming the path of what does not fit:
    "The answer does not fit Weather: Expected `float`, got `str` - at `$.temperature`".
    """
    try:
        return decode_json(text, type_, strict=True)
    except msgspec.ValidationError as error:
        at, _ = error_location(error)
        path = "$" if not at else f"${at}" if at.startswith("[") else f"$.{at}"
        message = f"The answer does not fit {schema_name(type_)}: {error}"
    except msgspec.DecodeError as error:
        path = "$"
        message = f"The answer is not JSON, so it does not fit {schema_name(type_)}: {error}"
    answer = text if isinstance(text, str) else text.decode("utf-8", "replace")
    raise StructuredOutputError(message, path=path, text=answer) from None
