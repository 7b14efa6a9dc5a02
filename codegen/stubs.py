"""Render ``generated/endpoints.py``: one description per operation, no I/O.

Each description carries the HTTP method, the path template, a Struct for the path
parameters and one for the query parameters (with each query parameter's OpenAPI
``style`` and ``explode``), the request body type, the response type and, where the
200 response also offers ``text/event-stream``, the stream chunk type.  The client
builds every request from these, so a path or a type is written down only here.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from codegen.cut import HTTP_METHODS, OPERATIONS

__all__ = ["render"]

Json = Any

_TEMPLATE = '''{header}
"""Endpoint descriptions of the chat-completions operations: what goes on the wire, no I/O."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from msgspec import {msgspec_imports}

from .models import (
{model_imports}
)

__all__ = [
{all_names}
]

PathT = TypeVar("PathT", bound=Struct)
QueryT = TypeVar("QueryT", bound=Struct)
BodyT = TypeVar("BodyT")
ResponseT = TypeVar("ResponseT")
ChunkT = TypeVar("ChunkT")


class NoParameters(Struct, frozen=True):
    """The path or query parameters of an operation that has none."""


class QueryParameter(Struct, frozen=True):
    """How one query parameter goes on the wire (OpenAPI ``style`` and ``explode``)."""

    name: str
    style: Literal["form", "deepObject", "spaceDelimited", "pipeDelimited"] = "form"
    explode: bool = True


class Endpoint(Struct, Generic[PathT, QueryT, BodyT, ResponseT, ChunkT], frozen=True):
    """One operation of the API, as the spec describes it."""

    operation_id: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    """The path template, relative to the base URL, with ``{{name}}`` placeholders."""
    path_parameters: type[PathT]
    query: type[QueryT]
    query_parameters: tuple[QueryParameter, ...]
    body: type[BodyT] | None
    response: type[ResponseT]
    stream_chunk: type[ChunkT] | None
    """The type of one server-sent event's data when the operation streams."""
    error: type[ErrorResponse]
{parameter_structs}
{endpoints}'''


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _identifier(wire: str) -> str:
    name = re.sub(r"\W", "_", wire)
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = f"{name}_"
    return name


def _model_name(ref: str, models: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    if not re.search(rf"^(class {re.escape(name)}\b|{re.escape(name)}: TypeAlias)", models, re.M):
        raise ValueError(f"{ref} has no class or alias {name!r} in the generated models")
    return name


def _python_type(schema: Json, models: str, used: set[str]) -> str:
    if "$ref" in schema:
        name = _model_name(schema["$ref"], models)
        used.add(name)
        return name
    if "enum" in schema:
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    if kind in simple:
        return simple[kind]
    if kind == "array" and "items" in schema:
        return f"list[{_python_type(schema['items'], models, used)}]"
    raise ValueError(f"unsupported parameter schema {schema!r}")


def _schema_ref(content: Json, media_type: str) -> str | None:
    schema = content.get(media_type, {}).get("schema")
    if schema is None:
        return None
    if "$ref" not in schema:
        raise ValueError(f"{media_type} schemas must be $refs to components, not {schema!r}")
    return str(schema["$ref"])


def _parameter_struct(name: str, doc: str, parameters: list[Json], models: str, used: set[str]) -> str:
    lines = [f"\n\nclass {name}(Struct, kw_only=True, frozen=True):", f'    """{doc}"""', ""]
    ordered = sorted(parameters, key=lambda p: not p.get("required", False))
    for parameter in ordered:
        wire = parameter["name"]
        python = _identifier(wire)
        annotation = _python_type(parameter.get("schema", {}), models, used)
        rename = f'name="{wire}"' if python != wire else ""
        if parameter.get("required", False):
            default = f" = field({rename})" if rename else ""
            lines.append(f"    {python}: {annotation}{default}")
        else:
            default = f"field(default=UNSET, {rename})" if rename else "UNSET"
            lines.append(f"    {python}: {annotation} | UnsetType = {default}")
        description = " ".join(parameter.get("description", "").split())
        if description:
            lines.append(f'    """{description.replace(chr(34) * 3, chr(39) * 3)}"""')
    return "\n".join(lines) + "\n"


def _query_parameter(parameter: Json) -> str:
    style = parameter.get("style", "form")
    # OpenAPI: explode defaults to true for form style and to false for the others.
    explode = parameter.get("explode", style == "form")
    return f'QueryParameter("{parameter["name"]}", "{style}", {explode})'


def _error_type(document: Json, models: str) -> str:
    refs: set[str] = set()
    responses = document.get("components", {}).get("responses", {})
    for item in document["paths"].values():
        for method in HTTP_METHODS:
            for status, response in item.get(method, {}).get("responses", {}).items():
                if str(status).startswith("2"):
                    continue
                if "$ref" in response:
                    response = responses[response["$ref"].rsplit("/", 1)[-1]]
                ref = _schema_ref(response.get("content", {}), "application/json")
                if ref:
                    refs.add(ref)
    if len(refs) != 1:
        raise ValueError(f"expected one error body schema across operations, found {sorted(refs)}")
    return _model_name(refs.pop(), models)


def render(document: Json, models: str, *, header: str) -> str:
    """The source of ``endpoints.py`` for the operations of ``document``."""
    used: set[str] = {_error_type(document, models)}
    structs: list[str] = []
    endpoints: list[str] = []
    names: list[str] = ["Endpoint", "NoParameters", "QueryParameter"]
    by_id = {
        item[method]["operationId"]: (path, method, item)
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }
    for operation_id in OPERATIONS:
        path, method, item = by_id[operation_id]
        operation = item[method]
        parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
        for parameter in parameters:
            if "$ref" in parameter:
                raise ValueError(f"{operation_id}: parameter $refs are not supported")
        path_params = [p for p in parameters if p["in"] == "path"]
        query_params = [p for p in parameters if p["in"] == "query"]
        if any(p["in"] not in ("path", "query") for p in parameters):
            raise ValueError(f"{operation_id}: only path and query parameters are supported")

        base = _pascal(operation_id)
        path_type = query_type = "NoParameters"
        if path_params:
            path_type = f"{base}PathParameters"
            structs.append(
                _parameter_struct(
                    path_type, f"Path parameters of ``{operation_id}``.", path_params, models, used
                )
            )
            names.append(path_type)
        if query_params:
            query_type = f"{base}Query"
            structs.append(
                _parameter_struct(
                    query_type, f"Query parameters of ``{operation_id}``.", query_params, models, used
                )
            )
            names.append(query_type)
        query_descriptions = ", ".join(_query_parameter(p) for p in query_params)

        body = "None"
        if "requestBody" in operation:
            ref = _schema_ref(operation["requestBody"].get("content", {}), "application/json")
            if ref is None:
                raise ValueError(f"{operation_id}: only JSON request bodies are supported")
            body = _model_name(ref, models)
            used.add(body)
        ok = operation["responses"].get("200") or operation["responses"].get("201")
        response_ref = _schema_ref(ok.get("content", {}), "application/json")
        if response_ref is None:
            raise ValueError(f"{operation_id}: no JSON 200 response")
        response = _model_name(response_ref, models)
        used.add(response)
        chunk_ref = _schema_ref(ok.get("content", {}), "text/event-stream")
        chunk = "None"
        if chunk_ref is not None:
            chunk = _model_name(chunk_ref, models)
            used.add(chunk)

        variable = _snake(operation_id)
        names.append(variable)
        summary = " ".join(operation.get("summary", "").split())
        generic = f"{path_type}, {query_type}, {body}, {response}, {chunk}"
        endpoints.append(
            f"\n\n{variable}: Endpoint[{generic}] = Endpoint(\n"
            f'    operation_id="{operation_id}",\n'
            f'    method="{method.upper()}",\n'
            f'    path="{path}",\n'
            f"    path_parameters={path_type},\n"
            f"    query={query_type},\n"
            f"    query_parameters=({query_descriptions}{',' if len(query_params) == 1 else ''}),\n"
            f"    body={body},\n"
            f"    response={response},\n"
            f"    stream_chunk={chunk},\n"
            f"    error={_error_type(document, models)},\n"
            f")\n" + (f'"""{summary}"""\n' if summary else "")
        )
    names.append("ENDPOINTS")
    variables = ", ".join(_snake(o) for o in OPERATIONS)
    endpoints.append(
        "\n\nENDPOINTS: tuple[Endpoint[Any, Any, Any, Any, Any], ...] = "
        f"({variables})\n"
        '"""Every operation of the spec, in the order the spec cut lists them."""\n'
    )
    source_structs = "".join(structs)
    msgspec_names = ["UNSET", "Struct", "UnsetType"] + (["field"] if "field(" in source_structs else [])
    return _TEMPLATE.format(
        header=header,
        msgspec_imports=", ".join(msgspec_names),
        model_imports="\n".join(f"    {n}," for n in sorted(used)),
        all_names="\n".join(f'    "{n}",' for n in sorted(names)),
        parameter_structs=source_structs,
        endpoints="".join(endpoints),
    )
