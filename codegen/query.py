"""The query parameters of the spec's operations: how each goes on the wire, and its type.

completionkit serialises three ways, and nothing else:

- ``form`` with ``explode: true``: a scalar (``a=1``), or an array of scalars as the
  parameter repeated (``a=1&a=2``);
- ``form`` with ``explode: false``: a scalar, or an array of scalars joined by commas
  (``a=1,2``);
- ``deepObject`` with ``explode: true``: an object of scalar values (``a[k]=v``).

Any other style, explode or type is a ``QueryParameterError`` naming the operation and
the parameter, raised while generated/ is generated rather than met by a request. Both
typed forms of an operation's query come from this reading: codegen.stubs writes the
Struct of endpoints.py (``<Operation>Query``, which the client converts to and the
server decodes) from its parameters, names and styles, and codegen.params the keyword
TypedDict of params.py (``<Operation>QueryParams``) from its annotations, which say
what a caller passes (``Mapping`` and ``Sequence``, and no ``None``).
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Literal

from codegen.document import HTTP_METHODS, Json

__all__ = ["SCALAR_TYPES", "SUPPORTED", "Operation", "Parameter", "QueryParameterError", "operations"]

Shape = Literal["scalar", "array", "object"]

SUPPORTED: dict[tuple[str, bool], frozenset[Shape]] = {
    ("form", True): frozenset({"scalar", "array"}),
    ("form", False): frozenset({"scalar", "array"}),
    ("deepObject", True): frozenset({"object"}),
}
"""The shapes of value each (style, explode) the client serialises takes."""

SCALAR_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
"""The Python type of each scalar JSON Schema type, as a parameter's value."""


class QueryParameterError(ValueError):
    """A query parameter the client could not put on the wire, or whose type it cannot say."""


@dataclass(frozen=True)
class Parameter:
    """One query parameter: its wire name, style and explode, and its type as a keyword."""

    name: str
    style: str
    explode: bool
    required: bool
    schema: Json
    """The schema as the spec declares it (a ``$ref`` stays one)."""
    annotation: str
    """The type a caller passes, as source: ``str``, ``Sequence[int]``, ``Mapping[str, str]``, ...

    Without ``None``: a query string has no null, so a nullable schema's null is left out."""
    description: str


@dataclass(frozen=True)
class Operation:
    """An operation that takes query parameters, and the names of its two query types."""

    operation_id: str
    parameters: tuple[Parameter, ...]

    @property
    def struct_name(self) -> str:
        return f"{self.operation_id[:1].upper()}{self.operation_id[1:]}Query"

    @property
    def typeddict_name(self) -> str:
        return f"{self.struct_name}Params"


def _resolve(schema: Json, document: Json) -> Json:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_null(schema: Json) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _type(schema: Json, document: Json, where: str) -> tuple[Shape, str]:
    """The shape of a value of ``schema`` and the type a caller passes for it."""
    schema = _resolve(schema, document)
    if not isinstance(schema, dict):
        raise QueryParameterError(f"{where}: a schema must be a mapping, not {schema!r}")
    members = schema.get("anyOf") or schema.get("oneOf")
    if members is not None:
        typed = [_type(m, document, where) for m in members if not _is_null(_resolve(m, document))]
        if len(typed) == 1:
            return typed[0]
        if typed and all(shape == "scalar" for shape, _ in typed):
            return "scalar", " | ".join(dict.fromkeys(text for _, text in typed))
        raise QueryParameterError(f"{where}: a union of other than scalars cannot go in a query string")
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    values = [v for v in schema.get("enum", []) if v is not None]
    if values and all(isinstance(v, str | int) for v in values):
        return "scalar", "Literal[" + ", ".join(repr(v) for v in values) + "]"
    if kind in SCALAR_TYPES:
        return "scalar", SCALAR_TYPES[kind]
    if kind == "array" and "items" in schema:
        shape, item = _type(schema["items"], document, where)
        if shape == "scalar":
            return "array", f"Sequence[{item}]"
    values_schema = schema.get("additionalProperties")
    if kind == "object" and "properties" not in schema and isinstance(values_schema, dict):
        shape, value = _type(values_schema, document, where)
        if shape == "scalar":
            return "object", f"Mapping[str, {value}]"
    raise QueryParameterError(f"{where}: no query string form for the schema {schema!r}")


def _parameter(operation_id: str, parameter: Json, document: Json) -> Parameter:
    name = parameter["name"]
    where = f"{operation_id}: query parameter {name!r}"
    if "schema" not in parameter:
        raise QueryParameterError(f"{where} has no schema: parameters described by content are not supported")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise QueryParameterError(f"{where} cannot be a keyword argument")
    style = parameter.get("style", "form")
    # OpenAPI: explode defaults to true for form style and to false for the others.
    explode = parameter.get("explode", style == "form")
    shapes = SUPPORTED.get((style, explode))
    if shapes is None:
        raise QueryParameterError(
            f"{where}: style {style!r} with explode {str(explode).lower()} is not one the client serialises"
        )
    shape, annotation = _type(parameter["schema"], document, where)
    if shape not in shapes:
        raise QueryParameterError(
            f"{where}: style {style!r} with explode {str(explode).lower()} does not serialise"
            f" {'an' if shape[0] in 'ao' else 'a'} {shape}"
        )
    return Parameter(
        name=name,
        style=style,
        explode=explode,
        required=bool(parameter.get("required", False)),
        schema=parameter["schema"],
        annotation=annotation,
        description=" ".join(parameter.get("description", "").split()),
    )


def operations(document: Json) -> dict[str, Operation]:
    """Every operation that takes query parameters, by operationId, in the document's
    order; the parameters in the order the spec lists them (path item's first)."""
    found: dict[str, Operation] = {}
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            where = operation.get("operationId") or f"{method.upper()} {path}"
            declared = [*item.get("parameters", []), *operation.get("parameters", [])]
            if any("$ref" in p for p in declared):
                raise QueryParameterError(f"{where}: parameter $refs are not supported")
            if not any(p["in"] == "query" for p in declared):
                continue
            if "operationId" not in operation:
                raise QueryParameterError(
                    f"{where}: query parameters need an operationId to name their types"
                )
            query = [_parameter(where, p, document) for p in declared if p["in"] == "query"]
            found[where] = Operation(where, tuple(query))
    return found
