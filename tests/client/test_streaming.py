"""Streamed create, end to end: chunks, the final result, callbacks, faults, connections."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx2
import pytest

from completionkit import (
    APIStreamError,
    APIStreamIncompleteError,
    APITimeoutError,
    AsyncOpenAI,
    BadRequestError,
    ChatCompletionOutcome,
    ChatCompletionResult,
    InvalidRequestError,
    OpenAI,
    RateLimitError,
)
from completionkit.testing import Fault, LocalServer, Reply
from completionkit.types import ChatCompletionMessageToolCall

from .conftest import USER

EMPTY_CHUNK = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\n'


def test_chunks_then_the_final_result(server: LocalServer, client: OpenAI) -> None:
    with client.chat.completions.stream(USER, model="m") as stream:
        chunks = list(stream)
        result = stream.final()
    assert [c.choices[0].delta.content for c in chunks[1:-1]] == ["Hello", " there"]
    assert isinstance(result, ChatCompletionResult)
    assert (result.choice.text, result.choice.finish_reason) == ("Hello there", "stop")
    assert result.id == chunks[0].id
    assert result.raw["choices"][0]["message"]["content"] == "Hello there"
    assert stream.raw_chunk["object"] == "chat.completion.chunk"
    assert server.last_request.body["stream"] is True


def test_final_without_iterating(client: OpenAI) -> None:
    result = client.chat.completions.stream(USER, model="m", n=2, logprobs=True).final()
    assert [c.text for c in result.choices] == ["Hello there", "Hello there"]
    assert result.choices[1].logprobs is not None
    assert [t.token for t in result.choices[1].logprobs.content or []] == ["Hello", " there"]


def test_usage_comes_with_include_usage(client: OpenAI) -> None:
    assert client.chat.completions.stream(USER, model="m").final().usage is None
    result = client.chat.completions.stream(USER, model="m", stream_options={"include_usage": True}).final()
    assert result.usage is not None
    assert result.usage.total_tokens == 4


def test_streamed_tool_calls_and_refusals(server: LocalServer, client: OpenAI) -> None:
    server.queue(
        Reply.calling("lookup", {"query": "a long enough query to be cut in pieces"}), Reply.refusal_of("No.")
    )
    first = client.chat.completions.stream(USER, model="m").final()
    (call,) = first.choice.message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageToolCall)
    assert (call.function.name, call.function.arguments) == (
        "lookup",
        '{"query":"a long enough query to be cut in pieces"}',
    )
    second = client.chat.completions.stream(USER, model="m").final()
    assert second.choice.refusal == "No."


def test_callbacks_see_every_chunk_and_the_end(client: OpenAI) -> None:
    seen: list[Any] = []
    ended: list[ChatCompletionOutcome] = []
    stream = client.chat.completions.stream(USER, model="m", on_data=seen.append, on_terminate=ended.append)
    assert [c.id for c in stream] == [c.id for c in seen]
    assert len(ended) == 1
    assert ended[0].success
    assert ended[0].result is stream.final()


def test_create_with_stream_true_streams_and_returns_the_result(server: LocalServer, client: OpenAI) -> None:
    seen: list[Any] = []
    result = client.chat.completions.create(USER, model="m", stream=True, on_data=seen.append)
    assert isinstance(result, ChatCompletionResult)
    assert result.choice.text == "Hello there"
    assert [c.choices[0].delta.content for c in seen[1:-1]] == ["Hello", " there"]
    assert server.last_request.body["stream"] is True


def test_try_create_with_stream_true_keeps_a_stream_error(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.stream_error(after_events=2, message="boom"))
    outcome = client.chat.completions.try_create(USER, model="m", stream=True)
    assert not outcome.success
    assert outcome.choice is None
    assert [type(e) for e in outcome.errors] == [APIStreamError]


def test_final_after_a_failure_or_an_early_close_is_a_documented_error(
    server: LocalServer, client: OpenAI
) -> None:
    server.inject(Fault.stream_error(after_events=2, message="boom"))
    failed = client.chat.completions.stream(USER, model="m")
    with pytest.raises(APIStreamError):
        list(failed)
    with pytest.raises(APIStreamError, match="boom"):
        failed.final()
    with client.chat.completions.stream(USER, model="m") as closed:
        next(iter(closed))
    with pytest.raises(APIStreamIncompleteError, match="closed before its end"):
        closed.final()


def test_on_terminate_gets_the_error(server: LocalServer, client: OpenAI) -> None:
    ended: list[ChatCompletionOutcome] = []
    server.inject(Fault.stream_error(after_events=2, message="boom"))
    with pytest.raises(APIStreamError, match="boom"):
        client.chat.completions.stream(USER, model="m", on_terminate=ended.append).final()
    assert [type(e) for e in ended[0].errors] == [APIStreamError]
    server.inject(Fault.rate_limit(retry_after=0), times=3)
    with pytest.raises(RateLimitError):
        client.chat.completions.stream(USER, model="m", on_terminate=ended.append)
    assert not ended[1].success


def test_an_error_payload_in_the_middle_of_a_stream(server: LocalServer, client: OpenAI) -> None:
    body = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        b'"delta":{"content":"Hi"}}]}\n\ndata: {"error":{"message":"Provider returned error","code":502}}\n\n'
    )
    server.replay([body])
    with pytest.raises(APIStreamError) as raised:
        client.chat.completions.stream(USER, model="m").final()
    assert (raised.value.message, raised.value.code) == ("Provider returned error", "502")


@pytest.mark.parametrize(
    "body",
    [EMPTY_CHUNK, EMPTY_CHUNK + b'data: {"id"'],
    ids=["no [DONE]", "ends inside an event"],
)
def test_a_stream_that_ends_early_is_an_error(server: LocalServer, client: OpenAI, body: bytes) -> None:
    server.replay([body])
    stream = client.chat.completions.stream(USER, model="m")
    with pytest.raises(APIStreamIncompleteError):
        stream.final()
    assert stream.response.is_closed


def test_a_cut_stream_leaves_no_open_connection(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.stream_cut(after_events=2))
    stream = client.chat.completions.stream(USER, model="m")
    with pytest.raises(APIStreamIncompleteError) as raised:
        list(stream)
    assert isinstance(raised.value.__cause__, httpx2.RemoteProtocolError)
    assert stream.response.is_closed


def test_keep_alive_comments_are_skipped(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.stream_keepalive())
    assert client.chat.completions.stream(USER, model="m").final().choice.text


def test_a_slow_stream_hits_the_read_timeout(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.slow_stream(1.0))
    stream = client.chat.completions.stream(USER, model="m", timeout=0.2)
    with pytest.raises(APITimeoutError):
        stream.final()
    assert stream.response.is_closed


def test_breaking_out_of_the_loop_closes_the_connection(server: LocalServer, client: OpenAI) -> None:
    server.queue(Reply.text("a b c d e f g"))
    with client.chat.completions.stream(USER, model="m") as stream:
        for _ in stream:
            break
    assert stream.response.is_closed


def test_stream_failures_before_the_first_chunk_raise(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.http_error(400))
    with pytest.raises(BadRequestError, match="Invalid request"):
        client.chat.completions.stream(USER, model="m")


def test_stream_only_options_need_stream(client: OpenAI) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.create(USER, model="m", on_data=print)
    assert raised.value.param == "on_data"
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.stream(USER, model="m", stream=True)  # type: ignore[typeddict-unknown-key]
    assert raised.value.param == "stream"


def test_streams_are_retried_like_any_request(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.http_error(503))
    assert client.chat.completions.stream(USER, model="m").final().choice.text
    assert len(server.requests) == 2


def test_async_stream(server: LocalServer) -> None:
    async def run() -> tuple[list[str], str | None, bool]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            # As openai's AsyncOpenAI: async with, no await.
            async with client.chat.completions.stream(USER, model="m") as stream:
                texts = [t async for t in stream.text_deltas()]
                result = await stream.final()
            return texts, result.choice.text, stream.response.is_closed

    assert asyncio.run(run()) == (["Hello", " there"], "Hello there", True)


def test_async_stream_awaited_as_before(server: LocalServer) -> None:
    # Awaiting stream() gives the stream without a block, as the sync stream() does; the
    # form of earlier versions, `async with await`, keeps working.
    async def run() -> tuple[str | None, bool, str | None, bool]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            stream = await client.chat.completions.stream(USER, model="m")
            first = (await stream.final()).choice.text
            async with await client.chat.completions.stream(USER, model="m") as again:
                second = (await again.final()).choice.text
            return first, stream.response.is_closed, second, again.response.is_closed

    assert asyncio.run(run()) == ("Hello there", True, "Hello there", True)
    assert len(server.requests) == 2


def test_async_stream_sends_nothing_until_it_is_entered(server: LocalServer) -> None:
    async def run() -> tuple[int, int, bool]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            manager = client.chat.completions.stream(USER, model="m")
            before = len(server.requests)
            async with manager as stream:
                async for _ in stream:
                    break  # leaving early: the block closes the connection
            return before, len(server.requests), stream.response.is_closed

    assert asyncio.run(run()) == (0, 1, True)


def test_async_stream_checks_its_arguments_when_called(server: LocalServer) -> None:
    async def run() -> None:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            client.chat.completions.stream(USER, model="m", temperature="hot")  # type: ignore[typeddict-item]

    with pytest.raises(InvalidRequestError) as raised:
        asyncio.run(run())
    assert raised.value.param == "temperature"
    assert server.requests == []


def test_async_stream_failures_raise_from_async_with(server: LocalServer) -> None:
    ended: list[ChatCompletionOutcome] = []

    async def run() -> None:
        async with (
            AsyncOpenAI(api_key="k", base_url=server.url, max_retries=0) as client,
            client.chat.completions.stream(USER, model="m", on_terminate=ended.append),
        ):
            raise AssertionError("a failed request gives no stream")

    server.inject(Fault.http_error(400))
    with pytest.raises(BadRequestError):
        asyncio.run(run())
    assert [type(e) for e in ended[0].errors] == [BadRequestError]


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_thousand_concurrent_async_requests(tmp_path: Any) -> None:
    before = _open_descriptors()

    async def run(url: str) -> tuple[int, int]:
        limits = httpx2.Limits(max_connections=50, max_keepalive_connections=50)
        async with (
            httpx2.AsyncClient(limits=limits, timeout=120) as http,
            AsyncOpenAI(api_key="k", base_url=url, http_client=http) as client,
        ):

            async def plain(i: int) -> bool:
                result = await client.chat.completions.create(
                    [{"role": "user", "content": f"n {i}"}], model="m"
                )
                return result.choice.text == f"n {i}"

            async def streamed(i: int) -> bool:
                stream = await client.chat.completions.stream(
                    [{"role": "user", "content": f"s {i}"}], model="m"
                )
                return (await stream.final()).choice.text == f"s {i}"

            results = await asyncio.gather(*(plain(i) if i % 2 else streamed(i) for i in range(1000)))
            pool = http._transport._pool  # type: ignore[attr-defined]
            busy = sum(1 for connection in pool.connections if not connection.is_idle())
            return sum(results), busy

    with LocalServer() as server:
        done, busy = asyncio.run(run(server.url))
    assert done == 1000
    assert busy == 0
    assert _open_descriptors() <= before


def test_chunks_without_created_or_index_are_read(server: LocalServer, client: OpenAI) -> None:
    server.replay(
        [
            b'data: {"id":"c","model":"m","choices":[{"delta":{"content":"Hi"}}]}\n\n'
            b'data: {"id":"c","model":"m","choices":[{"delta":{},"finish_reason":"stop"}]}\n\n'
            b"data: [DONE]\n\n"
        ]
    )
    result = client.chat.completions.stream(USER, model="m").final()
    assert (result.choice.text, result.choice.finish_reason, result.created) == ("Hi", "stop", 0)
