"""One shape for a completion: a listed one is the ``ChatCompletionResult`` that retrieve()
gives for it. And the assistant message, typed (tool calls, refusal, audio), goes back
into the conversation as the API wants it: checked in the JSON the server received."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from completionkit import AsyncOpenAI, ChatCompletionResult, Message, OpenAI
from completionkit.testing import LocalServer, Reply
from completionkit.types import (
    ChatCompletionAudio,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageToolCall,
    ChatCompletionMessageToolCallFunction,
)

from .conftest import USER


def _stored(client: OpenAI, n: int) -> list[str]:
    return [
        client.chat.completions.create(
            [{"role": "user", "content": f"m{i}"}], model="m", store=True, metadata={"n": str(i)}
        ).id
        for i in range(n)
    ]


# --- list() yields what retrieve() returns ------------------------------------------------


def test_a_listed_completion_is_the_result_retrieve_gives(server: LocalServer, client: OpenAI) -> None:
    ids = _stored(client, 3)
    server.clear_requests()
    listed = list(client.chat.completions.list(limit=2))  # two pages
    assert [r.params.get("after") for r in server.requests] == [None, ids[1]]
    assert [item.id for item in listed] == ids
    for i, item in enumerate(listed):
        assert isinstance(item, ChatCompletionResult)
        retrieved = client.chat.completions.retrieve(item.id)
        assert item.choice.text == retrieved.choice.text == f"m{i}"
        assert item.choice.message == retrieved.choice.message
        assert item.completion == retrieved.completion
        assert item.raw == retrieved.raw
        assert (item.model, item.created, item.metadata) == (
            retrieved.model,
            retrieved.created,
            {"n": str(i)},
        )
        assert item.usage == retrieved.usage
        assert item.choices[0].finish_reason == "stop"


def test_a_listed_completion_has_its_page_s_headers(client: OpenAI) -> None:
    created = client.chat.completions.create(USER, model="m", store=True)
    created_again = client.chat.completions.create(USER, model="m", store=True)
    first, second = client.chat.completions.list().data
    assert first.headers is second.headers  # the page's answer: one list request
    assert first.request_id is not None
    assert first.request_id not in (created.request_id, created_again.request_id)


def test_the_raw_of_a_listed_completion_keeps_what_the_spec_does_not_name(
    server: LocalServer, client: OpenAI
) -> None:
    answer = client.chat.completions.create(USER, model="m").raw
    message = {**answer["choices"][0]["message"], "reasoning_details": [{"text": "thought"}]}
    extended = {
        **answer,
        "id": "chatcmpl-extended",
        "provider": {"name": "a gateway", "cost": 0.25},
        "choices": [{**answer["choices"][0], "message": message}],
    }
    server.store.add(extended, {}, [])
    (item,) = client.chat.completions.list()
    assert item.id == "chatcmpl-extended"
    assert item.raw["provider"] == {"name": "a gateway", "cost": 0.25}
    assert item.raw["choices"][0]["message"]["reasoning_details"] == [{"text": "thought"}]
    assert item.choice.text == "Hello there"


def test_every_completion_of_a_page_reads_its_own_raw(client: OpenAI) -> None:
    ids = _stored(client, 5)
    page = client.chat.completions.list(limit=5)
    # Read out of order: each is its own object in the page.
    assert [page.data[i].raw["id"] for i in (3, 0, 4, 1, 2)] == [ids[i] for i in (3, 0, 4, 1, 2)]
    assert [item.raw["metadata"] for item in page.data] == [{"n": str(i)} for i in range(5)]


def test_async_list_yields_the_same_results_over_every_page(server: LocalServer, client: OpenAI) -> None:
    ids = _stored(client, 3)

    async def read() -> tuple[list[ChatCompletionResult], list[ChatCompletionResult]]:
        async with AsyncOpenAI(api_key="sk-test-key", base_url=server.url) as aclient:
            every = [item async for item in aclient.chat.completions.list(limit=2)]
            first = await aclient.chat.completions.list(limit=2)
            return every, first.data

    every, first_page = asyncio.run(read())
    assert [item.id for item in every] == ids
    assert all(isinstance(item, ChatCompletionResult) for item in every)
    assert [item.choice.text for item in every] == ["m0", "m1", "m2"]
    assert [item.raw["id"] for item in first_page] == ids[:2]
    assert every[2].raw == client.chat.completions.retrieve(ids[2]).raw


# --- the assistant message, typed, and back into the conversation --------------------------

CALLS = [
    {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    },
    {"id": "call_2", "type": "custom", "custom": {"name": "sql", "input": "SELECT 1"}},
]


def _answer(tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
    """A completion whose message has text, spoken audio and these tool calls."""
    message = {
        "role": "assistant",
        "content": "Let me look.",
        "refusal": None,
        "annotations": [],
        "audio": {
            "id": "audio_1",
            "expires_at": 1727349769,
            "data": "UklGRg==",
            "transcript": "Let me look.",
        },
        "tool_calls": tool_calls,
    }
    choice = {"index": 0, "finish_reason": "tool_calls", "logprobs": None, "message": message}
    return {
        "id": "chatcmpl-typed",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [choice],
    }


def _serve(server: LocalServer, answer: dict[str, Any]) -> None:
    server.queue(Reply.replay(json.dumps(answer).encode(), "application/json"))


def test_the_tool_calls_audio_and_refusal_of_an_answer_are_typed(server: LocalServer, client: OpenAI) -> None:
    _serve(server, _answer(CALLS))
    message = client.chat.completions.create(USER, model="m").choice.message
    function, custom = message.tool_calls or []
    assert isinstance(function, ChatCompletionMessageToolCall)
    assert (function.id, function.function.name, function.function.arguments) == (
        "call_1",
        "get_weather",
        '{"city":"Paris"}',
    )
    assert isinstance(custom, ChatCompletionMessageCustomToolCall)
    assert (custom.id, custom.custom.name, custom.custom.input) == ("call_2", "sql", "SELECT 1")
    assert isinstance(message.audio, ChatCompletionAudio)
    assert (message.audio.id, message.audio.transcript) == ("audio_1", "Let me look.")
    assert (message.role, message.text, message.refusal) == ("assistant", "Let me look.", None)


def test_the_answer_goes_back_as_the_api_wants_it(server: LocalServer, client: OpenAI) -> None:
    _serve(server, _answer(CALLS))
    result = client.chat.completions.create(USER, model="m")
    conversation = [
        *USER,
        result.choice.message,
        Message.tool("18°C", tool_call_id="call_1"),
        Message.tool("1", tool_call_id="call_2"),
    ]
    client.chat.completions.create(conversation, model="m")
    sent = server.last_request.body["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "Let me look.",
        "audio": {"id": "audio_1"},  # the data and the transcript are the model's: not sent back
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            },
            {"id": "call_2", "type": "custom", "custom": {"name": "sql", "input": "SELECT 1"}},
        ],
    }
    assert sent[2:] == [
        {"role": "tool", "content": "18°C", "tool_call_id": "call_1"},
        {"role": "tool", "content": "1", "tool_call_id": "call_2"},
    ]


def test_a_refusal_goes_back_as_a_refusal(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.refusal_of("I can't help with that."))
    message = client.chat.completions.create(USER, model="m").choice.message
    assert (message.text, message.refusal, message.tool_calls, message.audio) == (
        None,
        "I can't help with that.",
        None,
        None,
    )
    client.chat.completions.create([*USER, message, Message.user("Why?")], model="m")
    assert server.last_request.body["messages"][1] == {
        "role": "assistant",
        "refusal": "I can't help with that.",
    }


def test_a_streamed_answer_s_tool_calls_are_typed_and_go_back(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.calling("get_weather", {"city": "Paris"}))
    with client.chat.completions.stream(USER, model="m") as stream:
        message = stream.final().choice.message
    (call,) = message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageToolCall)
    assert (call.function.name, call.function.arguments) == ("get_weather", '{"city":"Paris"}')
    client.chat.completions.create([*USER, message, Message.tool("18°C", tool_call_id=call.id)], model="m")
    assert server.last_request.body["messages"][1] == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    }


def test_a_tool_call_of_an_unknown_kind_is_the_dict_the_server_sent(
    server: LocalServer, client: OpenAI
) -> None:
    unknown = {"id": "call_3", "type": "web_search", "web_search": {"query": "weather Paris"}}
    _serve(server, _answer([CALLS[0], unknown]))
    message = client.chat.completions.create(USER, model="m").choice.message
    known, kept = message.tool_calls or []
    assert isinstance(known, ChatCompletionMessageToolCall)
    assert kept == unknown
    assert message.to_dict()["tool_calls"] == [CALLS[0], unknown]


def test_a_message_built_from_typed_tool_calls_is_sent_as_one_built_from_dicts() -> None:
    call = ChatCompletionMessageToolCall(
        id="call_1", function=ChatCompletionMessageToolCallFunction("f", "{}")
    )
    as_dict = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    typed = Message.assistant(tool_calls=[call], audio=ChatCompletionAudio(id="audio_1"))
    plain = Message.assistant(tool_calls=[as_dict])
    assert typed.to_dict() == {"role": "assistant", "tool_calls": [as_dict], "audio": {"id": "audio_1"}}
    assert typed != plain
    typed.audio = None
    assert typed == plain
    assert typed.tool_calls is not None
    assert typed.tool_calls[0] is not call  # the message's own copy


def test_run_tools_answers_a_call_it_cannot_run_and_runs_the_others(
    server: LocalServer, client: OpenAI
) -> None:
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"18°C in {city}"

    _serve(server, _answer(CALLS))
    server.queue(Reply.text("It is 18°C."))
    run = client.chat.completions.run_tools(USER, model="m", tools=[get_weather])
    assert run.result.choice.text == "It is 18°C."
    sent = server.last_request.body["messages"]
    assert sent[1]["tool_calls"] == CALLS
    assert sent[2:] == [
        {"role": "tool", "content": "18°C in Paris", "tool_call_id": "call_1"},
        {"role": "tool", "content": "Error: a 'custom' call cannot be run here.", "tool_call_id": "call_2"},
    ]
