"""The endpoint stubs describe every operation of spec/ faithfully."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from codegen.cut import OPERATIONS
from codegen.naming import schema_names
from completionkit._decoding import error_location
from completionkit._generated import endpoints, models
from completionkit._generated.endpoints import Endpoint, NoParameters, QueryParameter

ALL = list(endpoints.ENDPOINTS)


def test_one_stub_per_operation_in_spec_order() -> None:
    assert [e.operation_id for e in ALL] == list(OPERATIONS)


@pytest.mark.parametrize("endpoint", ALL, ids=lambda e: e.operation_id)
def test_stub_matches_the_spec(endpoint: Endpoint[Any, Any, Any, Any, Any], spec: Any) -> None:
    operation = spec["paths"][endpoint.path][endpoint.method.lower()]
    assert operation["operationId"] == endpoint.operation_id
    parameters = operation.get("parameters", [])
    path_names = {p["name"] for p in parameters if p["in"] == "path"}
    assert set(re.findall(r"{(\w+)}", endpoint.path)) == path_names
    assert {f.encode_name for f in msgspec.structs.fields(endpoint.path_parameters)} == path_names
    query = [p for p in parameters if p["in"] == "query"]
    assert [q.name for q in endpoint.query_parameters] == [p["name"] for p in query]
    assert {f.encode_name for f in msgspec.structs.fields(endpoint.query)} == {p["name"] for p in query}
    # A type has the spec's name or the one codegen/naming.py gives it (the official SDK's).
    names = schema_names(spec)
    content = operation["responses"]["200"]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    assert endpoint.response.__name__ == names[ref.rsplit("/", 1)[-1]]
    if "requestBody" in operation:
        assert endpoint.body is not None
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert endpoint.body.__name__ == names[ref.rsplit("/", 1)[-1]]
    else:
        assert endpoint.body is None
    if "text/event-stream" in content:
        assert endpoint.stream_chunk is models.ChatCompletionChunk
    else:
        assert endpoint.stream_chunk is None
    assert endpoint.error is models.ErrorResponse


def test_the_stubs_carry_methods_and_paths() -> None:
    assert [(e.method, e.path) for e in ALL] == [
        ("POST", "/chat/completions"),
        ("GET", "/chat/completions"),
        ("GET", "/chat/completions/{completion_id}"),
        ("POST", "/chat/completions/{completion_id}"),
        ("DELETE", "/chat/completions/{completion_id}"),
        ("GET", "/chat/completions/{completion_id}/messages"),
    ]


def test_metadata_filter_is_a_deep_object() -> None:
    assert QueryParameter("metadata", "deepObject", True) in endpoints.list_chat_completions.query_parameters


def test_query_parameters_are_typed_and_unset_by_default() -> None:
    query = endpoints.ListChatCompletionsQuery(limit=5, order="desc", metadata={"k": "v"})
    assert msgspec.to_builtins(query) == {"limit": 5, "order": "desc", "metadata": {"k": "v"}}
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert({"order": "sideways"}, endpoints.ListChatCompletionsQuery)
    assert error_location(raised.value)[0] == "order"


def test_path_parameters_are_required() -> None:
    fields = msgspec.structs.fields(endpoints.GetChatCompletionPathParameters)
    assert [(f.name, f.required) for f in fields] == [("completion_id", True)]
    with pytest.raises(TypeError):
        endpoints.GetChatCompletionPathParameters()  # type: ignore[call-arg]


def test_operations_without_parameters_use_no_parameters() -> None:
    assert endpoints.create_chat_completion.path_parameters is NoParameters
    assert endpoints.create_chat_completion.query is NoParameters
    assert endpoints.create_chat_completion.body is models.CreateChatCompletionRequest
