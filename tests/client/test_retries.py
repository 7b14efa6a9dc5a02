"""Retries: which failures, how many times, and how long between them (clock injected)."""

from __future__ import annotations

import datetime
import email.utils

import pytest

from completionkit import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    OpenAI,
    RateLimitError,
)
from completionkit.testing import Fault, LocalServer

from .conftest import NOW, USER, RecordingClock


def _create(client: OpenAI, **options: object) -> object:
    return client.chat.completions.create(USER, model="gpt-4o-mini", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_with_backoff(
    server: LocalServer, client: OpenAI, clock: RecordingClock, status: int
) -> None:
    server.inject(Fault.http_error(status), times=2)
    _create(client)
    assert len(server.requests) == 3
    first, second = clock.sleeps
    assert 0.375 <= first <= 0.5  # 0.5 s less up to a quarter of jitter
    assert 0.75 <= second <= 1.0  # doubled


@pytest.mark.parametrize(("status", "error"), [(400, BadRequestError), (404, NotFoundError)])
def test_client_errors_are_not_retried(
    server: LocalServer, client: OpenAI, clock: RecordingClock, status: int, error: type[Exception]
) -> None:
    server.inject(Fault.http_error(status))
    with pytest.raises(error):
        _create(client)
    assert len(server.requests) == 1
    assert clock.sleeps == []


def test_backoff_doubles_up_to_8_seconds(server: LocalServer, clock: RecordingClock) -> None:
    with OpenAI(api_key="k", base_url=server.url, max_retries=6) as client:
        client._caller.clock = clock
        server.inject(Fault.http_error(500), times=6)
        _create(client)
    highs = [0.5, 1, 2, 4, 8, 8]
    assert all(high * 0.75 <= s <= high for s, high in zip(clock.sleeps, highs, strict=True))


def test_retry_after_seconds_is_honoured(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    server.inject(Fault.rate_limit(retry_after=3))
    _create(client)
    assert clock.sleeps == [3.0]


def test_retry_after_ms_wins_over_retry_after(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    server.inject(Fault.http_error(429, retry_after=30, retry_after_ms=1500))
    _create(client)
    assert clock.sleeps == [1.5]


def test_retry_after_as_an_http_date_is_compared_in_utc(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    # Seven seconds after NOW, written in another time zone: the header says GMT.
    when = (NOW + datetime.timedelta(seconds=7)).astimezone(datetime.timezone(datetime.timedelta(hours=-5)))
    server.inject(Fault.http_error(503, retry_after=when))
    _create(client)
    assert clock.sleeps == [7.0]


@pytest.mark.parametrize(
    "header",
    [{"retry-after": "3600"}, {"retry-after": "soon"}, {"retry-after": "-1"}, {"retry-after-ms": "120000"}],
    ids=["beyond a minute", "unparseable", "negative", "ms beyond a minute"],
)
def test_a_retry_after_not_to_honour_falls_back_to_backoff(
    server: LocalServer, client: OpenAI, clock: RecordingClock, header: dict[str, str]
) -> None:
    server.inject(Fault.http_error(429, headers=header))
    _create(client)
    assert 0.375 <= clock.sleeps[0] <= 0.5


def test_x_should_retry_false_stops_a_retryable_status(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    server.inject(Fault.http_error(503, should_retry=False))
    with pytest.raises(InternalServerError):
        _create(client)
    assert len(server.requests) == 1


def test_x_should_retry_true_retries_any_status(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    server.inject(Fault.http_error(400, should_retry=True))
    _create(client)
    assert len(server.requests) == 2


def test_connection_errors_are_retried(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    server.inject(Fault.dropped("before"))
    server.inject(Fault.dropped("during"))
    assert client.chat.completions.create(USER, model="m").choice.text
    assert len(server.requests) == 3
    assert len(clock.sleeps) == 2


def test_timeouts_are_retried(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    server.inject(Fault.slow(5))
    assert client.chat.completions.create(USER, model="m", timeout=0.3).choice.text
    assert len(server.requests) == 2


def test_exhausted_retries_raise_the_last_error(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    server.inject(Fault.rate_limit(retry_after=1), times=3)
    with pytest.raises(RateLimitError) as raised:
        _create(client)
    assert raised.value.status == 429
    assert len(server.requests) == 3  # the first try and the client's 2 retries
    assert clock.sleeps == [1.0, 1.0]


def test_max_retries_per_call(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    server.inject(Fault.http_error(500), times=5)
    with pytest.raises(InternalServerError):
        client.chat.completions.create(USER, model="m", max_retries=4)
    assert len(server.requests) == 5


def test_max_retries_0_disables_retries(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    server.inject(Fault.http_error(500))
    with pytest.raises(InternalServerError):
        client.chat.completions.create(USER, model="m", max_retries=0)
    assert len(server.requests) == 1
    assert clock.sleeps == []


def test_max_retries_per_client(server: LocalServer, clock: RecordingClock) -> None:
    with OpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
        client._caller.clock = clock
        server.inject(Fault.dropped("before"))
        with pytest.raises(APIConnectionError):
            client.chat.completions.retrieve("anything")
    assert len(server.requests) == 1


def test_every_method_retries(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    completion_id = client.chat.completions.create(USER, model="m", store=True).id
    assert completion_id is not None
    for operation in (
        "getChatCompletion",
        "updateChatCompletion",
        "listChatCompletions",
        "getChatCompletionMessages",
        "deleteChatCompletion",
    ):
        server.inject(Fault.http_error(502), operation=operation)
    client.chat.completions.retrieve(completion_id)
    client.chat.completions.update(completion_id, {"k": "v"})
    list(client.chat.completions.list())
    list(client.chat.completions.messages.list(completion_id))
    assert client.chat.completions.delete(completion_id) is True
    assert len(clock.sleeps) == 5


def test_timeout_error_after_retries(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    server.inject(Fault.slow(5), times=2)
    with pytest.raises(APITimeoutError):
        client.chat.completions.create(USER, model="m", timeout=0.2, max_retries=1)


def test_http_date_helper_matches_the_header_format() -> None:
    header = email.utils.format_datetime(NOW, usegmt=True)
    assert header == "Wed, 25 Nov 2026 12:00:00 GMT"


def test_insufficient_quota_is_not_retried(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    # A 429 that no wait can fix: the account is out of credit.
    server.inject(Fault.insufficient_quota(), times=3)
    with pytest.raises(RateLimitError) as caught:
        _create(client)
    assert caught.value.code == "insufficient_quota"
    assert (len(server.requests), clock.sleeps, caught.value.attempts) == (1, [], 1)
