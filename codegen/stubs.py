"""Render ``generated/endpoints.py``: one description per operation, no I/O.

Each description (an ``Endpoint``, defined in codegen/runtime/_endpoint.py and copied
beside it) carries the HTTP method, the path template, a Struct for the path parameters
and one for the query parameters (with each query parameter's OpenAPI ``style`` and
``explode``, as codegen.query reads and checks them), the request body type, the
response type and, where the 200 response also offers ``text/event-stream``, the stream
chunk type.  The client builds every request from these, so a path or a type is
written down only here.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection
from typing import Any

from codegen import query
from codegen.cut import OPERATIONS
from codegen.document import HTTP_METHODS

__all__ = ["render"]

Json = Any

_TEMPLATE = '''{header}
"""Endpoint descriptions of the chat-completions operations: what goes on the wire, no I/O."""

from __future__ import annotations

from typing import {typing_imports}

{msgspec_import}from ._endpoint import {endpoint_imports}
from .models import (
{model_imports}
)

__all__ = [
{all_names}
]
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


class _Names:
    """The model names endpoints.py may import (``known``), and the names it imports."""

    def __init__(self, known: Collection[str]) -> None:
        self.known = frozenset(known)
        self.used: set[str] = set()
        self.typing: set[str] = {"Any"}
        self.msgspec: set[str] = set()

    def model(self, ref: str) -> str:
        name = ref.rsplit("/", 1)[-1]
        if name not in self.known:
            raise ValueError(f"{ref} has no class or alias {name!r} in the generated models")
        self.used.add(name)
        return name


# A parameter's constraints, as msgspec.Meta spells them: the query Struct carries them,
# so that the client refuses a value before sending it and the server the same value.
_CONSTRAINTS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
}


def _python_type(schema: Json, names: _Names) -> str:
    if "$ref" in schema:
        return names.model(schema["$ref"])
    members = [m for m in schema.get("anyOf", []) if m.get("type") != "null"]
    if len(members) == 1 and len(schema["anyOf"]) == 2:
        return _python_type(members[0], names)  # a query string has no null
    if "enum" in schema:
        names.typing.add("Literal")
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if kind in query.SCALAR_TYPES:
        meta = [f"{_CONSTRAINTS[k]}={schema[k]!r}" for k in _CONSTRAINTS if k in schema]
        if not meta:
            return query.SCALAR_TYPES[kind]
        names.typing.add("Annotated")
        names.msgspec.add("Meta")
        return f"Annotated[{query.SCALAR_TYPES[kind]}, Meta({', '.join(meta)})]"
    if kind == "array" and "items" in schema:
        return f"list[{_python_type(schema['items'], names)}]"
    raise ValueError(f"unsupported parameter schema {schema!r}")


def _schema_ref(content: Json, media_type: str) -> str | None:
    schema = content.get(media_type, {}).get("schema")
    if schema is None:
        return None
    if media_type == "text/event-stream":
        # The schema describes one event; its `data` carries the JSON the chunk type reads
        # (see spec/overlay.yaml).
        data = schema.get("properties", {}).get("data", {})
        schema = next((m["contentSchema"] for m in data.get("anyOf", []) if "contentSchema" in m), schema)
    if "$ref" not in schema:
        raise ValueError(f"{media_type} schemas must be $refs to components, not {schema!r}")
    return str(schema["$ref"])


def _parameter_struct(name: str, doc: str, parameters: list[Json], names: _Names) -> str:
    """A Struct of parameters, each ``{"name", "schema", "required", "description"}`` as in the spec."""
    lines = [f"\n\nclass {name}(Struct, kw_only=True, frozen=True):", f'    """{doc}"""', ""]
    names.msgspec.add("Struct")
    ordered = sorted(parameters, key=lambda p: not p.get("required", False))
    for parameter in ordered:
        wire = parameter["name"]
        python = _identifier(wire)
        annotation = _python_type(parameter.get("schema", {}), names)
        rename = f'name="{wire}"' if python != wire else ""
        if rename:
            names.msgspec.add("field")
        if parameter.get("required", False):
            default = f" = field({rename})" if rename else ""
            lines.append(f"    {python}: {annotation}{default}")
        else:
            names.msgspec |= {"UNSET", "UnsetType"}
            default = f"field(default=UNSET, {rename})" if rename else "UNSET"
            lines.append(f"    {python}: {annotation} | UnsetType = {default}")
        description = " ".join(parameter.get("description", "").split())
        if description:
            lines.append(f'    """{description.replace(chr(34) * 3, chr(39) * 3)}"""')
    return "\n".join(lines) + "\n"


def _properties(schema: Json, document: Json) -> set[str]:
    """The property names of an object schema, its ``allOf`` parts' included."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found |= _properties(part, document)
    return found


def _body_rule(combination: Json) -> tuple[str, str, Json] | None:
    """The rule a refused combination of fields states, in the one form the stubs carry:
    ``{required: [<field>], properties: {<field>: {not: {type: null}}, <needs>: {not:
    {const: <value>}}}}`` ("``field`` given and not null, ``needs`` not ``value``"), read as
    (field, needs, value); None for any other form."""
    if not isinstance(combination, dict) or set(combination) != {"required", "properties"}:
        return None
    required, properties = combination["required"], combination["properties"]
    if not (isinstance(required, list) and len(required) == 1 and isinstance(properties, dict)):
        return None
    field = required[0]
    needs = [name for name in properties if name != field]
    if len(properties) != 2 or len(needs) != 1 or properties.get(field) != {"not": {"type": "null"}}:
        return None
    refused = properties[needs[0]]
    if not (isinstance(refused, dict) and set(refused) == {"not"}):
        return None
    if not (isinstance(refused["not"], dict) and set(refused["not"]) == {"const"}):
        return None
    return field, needs[0], refused["not"]["const"]


def _body_rules(operation_id: str, ref: str, document: Json) -> list[str]:
    """The ``BodyRule``s of a request body, as source, from its schema's ``not: {anyOf:
    [...]}``: the combinations of fields the body may not hold.  Another form, or a field
    the body lacks, is an error, never dropped."""
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    if "not" not in schema:
        return []
    refused = schema["not"]
    combinations = refused.get("anyOf") if isinstance(refused, dict) and set(refused) == {"anyOf"} else None
    if not isinstance(combinations, list):
        raise ValueError(f"{operation_id}: the body's `not` is not an anyOf of refused combinations")
    fields = _properties(schema, document)
    rules: list[str] = []
    for combination in combinations:
        rule = _body_rule(combination)
        if rule is None:
            raise ValueError(
                f"{operation_id}: the body's `not` holds {combination!r}, not a field given and not null "
                "with another field that lacks a const value"
            )
        field, needs, value = rule
        missing = sorted({field, needs} - fields)
        if missing or isinstance(value, list | dict) or value is None:
            raise ValueError(f"{operation_id}: a rule of the body names {missing or value!r}")
        rules.append(f"BodyRule({field!r}, {needs!r}, {value!r})")
    return rules


def _error_type(document: Json, names: _Names) -> str:
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
    return names.model(refs.pop())


def render(document: Json, model_names: Collection[str], *, header: str) -> str:
    """The source of ``endpoints.py`` for the operations of ``document``.

    ``model_names`` are the classes and aliases the generated models define: a schema
    the stubs name must be one of them.
    """
    names = _Names(model_names)
    error = _error_type(document, names)
    queries = query.operations(document)
    structs: list[str] = []
    endpoints: list[str] = []
    runtime_names = ["Endpoint", "NoParameters", "QueryParameter"]
    exported: list[str] = list(runtime_names)
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
        if any(p["in"] not in ("path", "query") for p in parameters):
            raise ValueError(f"{operation_id}: only path and query parameters are supported")
        query_params = queries[operation_id].parameters if operation_id in queries else ()

        base = _pascal(operation_id)
        path_type = query_type = "NoParameters"
        if path_params:
            path_type = f"{base}PathParameters"
            doc = f"Path parameters of ``{operation_id}``."
            structs.append(_parameter_struct(path_type, doc, path_params, names))
            exported.append(path_type)
        if query_params:
            query_type = queries[operation_id].struct_name
            doc = f"Query parameters of ``{operation_id}``."
            declared = [
                {"name": p.name, "schema": p.schema, "required": p.required, "description": p.description}
                for p in query_params
            ]
            structs.append(_parameter_struct(query_type, doc, declared, names))
            exported.append(query_type)
        query_descriptions = ", ".join(
            f'QueryParameter("{p.name}", "{p.style}", {p.explode})' for p in query_params
        )

        body = "None"
        rules: list[str] = []
        if "requestBody" in operation:
            ref = _schema_ref(operation["requestBody"].get("content", {}), "application/json")
            if ref is None:
                raise ValueError(f"{operation_id}: only JSON request bodies are supported")
            body = names.model(ref)
            rules = _body_rules(operation_id, ref, document)
            if rules and "BodyRule" not in runtime_names:
                runtime_names.insert(0, "BodyRule")
                exported.append("BodyRule")
        ok = operation["responses"].get("200") or operation["responses"].get("201")
        response_ref = _schema_ref(ok.get("content", {}), "application/json")
        if response_ref is None:
            raise ValueError(f"{operation_id}: no JSON 200 response")
        response = names.model(response_ref)
        chunk_ref = _schema_ref(ok.get("content", {}), "text/event-stream")
        chunk = "None" if chunk_ref is None else names.model(chunk_ref)

        variable = _snake(operation_id)
        exported.append(variable)
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
            f"    error={error},\n"
            + (f"    body_rules=({', '.join(rules)},),\n" if rules else "")
            + ")\n"
            + (f'"""{summary}"""\n' if summary else "")
        )
    exported.append("ENDPOINTS")
    variables = ", ".join(_snake(o) for o in OPERATIONS)
    endpoints.append(
        "\n\nENDPOINTS: tuple[Endpoint[Any, Any, Any, Any, Any], ...] = "
        f"({variables})\n"
        '"""Every operation of the spec, in the order the spec cut lists them."""\n'
    )
    msgspec_names = sorted(names.msgspec, key=lambda n: (not n.isupper(), n))
    return _TEMPLATE.format(
        header=header,
        typing_imports=", ".join(sorted(names.typing)),
        msgspec_import=f"from msgspec import {', '.join(msgspec_names)}\n\n" if msgspec_names else "",
        endpoint_imports=", ".join(runtime_names),
        model_imports="\n".join(f"    {n}," for n in sorted(names.used)),
        all_names="\n".join(f'    "{n}",' for n in sorted(exported)),
        parameter_structs="".join(structs),
        endpoints="".join(endpoints),
    )
