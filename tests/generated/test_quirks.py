"""The quirk catalogue (tests/fixtures/quirks): what real servers send decodes into the types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from codegen.cut import load_yaml
from completionkit import decode_json, encode_json
from completionkit._decoding import error_location
from completionkit._generated.models import (
    ChatCompletion,
    ChatCompletionAssistantMessage,
    ChatCompletionChunk,
    CreateChatCompletionRequest,
    ErrorResponse,
)

CATALOGUE = load_yaml((Path(__file__).parents[1] / "fixtures" / "quirks" / "catalogue.yaml").read_bytes())
CASES = {case["name"]: case for case in CATALOGUE["cases"]}
TYPES: dict[str, Any] = {
    "completion": ChatCompletion,
    "chunk": ChatCompletionChunk,
    "error": ErrorResponse,
}


def _decode(name: str) -> Any:
    case = CASES[name]
    return decode_json(case["body"], TYPES[case["kind"]])


def test_every_case_says_who_sends_it_and_why() -> None:
    assert len(CASES) >= 12
    for case in CASES.values():
        assert case["server"]
        assert case["note"]
        assert case["kind"] in TYPES


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_case_decodes_and_round_trips(name: str) -> None:
    decoded = _decode(name)
    type_ = TYPES[CASES[name]["kind"]]
    assert decode_json(encode_json(decoded), type_) == decoded


def test_azure_first_chunk() -> None:
    chunk = _decode("azure-first-chunk")
    assert (chunk.id, chunk.model, chunk.object, chunk.choices) == ("", "", "", [])


def test_content_filter_chunk_has_an_empty_delta() -> None:
    (choice,) = _decode("azure-content-filter-chunk").choices
    assert choice.delta.content is None
    assert choice.delta.role is None


def test_usage_only_chunk_has_no_choices() -> None:
    chunk = _decode("usage-only-chunk")
    assert chunk.choices == []
    assert chunk.usage is not None
    assert chunk.usage.total_tokens == 21


def test_unknown_object_name_is_kept() -> None:
    assert _decode("plural-object-name").object == "chat.completions.chunk"


def test_tool_call_deltas_without_index_or_id() -> None:
    (call,) = _decode("tool-call-delta-without-index").choices[0].delta.tool_calls
    assert (call.index, call.id) == (None, "call_1")
    (call,) = _decode("tool-call-delta-without-id").choices[0].delta.tool_calls
    assert (call.index, call.id, call.type) == (0, None, None)


def test_reasoning_is_a_typed_field() -> None:
    assert _decode("reasoning-content-delta").choices[0].delta.reasoning_content == "Let me think about"
    assert _decode("reasoning-delta").choices[0].delta.reasoning == "Okay, the user"
    message = _decode("reasoning-content-message").choices[0].message
    assert (message.content, message.reasoning_content) == ("42", "6 times 7 is 42.")


def test_absent_and_null_read_as_none() -> None:
    assert _decode("final-answer-without-finish-reason").choices[0].finish_reason is None
    completion = _decode("answer-without-usage-logprobs-fingerprint")
    assert (completion.usage, completion.system_fingerprint) == (None, None)
    choice = completion.choices[0]
    assert (choice.logprobs, choice.message.refusal, choice.message.tool_calls) == (None, None, None)


def test_error_objects_of_other_servers() -> None:
    error = _decode("error-in-the-middle-of-a-stream").error
    assert (error.message, error.code, error.type) == ("Provider returned error", 502, None)


def test_no_response_type_carries_unset() -> None:
    for case in CASES.values():
        assert b"UNSET" not in msgspec.json.encode(repr(_decode(case["name"])))


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", ChatCompletion),
        (b"[1, 2, 3]", ChatCompletion),
        (b'"just a string"', ChatCompletionChunk),
        (b'{"id": 5}', ChatCompletion),
        (b'{"choices": "many"}', ChatCompletionChunk),
    ],
)
def test_leniency_never_hides_a_real_failure(body: bytes, type_: Any) -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_json(body, type_)


class TestRequestsStayStrict:
    def test_an_assistant_message_still_needs_well_formed_tool_calls(self) -> None:
        with pytest.raises(msgspec.ValidationError) as raised:
            msgspec.convert(
                {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": ""}}]},
                ChatCompletionAssistantMessage,
            )
        assert error_location(raised.value)[0] == "tool_calls[0].id"

    def test_a_request_keeps_its_required_fields(self) -> None:
        with pytest.raises(msgspec.ValidationError) as raised:
            decode_json(b'{"model": "m"}', CreateChatCompletionRequest, strict=True)
        assert error_location(raised.value)[0] == "messages"

    def test_a_request_object_has_no_reasoning_field(self) -> None:
        names = {f.name for f in msgspec.structs.fields(ChatCompletionAssistantMessage)}
        assert "reasoning_content" not in names
