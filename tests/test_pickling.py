"""Results and errors cross processes: every public error class, built as the client
builds it, and every result (parsed into a Struct, a dataclass or a TypedDict; a
stream's; ``try_create``'s outcomes; listed completions and stored messages) comes back
from pickle equal, field for field, and without the API key in the pickle's bytes.  A
worker of a spawn-context ``ProcessPoolExecutor`` that raises a ``NotFoundError`` hands
the parent that error, not ``BrokenProcessPool``."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import inspect
import json
import multiprocessing
import pickle
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import httpx2
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import completionkit
from completionkit import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APIStreamIncompleteError,
    APITimeoutError,
    AsyncOpenAI,
    AuthenticationError,
    BadRequestError,
    BulkStoppedError,
    ChatCompletionOutcome,
    ChatCompletionResult,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    Message,
    MessageLike,
    MissingAPIKeyError,
    NotFoundError,
    OpenAI,
    OpenAIError,
    PermissionDeniedError,
    ProvidersFileError,
    RateLimitError,
    StructuredOutputError,
    ToolLoopError,
    UnprocessableEntityError,
)
from completionkit.testing import Fault, LocalServer, Reply
from tests import pickling_workers

SECRET = "PICKLEsecret0123456789"
KEY = f"sk-proj-{SECRET}"
WRONG_SECRET = "WRONGpickle9876543210"
WRONG_KEY = f"sk-proj-{WRONG_SECRET}"  # a key the server refuses: for a real 401
USER: list[MessageLike] = [{"role": "user", "content": "Hello there"}]
WEATHER = {"city": "Oslo", "temperature": 21.5}
PROTOCOLS = list(range(2, pickle.HIGHEST_PROTOCOL + 1))  # 2 and up: what copy and multiprocessing use

T = TypeVar("T")


# --- what the model is asked for: types at module level, which pickle can find again ------------


class WeatherStruct(msgspec.Struct):
    city: str
    temperature: float


@dataclasses.dataclass
class WeatherData:
    city: str
    temperature: float


class WeatherDict(TypedDict):
    city: str
    temperature: float


PARSED_TYPES: list[type[Any]] = [WeatherStruct, WeatherData, WeatherDict]


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


# --- a user's own errors, subclasses of ours -------------------------------------------------------


class JobNotFoundError(NotFoundError):
    """A subclass that keeps NotFoundError's __init__."""


class JobFailedError(APIStatusError):
    """A subclass with an __init__ of its own, whose arguments are not the error's args."""

    def __init__(self, job: str, response: httpx2.Response) -> None:
        super().__init__(f"job {job} failed", response=response)
        self.job = job


class TooManyThingsError(OpenAIError):
    """A subclass of the root whose __init__ takes no message at all."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} things are too many")
        self.count = count


# --- round trips and comparisons -------------------------------------------------------------------


def round_trip(value: T, protocol: int = pickle.DEFAULT_PROTOCOL) -> T:
    """``value`` through pickle; no key may be in the bytes."""
    data = pickle.dumps(value, protocol)
    assert SECRET.encode() not in data
    assert WRONG_SECRET.encode() not in data
    restored: T = pickle.loads(data)
    return restored


def _request_of(response: httpx2.Response) -> httpx2.Request | None:
    try:
        return response.request
    except RuntimeError:
        return None


def same(left: object, right: object) -> bool:
    """Equal values; requests and responses (which do not compare) by what they hold."""
    if isinstance(left, httpx2.Request):
        return isinstance(right, httpx2.Request) and (left.method, left.url, left.headers, left.content) == (
            right.method,
            right.url,
            right.headers,
            right.content,
        )
    if isinstance(left, httpx2.Response):
        return (
            isinstance(right, httpx2.Response)
            and (left.status_code, left.headers, left.content)
            == (right.status_code, right.headers, right.content)
            and same(_request_of(left), _request_of(right))
        )
    if isinstance(left, OpenAIError):  # an error held by another (BulkStoppedError's error)
        return (
            type(left) is type(right)
            and str(left) == str(right)
            and vars(left).keys() == vars(right).keys()
            and all(same(value, getattr(right, name)) for name, value in vars(left).items())
        )
    return bool(left == right)


def _properties(cls: type) -> list[str]:
    return [
        n for n in dir(cls) if not n.startswith("_") and isinstance(inspect.getattr_static(cls, n), property)
    ]


def assert_same_error(restored: OpenAIError, original: OpenAIError) -> None:
    """The same class, args, message, repr, and every attribute and property alike."""
    assert type(restored) is type(original)
    assert restored.args == original.args
    assert str(restored) == str(original)
    assert repr(restored) == repr(original)
    assert vars(restored).keys() == vars(original).keys()
    for name, value in vars(original).items():
        assert same(getattr(restored, name), value), name
    for name in _properties(type(original)):
        assert same(getattr(restored, name), getattr(original, name)), name


# --- the tree of errors -----------------------------------------------------------------------------


def _tree(cls: type[OpenAIError]) -> Iterator[type[OpenAIError]]:
    """``cls`` and every class below it, walked through ``__subclasses__``."""
    yield cls
    for sub in cls.__subclasses__():
        yield from _tree(sub)


def _public(cls: type[OpenAIError]) -> bool:
    return cls.__name__ in completionkit.__all__ and getattr(completionkit, cls.__name__) is cls


PUBLIC_ERRORS: list[type[OpenAIError]] = sorted(
    {cls for cls in _tree(OpenAIError) if _public(cls)}, key=lambda cls: cls.__name__
)

# What each error, as the client raises it, holds (so that comparing the copy proves something).
HOLDS: dict[type[OpenAIError], tuple[str, ...]] = {
    OpenAIError: ("status_code", "code", "type", "param", "request_id", "body"),
    InvalidRequestError: ("param",),
    MissingAPIKeyError: ("message",),
    ProvidersFileError: ("param", "path"),
    ToolLoopError: ("messages",),
    BulkStoppedError: ("error", "summary", "status_code", "code", "request_id"),
    APIError: ("request", "status_code", "code", "type", "param", "request_id", "body", "partial"),
    APIConnectionError: ("request",),
    APITimeoutError: ("request",),
    APIStreamIncompleteError: ("request", "request_id", "partial"),
    APIStreamError: ("request", "request_id", "code", "type", "body", "partial"),
    APIResponseValidationError: ("request", "response", "request_id", "body"),
    StructuredOutputError: ("path", "text"),
    APIStatusError: ("request", "response", "headers", "request_id", "body", "type"),
    BadRequestError: ("request", "response", "headers", "request_id", "body", "code", "type"),
    AuthenticationError: ("request", "response", "headers", "request_id", "body", "code", "type"),
    PermissionDeniedError: ("request", "response", "headers", "request_id", "body", "code", "type"),
    NotFoundError: ("request", "response", "headers", "request_id", "body", "code", "type", "param"),
    ConflictError: ("request", "response", "headers", "request_id", "body", "code", "type"),
    UnprocessableEntityError: ("request", "response", "headers", "request_id", "body", "code", "type"),
    RateLimitError: ("request", "response", "headers", "request_id", "body", "code", "type"),
    InternalServerError: ("request", "response", "headers", "request_id", "body", "code", "type"),
}


def _stream_final(client: OpenAI) -> ChatCompletionResult:
    with client.chat.completions.stream(USER, model="m") as stream:
        return stream.final()


def _raised(call: Callable[[], object]) -> OpenAIError:
    with pytest.raises(OpenAIError) as caught:
        call()
    return caught.value


def _build_errors(server: LocalServer, client: OpenAI) -> list[OpenAIError]:
    """One error of each public class, each met for real where the client raises it."""
    create = client.chat.completions.create
    built: list[OpenAIError] = []

    def raised(call: Callable[[], object]) -> OpenAIError:
        built.append(_raised(call))
        return built[-1]

    not_found = raised(lambda: client.chat.completions.retrieve("chatcmpl-missing"))
    for status in (400, 403, 409, 422, 500, 418):  # 418: no class of its own, an APIStatusError
        server.inject(Fault.http_error(status, code=f"code_{status}", message=f"Refused with {status}."))
        raised(lambda: create(USER, model="m"))
    with OpenAI(api_key=WRONG_KEY, base_url=server.url, max_retries=0) as refused:
        raised(lambda: refused.chat.completions.create(USER, model="m"))
    server.inject(Fault.rate_limit(retry_after=0), times=2)
    raised(lambda: create(USER, model="m", max_retries=1))  # two attempts
    raised(lambda: create(USER, model="m", temprature=1))  # type: ignore[call-arg]
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("OPENAI_API_KEY", raising=False)
        raised(lambda: OpenAI(base_url=server.url))
    with tempfile.TemporaryDirectory() as folder:
        bad = Path(folder) / "providers.toml"
        bad.write_text("[providers.work]\nbase_url = 5\n", "utf-8")
        raised(lambda: OpenAI(api_key=KEY, providers_file=bad))
    server.queue(Reply.calling("get_weather", {"city": "Oslo"}))
    raised(lambda: client.chat.completions.run_tools(USER, model="m", tools=[get_weather], max_rounds=1))
    server.queue(Reply.json({"city": "Oslo", "temperature": "warm"}))
    raised(lambda: create(USER, model="m", response_format=WeatherStruct))
    server.inject(Fault.raw(b"not json at all"))
    raised(lambda: create(USER, model="m"))
    server.inject(Fault.slow(5))
    raised(lambda: create(USER, model="m", timeout=0.2))
    with LocalServer() as gone:
        closed = gone.url  # nothing listens there any more
    with OpenAI(api_key=KEY, base_url=closed, max_retries=0) as nowhere:
        raised(lambda: nowhere.chat.completions.create(USER, model="m"))
    server.inject(Fault.insufficient_quota())
    bulk = [{"custom_id": "only", "body": {"model": "m", "messages": USER}}]
    raised(lambda: list(client.chat.completions.bulk(bulk, progress=False)))
    server.inject(Fault.stream_cut(3))
    raised(lambda: _stream_final(client))
    server.inject(dataclasses.replace(Fault.stream_error(2), error_code="stream_failed"))
    broken = raised(lambda: _stream_final(client))
    assert isinstance(not_found, APIError)
    assert isinstance(broken, APIError)
    # The client raises neither the root nor a bare APIError: these are built as it builds
    # its errors, from the parts of real ones.
    built.append(
        OpenAIError(
            "Something failed.",
            status_code=409,
            code="conflict",
            type="invalid_request_error",
            param="metadata",
            request_id="req_123",
            body={"message": "Something failed.", "code": "conflict"},
        )
    )
    built.append(
        APIError(
            "The gateway failed.",
            not_found.request,
            body={"message": "The gateway failed."},
            status_code=502,
            code="bad_gateway",
            type="server_error",
            param="model",
            request_id="req_456",
            attempts=3,
            partial=broken.partial,
        )
    )
    return built


@pytest.fixture(scope="module")
def errors() -> dict[type[OpenAIError], OpenAIError]:
    with (
        LocalServer(api_key=KEY) as server,
        OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client,
    ):
        built = _build_errors(server, client)
    by_class = {type(error): error for error in built}
    assert len(by_class) == len(built), "two errors of one class"
    return by_class


def test_the_walk_finds_every_public_error_and_each_is_built(
    errors: dict[type[OpenAIError], OpenAIError],
) -> None:
    public = {
        name
        for name in completionkit.__all__
        if isinstance(value := getattr(completionkit, name), type) and issubclass(value, BaseException)
    }
    assert {cls.__name__ for cls in PUBLIC_ERRORS} == public
    assert set(errors) == set(PUBLIC_ERRORS) == set(HOLDS)


@pytest.mark.parametrize("cls", PUBLIC_ERRORS, ids=lambda cls: cls.__name__)
def test_each_error_is_built_holding_its_fields(
    errors: dict[type[OpenAIError], OpenAIError], cls: type[OpenAIError]
) -> None:
    error = errors[cls]
    empty = [name for name in HOLDS[cls] if getattr(error, name) in (None, "", [], {})]
    assert empty == [], f"{cls.__name__} holds nothing in {empty}: its round trip would prove little"


@pytest.mark.parametrize("cls", PUBLIC_ERRORS, ids=lambda cls: cls.__name__)
def test_no_error_is_its_own_cause(
    errors: dict[type[OpenAIError], OpenAIError], cls: type[OpenAIError]
) -> None:
    # Pickled with its causes and contexts (Dask's distributed does, through tblib), an
    # error in its own chain would recurse without end.
    def walk(link: BaseException | None, path: tuple[int, ...]) -> None:
        if link is None:
            return
        assert id(link) not in path, f"{type(link).__name__} is in its own chain of causes"
        for following in {id(x): x for x in (link.__cause__, link.__context__) if x is not None}.values():
            walk(following, (*path, id(link)))

    walk(errors[cls], ())


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("cls", PUBLIC_ERRORS, ids=lambda cls: cls.__name__)
def test_every_public_error_round_trips(
    errors: dict[type[OpenAIError], OpenAIError], cls: type[OpenAIError], protocol: int
) -> None:
    original = errors[cls]
    restored = round_trip(original, protocol)
    assert_same_error(restored, original)
    if isinstance(original, APIError) and original.request is not None:
        assert isinstance(restored, APIError)
        assert restored.request is not None
        assert restored.request.headers["authorization"] != f"Bearer {KEY}"


@pytest.mark.parametrize("cls", PUBLIC_ERRORS, ids=lambda cls: cls.__name__)
def test_every_public_error_copies(
    errors: dict[type[OpenAIError], OpenAIError], cls: type[OpenAIError]
) -> None:
    original = errors[cls]
    assert_same_error(copy.copy(original), original)
    assert_same_error(copy.deepcopy(original), original)


def test_the_fields_of_a_404_cross_a_round_trip(errors: dict[type[OpenAIError], OpenAIError]) -> None:
    error = round_trip(errors[NotFoundError])
    assert isinstance(error, NotFoundError)
    assert (error.status_code, error.code, error.param, error.type) == (
        404,
        "not_found",
        "completion_id",
        "invalid_request_error",
    )
    assert error.request is not None
    assert (error.request.method, error.request.url.path) == ("GET", "/v1/chat/completions/chatcmpl-missing")
    assert error.response.status_code == 404
    assert error.body == json.loads(error.response.content)["error"]
    assert error.request_id == error.headers["x-request-id"] == error.response.headers["x-request-id"]
    assert error.headers is error.response.headers  # one object, as in the original
    assert error.response.request is error.request
    assert error.is_not_found_error
    assert not error.is_connection_error


def test_the_answer_so_far_and_the_attempts_cross_a_round_trip(
    errors: dict[type[OpenAIError], OpenAIError],
) -> None:
    broken = errors[APIStreamIncompleteError]
    assert isinstance(broken, APIError)
    assert broken.partial is not None
    restored = round_trip(broken)
    assert isinstance(restored, APIError)
    assert restored.partial == broken.partial
    assert restored.partial is not None
    assert restored.partial.choice.text == broken.partial.choice.text
    limited = errors[RateLimitError]
    assert isinstance(limited, APIError)
    assert limited.attempts == 2
    assert round_trip(limited).attempts == 2


def test_a_tool_loops_conversation_crosses_a_round_trip(errors: dict[type[OpenAIError], OpenAIError]) -> None:
    error = errors[ToolLoopError]
    assert isinstance(error, ToolLoopError)
    restored = round_trip(error)
    assert restored.messages == error.messages
    assert [type(m) for m in restored.messages] == [type(m) for m in error.messages]


def test_the_check_for_a_key_would_see_one() -> None:
    # The request before it is sent holds the key: pickled, its bytes show it.
    unsent = httpx2.Request("GET", "http://127.0.0.1/v1/models", headers={"Authorization": f"Bearer {KEY}"})
    assert SECRET.encode() in pickle.dumps(unsent)


# --- a user's subclasses -----------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_users_subclasses_round_trip(errors: dict[type[OpenAIError], OpenAIError], protocol: int) -> None:
    found = errors[NotFoundError]
    assert isinstance(found, NotFoundError)
    kept = JobNotFoundError(
        found.message,
        response=found.response,
        body=found.body,
        code=found.code,
        type=found.type,
        param=found.param,
    )
    own = JobFailedError("nightly", found.response)
    counted = TooManyThingsError(7)
    counted.add_note("while counting")
    for original in (kept, own, counted):
        assert_same_error(round_trip(original, protocol), original)
    assert round_trip(own, protocol).job == "nightly"
    assert round_trip(counted, protocol).count == 7
    assert round_trip(counted, protocol).__notes__ == ["while counting"]


# --- arbitrary fields ---------------------------------------------------------------------------------

_STATUS_CLASSES: list[tuple[int, type[APIStatusError]]] = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (418, APIStatusError),
]
_TEXT = st.text(max_size=40)
_MAYBE = st.none() | _TEXT
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    message=_TEXT,
    code=_MAYBE,
    type_=_MAYBE,
    param=_MAYBE,
    request_id=st.none() | st.from_regex(r"req_[A-Za-z0-9]{1,20}", fullmatch=True),
    body=_JSON,
    status=st.sampled_from(_STATUS_CLASSES),
    attempts=st.integers(1, 5),
)
def test_errors_with_any_fields_round_trip(
    message: str,
    code: str | None,
    type_: str | None,
    param: str | None,
    request_id: str | None,
    body: object,
    status: tuple[int, type[APIStatusError]],
    attempts: int,
) -> None:
    number, cls = status
    request = httpx2.Request("POST", "https://api.example.com/v1/chat/completions", json={"model": "m"})
    headers = {} if request_id is None else {"x-request-id": request_id}
    response = httpx2.Response(number, json={"error": body}, headers=headers, request=request)
    built: list[OpenAIError] = [
        OpenAIError(
            message, status_code=number, code=code, type=type_, param=param, request_id=request_id, body=body
        ),
        InvalidRequestError(param or "model", message),
        APIConnectionError(message or None, request, attempts=attempts),
        cls(message, response=response, code=code, type=type_, param=param, body=body, attempts=attempts),
    ]
    for original in built:
        assert_same_error(round_trip(original), original)


# --- results ------------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(api_key=KEY) as running:
        yield running


@pytest.fixture
def client(server: LocalServer) -> Iterator[OpenAI]:
    with OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as openai:
        yield openai


def assert_same_result(restored: ChatCompletionResult[Any], original: ChatCompletionResult[Any]) -> None:
    assert type(restored) is type(original)
    assert restored == original
    assert (restored != original) is False
    assert (restored.id, restored.model, restored.created, restored.usage) == (
        original.id,
        original.model,
        original.created,
        original.usage,
    )
    assert (restored.raw, restored.headers, restored.request_id) == (
        original.raw,
        original.headers,
        original.request_id,
    )
    assert restored.rate_limit == original.rate_limit
    assert restored.choices == original.choices
    for mine, theirs in zip(restored.choices, original.choices, strict=True):
        assert type(mine.parsed) is type(theirs.parsed)
        assert (mine.parsed, mine.text, mine.message, mine.finish_reason) == (
            theirs.parsed,
            theirs.text,
            theirs.message,
            theirs.finish_reason,
        )
    assert repr(restored) == repr(original)


def _expected(parse: type[Any]) -> object:
    return dict(WEATHER) if parse is WeatherDict else parse(**WEATHER)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("parse", PARSED_TYPES, ids=lambda t: t.__name__)
def test_a_parsed_result_round_trips(
    server: LocalServer, client: OpenAI, parse: type[Any], protocol: int
) -> None:
    server.queue(Reply.json(WEATHER))
    result = client.chat.completions.create(USER, model="m", response_format=parse)
    assert result.choice.parsed == _expected(parse)
    assert_same_result(round_trip(result, protocol), result)


@pytest.mark.parametrize("parse", PARSED_TYPES, ids=lambda t: t.__name__)
def test_an_async_parsed_result_round_trips(server: LocalServer, parse: type[Any]) -> None:
    async def run() -> ChatCompletionResult[Any]:
        async with AsyncOpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
            return await client.chat.completions.create(USER, model="m", response_format=parse)

    server.queue(Reply.json(WEATHER))
    result = asyncio.run(run())
    assert result.choice.parsed == _expected(parse)
    assert_same_result(round_trip(result), result)


def test_a_plain_result_round_trips_and_two_answers_differ(client: OpenAI) -> None:
    first = client.chat.completions.create(USER, model="m", n=2)
    second = client.chat.completions.create(USER, model="m", n=2)
    assert len(first.choices) == 2
    assert_same_result(round_trip(first), first)
    assert first != second
    assert first.choice != first.choices[1]
    assert first != "not a result"


def test_caches_are_not_pickled(client: OpenAI) -> None:
    result = client.chat.completions.create(USER, model="m")
    result.choices  # noqa: B018  # the choices are made: what follows reads only a cache
    before = pickle.dumps(result)
    assert result.choice.message.text == "Hello there"
    assert pickle.dumps(result) == before


@pytest.mark.parametrize("parse", [None, WeatherStruct], ids=["text", "WeatherStruct"])
def test_a_streams_final_result_round_trips(
    server: LocalServer, client: OpenAI, parse: type[Any] | None
) -> None:
    server.queue(Reply.json(WEATHER), Reply.json(WEATHER))
    asked: dict[str, Any] = {} if parse is None else {"response_format": parse}
    with client.chat.completions.stream(USER, model="m", **asked) as stream:
        final = stream.final()
    assert_same_result(round_trip(final), final)
    # create(stream=True) gives the same kind of result
    whole = client.chat.completions.create(USER, model="m", stream=True, **asked)
    assert_same_result(round_trip(whole), whole)
    if parse is not None:
        assert round_trip(final).choice.parsed == WeatherStruct(**WEATHER)  # type: ignore[arg-type]


def test_an_async_streams_final_result_round_trips(server: LocalServer) -> None:
    async def run() -> ChatCompletionResult[WeatherData]:
        async with (
            AsyncOpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client,
            client.chat.completions.stream(USER, model="m", response_format=WeatherData) as stream,
        ):
            return await stream.final()

    server.queue(Reply.json(WEATHER))
    final = asyncio.run(run())
    assert final.choice.parsed == WeatherData(**WEATHER)  # type: ignore[arg-type]
    assert_same_result(round_trip(final), final)


def assert_same_outcome(restored: ChatCompletionOutcome[Any], original: ChatCompletionOutcome[Any]) -> None:
    assert restored == original
    assert (restored != original) is False
    assert (restored.success, restored.id, restored.request_id, restored.headers) == (
        original.success,
        original.id,
        original.request_id,
        original.headers,
    )
    assert restored.rate_limit == original.rate_limit
    for mine, theirs in zip(restored.errors, original.errors, strict=True):
        assert_same_error(mine, theirs)
    if original.result is not None:
        assert restored.result is not None
        assert_same_result(restored.result, original.result)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_try_create_outcomes_round_trip(server: LocalServer, client: OpenAI, protocol: int) -> None:
    server.queue(Reply.json(WEATHER))
    success = client.chat.completions.try_create(USER, model="m", response_format=WeatherData)
    server.inject(Fault.rate_limit(retry_after=0))
    limited = client.chat.completions.try_create(USER, model="m")
    server.inject(Fault.http_error(400, message="Bad temperature.", code="invalid_value"))
    refused = client.chat.completions.try_create(USER, model="m")
    with LocalServer() as gone:
        closed = gone.url
    with OpenAI(api_key=KEY, base_url=closed, max_retries=0) as nowhere:
        unanswered = nowhere.chat.completions.try_create(USER, model="m")
    assert success.success
    assert success.choice is not None
    assert success.choice.parsed == WeatherData(**WEATHER)  # type: ignore[arg-type]
    assert [type(e) for o in (limited, refused, unanswered) for e in o.errors] == [
        RateLimitError,
        BadRequestError,
        APIConnectionError,
    ]
    for outcome in (success, limited, refused, unanswered):
        assert_same_outcome(round_trip(outcome, protocol), outcome)
    assert limited != refused
    assert success != limited


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_listed_completions_round_trip(client: OpenAI, protocol: int) -> None:
    for number in range(3):
        client.chat.completions.create([Message.user(f"Question {number}")], model="m", store=True)
    listed = list(client.chat.completions.list(limit=2))  # two pages
    assert len(listed) == 3
    restored = round_trip(listed, protocol)
    assert restored == listed
    for mine, theirs in zip(restored, listed, strict=True):
        assert_same_result(mine, theirs)
    alone = round_trip(listed[1], protocol)  # one of a page, without the others
    assert_same_result(alone, listed[1])


def test_a_listed_pages_decoded_json_is_not_pickled(client: OpenAI) -> None:
    for number in range(2):
        client.chat.completions.create([Message.user(f"Question {number}")], model="m", store=True)
    first, second = client.chat.completions.list()
    before = pickle.dumps(second)
    assert first.raw["id"] == first.id  # decodes the page they share
    assert pickle.dumps(second) == before
    assert round_trip(second).raw == second.raw


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stored_messages_round_trip(client: OpenAI, protocol: int) -> None:
    conversation: list[MessageLike] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there"},
    ]
    stored = client.chat.completions.create(conversation, model="m", store=True)
    messages = list(client.chat.completions.messages.list(stored.id))
    assert [m.content for m in messages] == ["Be brief.", "Hello there"]
    restored = round_trip(messages, protocol)
    assert restored == messages
    assert [type(m) for m in restored] == [type(m) for m in messages]


# --- across a real process ----------------------------------------------------------------------------


def test_a_spawned_workers_errors_and_results_reach_the_parent(server: LocalServer) -> None:
    server.queue(Reply.json(WEATHER))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        failing = pool.submit(pickling_workers.retrieve_missing, server.url, KEY)
        answering = pool.submit(pickling_workers.forecast, server.url, KEY)
        with pytest.raises(NotFoundError) as raised:  # not BrokenProcessPool
            failing.result()
        result = answering.result()  # the pool still works
    error = raised.value
    assert type(error) is NotFoundError
    assert (error.status_code, error.code, error.param) == (404, "not_found", "completion_id")
    assert error.request is not None
    assert error.request.method == "GET"
    assert error.request.url.path == f"/v1/chat/completions/{pickling_workers.MISSING_ID}"
    assert error.request.headers["authorization"] != f"Bearer {KEY}"
    assert error.response.status_code == 404
    assert error.body == json.loads(error.response.content)["error"]
    assert error.request_id is not None
    assert error.request_id == error.headers["x-request-id"]
    assert str(error).startswith(error.message)
    assert result.choice.parsed == pickling_workers.Forecast(city="Oslo", temperature=21.5)
    assert [r.path for r in server.requests] == [
        f"/v1/chat/completions/{pickling_workers.MISSING_ID}",
        "/v1/chat/completions",
    ]
