"""Strict JSON schemas from Python types (``strict_schema``, ``response_format_for``), and
the model's answer decoded back into the type (``decode_parsed``).

Every schema made here is checked against strict mode's rules as a whole (``assert_strict``),
and, when the ``jsonschema`` package is installed, against the JSON Schema meta-schema and
against the values of the type it describes.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import importlib
import itertools
import typing
import uuid
from typing import Annotated, Any, Literal, NamedTuple, TypedDict

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from completionkit import APIResponseValidationError, InvalidRequestError, OpenAIError
from completionkit._exceptions import StructuredOutputError
from completionkit._schema import (
    decode_parsed,
    response_format_for,
    schema_name,
    strict_schema,
)

try:
    jsonschema: Any = importlib.import_module("jsonschema")
except ImportError:  # not a dependency of its own: the checks that need it are skipped
    jsonschema = None

# --- strict mode's rules, checked over a whole schema ---------------------------------------

ALLOWED = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "enum",
    "const",
    "$ref",
    "$defs",
    "title",
    "description",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
}
FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}


def nodes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every schema inside ``schema`` (itself included), through $defs, properties,
    items and anyOf."""
    found = [schema]
    for sub in schema.get("$defs", {}).values():
        found += nodes(sub)
    for sub in schema.get("properties", {}).values():
        found += nodes(sub)
    if isinstance(schema.get("items"), dict):
        found += nodes(schema["items"])
    for sub in schema.get("anyOf", []):
        found += nodes(sub)
    return found


def assert_strict(schema: dict[str, Any]) -> None:
    """The rules of strict mode, everywhere in ``schema``."""
    assert schema["type"] == "object"
    assert "anyOf" not in schema
    assert "$ref" not in schema
    for node in nodes(schema):
        assert set(node) <= ALLOWED, set(node) - ALLOWED
        if "$ref" in node:
            assert set(node) == {"$ref"}, node  # nothing beside a reference
            ref = node["$ref"]
            assert ref == "#" or ref.removeprefix("#/$defs/") in schema["$defs"]
        else:
            assert {"type", "anyOf", "enum", "const"} & set(node), node
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])
        if node is not schema:
            assert "$defs" not in node
        if "format" in node:
            assert node["format"] in FORMATS
        if node.get("type") == "array":
            assert isinstance(node["items"], dict)
    if jsonschema is not None:
        jsonschema.Draft202012Validator.check_schema(schema)


def assert_valid(instance: object, schema: dict[str, Any]) -> None:
    """``instance`` (plain JSON data) is valid under ``schema``, when jsonschema is there."""
    if jsonschema is not None:
        jsonschema.Draft202012Validator(schema).validate(instance)


# --- the types ----------------------------------------------------------------------------


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Location(msgspec.Struct):
    city: str
    country: str | None = None


class Weather(msgspec.Struct):
    """The weather at one place.

    Temperatures are in the unit asked for.
    """

    location: Location
    temperature: float
    unit: Unit
    sky: Literal["clear", "cloudy", "rain"]
    days: list[int] = []
    note: str | None = None


@dataclasses.dataclass
class Reading:
    at: datetime.date
    value: float
    source: str | None = None


class Station(TypedDict):
    name: str
    readings: list[Reading]


class Tree(msgspec.Struct):
    label: str
    children: list[Tree]


class Forest(msgspec.Struct):
    trees: list[Tree]
    biggest: Tree | None


class Cat(msgspec.Struct, tag="cat"):
    name: str
    lives: int


class Dog(msgspec.Struct, tag="dog"):
    name: str
    good: bool


class Pets(msgspec.Struct):
    pets: list[Cat | Dog]


class Point(NamedTuple):
    x: float
    y: float


class Opaque:
    """A class msgspec knows nothing about."""


class Inner(msgspec.Struct):
    things: list[Opaque]


class Outer(msgspec.Struct):
    inner: Inner


class Readings(msgspec.Struct):
    readings: dict[str, float]


ItemT = typing.TypeVar("ItemT")


class Page(msgspec.Struct, typing.Generic[ItemT]):
    items: list[Any]


# --- schemas ------------------------------------------------------------------------------


def test_a_struct_with_nested_optional_literal_and_enum_fields() -> None:
    schema = strict_schema(Weather)
    assert schema == {
        "title": "Weather",
        "description": "The weather at one place.\n\nTemperatures are in the unit asked for.",
        "type": "object",
        "properties": {
            "location": {"$ref": "#/$defs/Location"},
            "temperature": {"type": "number"},
            "unit": {"$ref": "#/$defs/Unit"},
            "sky": {"type": "string", "enum": ["clear", "cloudy", "rain"]},
            # Fields with a default are required; an optional one keeps its null branch.
            "days": {"type": "array", "items": {"type": "integer"}},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["location", "temperature", "unit", "sky", "days", "note"],
        "additionalProperties": False,
        "$defs": {
            "Location": {
                "title": "Location",
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "country": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "required": ["city", "country"],
                "additionalProperties": False,
            },
            "Unit": {"title": "Unit", "type": "string", "enum": ["celsius", "fahrenheit"]},
        },
    }
    assert_strict(schema)


def test_a_typeddict_holding_dataclasses() -> None:
    schema = strict_schema(Station)
    assert schema["properties"] == {
        "name": {"type": "string"},
        "readings": {"type": "array", "items": {"$ref": "#/$defs/Reading"}},
    }
    assert schema["$defs"]["Reading"]["properties"] == {
        "at": {"type": "string", "format": "date"},
        "value": {"type": "number"},
        "source": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    }
    assert schema["$defs"]["Reading"]["required"] == ["at", "value", "source"]
    assert_strict(schema)


def test_a_typeddict_whose_keys_may_be_left_out_has_them_all_required() -> None:
    class Partial(TypedDict, total=False):
        a: int
        b: str

    schema = strict_schema(Partial)
    assert schema["required"] == ["a", "b"]
    assert_strict(schema)


def test_recursion_through_the_root_is_a_reference_to_it() -> None:
    schema = strict_schema(Tree)
    assert schema == {
        "title": "Tree",
        "type": "object",
        "properties": {"label": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
        "required": ["label", "children"],
        "additionalProperties": False,
    }
    assert_strict(schema)
    tree: dict[str, Any] = {"label": "a", "children": [{"label": "b", "children": []}]}
    assert_valid(tree, schema)


def test_recursion_inside_is_kept_under_defs() -> None:
    schema = strict_schema(Forest)
    assert schema["properties"] == {
        "trees": {"type": "array", "items": {"$ref": "#/$defs/Tree"}},
        "biggest": {"anyOf": [{"$ref": "#/$defs/Tree"}, {"type": "null"}]},
    }
    assert schema["$defs"]["Tree"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    assert_strict(schema)


def test_a_tagged_union_is_anyof_told_apart_by_its_tag() -> None:
    schema = strict_schema(Pets)
    assert schema["properties"]["pets"] == {
        "type": "array",
        "items": {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]},
    }
    assert schema["$defs"]["Cat"]["properties"]["type"] == {"type": "string", "enum": ["cat"]}
    assert schema["$defs"]["Cat"]["required"] == ["type", "name", "lives"]
    assert_strict(schema)
    answer = (
        b'{"pets": [{"type": "dog", "name": "Rex", "good": true},'
        b' {"type": "cat", "name": "Tom", "lives": 9}]}'
    )
    assert decode_parsed(answer, Pets) == Pets([Dog("Rex", True), Cat("Tom", 9)])


def field_schema(type_: Any) -> dict[str, Any]:
    """The strict schema of one field of type ``type_``."""
    schema = strict_schema(msgspec.defstruct("One", [("value", type_)]))
    assert_strict(schema)
    property_schema: dict[str, Any] = schema["properties"]["value"]
    return property_schema


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        (int, {"type": "integer"}),
        (bool, {"type": "boolean"}),
        (Literal[1, 2], {"type": "integer", "enum": [1, 2]}),
        (Literal["a", 1, None], {"type": ["integer", "null", "string"], "enum": [None, 1, "a"]}),
        (int | str, {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        # A datetime that may be naive has no format (date-time needs an offset) ...
        (datetime.datetime, {"type": "string"}),
        # ... one that must be aware has.
        (Annotated[datetime.datetime, msgspec.Meta(tz=True)], {"type": "string", "format": "date-time"}),
        (datetime.date, {"type": "string", "format": "date"}),
        (Annotated[datetime.time, msgspec.Meta(tz=True)], {"type": "string", "format": "time"}),
        (datetime.timedelta, {"type": "string", "format": "duration"}),
        (uuid.UUID, {"type": "string", "format": "uuid"}),
        (
            decimal.Decimal,
            {"type": "string", "pattern": r"^-?[0-9]+(?:\.[0-9]+)?$", "description": "a decimal number"},
        ),
        (
            bytes,
            {
                "type": "string",
                "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                "description": "base64-encoded bytes",
            },
        ),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        # Constraints strict mode enforces stay; the others are told to the model.
        (
            Annotated[float, msgspec.Meta(ge=0, lt=100, multiple_of=0.5)],
            {"type": "number", "minimum": 0, "exclusiveMaximum": 100, "multipleOf": 0.5},
        ),
        (
            Annotated[list[int], msgspec.Meta(min_length=1, max_length=3)],
            {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
        ),
        (
            Annotated[
                str, msgspec.Meta(min_length=1, max_length=10, pattern="^[a-z]+$", description="A word.")
            ],
            {"type": "string", "pattern": "^[a-z]+$", "description": "A word. (maxLength=10; minLength=1)"},
        ),
        (set[str], {"type": "array", "items": {"type": "string"}, "description": "uniqueItems=true"}),
        (Annotated[str, msgspec.Meta(pattern="^(?!x)")], {"type": "string", "description": "pattern=^(?!x)"}),
        (
            Annotated[datetime.time, msgspec.Meta(tz=False)],
            {"type": "string", "description": "format=partial-time"},
        ),
        (
            Annotated[str, msgspec.Meta(examples=["a"], title="T", extra_json_schema={"default": "a"})],
            {"title": "T", "type": "string"},
        ),
        # Nothing may stand beside a reference: a described one is a one-member anyOf.
        (
            Annotated[Location, msgspec.Meta(description="Where.")],
            {"description": "Where.", "anyOf": [{"$ref": "#/$defs/Location"}]},
        ),
    ],
)
def test_what_each_type_becomes(type_: Any, expected: dict[str, Any]) -> None:
    assert field_schema(type_) == expected


@pytest.mark.parametrize(
    ("type_", "param", "words"),
    [
        (Readings, "response_format.Readings.readings", "free-form map"),
        (
            msgspec.defstruct("Pair", [("pair", tuple[int, str])]),
            "response_format.Pair.pair",
            "fixed-length array",
        ),
        (msgspec.defstruct("Spot", [("at", Point)]), "response_format.Spot.at", "fixed-length array"),
        (msgspec.defstruct("Loose", [("extra", Any)]), "response_format.Loose.extra", "without a type"),
        (msgspec.defstruct("Obj", [("extra", object)]), "response_format.Obj.extra", "without a type"),
        (msgspec.defstruct("Raw", [("raw", msgspec.Raw)]), "response_format.Raw.raw", "without a type"),
        (msgspec.defstruct("Items", [("items", list[Any])]), "response_format.Items.items", "items a type"),
        (
            msgspec.defstruct("Deep", [("deep", list[Readings])]),
            "response_format.Deep.deep[].readings",
            "map",
        ),
        (Outer, "response_format.Outer.inner.things[]", "msgspec cannot describe `Opaque`"),
        (
            msgspec.defstruct("Odd", [("odd", Annotated[int, msgspec.Meta(extra_json_schema={"not": {}})])]),
            "response_format.Odd.odd",
            "`not`",
        ),
        (Page[int], "response_format.Page.items", "items a type"),
        (int, "response_format", "int is an integer"),
        (list[Weather], "response_format", "list[Weather] is an array"),
        (Cat | Dog, "response_format", "is a union (anyOf)"),
        (dict[str, int], "response_format", "is a free-form map"),
        (Point, "response_format.Point", "Point is an array"),
        (Unit, "response_format.Unit", "Unit is an enum"),
        (list[Opaque], "response_format", "is not an object"),
    ],
)
def test_what_strict_mode_cannot_express_is_refused_naming_the_place(
    type_: Any, param: str, words: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        strict_schema(type_)
    assert caught.value.param == param
    assert words in caught.value.message
    assert caught.value.status is None


def test_a_refused_root_says_what_to_use_instead() -> None:
    with pytest.raises(InvalidRequestError, match=r"wrap it in one: `class Answer\(msgspec.Struct\)"):
        strict_schema(list[Weather])


def test_where_names_the_argument() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        strict_schema(Readings, where="tools.get_readings")
    assert caught.value.param == "tools.get_readings.Readings.readings"


def test_each_call_gives_a_schema_of_its_own() -> None:
    first = strict_schema(Weather)
    first["properties"].clear()
    assert strict_schema(Weather)["properties"]["temperature"] == {"type": "number"}


# --- response_format ------------------------------------------------------------------------


def test_response_format_for_a_type() -> None:
    assert response_format_for(Weather) == {
        "type": "json_schema",
        "json_schema": {
            "name": "Weather",
            "description": "The weather at one place.",
            "schema": strict_schema(Weather),
            "strict": True,
        },
    }


def test_response_format_without_a_docstring_has_no_description() -> None:
    # A dataclass is given its signature as a docstring: that describes nothing.
    assert "description" not in response_format_for(Reading)["json_schema"]
    assert "description" not in response_format_for(Location)["json_schema"]


@pytest.mark.parametrize(
    ("type_", "name"),
    [
        (Weather, "Weather"),
        (Annotated[Weather, msgspec.Meta(description="x")], "Weather"),
        (Page[int], "Page"),
        (msgspec.defstruct("Wetter für morgen", [("a", int)]), "Wetter_f_r_morgen"),
        (msgspec.defstruct("W" * 80, [("a", int)]), "W" * 64),
    ],
)
def test_the_name_fits_the_api(type_: Any, name: str) -> None:
    assert schema_name(type_) == name


# --- decoding the answer ----------------------------------------------------------------------

ANSWER = (
    b'{"location": {"city": "Paris", "country": null}, "temperature": 21.5, "unit": "celsius",'
    b' "sky": "clear", "days": [1, 2], "note": null}'
)


def test_an_answer_decodes_into_the_type() -> None:
    assert decode_parsed(ANSWER, Weather) == Weather(Location("Paris"), 21.5, Unit.CELSIUS, "clear", [1, 2])
    assert decode_parsed(ANSWER.decode(), Weather).unit is Unit.CELSIUS


DOES_NOT_FIT = "The answer does not fit Weather: "
NOT_JSON = "The answer is not JSON, so it does not fit Weather: "


# The message is ours up to the colon; msgspec's own words, which say the same in its
# style and change from one version to the next, follow it and are not checked here.
@pytest.mark.parametrize(
    ("answer", "path", "opening"),
    [
        (ANSWER.replace(b"21.5", b'"warm"'), "$.temperature", DOES_NOT_FIT),
        (ANSWER.replace(b'"city": "Paris", ', b""), "$.location.city", DOES_NOT_FIT),
        (ANSWER.replace(b"[1, 2]", b'[1, "2"]'), "$.days[1]", DOES_NOT_FIT),
        (b"[1]", "$", DOES_NOT_FIT),
        (ANSWER[:20], "$", NOT_JSON),
    ],
)
def test_an_answer_that_does_not_fit_names_the_path(answer: bytes, path: str, opening: str) -> None:
    with pytest.raises(StructuredOutputError) as caught:
        decode_parsed(answer, Weather)
    error = caught.value
    assert isinstance(error, APIResponseValidationError)
    assert isinstance(error, OpenAIError)
    assert error.path == path
    assert error.message.startswith(opening)
    assert error.message.removeprefix(opening).strip()  # and the decoder's reason after it
    assert error.text == answer.decode()
    assert error.status is None


def test_the_answer_is_decoded_strictly() -> None:
    # No coercion: "21.5" is not a number, even where msgspec's lax mode would take it.
    with pytest.raises(StructuredOutputError):
        decode_parsed(ANSWER.replace(b"21.5", b'"21.5"'), Weather)


def test_an_answer_with_invalid_utf8_is_kept_readable() -> None:
    with pytest.raises(StructuredOutputError) as caught:
        decode_parsed(ANSWER.replace(b"Paris", b"Par\xffis"), Weather)
    assert caught.value.path == "$"
    assert caught.value.message.startswith(NOT_JSON)
    assert caught.value.text == ANSWER.replace(b"Paris", b"Par\xffis").decode("utf-8", "replace")


def test_the_error_can_be_made_as_the_lead_will_raise_it() -> None:
    error = StructuredOutputError("The answer does not fit X: y", path="$.a", text="{}")
    assert str(error) == "The answer does not fit X: y"
    assert (error.path, error.text, error.param, error.body) == ("$.a", "{}", None, None)


# --- any object type: a property ------------------------------------------------------------

Spec = tuple[Any, "st.SearchStrategy[Any]"]
"""A type, and the values of that type."""

_serial = itertools.count()

LEAVES: list[Spec] = [
    (int, st.integers(-(2**63), 2**63 - 1)),
    (float, st.floats(allow_nan=False, allow_infinity=False)),
    (str, st.text(max_size=6)),
    (bool, st.booleans()),
    (Literal["a", "b"], st.sampled_from(["a", "b"])),
    (Unit, st.sampled_from(Unit)),
    (datetime.date, st.dates()),
    (uuid.UUID, st.uuids()),
    (bytes, st.binary(max_size=7)),
    (
        decimal.Decimal,
        st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    ),
]


@st.composite
def object_types(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> Spec:
    """A new Struct, dataclass or TypedDict, its fields of the types ``children`` draws,
    some optional (``X | None``, some of those defaulting to None)."""
    kind = draw(st.sampled_from(["struct", "dataclass", "typeddict"]))
    name = f"Generated{next(_serial)}"
    fields: list[tuple[str, Any, bool]] = []
    values: dict[str, st.SearchStrategy[Any]] = {}
    for i, (type_, strategy) in enumerate(draw(st.lists(children, max_size=4))):
        nullable = draw(st.booleans())
        if nullable:
            type_, strategy = type_ | None, st.none() | strategy
        default = kind != "typeddict" and nullable and draw(st.booleans())
        fields.append((f"f{i}", type_, default))
        values[f"f{i}"] = strategy
    made: Any
    if kind == "struct":
        made = msgspec.defstruct(name, [(f, t, None) if d else (f, t) for f, t, d in fields], kw_only=True)
    elif kind == "dataclass":
        made = dataclasses.make_dataclass(
            name,
            [(f, t, dataclasses.field(default=None)) if d else (f, t) for f, t, d in fields],
            kw_only=True,
        )
    else:
        typed_dict: Any = TypedDict
        made = typed_dict(name, {f: t for f, t, _ in fields})
        return made, st.fixed_dictionaries(values)
    return made, st.builds(made, **values)


def _list_of(spec: Spec) -> Spec:
    return list.__class_getitem__(spec[0]), st.lists(spec[1], max_size=3)


def _extend(children: st.SearchStrategy[Spec]) -> st.SearchStrategy[Spec]:
    return children.map(_list_of) | object_types(children)


TYPES = object_types(st.recursive(st.sampled_from(LEAVES), _extend, max_leaves=8))


@settings(max_examples=80, deadline=None)
@given(TYPES, st.data())
def test_any_object_type_gives_a_strict_schema_its_values_fit(spec: Spec, data: st.DataObject) -> None:
    type_, values = spec
    schema = strict_schema(type_)
    assert_strict(schema)
    value = data.draw(values)
    plain = msgspec.to_builtins(value)
    assert_valid(plain, schema)
    assert decode_parsed(msgspec.json.encode(plain), type_) == msgspec.convert(plain, type_) == value
