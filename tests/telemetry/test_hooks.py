"""The hooks: on_request, on_response and on_retry, their events, and the key kept out of them."""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from completionkit import (
    AsyncOpenAI,
    InvalidRequestError,
    OpenAI,
    RateLimitError,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
)
from completionkit.testing import Fault, LocalServer

from .conftest import KEY, USER, RecordingClock


class Recorder:
    """Every event of every hook, in the order they came."""

    def __init__(self) -> None:
        self.events: list[RequestEvent | ResponseEvent | RetryEvent] = []

    def hooks(self) -> dict[str, Any]:
        return {
            "on_request": self.events.append,
            "on_response": self.events.append,
            "on_retry": self.events.append,
        }

    def kinds(self) -> list[str]:
        return [type(event).__name__ for event in self.events]


def recorded_on_request(event: RequestEvent) -> None:
    """A hook of a module: pickle carries it by name."""
    del event


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def hooked(server: LocalServer, clock: RecordingClock, recorder: Recorder) -> Iterator[OpenAI]:
    with OpenAI(api_key=KEY, base_url=server.url, **recorder.hooks()) as openai:
        openai._caller.clock = clock
        yield openai


def test_a_create_calls_on_request_then_on_response(
    server: LocalServer, hooked: OpenAI, recorder: Recorder
) -> None:
    result = hooked.chat.completions.create(USER, model="gpt-4o-mini", temperature=0.2)
    request, response = recorder.events
    assert isinstance(request, RequestEvent)
    assert isinstance(response, ResponseEvent)
    assert (request.method, request.url) == ("POST", f"{server.url}/chat/completions")
    assert (request.attempt, request.operation, request.provider) == (1, "createChatCompletion", "custom")
    assert request.json() == {"model": "gpt-4o-mini", "temperature": 0.2, "messages": USER}
    assert request.json() == server.last_request.body  # as the server received it
    assert request.headers["authorization"] == "**********"
    assert request.headers["content-type"] == "application/json"
    assert response.request is request
    assert response.status_code == 200
    assert response.headers["x-request-id"] == result.request_id
    assert response.elapsed >= 0


def test_a_retried_429_calls_on_retry_between_the_attempts(
    server: LocalServer, hooked: OpenAI, recorder: Recorder, clock: RecordingClock
) -> None:
    server.inject(Fault.rate_limit(retry_after=3))
    hooked.chat.completions.create(USER, model="gpt-4o-mini")
    assert recorder.kinds() == [
        "RequestEvent",
        "ResponseEvent",
        "RetryEvent",
        "RequestEvent",
        "ResponseEvent",
    ]
    first, limited, retry, second, answered = recorder.events
    assert isinstance(limited, ResponseEvent)
    assert isinstance(retry, RetryEvent)
    assert isinstance(second, RequestEvent)
    assert isinstance(answered, ResponseEvent)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert retry.request is first
    assert (retry.status_code, retry.delay) == (429, 3.0)
    assert isinstance(retry.error, RateLimitError)
    assert clock.sleeps == [3.0]
    assert (first.attempt, second.attempt) == (1, 2)
    assert answered.status_code == 200


def test_a_connection_that_fails_is_retried_with_no_response_event(
    server: LocalServer, hooked: OpenAI, recorder: Recorder
) -> None:
    server.inject(Fault.dropped())
    hooked.chat.completions.create(USER, model="gpt-4o-mini")
    assert recorder.kinds() == ["RequestEvent", "RetryEvent", "RequestEvent", "ResponseEvent"]
    retry = recorder.events[1]
    assert isinstance(retry, RetryEvent)
    assert retry.status_code is None
    assert type(retry.error).__name__ == "APIConnectionError"


def test_a_stream_has_its_events_when_its_answer_begins(hooked: OpenAI, recorder: Recorder) -> None:
    with hooked.chat.completions.stream(USER, model="gpt-4o-mini") as stream:
        assert recorder.kinds() == ["RequestEvent", "ResponseEvent"]
        assert stream.final().choice.text == "Hello there"
    assert recorder.kinds() == ["RequestEvent", "ResponseEvent"]


def test_the_stored_completion_operations_have_events(
    server: LocalServer, hooked: OpenAI, recorder: Recorder
) -> None:
    created = hooked.chat.completions.create(USER, model="gpt-4o-mini", store=True)
    recorder.events.clear()
    hooked.chat.completions.retrieve(created.id)
    list(hooked.chat.completions.list(metadata={"team": "search"}))
    assert hooked.chat.completions.delete("chatcmpl-none") is False
    requests = [event for event in recorder.events if isinstance(event, RequestEvent)]
    assert [(e.method, e.operation) for e in requests] == [
        ("GET", "getChatCompletion"),
        ("GET", "listChatCompletions"),
        ("DELETE", "deleteChatCompletion"),
    ]
    assert requests[0].url == f"{server.url}/chat/completions/{created.id}"
    assert requests[1].url == f"{server.url}/chat/completions?metadata%5Bteam%5D=search"
    assert requests[0].content is None
    assert requests[0].json() is None
    statuses = [e.status_code for e in recorder.events if isinstance(e, ResponseEvent)]
    assert statuses == [200, 200, 404]


def test_the_async_client_calls_the_same_hooks(server: LocalServer, recorder: Recorder) -> None:
    server.inject(Fault.http_error(503, retry_after=0))

    async def run() -> None:
        async with AsyncOpenAI(api_key=KEY, base_url=server.url, **recorder.hooks()) as client:
            await client.chat.completions.create(USER, model="gpt-4o-mini")
            async with client.chat.completions.stream(USER, model="gpt-4o-mini") as stream:
                await stream.final()

    asyncio.run(run())
    assert recorder.kinds() == [
        "RequestEvent",
        "ResponseEvent",
        "RetryEvent",
        "RequestEvent",
        "ResponseEvent",
        "RequestEvent",
        "ResponseEvent",
    ]
    retry = recorder.events[2]
    assert isinstance(retry, RetryEvent)
    assert (retry.status_code, retry.delay) == (503, 0.0)


def _everything_in(value: object, depth: int = 0) -> Iterator[str]:
    """repr and str of ``value`` and of everything it holds, a few levels down."""
    yield repr(value)
    yield str(value)
    if depth > 4:
        return
    children: list[object] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = [getattr(value, field.name) for field in dataclasses.fields(value)]
    elif isinstance(value, dict | httpx2.Headers):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple):
        children = list(value)
    elif isinstance(value, bytes):
        children = [value.decode("utf-8", "replace")]
    elif isinstance(value, httpx2.Request):
        children = [value.url, value.headers]
    elif isinstance(value, httpx2.Response):
        children = [value.headers, value.content]
    elif isinstance(value, BaseException):
        children = [*vars(value).values(), *value.args]
    for child in children:
        yield from _everything_in(child, depth + 1)


def test_no_event_holds_the_key(recorder: Recorder, clock: RecordingClock) -> None:
    with (
        LocalServer(api_key=KEY) as server,
        OpenAI(api_key=KEY, base_url=server.url, **recorder.hooks()) as client,
    ):
        client._caller.clock = clock
        server.inject(Fault.rate_limit(retry_after=0))
        server.inject(Fault.dropped())
        client.chat.completions.create(USER, model="gpt-4o-mini", store=True)
        with client.chat.completions.stream(USER, model="gpt-4o-mini") as stream:
            stream.final()
        client.chat.completions.delete("chatcmpl-none")
    assert (
        len(recorder.events) == 11
    )  # 3 attempts (2 retries) and 1 answer, 2 for the stream, 2 for the delete
    for event in recorder.events:
        for text in _everything_in(event):
            assert KEY not in text


def test_a_secret_in_the_url_or_a_header_is_not_shown(server: LocalServer, recorder: Recorder) -> None:
    url = server.url.replace("http://", "http://user:hunter2@")
    with OpenAI(
        api_key=KEY, base_url=url, default_headers={"X-Portkey-Api-Key": "pk-123"}, **recorder.hooks()
    ) as client:
        client.chat.completions.create(
            USER, model="m", extra_query={"key": "gk-456", "api-version": "2024-10-21", "sig": "s1"}
        )
    request = recorder.events[0]
    assert isinstance(request, RequestEvent)
    assert request.headers["x-portkey-api-key"] == "**********"
    assert request.url == server.url.replace("http://", "http://REDACTED:REDACTED@") + (
        "/chat/completions?key=REDACTED&api-version=2024-10-21&sig=REDACTED"
    )
    assert "hunter2" not in repr(request)


def test_a_hook_that_raises_fails_the_call_with_its_error(server: LocalServer) -> None:
    class RefusedError(Exception):
        pass

    def refuse(event: object) -> None:
        raise RefusedError("over budget")

    with (
        OpenAI(api_key=KEY, base_url=server.url, on_request=refuse) as client,
        pytest.raises(RefusedError, match="over budget"),
    ):
        client.chat.completions.create(USER, model="m")
    assert server.requests == []  # on_request raised: nothing was sent


def test_on_retry_that_raises_stops_the_retries(server: LocalServer, clock: RecordingClock) -> None:
    def give_up(event: RetryEvent) -> None:
        raise event.error

    server.inject(Fault.rate_limit(), times=2)
    with OpenAI(api_key=KEY, base_url=server.url, on_retry=give_up) as client:
        client._caller.clock = clock
        with pytest.raises(RateLimitError):
            client.chat.completions.create(USER, model="m")
    assert len(server.requests) == 1
    assert clock.sleeps == []


def test_on_response_that_raises_closes_the_stream_it_was_shown(server: LocalServer) -> None:
    class StopError(Exception):
        pass

    def stop(event: ResponseEvent) -> None:
        raise StopError

    with OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
        stopping = client.with_options(on_response=stop)
        for _ in range(3):
            with pytest.raises(StopError):
                stopping.chat.completions.stream(USER, model="m")
        pool: Any = client._caller.http._transport._pool  # type: ignore[attr-defined]
        assert all(connection.is_idle() for connection in pool.connections)
        # The connections went back to the pool: the client that shares them goes on.
        assert client.chat.completions.create(USER, model="m").choice.text == "Hello there"


def test_with_options_replaces_a_hook_and_none_removes_it(server: LocalServer, recorder: Recorder) -> None:
    other = Recorder()
    with OpenAI(api_key=KEY, base_url=server.url, **recorder.hooks()) as client:
        replaced = client.with_options(on_request=other.events.append)
        replaced.chat.completions.create(USER, model="m")
        assert other.kinds() == ["RequestEvent"]
        assert recorder.kinds() == ["ResponseEvent"]  # the copy keeps the hooks it was not given
        removed = client.with_options(on_request=None, on_response=None, on_retry=None)
        removed.chat.completions.create(USER, model="m")
        client.chat.completions.create(USER, model="m")
    assert other.kinds() == ["RequestEvent"]
    assert recorder.kinds() == ["ResponseEvent", "RequestEvent", "ResponseEvent"]


@pytest.mark.parametrize(
    ("hook", "message"), [(42, "expected a function, got int"), ("print", "expected a function, got str")]
)
def test_a_hook_that_is_not_a_function_is_refused(server: LocalServer, hook: object, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message) as raised:
        OpenAI(api_key=KEY, base_url=server.url, on_retry=hook)  # pyright: ignore[reportArgumentType]
    assert raised.value.param == "on_retry"


def test_an_async_hook_is_refused_by_both_clients(server: LocalServer) -> None:
    async def log(event: RequestEvent) -> None:
        del event

    class Logger:
        async def __call__(self, event: RequestEvent) -> None:
            del event

    for hook in (log, Logger()):
        for client in (OpenAI, AsyncOpenAI):
            with pytest.raises(InvalidRequestError, match="plain function, not an async one") as raised:
                client(api_key=KEY, base_url=server.url, on_request=hook)  # type: ignore[arg-type]
            assert raised.value.param == "on_request"


def test_a_pickled_client_carries_a_hook_of_a_module(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with OpenAI(base_url=server.url, on_request=recorded_on_request) as client:
        data = pickle.dumps(client)
    assert KEY.encode() not in data
    copy = pickle.loads(data)
    assert copy._config.hooks.on_request is recorded_on_request


def test_a_pickled_client_refuses_a_hook_pickle_cannot_carry(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with (
        OpenAI(base_url=server.url, on_retry=lambda event: None) as client,
        pytest.raises(InvalidRequestError, match="on_retry hook that pickle cannot carry") as raised,
    ):
        pickle.dumps(client)
    assert raised.value.param == "on_retry"


def test_a_call_for_another_provider_keeps_the_hooks(server: LocalServer, recorder: Recorder) -> None:
    with OpenAI(api_key=KEY, base_url=server.url, **recorder.hooks()) as client:
        config, _ = client._config.for_model("ollama:llama3")
    assert config.hooks == client._config.hooks


def test_events_are_frozen(hooked: OpenAI, recorder: Recorder) -> None:
    hooked.chat.completions.create(USER, model="m")
    request = recorder.events[0]
    assert isinstance(request, RequestEvent)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.attempt = 2  # type: ignore[misc]
    assert "content=" not in repr(request)  # a body can be large: json() shows it
