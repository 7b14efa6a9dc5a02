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
    ChatCompletionResult,
    ChatCompletionsParameters,
    ChatCompletionStream,
    Choice,
    CompletionUsage,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
    Message,
    MessageLike,
    OpenAI,
    OpenAIError,
    Page,
    RateLimit,
    RateLimitError,
    StoredMessage,
)
from completionkit.testing import Fault, LocalServer, Reply


def test_consumer_code_type_checks_and_runs() -> None:
    with LocalServer() as server, OpenAI(api_key="sk-local", base_url=server.url, max_retries=0) as client:
        completions = client.chat.completions
        messages: list[MessageLike] = [Message.system("Be brief."), {"role": "user", "content": "Hi"}]

        result = completions.create(messages, model="gpt-4o-mini", temperature=0.2, store=True, timeout=30)
        assert_type(result, ChatCompletionResult)
        assert_type(result.success, bool)
        assert_type(result.errors, list[OpenAIError])
        assert_type(result.choice, Choice | None)
        assert_type(result.completion, CreateChatCompletionResponse | None)
        assert_type(result.usage, CompletionUsage | None)
        assert_type(result.rate_limit, RateLimit)
        assert_type(result.id, str | None)
        choice = result.choice
        assert choice is not None
        assert_type(choice.text, str | None)
        assert_type(choice.message, Message)
        assert_type(choice.finish_reason, str | None)
        messages.append(choice.message)

        again = completions.create(messages, ChatCompletionsParameters(model="gpt-4o-mini", max_retries=1))
        assert again.success
        same = completions.create(messages, {"model": "gpt-4o-mini"}, n=1)
        assert same.success

        completion_id = result.id
        assert completion_id is not None
        stored = completions.retrieve(completion_id)
        assert_type(stored, CreateChatCompletionResponse)
        updated = completions.update(completion_id, {"topic": "greeting"})
        assert_type(updated, CreateChatCompletionResponse)
        page = completions.list(metadata={"topic": "greeting"}, order="desc", limit=10)
        assert_type(page, Page[CreateChatCompletionResponse])
        assert [c.id for c in page] == [completion_id]
        stored_messages = completions.messages.list(completion_id, limit=1)
        assert_type(stored_messages, Page[StoredMessage])
        assert [m.role for m in stored_messages] == ["system", "user"]
        deleted = completions.delete(completion_id)
        assert_type(deleted, bool)
        assert deleted

        stream = completions.create(
            messages, model="gpt-4o-mini", stream=True, stream_options={"include_usage": True}
        )
        assert_type(stream, ChatCompletionStream)
        with stream:
            for chunk in stream:
                assert_type(chunk, CreateChatCompletionStreamResponse)
            final = stream.final()
        assert_type(final, ChatCompletionResult)
        texts = list(completions.create(messages, model="gpt-4o-mini", stream=True).text_deltas())
        assert_type(texts, list[str])

        server.queue(Reply.text("ok"))
        server.inject(Fault.rate_limit())
        failed = completions.create(messages, model="gpt-4o-mini", throw=False)
        assert not failed.success
        error = failed.errors[0]
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
        stream = await completions.create([Message.user("Hi")], model="gpt-4o-mini", stream=True)
        assert_type(stream, AsyncChatCompletionStream)
        async with stream:
            texts = [text async for text in stream.text_deltas()]
        page = await completions.list(limit=1)
        assert_type(page, AsyncPage[CreateChatCompletionResponse])
        assert_type(await completions.delete("missing"), bool)
        return texts + [c.id async for c in page]


def test_async_consumer_code_type_checks_and_runs() -> None:
    import asyncio

    with LocalServer() as server:
        texts = asyncio.run(_async_consumer(server.url))
    assert texts[0] == "Hi"
    assert len(texts) == 2
