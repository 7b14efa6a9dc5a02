"""Consumer-style code against the client: mypy --strict and pyright strict accept it as
it is (nox -s typecheck), with assert_type on what the methods return; and it runs."""

from __future__ import annotations

from typing import assert_type

import pytest

from completionkit import (
    APIStatusError,
    AsyncChatCompletionStream,
    AsyncOpenAI,
    AsyncPage,
    AsyncPages,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionOutcome,
    ChatCompletionResult,
    ChatCompletionsParameters,
    ChatCompletionStream,
    Choice,
    CompletionUsage,
    Message,
    MessageLike,
    OpenAI,
    Page,
    RateLimit,
    RateLimitError,
    StoredMessage,
)
from completionkit.testing import Fault, LocalServer, Reply
from completionkit.types import ChatCompletionToolParam


def test_consumer_code_type_checks_and_runs() -> None:
    with LocalServer() as server, OpenAI(api_key="sk-local", base_url=server.url, max_retries=0) as client:
        completions = client.chat.completions
        messages: list[MessageLike] = [Message.system("Be brief."), {"role": "user", "content": "Hi"}]

        result = completions.create(messages, model="gpt-4o-mini", temperature=0.2, store=True, timeout=30)
        assert_type(result, ChatCompletionResult)
        assert_type(result.choice, Choice)
        assert_type(result.choice.text, str | None)
        assert_type(result.choice.message, Message)
        assert_type(result.choice.finish_reason, str | None)
        assert_type(result.completion, ChatCompletion)
        assert_type(result.usage, CompletionUsage | None)
        assert_type(result.rate_limit, RateLimit)
        assert_type(result.id, str)
        assert_type(result.created, int)
        assert_type(result.model, str)
        assert_type(result.completion.choices[0].index, int)
        messages.append(result.choice.message)

        again = completions.create(messages, ChatCompletionsParameters(model="gpt-4o-mini", max_retries=1))
        assert again.choice.text
        same = completions.create(messages, {"model": "gpt-4o-mini"}, n=1)
        assert same.choice.text

        # What users write most: dict literals for every nested request object.
        tools: list[ChatCompletionToolParam] = [
            {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        ]
        with_dicts = completions.create(
            [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
            model="gpt-4o-mini",
            tools=tools,
            tool_choice={"type": "function", "function": {"name": "f"}},
            response_format={"type": "json_object"},
            web_search_options={},
            stream_options=None,
        )
        assert_type(with_dicts, ChatCompletionResult)

        stored = completions.retrieve(result.id)
        assert_type(stored, ChatCompletionResult)
        assert stored.choice.text == result.choice.text
        updated = completions.update(result.id, {"topic": "greeting"})
        assert_type(updated, ChatCompletionResult)
        assert updated.metadata == {"topic": "greeting"}
        page = completions.list(metadata={"topic": "greeting"}, order="desc", limit=10)
        assert_type(page, Page[ChatCompletionResult])
        assert [c.id for c in page] == [result.id]
        stored_messages = completions.messages.list(result.id, limit=1)
        assert_type(stored_messages, Page[StoredMessage])
        assert [m.role for m in stored_messages] == ["system", "user"]
        deleted = completions.delete(result.id)
        assert_type(deleted, bool)
        assert deleted

        with completions.stream(
            messages, model="gpt-4o-mini", stream_options={"include_usage": True}
        ) as stream:
            assert_type(stream, ChatCompletionStream)
            for chunk in stream:
                assert_type(chunk, ChatCompletionChunk)
            final = stream.final()
        assert_type(final, ChatCompletionResult)
        texts = list(completions.stream(messages, model="gpt-4o-mini").text_deltas())
        assert_type(texts, list[str])
        seen: list[ChatCompletionChunk] = []
        streamed = completions.create(messages, model="gpt-4o-mini", stream=True, on_data=seen.append)
        assert_type(streamed, ChatCompletionResult)
        assert seen

        server.queue(Reply.text("ok"))
        server.inject(Fault.rate_limit())
        outcome = completions.try_create(messages, model="gpt-4o-mini")
        assert_type(outcome, ChatCompletionOutcome)
        assert_type(outcome.choice, Choice | None)
        assert_type(outcome.result, ChatCompletionResult | None)
        assert not outcome.success
        error = outcome.errors[0]
        assert isinstance(error, RateLimitError)
        assert_type(error.status, int)
        assert error.is_rate_limit_error
        with pytest.raises(APIStatusError) as raised:
            completions.retrieve("missing")
        assert_type(raised.value.status, int)
        assert_type(raised.value.code, str | None)
        assert raised.value.is_not_found_error


async def _async_consumer(url: str) -> list[str]:
    async with AsyncOpenAI(api_key="sk-local", base_url=url) as client:
        completions = client.chat.completions
        result = await completions.create([Message.user("Hi")], model="gpt-4o-mini", store=True)
        assert_type(result, ChatCompletionResult)
        assert_type(result.choice.text, str | None)
        stream = await completions.stream([Message.user("Hi")], model="gpt-4o-mini")
        assert_type(stream, AsyncChatCompletionStream)
        async with stream:
            texts = [text async for text in stream.text_deltas()]
        page = await completions.list(limit=1)
        assert_type(page, AsyncPage[ChatCompletionResult])
        assert_type(completions.list(), AsyncPages[ChatCompletionResult])
        assert_type(await completions.delete("missing"), bool)
        return texts + [c.id async for c in completions.list(limit=1)]


def test_async_consumer_code_type_checks_and_runs() -> None:
    import asyncio

    with LocalServer() as server:
        texts = asyncio.run(_async_consumer(server.url))
    assert texts[0] == "Hi"
    assert len(texts) == 2
