"""The error classes: openai's tree and attributes, where ``status_code`` is kept, and what
tells a client-side refusal from a 400."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

import completionkit
from completionkit import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APIStreamIncompleteError,
    APITimeoutError,
    BadRequestError,
    InvalidRequestError,
    MissingAPIKeyError,
    NotFoundError,
    OpenAI,
    OpenAIError,
    RateLimitError,
    StructuredOutputError,
    ToolLoopError,
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


# --- status_code: one attribute, read by openai's name and by 4D's -------------------------


def test_status_code_is_the_answer_status_on_an_api_status_error(server: LocalServer, client: OpenAI) -> None:
    error = answered(server, client, 404)
    assert isinstance(error, NotFoundError)
    assert error.status_code == error.status == 404
    assert error.is_not_found_error
    assert "status=404" in str(error)


@pytest.mark.parametrize("error", [OpenAIError("x"), APIConnectionError("x"), InvalidRequestError("p", "m")])
def test_status_code_is_none_without_an_answer(error: OpenAIError) -> None:
    assert error.status_code is None
    assert error.status is None


def test_status_code_is_kept_once_and_read_by_two_properties(server: LocalServer, client: OpenAI) -> None:
    error = answered(server, client, 418)
    assert type(error) is APIStatusError
    assert error.status_code == error.status == 418
    assert APIStatusError.status_code is OpenAIError.status_code
    assert APIStatusError.status is OpenAIError.status
    stored = [name for name, value in vars(error).items() if type(value) is int and value == 418]
    assert stored == ["_status_code"]  # kept once
    with pytest.raises(AttributeError):
        error.status_code = 500  # type: ignore[misc]
    with pytest.raises(AttributeError):
        error.status = 500  # type: ignore[misc]


def test_status_code_given_to_the_root_class() -> None:
    assert OpenAIError("x", status_code=502).status == 502


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
    assert not isinstance(client_side, APIError)
    assert not client_side.is_bad_request_error
    assert server_side.is_bad_request_error


# --- openai's tree: the same names under the same parents -------------------------------------

# Each class of openai-python's src/openai/_exceptions.py that completionkit has too, and
# its parent there.
OPENAI_PARENTS = {
    "APIError": "OpenAIError",
    "APIStatusError": "APIError",
    "APIConnectionError": "APIError",
    "APITimeoutError": "APIConnectionError",
    "APIResponseValidationError": "APIError",
    "BadRequestError": "APIStatusError",
    "AuthenticationError": "APIStatusError",
    "PermissionDeniedError": "APIStatusError",
    "NotFoundError": "APIStatusError",
    "ConflictError": "APIStatusError",
    "UnprocessableEntityError": "APIStatusError",
    "RateLimitError": "APIStatusError",
    "InternalServerError": "APIStatusError",
}


@pytest.mark.parametrize(("name", "parent"), sorted(OPENAI_PARENTS.items()))
def test_openai_s_classes_have_openai_s_parents(name: str, parent: str) -> None:
    cls = getattr(completionkit, name)
    assert cls.__bases__ == (getattr(completionkit, parent),)


def test_completionkit_s_own_classes_sit_where_their_meaning_puts_them() -> None:
    # Sent, and failed: APIErrors.
    assert issubclass(APIStreamError, APIError)
    assert issubclass(APIStreamIncompleteError, APIConnectionError)
    assert issubclass(StructuredOutputError, APIResponseValidationError)
    # Nothing sent (or nothing the API did wrong): not APIErrors.
    for cls in (InvalidRequestError, MissingAPIKeyError, ToolLoopError):
        assert issubclass(cls, OpenAIError)
        assert not issubclass(cls, APIError)


def test_constructed_as_openai_s_are() -> None:
    request = httpx2.Request("POST", "https://api.example/v1/chat/completions")
    assert APIConnectionError(request=request).message == "Connection error."
    assert APITimeoutError(request=request).message == "Request timed out."
    assert APIError("Boom", request, body={"message": "Boom"}).body == {"message": "Boom"}
    response = httpx2.Response(429, headers={"x-request-id": "req_1"}, request=request)
    error = RateLimitError("Slow down", response=response, body=None)
    assert (error.status_code, error.request_id, error.request, error.response) == (
        429,
        "req_1",
        request,
        response,
    )
    assert error.attempts == 1
    assert error.partial is None
