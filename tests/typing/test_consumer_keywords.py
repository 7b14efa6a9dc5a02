"""Consumer code written as openai users write it: the messages by keyword, in any order,
``async with`` a stream without ``await``, ``with_options``, a conversation's ``system=``.
mypy --strict and pyright strict accept it as it is (nox -s typecheck); and it runs."""

from __future__ import annotations

import asyncio
from typing import assert_type

import httpx2
import msgspec

from completionkit import (
    AsyncChatCompletionStream,
    AsyncChatCompletionStreamManager,
    AsyncOpenAI,
    ChatCompletionOutcome,
    ChatCompletionResult,
    ChatCompletionStream,
    ClientOptions,
    Conversation,
    MessageLike,
    OpenAI,
    ToolRun,
)
from completionkit.testing import LocalServer


class Weather(msgspec.Struct):
    city: str
    temperature: float


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_keyword_forms_type_check_and_run() -> None:
    messages: list[MessageLike] = [{"role": "user", "content": "Hi"}]
    with LocalServer() as server, OpenAI(api_key="sk-local", base_url=server.url) as client:
        completions = client.chat.completions
        by_keyword = completions.create(messages=messages, model="gpt-4o-mini")
        assert_type(by_keyword, ChatCompletionResult)
        model_first = completions.create(model="gpt-4o-mini", messages=messages, temperature=0.2)
        assert_type(model_first, ChatCompletionResult)
        shaped = completions.create(model="gpt-4o-mini", response_format=Weather, messages=messages)
        assert_type(shaped, ChatCompletionResult[Weather])
        assert isinstance(shaped.choice.parsed, Weather)
        outcome = completions.try_create(messages=messages, model="gpt-4o-mini", max_retries=0)
        assert_type(outcome, ChatCompletionOutcome)
        with completions.stream(model="gpt-4o-mini", messages=messages) as stream:
            assert_type(stream, ChatCompletionStream)
            text = stream.final().choice.text
        run = completions.run_tools(
            messages=[{"role": "user", "content": "Use get_weather."}],
            model="gpt-4o-mini",
            tools=[get_weather],
        )
        assert_type(run, ToolRun)
        chat = client.chat.conversation(system="Be brief.", model="gpt-4o-mini")
        assert_type(chat, Conversation)
        assert chat.ask("Hello").choice.text == "Hello"

        quick = client.with_options(timeout=30, max_retries=0)
        assert_type(quick, OpenAI)
        options: ClientOptions = {"default_headers": {"X-Team": "search"}}
        tagged = quick.with_options(**options)
        assert tagged.chat.completions.create(messages, model="gpt-4o-mini").choice.text == "Hi"
        assert server.last_request.headers["x-team"] == "search"
        with httpx2.Client() as http:
            assert_type(client.with_options(http_client=http), OpenAI)
    assert (by_keyword.choice.text, model_first.choice.text, text) == ("Hi", "Hi", "Hi")
    assert outcome.success
    assert run.rounds == 2


async def _async_consumer(url: str) -> list[str | None]:
    messages: list[MessageLike] = [{"role": "user", "content": "Hi"}]
    async with AsyncOpenAI(api_key="sk-local", base_url=url) as client:
        completions = client.chat.completions
        result = await completions.create(model="gpt-4o-mini", messages=messages)
        async with completions.stream(messages=messages, model="gpt-4o-mini") as stream:
            assert_type(stream, AsyncChatCompletionStream)
            texts = [text async for text in stream.text_deltas()]
            final = await stream.final()
        manager = completions.stream(messages, model="gpt-4o-mini")
        assert_type(manager, AsyncChatCompletionStreamManager)
        opened = await manager  # without a block: the stream is ours to close
        assert_type(opened, AsyncChatCompletionStream)
        await opened.close()
        quick = client.with_options(max_retries=0)
        assert_type(quick, AsyncOpenAI)
        chat = quick.chat.conversation(model="gpt-4o-mini", system="Be brief.")
        answer = await chat.ask("Hello")
        return [result.choice.text, *texts, final.choice.text, answer.choice.text]


def test_async_keyword_forms_type_check_and_run() -> None:
    with LocalServer() as server:
        assert asyncio.run(_async_consumer(server.url)) == ["Hi", "Hi", "Hi", "Hello"]
