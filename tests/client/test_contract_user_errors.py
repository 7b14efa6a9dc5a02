"""One contract for user errors: whatever a public method is given, it either sends a
valid request (and succeeds) or raises ``InvalidRequestError`` naming the argument, and
then nothing was sent.

Every public method of both clients is driven with arbitrary values for each argument:
lone surrogates, huge and non-finite numbers, deep structures, non-str keys, bytes, None,
plain objects.  Any other exception fails the test, and so does a refused call that
reached the server.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completionkit import (
    APITimeoutError,
    AsyncOpenAI,
    BadRequestError,
    InvalidRequestError,
    NotFoundError,
    OpenAI,
    OpenAIError,
)
from completionkit.testing import LocalServer

KEY = "sk-contract-test"
USER = [{"role": "user", "content": "Hello"}]
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "30"))

# --- arbitrary values ---------------------------------------------------------------------

# Every code point, lone surrogates included.
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=20)
BAD_TEXT = st.sampled_from(["\ud800", "a\udfffb", "x\r\ny", "\x00", "é", "\n"])
HUGE = st.one_of(
    st.sampled_from([10**40, -(10**40), 2**63, 2**64, -(2**63) - 1]),
    st.just(5000).map(lambda digits: 10**digits),  # not repr'd by hypothesis: str() refuses it
)
NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), HUGE)
OBJECTS = st.sampled_from([object(), ..., type, 1j, frozenset({1}), bytearray(b"x"), Exception("x")])


def _deep_list(depth: int) -> object:
    value: object = None
    for _ in range(depth):
        value = [value]
    return value


def _deep_dict(depth: int) -> object:
    value: object = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _cyclic() -> object:
    value: list[object] = []
    value.append(value)
    return value


# Built once, and drawn by index: hypothesis would repr them in its strategy's repr.
_DEEP_VALUES = [_deep_list(20_000), _deep_dict(20_000), _deep_list(1_100), _deep_dict(1_100), _cyclic()]


def _deep_value(index: int) -> object:
    return _DEEP_VALUES[index]


DEEP = st.integers(0, len(_DEEP_VALUES) - 1).map(_deep_value)

SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, ANY_TEXT, BAD_TEXT, st.binary(max_size=8), OBJECTS)
KEYS = st.one_of(ANY_TEXT, BAD_TEXT, st.integers(), st.none(), st.binary(max_size=4), st.just((1, 2)))
ANYTHING = st.one_of(
    st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.tuples(inner, inner),
            st.dictionaries(KEYS, inner, max_size=3),
        ),
        max_leaves=8,
    ),
    DEEP,
)

# What each argument is given, when it is not its valid value: arbitrary values, and
# the ones that argument is most likely to meet.
WILD: dict[str, st.SearchStrategy[Any]] = {
    "messages": st.one_of(
        ANYTHING,
        st.builds(lambda c: [{"role": "user", "content": c}], ANYTHING),
        st.builds(lambda c: [{"role": "user", "content": [{"type": "text", "text": c}]}], ANYTHING),
        st.builds(lambda r: [{"role": r, "content": "x"}], ANYTHING),
    ),
    "parameters": st.one_of(ANYTHING, st.dictionaries(KEYS, ANYTHING, max_size=3)),
    "model": st.one_of(ANY_TEXT, BAD_TEXT, ANYTHING),
    "temperature": ANYTHING,
    "tools": st.one_of(
        ANYTHING,
        st.builds(
            lambda p: [{"type": "function", "function": {"name": "f", "parameters": p}}],
            st.one_of(ANYTHING, st.dictionaries(KEYS, ANYTHING, max_size=3)),
        ),
    ),
    "response_format": st.one_of(
        ANYTHING,
        st.builds(
            lambda s: {"type": "json_schema", "json_schema": {"name": "x", "schema": s}},
            st.one_of(ANYTHING, st.dictionaries(KEYS, ANYTHING, max_size=3), DEEP),
        ),
    ),
    "metadata": st.one_of(
        ANYTHING, st.dictionaries(KEYS, st.one_of(ANY_TEXT, BAD_TEXT, ANYTHING), max_size=3)
    ),
    "timeout": st.one_of(
        ANYTHING,
        st.sampled_from([10**40, -1, math.nan, math.inf, -math.inf, 1e300]),
        st.builds(lambda t: httpx2.Timeout(t), st.sampled_from([-1.0, math.nan, 10**40, 30.0])),
    ),
    "max_retries": ANYTHING,
    "extra_headers": st.one_of(
        ANYTHING,
        st.dictionaries(KEYS, st.one_of(ANY_TEXT, BAD_TEXT, ANYTHING), max_size=3),
        st.builds(lambda v: {"X-Test": v}, st.one_of(BAD_TEXT, ANY_TEXT, SCALARS)),
    ),
    "extra_query": st.one_of(
        ANYTHING, st.dictionaries(KEYS, st.one_of(ANY_TEXT, BAD_TEXT, ANYTHING), max_size=3)
    ),
    "extra_body": st.one_of(ANYTHING, st.dictionaries(KEYS, ANYTHING, max_size=3)),
    "completion_id": st.one_of(
        ANYTHING, ANY_TEXT, BAD_TEXT, st.sampled_from(["", "  ", "a" * 70_000, "x" * 5_000, "a/b?c"])
    ),
    "after": st.one_of(ANYTHING, ANY_TEXT, BAD_TEXT, st.sampled_from(["", "a" * 70_000])),
    "limit": ANYTHING,
    "order": st.one_of(ANYTHING, ANY_TEXT),
    "stream": ANYTHING,
}

OPTIONS = ("timeout", "max_retries", "extra_headers", "extra_query", "extra_body")
VALID: dict[str, object] = {
    "messages": USER,
    "model": "m",
    "temperature": 0.5,
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "response_format": {"type": "text"},
    "metadata": {"k": "v"},
    "timeout": 30.0,
    "max_retries": 0,
    "extra_headers": {"X-Test": "1"},
    "extra_query": {"q": "1"},
    "extra_body": {},
    "after": None,
    "limit": 2,
    "order": "desc",
}
CREATE_FIELDS = ("model", "temperature", "tools", "response_format", "metadata", *OPTIONS)
# The arguments of each method, besides the positional ones; ``extra_body`` only where
# there is a body.
METHOD_FIELDS = {
    "create": CREATE_FIELDS,
    "try_create": CREATE_FIELDS,
    "stream": CREATE_FIELDS,
    "retrieve": OPTIONS[:4],
    "update": OPTIONS,
    "delete": OPTIONS[:4],
    "list": ("model", "metadata", "after", "limit", "order", *OPTIONS[:4]),
    "messages.list": ("after", "limit", "order", *OPTIONS[:4]),
}
POSITIONAL = {
    "create": ("messages", "parameters"),
    "try_create": ("messages", "parameters"),
    "stream": ("messages", "parameters"),
    "retrieve": ("completion_id",),
    "update": ("completion_id", "metadata"),
    "delete": ("completion_id",),
    "list": (),
    "messages.list": ("completion_id",),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture(scope="module")
def stored_id(server: LocalServer) -> str:
    with OpenAI(api_key=KEY, base_url=server.url) as client:
        return client.chat.completions.create(USER, model="m", store=True).id


@pytest.fixture(scope="module")
def sync_client(server: LocalServer) -> Iterator[OpenAI]:
    with OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
        yield client


# --- calling a method --------------------------------------------------------------------


def _arguments(data: st.DataObject, method: str, stored_id: str) -> tuple[list[object], dict[str, object]]:
    """The positional and keyword arguments of one call: valid, but for a few made wild."""
    names = [*POSITIONAL[method], *METHOD_FIELDS[method]]
    wild = data.draw(st.sets(st.sampled_from(names), min_size=1, max_size=2), label="wild")
    # A stream is asked of create() as a parameter too.
    if method == "create" and data.draw(st.booleans(), label="ask for stream"):
        names.append("stream")
        if data.draw(st.booleans(), label="wild stream"):
            wild.add("stream")

    def value(name: str) -> object:
        if name in wild:
            return data.draw(WILD[name], label=name)
        if name == "completion_id":
            return stored_id
        if name == "stream":
            return True
        if method == "update" and name == "metadata":
            return {"k": "v"}
        return VALID[name]

    positional: list[object] = []
    keywords: dict[str, object] = {}
    for name in POSITIONAL[method]:
        if name != "parameters":
            positional.append(value(name))
    in_mapping = "parameters" in POSITIONAL[method] and data.draw(st.booleans(), label="as a mapping")
    for name in names[len(POSITIONAL[method]) :]:
        if name in VALID and VALID[name] is None and name not in wild:
            continue
        if data.draw(st.booleans(), label=f"give {name}") or name in wild or name == "model":
            keywords[name] = value(name)
    if "parameters" in POSITIONAL[method]:
        if "parameters" in wild:
            positional.append(value("parameters"))
        elif in_mapping:
            positional.append(dict(keywords))
            keywords.clear()
        else:
            positional.append(None)
    return positional, keywords


def _call_sync(client: OpenAI, method: str, args: list[object], kwargs: dict[str, object]) -> None:
    completions: Any = client.chat.completions
    if method == "stream":
        with completions.stream(*args, **kwargs) as stream:
            stream.final()
    elif method == "messages.list":
        completions.messages.list(*args, **kwargs)
    elif method == "try_create":
        outcome = completions.try_create(*args, **kwargs)
        if not outcome.success:
            raise outcome.errors[0]
    else:
        getattr(completions, method)(*args, **kwargs)


async def _call_async(url: str, method: str, args: list[object], kwargs: dict[str, object]) -> None:
    # A client of its own in each event loop: connections do not outlive their loop.
    async with AsyncOpenAI(api_key=KEY, base_url=url, max_retries=0) as client:
        completions: Any = client.chat.completions
        if method == "stream":
            async with completions.stream(*args, **kwargs) as stream:
                await stream.final()
        elif method == "messages.list":
            await completions.messages.list(*args, **kwargs)
        elif method == "try_create":
            outcome = await completions.try_create(*args, **kwargs)
            if not outcome.success:
                raise outcome.errors[0]
        else:
            await getattr(completions, method)(*args, **kwargs)


def _outcome(call: Callable[[], None]) -> Exception | None:
    """What ``call`` raised among the errors a call may end with: an ``OpenAIError``
    (anything else is raised on, and fails the test), or None."""
    try:
        call()
    except OpenAIError as error:
        return error
    return None


def _holds_contract(
    server: LocalServer, method: str, args: list[object], kwargs: dict[str, object], call: Callable[[], None]
) -> None:
    before = len(server.requests)
    error = _outcome(call)
    sent = len(server.requests) > before
    if error is None:
        assert sent, "no error, yet nothing was sent"
    elif isinstance(error, InvalidRequestError):
        assert error.param, error
        assert not sent, f"refused ({error}) yet sent"
    elif isinstance(error, NotFoundError):
        # A valid id of no stored completion: a valid request, answered.
        assert method in ("retrieve", "update", "messages.list"), method
        assert sent
    elif isinstance(error, APITimeoutError):
        # A valid timeout, too short for an answer (perhaps before the request was written).
        given = {**(args[1] if len(args) > 1 and isinstance(args[1], dict) else {}), **kwargs}
        assert given.get("timeout", 30.0) != 30.0, error
    elif isinstance(error, BadRequestError):
        # What only the server knows: its cap on a page (100, which the spec does not
        # say), and whether the cursor names a stored completion.
        assert (error.param == "limit" and kwargs["limit"] > 100) or error.param == "after", error
    else:
        raise AssertionError(f"neither sent and answered nor refused: {error!r}") from error


METHODS = list(POSITIONAL)
# The same settings for both clients: bounded, and deterministic unless CONTRACT_RANDOM is set.
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("CONTRACT_RANDOM"),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("method", METHODS)
@PROPERTY
@given(data=st.data())
def test_sync_client_keeps_the_contract(
    data: st.DataObject, method: str, server: LocalServer, sync_client: OpenAI, stored_id: str
) -> None:
    args, kwargs = _arguments(data, method, stored_id)
    _holds_contract(server, method, args, kwargs, lambda: _call_sync(sync_client, method, args, kwargs))


@pytest.mark.parametrize("method", METHODS)
@PROPERTY
@given(data=st.data())
def test_async_client_keeps_the_contract(
    data: st.DataObject, method: str, server: LocalServer, stored_id: str
) -> None:
    args, kwargs = _arguments(data, method, stored_id)
    _holds_contract(
        server, method, args, kwargs, lambda: asyncio.run(_call_async(server.url, method, args, kwargs))
    )


# --- the cases the issue names, one by one ------------------------------------------------

NAMED: list[tuple[str, Callable[[Any], object]]] = [
    ("messages", lambda c: c.create([{"role": "user", "content": "\ud800"}], model="m")),
    ("model", lambda c: c.create(USER, model="\ud800")),
    ("metadata", lambda c: c.create(USER, model="m", metadata={"k": "\udc00"})),
    ("completion_id", lambda c: c.retrieve("\ud800")),
    ("after", lambda c: c.list(after="\ud800")),
    ("extra_headers", lambda c: c.retrieve("x", extra_headers={1: "x"})),
    ("extra_headers['X-A']", lambda c: c.retrieve("x", extra_headers={"X-A": "é"})),
    ("extra_headers['X-A']", lambda c: c.retrieve("x", extra_headers={"X-A": 1})),
    ("extra_headers['X-A']", lambda c: c.retrieve("x", extra_headers={"X-A": "a\r\nEvil: 1"})),
    ("extra_headers['X-A']", lambda c: c.retrieve("x", extra_headers={"X-A": "a\n"})),
    ("extra_headers", lambda c: c.retrieve("x", extra_headers={"X A": "1"})),
    ("timeout", lambda c: c.retrieve("x", timeout=10**40)),
    ("timeout", lambda c: c.retrieve("x", timeout=-1)),
    ("timeout", lambda c: c.retrieve("x", timeout=math.nan)),
    ("timeout", lambda c: c.retrieve("x", timeout=httpx2.Timeout(math.inf))),
    (
        "response_format",
        lambda c: c.create(USER, model="m", response_format=_json_schema(_deep_dict(100_000))),
    ),
    ("completion_id", lambda c: c.retrieve("a" * 70_000)),
    ("completion_id", lambda c: c.delete(b"abc")),
    ("completion_id", lambda c: c.update(7, {})),
    ("parameters", lambda c: c.create(USER, {1: 2, "model": "m"})),
    ("extra_body['x']", lambda c: c.create(USER, model="m", extra_body={"x": object()})),
    ("response_format", lambda c: c.create(USER, model="m", response_format=_json_schema({"x": object()}))),
    ("extra_query['q']", lambda c: c.retrieve("x", extra_query={"q": "\ud800"})),
    ("metadata", lambda c: c.list(metadata={"k": "v" * 70_000})),
]


def _json_schema(schema: object) -> dict[str, object]:
    return {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}


@pytest.mark.parametrize(("param", "call"), NAMED)
def test_each_named_case_is_refused_before_sending(
    param: str, call: Callable[[Any], object], server: LocalServer, sync_client: OpenAI
) -> None:
    before = len(server.requests)
    with pytest.raises(InvalidRequestError) as caught:
        call(sync_client.chat.completions)
    assert caught.value.param == param
    assert len(server.requests) == before


@pytest.mark.parametrize(("param", "call"), NAMED[:6])
def test_the_async_client_refuses_them_too(
    param: str, call: Callable[[Any], object], server: LocalServer
) -> None:
    async def main() -> None:
        async with AsyncOpenAI(api_key=KEY, base_url=server.url) as client:
            result = call(client.chat.completions)
            if asyncio.iscoroutine(result):
                await result
            elif hasattr(result, "__await__"):
                await result  # type: ignore[misc]

    before = len(server.requests)
    with pytest.raises(InvalidRequestError) as caught:
        asyncio.run(main())
    assert caught.value.param == param
    assert len(server.requests) == before
