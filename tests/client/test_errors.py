"""One typed exception per failure, carrying what the API said; try_create returns them."""

from __future__ import annotations

import pytest

from completionkit import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    OpenAI,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from completionkit.testing import Fault, LocalServer

from .conftest import USER

CLASSES = [
    (400, BadRequestError, "is_bad_request_error"),
    (401, AuthenticationError, "is_authentication_error"),
    (403, PermissionDeniedError, "is_permission_denied_error"),
    (404, NotFoundError, "is_not_found_error"),
    (409, ConflictError, "is_conflict_error"),
    (422, UnprocessableEntityError, "is_unprocessable_entity_error"),
    (429, RateLimitError, "is_rate_limit_error"),
    (500, InternalServerError, "is_internal_server_error"),
    (503, InternalServerError, "is_internal_server_error"),
]
FLAGS = sorted({flag for _, _, flag in CLASSES} | {"is_connection_error", "is_timeout_error"})


@pytest.mark.parametrize(("status", "cls", "flag"), CLASSES)
def test_each_status_has_its_class_fields_and_flag(
    server: LocalServer, client: OpenAI, status: int, cls: type[APIStatusError], flag: str
) -> None:
    server.inject(Fault.http_error(status, code="the_code", message="what went wrong", error_type="the_type"))
    with pytest.raises(cls) as raised:
        client.chat.completions.create(USER, model="m", max_retries=0)
    error = raised.value
    assert isinstance(error, APIStatusError)
    assert isinstance(error, OpenAIError)
    assert (error.status, error.code, error.message, error.type) == (
        status,
        "the_code",
        "what went wrong",
        "the_type",
    )
    assert error.status_code == status
    assert error.request_id == server_request_id(error)
    # As openai's: the API's error object, decoded; its bytes are the response's content.
    assert error.body == {"message": "what went wrong", "type": "the_type", "param": None, "code": "the_code"}
    assert b"what went wrong" in error.response.content
    assert [f for f in FLAGS if getattr(error, f)] == [flag]
    assert "what went wrong" in str(error)
    assert str(status) in str(error)


def server_request_id(error: APIStatusError) -> str:
    return error.headers["x-request-id"]


def test_param_comes_from_the_error_body(server: LocalServer, client: OpenAI) -> None:
    # The server refuses unknown completion ids naming the parameter.
    with pytest.raises(NotFoundError) as raised:
        client.chat.completions.retrieve("nope")
    assert raised.value.param == "completion_id"
    assert raised.value.code == "not_found"


def test_an_html_error_page_still_gives_a_typed_error(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.html(502))
    with pytest.raises(InternalServerError) as raised:
        client.chat.completions.create(USER, model="m", max_retries=0)
    assert raised.value.status == 502
    assert "502 Bad Gateway" in raised.value.message
    assert "<" not in raised.value.message
    assert isinstance(raised.value.body, str)  # not JSON: its text
    assert raised.value.body.startswith("<html>")
    assert raised.value.response.content.startswith(b"<html>")


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "chatcmpl-1", "obj',
        b"not json",
        b'{"id": 5}',
        b"[1, 2]",
        b'"a bare string"',
        b"<html>oops</html>",
    ],
)
def test_an_answer_that_does_not_decode(server: LocalServer, client: OpenAI, body: bytes) -> None:
    server.inject(Fault.raw(body))
    with pytest.raises(APIResponseValidationError) as raised:
        client.chat.completions.create(USER, model="m")
    assert raised.value.response is not None
    assert raised.value.response.content == body
    assert repr(body[:10].decode())[1:-1] in raised.value.message  # it quotes the start of the body
    assert raised.value.status_code == 200
    assert raised.value.__cause__ is not None
    assert len(server.requests) == 1  # a broken answer is not retried


def test_connection_errors_keep_their_cause(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.dropped("before"))
    with pytest.raises(APIConnectionError) as raised:
        client.chat.completions.create(USER, model="m", max_retries=0)
    assert raised.value.is_connection_error
    assert not raised.value.is_timeout_error
    assert raised.value.status is None
    assert raised.value.__cause__ is not None


def test_a_server_that_is_not_there(clock: object) -> None:
    with LocalServer() as server:
        url = server.url
    with OpenAI(api_key="k", base_url=url, max_retries=0) as client, pytest.raises(APIConnectionError):
        client.chat.completions.list()


def test_timeouts(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.slow(5))
    with pytest.raises(APITimeoutError) as raised:
        client.chat.completions.create(USER, model="m", timeout=0.2, max_retries=0)
    assert raised.value.is_timeout_error
    assert raised.value.is_connection_error


class TestTryCreate:
    def test_the_outcome_holds_the_error(self, server: LocalServer, client: OpenAI) -> None:
        server.inject(Fault.rate_limit(retry_after=0), times=3)
        result = client.chat.completions.try_create(USER, model="m")
        assert not result.success
        assert result.result is None
        assert result.completion is None
        assert result.choice is None
        assert result.choices == []
        assert result.id is None
        assert result.usage is None
        (error,) = result.errors
        assert isinstance(error, RateLimitError)
        assert result.request_id == error.request_id
        assert result.rate_limit.remaining_requests == 0
        assert "success=False" in repr(result)

    def test_success_and_connection_errors(self, server: LocalServer) -> None:
        with OpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
            server.inject(Fault.dropped("before"))
            outcome = client.chat.completions.try_create(USER, model="m")
            assert [type(e) for e in outcome.errors] == [APIConnectionError]
            success = client.chat.completions.try_create(USER, model="m")
            assert success.success
            assert success.result is not None
            assert success.choice is success.result.choice
            assert success.id == success.result.id
            server.inject(Fault.http_error(500))
            with pytest.raises(InternalServerError):
                client.chat.completions.create(USER, model="m")

    def test_bad_input_still_raises(self, server: LocalServer, client: OpenAI) -> None:
        with pytest.raises(InvalidRequestError):
            client.chat.completions.try_create(USER, model="m", temprature=1)  # type: ignore[typeddict-unknown-key]
        assert server.requests == []
