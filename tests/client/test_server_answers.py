"""One contract for whatever a server answers: any bytes, under any status, give a typed
``OpenAIError`` (in ``outcome.errors`` with ``try_create``), and retries happen as the
status says; a BOM opening a stream is no event lost; a failed connection names its host
and its reason."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import json
import os
import random
import socket

import httpx2
import msgspec
import pytest

from completionkit import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AsyncOpenAI,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    OpenAI,
    OpenAIError,
    RateLimitError,
)
from completionkit._answers import decode, error_from_response, error_from_transport
from completionkit._decoding import decode_json
from completionkit._generated.models import ChatCompletion, ErrorResponse
from completionkit.testing import Fault, LocalServer

from .conftest import USER, RecordingClock

STATUS_ERRORS: dict[int, type[OpenAIError]] = {
    200: APIResponseValidationError,
    400: BadRequestError,
    404: NotFoundError,
    429: RateLimitError,
    500: InternalServerError,
}
RETRIED = {429, 500}
MAX_RETRIES = 2

_random = random.Random(20261126)
BODIES: dict[str, bytes] = {
    "random bytes": bytes(_random.randrange(256) for _ in range(64)),
    "random bytes 2": bytes(_random.randrange(256) for _ in range(300)),
    "invalid utf-8 alone": b"\xff\xfe\xfd",
    "invalid utf-8 in a JSON string": b'{"id": "\xff", "choices": []}',
    "invalid utf-8 in an error message": b'{"error": {"message": "bad \xc3\x28 byte", "type": "x"}}',
    "a lone surrogate escape": b'{"error": {"message": "\\ud800"}}',
    "HTML": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    "a JSON array": b"[1, 2, 3]",
    "a JSON string": b'"just a string"',
    "a JSON number": b"42",
    "null": b"null",
    "truncated JSON": b'{"id": "chatcmpl-1", "choices": [{"index": 0, "mess',
    '{"error": 5}': b'{"error": 5}',
    '{"error": {"message": 5}}': b'{"error": {"message": 5}}',
    '{"error": "text"}': b'{"error": "Something broke"}',
    '{"error": {"message": "x"}}': b'{"error": {"message": "Overloaded", "type": "server_error"}}',
    '{"detail": "Not Found"}': b'{"detail": "Not Found"}',
    "nested too deep": b"[" * 100_000,
    "empty": b"",
}

# An object with none of a completion's fields and no "error": every field of the
# generated completion has a default (servers leave fields out), so it decodes, empty.


@pytest.fixture(scope="module")
def shared_server() -> object:
    with LocalServer() as running:
        yield running


def _client(server: LocalServer) -> OpenAI:
    client = OpenAI(api_key="sk-test", base_url=server.url, max_retries=MAX_RETRIES)
    client._caller.clock = RecordingClock()  # retries do not wait
    return client


def _check(error: BaseException, status: int) -> None:
    assert isinstance(error, STATUS_ERRORS[status]), repr(error)
    if status >= 400:
        assert isinstance(error, APIStatusError)
        assert error.status == status
        assert error.message
    str(error), repr(error)  # both total too


@pytest.mark.parametrize("status", sorted(STATUS_ERRORS))
@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_any_body_under_any_status_is_a_typed_error(
    shared_server: LocalServer, status: int, body: bytes
) -> None:
    server = shared_server
    attempts = 1 + (MAX_RETRIES if status in RETRIED else 0)
    with _client(server) as client:
        for method in ("create", "try_create", "stream"):
            server.clear_requests()
            server.inject(Fault.raw(body, status=status), times=attempts, operation="createChatCompletion")
            if method == "create":
                with pytest.raises(OpenAIError) as raised:
                    client.chat.completions.create(USER, model="m")
                _check(raised.value, status)
            elif method == "try_create":
                outcome = client.chat.completions.try_create(USER, model="m")
                assert not outcome.success
                assert len(outcome.errors) == 1
                _check(outcome.errors[0], status)
            else:
                with (
                    pytest.raises(OpenAIError) as raised,
                    client.chat.completions.stream(USER, model="m") as s,
                ):
                    list(s)
                if status >= 400:
                    _check(raised.value, status)
            assert len(server.requests) == attempts, method
            assert server.pending_faults == 0


def test_the_async_client_keeps_the_same_contract(shared_server: LocalServer) -> None:
    server = shared_server

    async def run() -> list[OpenAIError]:
        async with AsyncOpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
            errors: list[OpenAIError] = []
            for status in (200, 500):
                server.inject(Fault.raw(BODIES["invalid utf-8 in a JSON string"], status=status))
                outcome = await client.chat.completions.try_create(USER, model="m")
                errors.extend(outcome.errors)
            return errors

    ok, failed = asyncio.run(run())
    assert isinstance(ok, APIResponseValidationError)
    assert isinstance(failed, InternalServerError)


def test_an_error_body_with_invalid_utf8_is_still_retried(server: LocalServer, client: OpenAI) -> None:
    bad = b'{"error": {"message": "\xff"}}'
    server.inject(Fault.raw(bad, status=503), times=2)
    result = client.chat.completions.create(USER, model="m")
    assert result.choice.text == "Hello there"
    assert len(server.requests) == 3


def test_a_200_holding_the_api_error_object_names_its_message(server: LocalServer, client: OpenAI) -> None:
    body = json.dumps({"error": {"message": "Quota exceeded", "type": "insufficient_quota"}}).encode()
    server.inject(Fault.raw(body))
    with pytest.raises(APIResponseValidationError, match="Quota exceeded") as raised:
        client.chat.completions.create(USER, model="m")
    assert raised.value.response is not None
    assert raised.value.response.content == body
    assert raised.value.body == json.loads(body)
    assert len(server.requests) == 1  # a 200 is not retried


def test_a_completion_whose_text_mentions_error_still_decodes(server: LocalServer, client: OpenAI) -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": '"error"'}, "finish_reason": "stop"}
        ],
        "error": None,
    }
    server.inject(Fault.raw(json.dumps(completion).encode()))
    assert client.chat.completions.create(USER, model="m").choice.text == '"error"'


def test_a_body_that_does_not_decompress_is_a_typed_error_in_a_stream(
    server: LocalServer, client: OpenAI
) -> None:
    gzip_lie = dataclasses.replace(
        Fault.raw(b"data: not gzip at all\n\n", content_type="text/event-stream"),
        headers={"content-encoding": "gzip"},
    )
    server.inject(gzip_lie)
    with (
        pytest.raises(APIResponseValidationError, match="could not be decoded"),
        client.chat.completions.stream(USER, model="m") as stream,
    ):
        list(stream)


def test_a_body_that_does_not_decompress_is_a_typed_error(server: LocalServer, client: OpenAI) -> None:
    server.inject(dataclasses.replace(Fault.raw(b"not gzip at all"), headers={"content-encoding": "gzip"}))
    outcome = client.chat.completions.try_create(USER, model="m")
    assert isinstance(outcome.errors[0], APIResponseValidationError)
    assert len(server.requests) == 1


# --- the units the contract rests on ------------------------------------------------------


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
def test_decode_json_raises_only_decode_errors(body: bytes) -> None:
    for type_ in (ChatCompletion, ErrorResponse):
        with contextlib.suppress(msgspec.DecodeError):
            decode_json(body, type_)


@pytest.mark.parametrize("status", [200, 400, 404, 429, 500, 502])
def test_the_answer_units_are_total(status: int) -> None:
    request = httpx2.Request("POST", "https://api.example/v1/chat/completions")
    for body in [
        *BODIES.values(),
        *(bytes(_random.randrange(256) for _ in range(n)) for n in range(0, 200, 7)),
    ]:
        response = httpx2.Response(status, content=body, request=request)
        if status < 400:
            with contextlib.suppress(APIResponseValidationError):
                decode(ChatCompletion, response)
        else:
            error = error_from_response(response, ErrorResponse)
            assert isinstance(error, APIStatusError)
            assert error.status == status


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:

    def test_random_bytes_from_a_server_are_typed_errors() -> None:
        pytest.skip("hypothesis is not installed")

else:

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=st.binary(max_size=300), status=st.sampled_from(sorted(STATUS_ERRORS)))
    def test_random_bytes_from_a_server_are_typed_errors(
        shared_server: LocalServer, body: bytes, status: int
    ) -> None:
        server = shared_server
        with OpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
            server.inject(Fault.raw(body, status=status), operation="createChatCompletion")
            outcome = client.chat.completions.try_create(USER, model="m")
        if status == 200 and outcome.success:
            return  # random bytes that happen to be a (lenient) completion: nothing to check
        assert len(outcome.errors) == 1
        _check(outcome.errors[0], status)


# --- a BOM opening a stream ------------------------------------------------------------------


def _sse(*texts: str) -> bytes:
    events = []
    for text in texts:
        chunk = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        }
        events.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    return b"".join(events) + b"data: [DONE]\n\n"


def test_a_stream_opening_with_a_bom_loses_no_event(server: LocalServer, client: OpenAI) -> None:
    server.replay([b"\xef\xbb\xbf" + _sse("Hello", " world")])
    with client.chat.completions.stream(USER, model="m") as stream:
        assert "".join(stream.text_deltas()) == "Hello world"
    server.replay([b"\xef\xbb\xbf" + _sse("Hello", " world")])
    assert client.chat.completions.create(USER, model="m", stream=True).choice.text == "Hello world"


def test_a_stream_event_with_invalid_utf8_is_replaced_not_raised(server: LocalServer, client: OpenAI) -> None:
    server.replay([_sse("Hello").replace(b"Hello", b"He\xffllo")])
    result = client.chat.completions.create(USER, model="m", stream=True)
    assert result.choice.text == "He\ufffdllo"
    assert result.raw["choices"][0]["message"]["content"] == "He\ufffdllo"


def test_a_stream_event_that_is_not_a_chunk_leaves_the_last_chunk_readable(
    server: LocalServer, client: OpenAI
) -> None:
    server.replay([_sse("Hello").replace(b"data: [DONE]", b"data: [1, 2\n\ndata: [DONE]")])
    with client.chat.completions.stream(USER, model="m") as stream:
        with pytest.raises(APIResponseValidationError):
            list(stream)
        assert stream.raw_chunk["object"] == "chat.completion.chunk"


# --- connection errors name the host and the reason ---------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_names_the_host_and_the_reason() -> None:
    port = _closed_port()
    with OpenAI(
        api_key="sk-secret-key",
        base_url=f"http://127.0.0.1:{port}/v1",
        max_retries=0,
        default_headers={"X-Secret": "hunter2"},
    ) as client:
        outcome = client.chat.completions.try_create(USER, model="m", extra_query={"token": "q-secret"})
    (error,) = outcome.errors
    assert type(error) is APIConnectionError
    # The reason is the system's own word for the refusal, whatever httpx2 wraps it in.
    assert error.message == f"Connection error to 127.0.0.1:{port}: {os.strerror(errno.ECONNREFUSED)}"
    for secret in ("sk-secret-key", "hunter2", "q-secret", "/v1", "chat"):
        assert secret not in str(error)
        assert secret not in repr(error)


def test_an_unresolvable_host_names_the_host_and_the_resolver_s_reason() -> None:
    try:
        socket.getaddrinfo("completionkit-test.invalid", 80)
    except socket.gaierror:
        pass
    else:  # pragma: no cover - a resolver that answers for .invalid
        pytest.skip("this machine's resolver answers for .invalid")
    with (
        OpenAI(api_key="k", base_url="http://completionkit-test.invalid/v1", max_retries=0) as client,
        pytest.raises(APIConnectionError) as raised,
    ):
        client.chat.completions.create(USER, model="m")
    message = raised.value.message
    assert message.startswith("Connection error to completionkit-test.invalid: ")
    reason = message.removeprefix("Connection error to completionkit-test.invalid: ")
    assert reason
    assert reason != "ConnectError"
    assert "Errno" not in reason


def test_the_reason_is_the_innermost_cause_s_words() -> None:
    request = httpx2.Request("GET", "https://api.example:8443/v1/x?key=secret")
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as cause:
            raise httpx2.ConnectError("[Errno 111] Connection refused", request=request) from cause
    except httpx2.ConnectError as error:
        failure = error_from_transport(error)
    assert failure.message == "Connection error to api.example:8443: Connection refused"
    bare = error_from_transport(httpx2.ConnectError(""))
    assert bare.message == "Connection error: ConnectError"
    timeout = error_from_transport(httpx2.ReadTimeout("", request=request))
    assert timeout.message == "Request timed out to api.example:8443"  # its timeouts not known


@pytest.mark.parametrize(
    ("cls", "what"),
    [
        (httpx2.ConnectTimeout, "not connected within 5 s (connect timeout)"),
        (httpx2.ReadTimeout, "nothing received for 120 s (read timeout)"),
        (httpx2.WriteTimeout, "not sent within 120 s (write timeout)"),
        (httpx2.PoolTimeout, "no free connection within 120 s (pool timeout)"),
    ],
)
def test_a_timeout_names_its_phase_and_its_value(cls: type[httpx2.TimeoutException], what: str) -> None:
    with httpx2.Client() as http:
        request = http.build_request(
            "POST", "https://api.example/v1/x", timeout=httpx2.Timeout(120, connect=5)
        )
    error = error_from_transport(cls("", request=request), attempts=2)
    assert error.message == f"Request timed out to api.example: {what}"
    assert str(error) == f"{error.message}; retried 1 time, 2 attempts in all"
