"""Query parameters: typed once from the spec, in the styles the client serialises or not at all."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec
import pytest

from codegen import query
from codegen.document import HTTP_METHODS, dump_yaml, load_yaml
from completionkit._generated import endpoints, params
from completionkit._generated.endpoints import NoParameters, QueryParameter

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "openapi.yaml"


def _spec() -> Any:
    return load_yaml(SPEC.read_bytes())


def _query_parameters(spec: Any) -> dict[str, list[str]]:
    return {
        operation["operationId"]: [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_each_operation_with_query_parameters_has_a_typeddict_with_their_names() -> None:
    declared = _query_parameters(_spec())
    with_query = [e for e in endpoints.ENDPOINTS if e.query is not NoParameters]
    assert {e.operation_id for e in with_query} == {o for o, names in declared.items() if names}
    for endpoint in with_query:
        typeddict = getattr(params, f"{endpoint.query.__name__}Params")
        wire = declared[endpoint.operation_id]
        assert list(typing.get_type_hints(typeddict)) == wire
        assert {f.encode_name for f in msgspec.structs.fields(endpoint.query)} == set(wire)
        assert typeddict.__required_keys__ == frozenset()
        assert typeddict.__name__ in params.__all__


def test_the_query_typeddicts_are_typed_from_the_spec() -> None:
    order = Literal["asc", "desc"]
    assert typing.get_type_hints(params.ListChatCompletionsQueryParams) == {
        "model": str,
        "metadata": Mapping[str, str],
        "after": str,
        "limit": int,
        "order": order,
    }
    assert typing.get_type_hints(params.GetChatCompletionMessagesQueryParams) == {
        "after": str,
        "limit": int,
        "order": order,
    }


def test_a_query_dict_converts_to_its_struct() -> None:
    keywords: params.ListChatCompletionsQueryParams = {"limit": 5, "order": "desc", "metadata": {"k": "v"}}
    converted = msgspec.convert(keywords, endpoints.ListChatCompletionsQuery)
    assert msgspec.to_builtins(converted) == keywords


def test_the_style_literal_lists_exactly_the_supported_styles() -> None:
    style = typing.get_type_hints(QueryParameter)["style"]
    assert set(typing.get_args(style)) == {style for style, _ in query.SUPPORTED}


def _document(parameter: dict[str, Any], **schemas: Any) -> dict[str, Any]:
    """A small spec: one operation, ``listThings``, with one query parameter."""
    return {
        "openapi": "3.1.0",
        "paths": {"/things": {"get": {"operationId": "listThings", "parameters": [parameter]}}},
        "components": {"schemas": schemas},
    }


def _parameter(schema: dict[str, Any], **wire: Any) -> dict[str, Any]:
    return {"name": "thing", "in": "query", "schema": schema, **wire}


STRINGS = {"type": "array", "items": {"type": "string"}}
MAP = {"type": "object", "additionalProperties": {"type": "string"}}


@pytest.mark.parametrize(
    ("parameter", "annotation", "style", "explode"),
    [
        (_parameter({"type": "integer"}), "int", "form", True),
        (_parameter({"type": "boolean"}, explode=False), "bool", "form", False),
        (_parameter(STRINGS), "Sequence[str]", "form", True),
        (_parameter(STRINGS, style="form", explode=False), "Sequence[str]", "form", False),
        (_parameter(MAP, style="deepObject", explode=True), "Mapping[str, str]", "deepObject", True),
        (
            _parameter({"anyOf": [MAP, {"type": "null"}]}, style="deepObject", explode=True),
            "Mapping[str, str]",
            "deepObject",
            True,
        ),
        (
            _parameter({"$ref": "#/components/schemas/Map"}, style="deepObject", explode=True),
            "Mapping[str, str]",
            "deepObject",
            True,
        ),
        (_parameter({"type": "string", "enum": ["a", "b"]}), "Literal['a', 'b']", "form", True),
    ],
)
def test_supported_styles_and_their_types(
    parameter: dict[str, Any], annotation: str, style: str, explode: bool
) -> None:
    document = _document(parameter, Map={"anyOf": [MAP, {"type": "null"}]})
    (found,) = query.operations(document)["listThings"].parameters
    assert (found.annotation, found.style, found.explode) == (annotation, style, explode)
    assert found.name == "thing"


@pytest.mark.parametrize(
    ("parameter", "why"),
    [
        (_parameter(STRINGS, style="spaceDelimited", explode=False), "'spaceDelimited' with explode false"),
        (_parameter(STRINGS, style="pipeDelimited", explode=False), "'pipeDelimited' with explode false"),
        (_parameter(STRINGS, style="pipeDelimited"), "'pipeDelimited' with explode false"),
        (_parameter({"type": "string"}, style="deepObject", explode=True), "does not serialise a scalar"),
        (_parameter(STRINGS, style="deepObject", explode=True), "does not serialise an array"),
        (_parameter(MAP, style="deepObject", explode=False), "'deepObject' with explode false"),
        # deepObject's explode defaults to false.
        (_parameter(MAP, style="deepObject"), "'deepObject' with explode false"),
        (_parameter(MAP), "'form' with explode true does not serialise an object"),
        (_parameter(MAP, explode=False), "'form' with explode false does not serialise an object"),
        (_parameter({"type": "array", "items": MAP}), "no query string form"),
        (_parameter({"type": "object", "properties": {"a": {"type": "string"}}}), "no query string form"),
        (_parameter({"anyOf": [{"type": "string"}, STRINGS]}), "a union of other than scalars"),
        ({"name": "thing", "in": "query", "content": {"application/json": {}}}, "has no schema"),
        (_parameter({"type": "string"}) | {"name": "not-an-identifier"}, "cannot be a keyword argument"),
    ],
)
def test_unsupported_parameters_name_the_operation_and_the_parameter(
    parameter: dict[str, Any], why: str
) -> None:
    with pytest.raises(query.QueryParameterError) as raised:
        query.operations(_document(parameter))
    message = str(raised.value)
    assert message.startswith(f"listThings: query parameter {parameter['name']!r}"), message
    assert why in message


def test_generation_fails_on_an_unsupported_style(tmp_path: Path) -> None:
    spec = _spec()
    mangled = copy.deepcopy(spec)
    parameters = mangled["paths"]["/chat/completions"]["get"]["parameters"]
    order = next(p for p in parameters if p["name"] == "order")
    order.update(style="spaceDelimited", explode=False)
    path = tmp_path / "openapi.yaml"
    path.write_text(dump_yaml(mangled), "utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--spec", str(path), "--root", str(tmp_path / "out")],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert "listChatCompletions: query parameter 'order'" in completed.stderr
    assert "spaceDelimited" in completed.stderr
    assert not (tmp_path / "out").exists()
