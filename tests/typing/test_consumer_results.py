"""Consumer-style code for one shape of completion and a typed assistant message: mypy
--strict and pyright strict accept it as it is, without a cast (nox -s typecheck), with
assert_type on what it reads; and it runs against the local server."""

from __future__ import annotations

import asyncio
from typing import Any, assert_type

from completionkit import (
    AsyncOpenAI,
    AsyncPage,
    AsyncPages,
    ChatCompletionResult,
    Choice,
    Message,
    MessageLike,
    OpenAI,
    Page,
)
from completionkit.testing import LocalServer, Reply
from completionkit.types import (
    ChatCompletionAudio,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageToolCall,
    ChatCompletionMessageToolCallFunction,
)


def get_weather(city: str) -> str:
    """The weather in a city.

    :param city: The city's name.
    """
    return f"18°C in {city}"


def test_the_assistant_message_is_typed_and_goes_back() -> None:
    with LocalServer() as server, OpenAI(api_key="sk-local", base_url=server.url) as client:
        messages: list[MessageLike] = [Message.user("The weather in Paris? Use get_weather.")]
        server.queue(Reply.calling("get_weather", {"city": "Paris"}))
        result = client.chat.completions.create(messages, model="gpt-4o-mini", tools=[get_weather])
        message = result.choice.message
        assert_type(message, Message)
        assert_type(message.refusal, str | None)
        assert_type(message.audio, ChatCompletionAudio | None)
        assert_type(
            message.tool_calls,
            list[ChatCompletionMessageToolCall | ChatCompletionMessageCustomToolCall | dict[str, Any]] | None,
        )
        messages.append(message)
        for call in message.tool_calls or []:
            if isinstance(call, ChatCompletionMessageToolCall):
                assert_type(call.function.name, str)
                assert_type(call.function.arguments, str)
                messages.append(Message.tool(get_weather("Paris"), tool_call_id=call.id))
            elif isinstance(call, ChatCompletionMessageCustomToolCall):
                assert_type(call.custom.input, str)
            else:
                assert_type(call, dict[str, Any])  # a kind of call this version does not know
        answer = client.chat.completions.create(messages, model="gpt-4o-mini", tools=[get_weather])
        assert answer.choice.text is not None
        sent = server.last_request.body["messages"][1]
        assert sent["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}

        # The model's side written by hand, with the same types.
        call = ChatCompletionMessageToolCall(
            id="call_1", function=ChatCompletionMessageToolCallFunction(name="get_weather", arguments="{}")
        )
        written = Message.assistant("Spoken.", tool_calls=[call], audio=ChatCompletionAudio(id="audio_1"))
        assert written.to_dict()["audio"] == {"id": "audio_1"}


def test_a_listed_completion_reads_as_a_retrieved_one() -> None:
    with LocalServer() as server, OpenAI(api_key="sk-local", base_url=server.url) as client:
        created = client.chat.completions.create([Message.user("Hi")], model="gpt-4o-mini", store=True)
        page = client.chat.completions.list(limit=10)
        assert_type(page, Page[ChatCompletionResult])
        for listed in page:
            assert_type(listed, ChatCompletionResult)
            assert_type(listed.choice, Choice)
            assert_type(listed.choice.text, str | None)
            assert_type(listed.choice.message, Message)
            assert_type(listed.raw, dict[str, Any])
            assert_type(listed.id, str)
            retrieved = client.chat.completions.retrieve(listed.id)
            assert_type(retrieved, ChatCompletionResult)
            assert (listed.id, listed.choice.text) == (created.id, retrieved.choice.text)
        asyncio.run(_listed_async(server.url, created.id))


async def _listed_async(url: str, completion_id: str) -> None:
    async with AsyncOpenAI(api_key="sk-local", base_url=url) as client:
        pages = client.chat.completions.list()
        assert_type(pages, AsyncPages[ChatCompletionResult])
        async for listed in pages:
            assert_type(listed, ChatCompletionResult)
            assert_type(listed.choice.text, str | None)
            assert listed.id == completion_id
        first = await client.chat.completions.list()
        assert_type(first, AsyncPage[ChatCompletionResult])
        assert [listed.choice.text for listed in first.data] == ["Hi"]
