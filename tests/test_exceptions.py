"""The error classes: where ``status`` is kept, and what tells a client-side refusal from a 400."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from completionkit import (
    APIConnectionError,
    APIStatusError,
    BadRequestError,
    InvalidRequestError,
    MissingAPIKeyError,
    NotFoundError,
    OpenAI,
    OpenAIError,
)
from completionkit.testing import Fault, LocalServer

USER = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def client(server: LocalServer) -> Iterator[OpenAI]:
    with OpenAI(api_key="sk-test", base_url=server.url, max_retries=0) as client:
        yield client


def answered(server: LocalServer, client: OpenAI, status: int) -> APIStatusError:
    server.inject(Fault.http_error(status))
    with pytest.raises(APIStatusError) as raised:
        client.chat.completions.create(USER, model="m")
    return raised.value


# --- status: one attribute, one property -------------------------------------------------


def test_status_is_the_answer_status_on_an_api_status_error(server: LocalServer, client: OpenAI) -> None:
    error = answered(server, client, 404)
    assert isinstance(error, NotFoundError)
    assert error.status == 404
    assert error.is_not_found_error
    assert "status=404" in str(error)


@pytest.mark.parametrize("error", [OpenAIError("x"), APIConnectionError("x"), InvalidRequestError("p", "m")])
def test_status_is_none_without_an_answer(error: OpenAIError) -> None:
    assert error.status is None


def test_status_is_kept_once_and_read_by_one_property(server: LocalServer, client: OpenAI) -> None:
    error = answered(server, client, 418)
    assert type(error) is APIStatusError
    assert error.status == 418
    assert APIStatusError.status is OpenAIError.status
    assert not hasattr(error, "_http_status")
    assert [v for v in vars(error).values() if type(v) is int] == [418]  # kept once
    with pytest.raises(AttributeError):
        error.status = 500  # type: ignore[misc]


def test_status_given_to_the_root_class() -> None:
    assert OpenAIError("x", status=502).status == 502


# --- InvalidRequestError: a refusal of the client's own --------------------------------------


def test_an_invalid_request_error_has_no_api_error_type() -> None:
    error = InvalidRequestError("temperature", "expected a number, got 'hot'")
    assert error.type is None
    assert error.param == "temperature"
    assert error.message == "temperature: expected a number, got 'hot'"
    assert (error.status, error.code, error.request_id, error.body) == (None, None, None, None)
    assert str(error) == "temperature: expected a number, got 'hot' (param=temperature)"
    assert isinstance(error, TypeError)
    assert isinstance(error, ValueError)


def test_a_missing_api_key_has_no_api_error_type() -> None:
    assert MissingAPIKeyError("no key").type is None


def test_a_client_refusal_and_a_servers_400_tell_themselves_apart(
    server: LocalServer, client: OpenAI
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        client.chat.completions.create(USER, model="m", temprature=1)  # type: ignore[typeddict-unknown-key]
    assert server.requests == []
    client_side, server_side = refused.value, answered(server, client, 400)
    assert isinstance(server_side, BadRequestError)
    assert (client_side.type, client_side.status, client_side.param) == (None, None, "temprature")
    assert "temprature" in client_side.message
    assert (server_side.type, server_side.status) == ("invalid_request_error", 400)
    assert not isinstance(client_side, APIStatusError)
    assert not client_side.is_bad_request_error
    assert server_side.is_bad_request_error
