"""The API key never escapes: not in a message, a repr, a traceback (chained causes
included), a log record of ours, httpx2's or httpcore2's, nor any attribute reachable
from an error (its request, response and headers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from completionkit import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    InvalidRequestError,
    MissingAPIKeyError,
    OpenAI,
    OpenAIError,
)
from completionkit.testing import Fault, LocalServer

KEY = "sk-proj-SECRETsecret0123456789"
SECRET = "SECRETsecret0123456789"  # what must appear nowhere
USER = [{"role": "user", "content": "Hello"}]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def keyed_server() -> Iterator[LocalServer]:
    with LocalServer(api_key=KEY) as running:
        yield running


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Every log record at DEBUG and above, from every logger, while the test runs."""
    caught: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caught.append(record)

    root = logging.getLogger()
    handler = Keep(logging.DEBUG)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    named = {
        name: logging.getLogger(name).level for name in ("completionkit", "httpx2", "httpcore2", "httpcore")
    }
    for name in named:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield caught
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, old in named.items():
            logging.getLogger(name).setLevel(old)


def _texts(record: logging.LogRecord) -> Iterator[str]:
    yield record.getMessage()
    yield repr(record.args)
    yield repr(vars(record))
    if record.exc_info and record.exc_info[1] is not None:
        yield "".join(traceback.format_exception(record.exc_info[1]))


def _assert_logs_clean(records: list[logging.LogRecord]) -> None:
    assert records, "nothing was logged: the capture does not work"
    for record in records:
        for text in _texts(record):
            assert SECRET not in text, f"{record.name}: {text[:300]}"


def _walk(root: object) -> Iterator[tuple[str, object]]:
    """Everything reachable from ``root``: exception chains, args and attributes,
    requests, responses and their headers, containers (each object once)."""
    seen: set[int] = set()
    stack: list[tuple[str, object]] = [("error", root)]
    while stack:
        path, value = stack.pop()
        if id(value) in seen or len(seen) > 20_000:
            continue
        seen.add(id(value))
        yield path, value
        children: list[tuple[str, object]] = []
        if isinstance(value, str | bytes | int | float | bool) or value is None:
            continue
        if isinstance(value, BaseException):
            children += [("__cause__", value.__cause__), ("__context__", value.__context__)]
            children += [(f"args[{i}]", a) for i, a in enumerate(value.args)]
            if isinstance(value, httpx2.RequestError):
                with contextlib.suppress(RuntimeError):
                    children.append(("request", value.request))
        if isinstance(value, httpx2.Request):
            children += [("headers", value.headers), ("url", str(value.url))]
            children += [(f"headers[{k}]", v) for k, v in value.headers.raw]
        if isinstance(value, httpx2.Response):
            children += [("request", value.request), ("headers", value.headers)]
            children += [(f"headers[{k}]", v) for k, v in value.headers.raw]
            children += [(f"headers[{k}]", v) for k, v in value.request.headers.raw]
        if isinstance(value, httpx2.Headers):
            children += [(f"[{k}]", v) for k, v in value.multi_items()]
        if isinstance(value, dict):
            children += [(f"[{k!r}]", v) for k, v in value.items()]
            children += [("key", k) for k in value]
        elif isinstance(value, list | tuple | set | frozenset):
            children += [(f"[{i}]", v) for i, v in enumerate(value)]
        # Every attribute a caller may read: the public ones (and an exception's own, all).
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict) and not isinstance(value, type):
            everything = isinstance(value, BaseException)
            children += [(f".{k}", v) for k, v in attributes.items() if everything or not k.startswith("_")]
        for slot in getattr(type(value), "__slots__", ()):
            if isinstance(slot, str) and not slot.startswith("_") and hasattr(value, slot):
                children.append((f".{slot}", getattr(value, slot)))
        stack.extend(
            (f"{path}{name}" if name.startswith((".", "[")) else f"{path}.{name}", child)
            for name, child in children
        )


def _assert_error_clean(error: BaseException) -> None:
    formatted = "".join(traceback.format_exception(error))
    assert SECRET not in formatted, formatted
    assert SECRET not in repr(error)
    assert SECRET not in str(error)
    for path, value in _walk(error):
        if isinstance(value, str | bytes):
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            assert SECRET not in text, path
        else:
            try:
                shown = repr(value)
            except Exception:
                continue
            assert SECRET not in shown, path


def _raised(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


# --- the key as given -------------------------------------------------------------------


@pytest.mark.parametrize("given", [KEY + "\n", KEY + "\r\n", f"  {KEY}\t", f"\n{KEY}\n"])
def test_surrounding_whitespace_is_stripped(given: str, keyed_server: LocalServer) -> None:
    with OpenAI(api_key=given, base_url=keyed_server.url, max_retries=0) as client:
        assert client.chat.completions.create(USER, model="m").choice.text
    assert len(keyed_server.requests) == 1


def test_a_key_from_the_environment_is_stripped_too(
    keyed_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY + "\n")
    with OpenAI(base_url=keyed_server.url, max_retries=0) as client:
        assert client.chat.completions.create(USER, model="m").choice.text


@pytest.mark.parametrize(
    "given",
    [
        f"sk-{SECRET}\n-more",
        f"sk-{SECRET}é",
        f"sk-{SECRET}\x00",
        f"sk-{SECRET}\rmore",
        f"sk-\u2028{SECRET}",
        f"sk-{SECRET}\ud800",
    ],
)
@pytest.mark.parametrize("client_type", [OpenAI, AsyncOpenAI])
def test_a_key_that_cannot_be_a_header_is_refused_without_showing_it(
    given: str, client_type: type[OpenAI] | type[AsyncOpenAI]
) -> None:
    error = _raised(lambda: client_type(api_key=given, base_url="http://127.0.0.1:9/v1"))
    assert isinstance(error, InvalidRequestError)
    assert error.param == "api_key"
    assert "header" in str(error)
    _assert_error_clean(error)


@pytest.mark.parametrize("given", ["", " ", "\n", "\t\r\n"])
def test_a_blank_key_is_no_key(given: str) -> None:
    with pytest.raises(MissingAPIKeyError):
        OpenAI(api_key=given, base_url="http://127.0.0.1:9/v1")


def test_the_client_repr_does_not_show_the_key() -> None:
    client = OpenAI(api_key=KEY, base_url="http://127.0.0.1:9/v1")
    assert SECRET not in repr(client)
    assert SECRET not in repr(client._config)
    assert SECRET not in repr(vars(client))


# --- errors after sending -------------------------------------------------------------


def test_a_connection_error_holds_no_key(records: list[logging.LogRecord]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with OpenAI(api_key=KEY, base_url=url, max_retries=1) as client:
        client._caller.clock.sleep = lambda seconds: None  # type: ignore[method-assign]
        error = _raised(lambda: client.chat.completions.create(USER, model="m"))
    assert isinstance(error, APIConnectionError)
    assert isinstance(error.__cause__, httpx2.ConnectError)
    assert "authorization" not in error.__cause__.request.headers or SECRET not in str(
        error.__cause__.request.headers["authorization"]
    )
    _assert_error_clean(error)
    _assert_logs_clean(records)


def test_a_timeout_holds_no_key(keyed_server: LocalServer, records: list[logging.LogRecord]) -> None:
    keyed_server.inject(Fault.slow(2.0), times=2)
    with OpenAI(api_key=KEY, base_url=keyed_server.url, max_retries=1) as client:
        client._caller.clock.sleep = lambda seconds: None  # type: ignore[method-assign]
        error = _raised(lambda: client.chat.completions.create(USER, model="m", timeout=0.2))
    assert isinstance(error, APITimeoutError)
    assert isinstance(error.__cause__, httpx2.TimeoutException)
    _assert_error_clean(error)
    _assert_logs_clean(records)


def test_a_status_error_after_retries_holds_no_key(
    keyed_server: LocalServer, records: list[logging.LogRecord]
) -> None:
    keyed_server.inject(Fault.http_error(500), times=3)
    with OpenAI(api_key=KEY, base_url=keyed_server.url, max_retries=2) as client:
        client._caller.clock.sleep = lambda seconds: None  # type: ignore[method-assign]
        error = _raised(lambda: client.chat.completions.create(USER, model="m"))
    assert isinstance(error, APIStatusError)
    assert error.status == 500
    _assert_error_clean(error)
    _assert_logs_clean(records)
    assert len(keyed_server.requests) == 3  # each retry was sent with the key


def test_a_successful_create_logs_no_key(keyed_server: LocalServer, records: list[logging.LogRecord]) -> None:
    with OpenAI(api_key=KEY + "\n", base_url=keyed_server.url) as client:
        result = client.chat.completions.create(USER, model="m")
        stream_text = "".join(client.chat.completions.stream(USER, model="m").text_deltas())
    assert result.choice.text
    assert stream_text
    _assert_logs_clean(records)


def test_the_async_client_conceals_the_key_too(records: list[logging.LogRecord]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"

    async def main() -> BaseException:
        async with AsyncOpenAI(api_key=KEY + "\n", base_url=url, max_retries=1) as client:

            async def no_wait(seconds: float) -> None:
                return None

            client._caller.clock.asleep = no_wait  # type: ignore[method-assign]
            try:
                await client.chat.completions.create(USER, model="m")
            except OpenAIError as error:
                return error
        raise AssertionError("nothing was raised")

    error = asyncio.run(main())
    assert isinstance(error, APIConnectionError)
    _assert_error_clean(error)
    _assert_logs_clean(records)


def test_try_create_outcome_holds_no_key(records: list[logging.LogRecord]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with OpenAI(api_key=KEY, base_url=url, max_retries=0) as client:
        outcome = client.chat.completions.try_create(USER, model="m")
    assert not outcome.success
    for error in outcome.errors:
        _assert_error_clean(error)
    walked: Any = outcome
    assert SECRET not in repr(walked)
