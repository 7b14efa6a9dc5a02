"""Reasoning from every provider (``choice.reasoning``, ``reasoning_deltas()``, the final
result), Groq's usage in ``x_groq``, and Together's per-second rate-limit headers, end to
end against the local server replaying what those servers send."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completionkit import AsyncOpenAI, ChatCompletionChunk, MessageLike, OpenAI, RateLimit, RateLimitError
from completionkit.bulk._budget import Budget
from completionkit.testing import Fault, LocalServer, Reply

USER: list[MessageLike] = [{"role": "user", "content": "Hello there"}]
FIELDS = ["reasoning", "reasoning_content"]


def chunk(delta: dict[str, Any], *, index: int = 0, finish: str | None = None, **extra: Any) -> bytes:
    body = {
        "id": "chatcmpl-r",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def sse(*chunks: bytes) -> bytes:
    return b"".join(chunks) + b"data: [DONE]\n\n"


def thinking(field: str, pieces: list[str], text: list[str]) -> bytes:
    """A stream that reasons in ``field``, piece by piece, then answers ``text``."""
    return sse(
        chunk({"role": "assistant", field: ""}),
        *(chunk({field: piece}) for piece in pieces),
        *(chunk({"content": piece}) for piece in text),
        chunk({}, finish="stop"),
    )


def answer(message: dict[str, Any]) -> Reply:
    body = {
        "id": "chatcmpl-r",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", **message}}],
    }
    return Reply.replay(json.dumps(body).encode(), "application/json")


# --- choice.reasoning -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
def test_a_non_streamed_answer_has_its_reasoning_whichever_field(
    server: LocalServer, client: OpenAI, field: str
) -> None:
    server.queue(answer({"content": "4", field: "2 + 2 is 4."}))
    choice = client.chat.completions.create(USER, model="m").choice
    assert (choice.reasoning, choice.text) == ("2 + 2 is 4.", "4")
    assert getattr(choice.response_message, field) == "2 + 2 is 4."


@pytest.mark.parametrize(
    ("fields", "read"),
    [
        ({"reasoning": "mine", "reasoning_content": "theirs"}, "mine"),
        ({"reasoning": "", "reasoning_content": "theirs"}, "theirs"),
        ({"reasoning": "mine", "reasoning_content": ""}, "mine"),
        ({"reasoning": None, "reasoning_content": "theirs"}, "theirs"),
        ({"reasoning": "", "reasoning_content": ""}, None),
        ({}, None),
    ],
)
def test_with_both_fields_the_one_with_text_reasoning_first(
    server: LocalServer, client: OpenAI, fields: dict[str, Any], read: str | None
) -> None:
    server.queue(answer({"content": "ok", **fields}))
    assert client.chat.completions.create(USER, model="m").choice.reasoning == read


def test_an_answer_without_reasoning_has_none(client: OpenAI) -> None:
    result = client.chat.completions.create(USER, model="m")
    assert (result.choice.text, result.choice.reasoning) == ("Hello there", None)


# --- streams ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
def test_reasoning_deltas_then_the_whole_reasoning_in_the_final_result(
    server: LocalServer, client: OpenAI, field: str
) -> None:
    server.replay([thinking(field, ["Two ", "and two ", "is four."], ["It is", " 4."])])
    with client.chat.completions.stream(USER, model="m") as stream:
        pieces = list(stream.reasoning_deltas())
        result = stream.final()
    assert pieces == ["Two ", "and two ", "is four."]
    assert (result.choice.reasoning, result.choice.text) == ("Two and two is four.", "It is 4.")
    assert result.raw["choices"][0]["message"][field] == "Two and two is four."


@pytest.mark.parametrize("field", FIELDS)
def test_text_deltas_leave_the_reasoning_out(server: LocalServer, client: OpenAI, field: str) -> None:
    server.replay([thinking(field, ["Hm."], ["Yes."])])
    with client.chat.completions.stream(USER, model="m") as stream:
        assert list(stream.text_deltas()) == ["Yes."]
    assert stream.final().choice.reasoning == "Hm."


@pytest.mark.parametrize("field", FIELDS)
def test_a_streamed_create_has_the_whole_reasoning(server: LocalServer, client: OpenAI, field: str) -> None:
    server.replay([thinking(field, ["a", "b", "c"], ["done"])])
    seen: list[ChatCompletionChunk] = []
    result = client.chat.completions.create(USER, model="m", stream=True, on_data=seen.append)
    assert (result.choice.reasoning, result.choice.text) == ("abc", "done")
    assert [getattr(c.choices[0].delta, field) for c in seen[1:4]] == ["a", "b", "c"]


def test_both_fields_in_each_chunk_are_one_piece_each(server: LocalServer, client: OpenAI) -> None:
    # vLLM, while it renamed the field, sent the same text in both.
    pieces = ["one ", "two"]
    body = sse(*(chunk({"reasoning": p, "reasoning_content": p}) for p in pieces), chunk({"content": "x"}))
    server.replay([body])
    with client.chat.completions.stream(USER, model="m") as stream:
        assert list(stream.reasoning_deltas()) == pieces
        assert stream.final().choice.reasoning == "one two"


def test_only_the_first_choice_is_in_the_reasoning_deltas(server: LocalServer, client: OpenAI) -> None:
    body = sse(
        chunk({"reasoning": "first"}),
        chunk({"reasoning": "second"}, index=1),
        chunk({"reasoning_content": " again"}),
    )
    server.replay([body])
    with client.chat.completions.stream(USER, model="m", n=2) as stream:
        assert list(stream.reasoning_deltas()) == ["first", " again"]
        result = stream.final()
    assert [c.reasoning for c in result.choices] == ["first", "second"]


@pytest.mark.parametrize("field", FIELDS)
def test_async_reasoning_deltas_and_final(server: LocalServer, field: str) -> None:
    server.replay([thinking(field, ["Let me ", "see."], ["Fine."])] * 2)

    async def run() -> tuple[list[str], str | None, str | None, str | None]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as aclient:
            async with aclient.chat.completions.stream(USER, model="m") as stream:
                pieces = [piece async for piece in stream.reasoning_deltas()]
            final = await stream.final()
            streamed = await aclient.chat.completions.create(USER, model="m", stream=True)
        return pieces, final.choice.reasoning, final.choice.text, streamed.choice.reasoning

    assert asyncio.run(run()) == (["Let me ", "see."], "Let me see.", "Fine.", "Let me see.")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(FIELDS),
    pieces=st.lists(st.text(max_size=12), max_size=8),
    text=st.lists(st.text(min_size=1, max_size=12), max_size=3),
)
def test_the_reasoning_deltas_join_to_the_final_reasoning(
    server: LocalServer, client: OpenAI, field: str, pieces: list[str], text: list[str]
) -> None:
    server.replay([thinking(field, pieces, text)])
    with client.chat.completions.stream(USER, model="m") as stream:
        deltas = list(stream.reasoning_deltas())
        result = stream.final()
    assert deltas == [p for p in pieces if p]
    assert result.choice.reasoning == ("".join(pieces) or None)
    assert result.choice.text == ("".join(text) or None)


# --- Groq's usage in x_groq ------------------------------------------------------------------------

GROQ_USAGE = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


def test_groqs_usage_in_x_groq_is_the_final_results_usage(server: LocalServer, client: OpenAI) -> None:
    body = sse(
        chunk({"role": "assistant", "content": ""}, x_groq={"id": "req_01"}),
        chunk({"content": "Hi"}),
        chunk({}, finish="stop", x_groq={"id": "req_01", "usage": {**GROQ_USAGE, "queue_time": 0.01}}),
    )
    server.replay([body, body])
    with client.chat.completions.stream(USER, model="m") as stream:
        chunks = list(stream)
        result = stream.final()
    assert chunks[-1].usage is None
    assert chunks[-1].x_groq is not None
    assert chunks[-1].x_groq.id == "req_01"
    assert chunks[-1].x_groq.usage is not None
    assert chunks[-1].x_groq.usage.total_tokens == 15
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (
        12,
        3,
        15,
    )
    created = client.chat.completions.create(USER, model="m", stream=True)
    assert created.usage == result.usage


def test_a_chunks_own_usage_comes_before_x_groq(server: LocalServer, client: OpenAI) -> None:
    own = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    body = sse(chunk({"content": "Hi"}, finish="stop", usage=own, x_groq={"usage": GROQ_USAGE}))
    server.replay([body])
    usage = client.chat.completions.stream(USER, model="m").final().usage
    assert usage is not None
    assert usage.total_tokens == 2


# --- Together's per-second rate-limit headers ------------------------------------------------------

TOGETHER = {
    "x-ratelimit-limit": "10",
    "x-ratelimit-remaining": "9",
    "x-ratelimit-reset": "0.4",
    "x-ratelimit-limit-tokens": "2000",
    "x-ratelimit-remaining-tokens": "1990",
}
OPENAI = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-limit-tokens": "150000",
    "x-ratelimit-remaining-tokens": "149990",
    "x-ratelimit-reset-tokens": "6m0s",
}


def test_together_headers_count_per_second() -> None:
    assert RateLimit.from_headers(httpx2.Headers(TOGETHER)) == RateLimit(
        limit_requests=10,
        remaining_requests=9,
        reset_requests=0.4,
        limit_tokens=2000,
        remaining_tokens=1990,
        reset_tokens=None,
        per="second",
    )


def test_openai_headers_count_per_minute() -> None:
    assert RateLimit.from_headers(httpx2.Headers(OPENAI)) == RateLimit(
        60, 59, 1.0, 150000, 149990, 360.0, "minute"
    )
    tokens_only = {"x-ratelimit-remaining-tokens": "5"}
    assert RateLimit.from_headers(httpx2.Headers(tokens_only)).per == "minute"


def test_no_rate_limit_headers_say_no_window() -> None:
    assert RateLimit.from_headers(httpx2.Headers({"x-request-id": "r"})) == RateLimit(
        None, None, None, None, None, None, None
    )


def test_openais_headers_win_over_the_per_second_ones() -> None:
    both = RateLimit.from_headers(httpx2.Headers({**TOGETHER, **OPENAI}))
    assert (both.per, both.limit_requests, both.reset_requests) == ("minute", 60, 1.0)


@pytest.mark.parametrize(
    ("sent", "read"), [("0.4", 0.4), ("2", 2.0), ("1s", 1.0), ("-1", None), ("1e3", None)]
)
def test_togethers_reset_is_a_number_of_seconds(sent: str, read: float | None) -> None:
    headers = httpx2.Headers({"x-ratelimit-limit": "10", "x-ratelimit-reset": sent})
    assert RateLimit.from_headers(headers).reset_requests == read


def test_openais_reset_stays_a_duration() -> None:
    assert RateLimit.from_headers(httpx2.Headers({"x-ratelimit-reset-requests": "2"})).reset_requests is None


def test_a_together_answer_and_refusal_end_to_end(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault(headers=TOGETHER))
    limit = client.chat.completions.create(USER, model="m").rate_limit
    assert (limit.per, limit.limit_requests, limit.remaining_requests, limit.reset_requests) == (
        "second",
        10,
        9,
        0.4,
    )
    server.inject(Fault(headers=TOGETHER))
    assert client.chat.completions.stream(USER, model="m").final().rate_limit.per == "second"
    refused = {**TOGETHER, "x-ratelimit-remaining": "0"}
    server.inject(Fault.http_error(429, retry_after=0, headers=refused), times=3)
    with pytest.raises(RateLimitError) as raised:
        client.chat.completions.create(USER, model="m")
    limit = RateLimit.from_headers(raised.value.headers)
    assert (limit.per, limit.remaining_requests) == ("second", 0)
    assert client.chat.completions.create(USER, model="m").rate_limit.per is None


HEADER_NAMES = [*OPENAI, *TOGETHER, "x-ratelimit-reset-tokens", "retry-after"]
VALUES = (
    st.binary(max_size=24).filter(lambda b: not set(b) & set(b"\r\n\0"))
    | st.integers(-(10**20), 10**40).map(lambda i: str(i).encode())
    | st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).encode())
    | st.sampled_from([b"\xb2", b"1e400", b"9" * 400, b"1.5.2", b" 0.5 ", b"\xd9\xa1\xd9\xa2", b"6m0s"])
)
HEADERS = st.lists(st.tuples(st.sampled_from(HEADER_NAMES), VALUES), max_size=10).map(
    lambda pairs: httpx2.Headers([(name.encode(), value) for name, value in pairs])
)


@settings(max_examples=400, deadline=None)
@given(headers=HEADERS)
def test_rate_limit_headers_of_any_text_never_raise(headers: httpx2.Headers) -> None:
    limit = RateLimit.from_headers(headers)
    assert limit.per in (None, "minute", "second")
    assert (limit.per is None) == all(
        name not in headers for name in [*OPENAI, *TOGETHER] if name != "retry-after"
    )
    for number in (
        limit.limit_requests,
        limit.remaining_requests,
        limit.limit_tokens,
        limit.remaining_tokens,
    ):
        assert number is None or number >= 0
    for reset in (limit.reset_requests, limit.reset_tokens):
        assert reset is None or 0 <= reset < float("inf")


# --- the bulk budget reads per-second counts as such --------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(
    ("headers", "refilled"), [(TOGETHER, 5.0), (OPENAI, 0.5)], ids=["together", "openai"]
)
def test_the_bulk_budget_refills_over_the_headers_window(headers: dict[str, str], refilled: float) -> None:
    exhausted = {name: "0" if "remaining" in name else value for name, value in headers.items()}

    async def main() -> tuple[float | None, float | None]:
        clock = Clock()
        budget = Budget(max_concurrency=4, clock=clock, sleep=clock.sleep)
        await budget.acquire(0)
        budget.release(0, headers=httpx2.Headers(exhausted), used_tokens=None)
        clock.now += 0.5
        return budget.request_limit, budget.requests_left

    limit, left = asyncio.run(main())
    assert limit == (10 if headers is TOGETHER else 60)
    # Half a second refills half of a per-second budget, a hundred and twentieth of a per-minute one.
    assert left == pytest.approx(refilled)


def test_a_together_429_pauses_the_bulk_run_for_its_reset() -> None:
    async def main() -> float:
        clock = Clock()
        budget = Budget(max_concurrency=4, clock=clock, sleep=clock.sleep)
        await budget.acquire(0)
        pause = budget.rate_limited(httpx2.Headers({**TOGETHER, "x-ratelimit-remaining": "0"}))
        budget.release(0, headers=None, used_tokens=None)
        return pause

    assert asyncio.run(main()) == pytest.approx(0.4)


@settings(max_examples=200, deadline=None)
@given(answer=HEADERS, refusal=HEADERS)
def test_the_bulk_budget_takes_headers_of_any_text(answer: httpx2.Headers, refusal: httpx2.Headers) -> None:
    async def main() -> None:
        clock = Clock()
        budget = Budget(max_concurrency=2, share=0.5, clock=clock, sleep=clock.sleep)
        await budget.acquire(10)
        budget.release(10, headers=answer, used_tokens=None)
        assert 0 <= budget.rate_limited(refusal) <= 60
        for limit, left in (
            (budget.request_limit, budget.requests_left),
            (budget.token_limit, budget.tokens_left),
        ):
            assert (limit is None) == (left is None)
            assert limit is None or left is None or 0 <= left <= limit

    asyncio.run(main())
