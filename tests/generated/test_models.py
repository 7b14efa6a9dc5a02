"""The generated msgspec Structs: what they decode, what they send."""

from __future__ import annotations

import inspect
from typing import Any

import msgspec
import pytest

from codegen.naming import schema_names
from completionkit import decode_json, encode_json
from completionkit._decoding import error_location
from completionkit._generated import models
from completionkit._generated.models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageList,
    ChatCompletionMessageToolCall,
    ChatCompletionTool,
    ChatCompletionUserMessage,
    CreateChatCompletionRequest,
    FunctionObject,
    ResponseFormatJsonSchema,
)

STRUCTS = sorted(
    (obj for _, obj in inspect.getmembers(models, inspect.isclass) if issubclass(obj, msgspec.Struct)),
    key=lambda cls: cls.__name__,
)


def _completion(**message: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": "hi", "refusal": None, **message},
            }
        ],
    }


@pytest.mark.parametrize("cls", STRUCTS, ids=lambda cls: cls.__name__)
def test_every_struct_has_a_decoder(cls: type[msgspec.Struct]) -> None:
    # msgspec refuses untagged unions of Structs when it builds the decoder: a
    # TypeError here is one a user would otherwise meet at decode time.
    msgspec.json.Decoder(cls)


def test_every_spec_schema_is_a_model_under_its_one_name(spec: Any) -> None:
    """A component of spec/openapi.yaml keeps its upstream name, or takes the one codegen/naming.py
    gives it (the official SDK's): one name, no alias under the other."""
    names = schema_names(spec)
    for upstream in spec["components"]["schemas"]:
        assert hasattr(models, names[upstream]), upstream
        if names[upstream] != upstream:
            assert not hasattr(models, upstream), upstream
    assert names["CreateChatCompletionRequest"] == "CreateChatCompletionRequest"
    assert names["CreateChatCompletionResponse"] == "ChatCompletion"
    assert names["CreateChatCompletionStreamResponse"] == "ChatCompletionChunk"
    assert names["ChatCompletionResponseMessage"] == "ChatCompletionMessage"


def test_request_with_model_and_messages_sends_exactly_those() -> None:
    request = CreateChatCompletionRequest(
        model="gpt-4o", messages=[ChatCompletionUserMessage(content="Hello")]
    )
    assert msgspec.json.decode(encode_json(request)) == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hello"}],
    }


def test_every_optional_request_field_defaults_to_unset() -> None:
    for field in msgspec.structs.fields(CreateChatCompletionRequest):
        if not field.required:
            assert field.default is msgspec.UNSET, field.name


def test_strict_decoding_refuses_unknown_union_members() -> None:
    raw = msgspec.json.encode(_completion(tool_calls=[{"id": "b", "type": "web_search"}]))
    with pytest.raises(msgspec.ValidationError) as raised:
        decode_json(raw, ChatCompletion, strict=True)
    assert error_location(raised.value)[0] == "choices[0].message.tool_calls[0].type"


def test_messages_decode_by_role() -> None:
    request = decode_json(
        b'{"model": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},'
        b' {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",'
        b' "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c", "content": "r"}]}',
        CreateChatCompletionRequest,
    )
    assert [type(m).__name__ for m in request.messages] == [
        "ChatCompletionSystemMessage",
        "ChatCompletionUserMessage",
        "ChatCompletionAssistantMessage",
        "ChatCompletionToolMessage",
    ]


def test_an_unknown_role_in_a_request_is_refused_with_its_path() -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        decode_json(
            b'{"model": "m", "messages": [{"role": "wizard", "content": "x"}]}', CreateChatCompletionRequest, strict=True
        )
    assert error_location(raised.value)[0] == "messages[0].role"


def test_tool_choice_decodes_strings_and_tagged_objects() -> None:
    decoded = decode_json(
        b'{"model": "m", "messages": [], "tool_choice": {"type": "function", "function": {"name": "f"}}}',
        CreateChatCompletionRequest,
    )
    assert type(decoded.tool_choice).__name__ == "ChatCompletionNamedToolChoice"
    decoded = decode_json(b'{"model": "m", "messages": [], "tool_choice": "auto"}', CreateChatCompletionRequest)
    assert decoded.tool_choice == "auto"


def test_free_form_function_parameters_lose_nothing() -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string", "enum": ["Paris", "Oslo"]}},
        "required": ["city"],
        "additionalProperties": False,
    }
    tool = ChatCompletionTool(function=FunctionObject(name="weather", parameters=schema))
    encoded = msgspec.json.decode(encode_json(tool))
    assert encoded == {"type": "function", "function": {"name": "weather", "parameters": schema}}
    assert decode_json(encode_json(tool), ChatCompletionTool) == tool


def test_free_form_json_schema_of_response_format_loses_nothing() -> None:
    raw = b'{"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object", "x-anything": [1, {"a": null}]}}}'
    decoded = decode_json(raw, ResponseFormatJsonSchema)
    assert msgspec.json.decode(encode_json(decoded)) == msgspec.json.decode(raw)


def test_metadata_stays_a_dict() -> None:
    raw = msgspec.json.encode({**_completion(), "metadata": {"topic": "greeting", "n": "1"}})
    assert decode_json(raw, ChatCompletion).metadata == {"topic": "greeting", "n": "1"}


def test_nullable_fields_accept_null() -> None:
    raw = msgspec.json.encode(
        {**_completion(audio=None, function_call=None, tool_calls=None), "usage": None, "service_tier": None,
         "system_fingerprint": None}
    )
    choice = decode_json(raw, ChatCompletion).choices[0]
    assert choice.message.tool_calls is None
    assert choice.logprobs is None


def test_fields_servers_leave_out_are_not_required() -> None:
    # vLLM, Ollama and llama.cpp omit refusal and logprobs.
    raw = msgspec.json.encode(
        {"id": "x", "object": "chat.completion", "created": 1, "model": "llama",
         "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}]}
    )
    assert decode_json(raw, ChatCompletion).choices[0].message.content == "hi"


class TestForwardCompatibility:
    def test_unknown_fields_are_ignored(self) -> None:
        raw = msgspec.json.encode({**_completion(brand_new={"x": 1}), "next_year_field": [1, 2]})
        assert decode_json(raw, ChatCompletion).id == "chatcmpl-1"

    def test_unknown_enum_values_decode_as_strings(self) -> None:
        completion = _completion()
        completion["choices"][0]["finish_reason"] = "thought_too_long"
        completion["service_tier"] = "ultra"
        decoded = decode_json(msgspec.json.encode(completion), ChatCompletion)
        assert decoded.choices[0].finish_reason == "thought_too_long"
        assert decoded.service_tier == "ultra"

    def test_unknown_union_members_are_kept_as_dicts(self) -> None:
        calls = [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
            {"id": "b", "type": "web_search", "web_search": {"query": "q"}},
        ]
        raw = msgspec.json.encode(_completion(tool_calls=calls))
        message = decode_json(raw, ChatCompletion).choices[0].message
        assert message.tool_calls is not None
        known, unknown = message.tool_calls
        assert isinstance(known, ChatCompletionMessageToolCall)
        assert known.function.name == "f"
        assert unknown == calls[1]
        # ... and nothing is lost when it is encoded again.
        assert msgspec.json.decode(encode_json(message))["tool_calls"] == calls

    def test_unknown_content_part_in_stored_messages(self) -> None:
        raw = msgspec.json.encode(
            {"object": "list", "first_id": "m", "last_id": "m", "has_more": False,
             "data": [{"id": "m", "role": "user", "content": "x",
                       "content_parts": [{"type": "text", "text": "x"}, {"type": "hologram", "uri": "h"}]}]}
        )
        parts = decode_json(raw, ChatCompletionMessageList).data[0].content_parts
        assert parts is not None
        assert parts[1] == {"type": "hologram", "uri": "h"}

    def test_unknown_chunk_delta_members(self) -> None:
        raw = msgspec.json.encode(
            {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "finish_reason": "new_reason",
                          "delta": {"role": "critic", "content": "x", "sparkle": True}}]}
        )
        chunk = decode_json(raw, ChatCompletionChunk)
        assert chunk.choices[0].finish_reason == "new_reason"
        assert chunk.choices[0].delta.role == "critic"

    def test_wrong_shapes_are_still_errors(self) -> None:
        completion = _completion()
        completion["created"] = "yesterday"
        with pytest.raises(msgspec.ValidationError) as raised:
            decode_json(msgspec.json.encode(completion), ChatCompletion)
        assert error_location(raised.value)[0] == "created"

    def test_wrong_shape_beside_an_unknown_member_is_still_an_error(self) -> None:
        calls = [{"id": "b", "type": "web_search"}, {"id": 5, "type": "function", "function": {}}]
        with pytest.raises(msgspec.ValidationError):
            decode_json(msgspec.json.encode(_completion(tool_calls=calls)), ChatCompletion)
