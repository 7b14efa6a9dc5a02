"""create() checks a request against a stand-in with only the fields it was given
(``_operations._request_of``), so that a first call does not pay for learning the types
of the fields it never set.  These tests pin that the stand-in judges exactly as the
whole ``CreateChatCompletionRequest`` does: the same value, or the same error."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from completionkit._generated.models import CreateChatCompletionRequest
from completionkit._operations import _request_of

FIELDS = [
    name for name in CreateChatCompletionRequest.__struct_encode_fields__ if name not in ("messages", "model")
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
# Values each field accepts, so that a draw is not always an error in its first field.
good_values: dict[str, st.SearchStrategy[Any]] = {
    "temperature": st.floats(0, 2),
    "max_completion_tokens": st.integers(1, 1000),
    "n": st.integers(1, 4),
    "stop": st.text(max_size=4) | st.lists(st.text(max_size=4), max_size=4),
    "metadata": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    "response_format": st.sampled_from([{"type": "text"}, {"type": "json_object"}]),
    "tools": st.just([{"type": "function", "function": {"name": "f", "parameters": {}}}]),
    "logprobs": st.booleans(),
    "user": st.text(max_size=8),
}
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["system", "user", "assistant", "developer", "tool", "nobody"]),
            "content": st.text(max_size=8)
            | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text()})),
        },
        optional={"tool_call_id": st.text(max_size=4), "name": json_values},
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    request: dict[str, Any] = {"messages": draw(messages), "model": draw(st.text(max_size=8) | json_values)}
    for name in draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=6)):
        request[name] = draw(good_values.get(name, json_values) | json_values)
    return request


def judged(request: dict[str, Any], type_: type[msgspec.Struct]) -> object:
    try:
        return msgspec.convert(request, type_)
    except msgspec.ValidationError as error:
        return str(error)


@settings(max_examples=300)
@given(requests())
def test_the_stand_in_judges_a_request_as_the_whole_request_does(request: dict[str, Any]) -> None:
    whole = judged(request, CreateChatCompletionRequest)
    checked = judged(request, _request_of(frozenset(request)))
    if isinstance(checked, msgspec.Struct):
        checked = CreateChatCompletionRequest(**msgspec.structs.asdict(checked))
    assert checked == whole


def test_one_stand_in_a_set_of_fields_with_only_those_fields() -> None:
    given = frozenset({"model", "messages", "temperature"})
    stand_in = _request_of(given)
    assert _request_of(frozenset(given)) is stand_in
    assert set(stand_in.__struct_fields__) == given
    assert set(
        _request_of(frozenset(CreateChatCompletionRequest.__struct_encode_fields__)).__struct_fields__
    ) == set(CreateChatCompletionRequest.__struct_fields__)
