"""Error messages as a new user meets them: each says what happened in completionkit's
words, with what helps next (the timeout and the attempts, the base URL, the answer so
far), and never a secret."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from completionkit import (
    APIResponseValidationError,
    APIStreamError,
    APIStreamIncompleteError,
    APITimeoutError,
    AsyncOpenAI,
    BadRequestError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    OpenAI,
    RateLimitError,
    tool,
)
from completionkit.testing import Fault, LocalServer

from .conftest import USER, RecordingClock

KEY = "sk-messages-secret-0123456789"


def _origin(server: LocalServer) -> str:
    return server.url.removesuffix("/v1")


def _host(server: LocalServer) -> str:
    return _origin(server).removeprefix("http://")


# --- timeouts and retries -----------------------------------------------------------------------


def test_a_timeout_says_which_timeout_its_value_and_the_attempts(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    server.inject(Fault.slow(30), times=3)
    with pytest.raises(APITimeoutError) as raised:
        client.chat.completions.create(USER, model="m", timeout=0.2)
    error = raised.value
    assert error.message == f"Request timed out to {_host(server)}: nothing received for 0.2 s (read timeout)"
    assert error.attempts == 3
    assert str(error) == f"{error.message}; retried 2 times, 3 attempts in all"


def test_a_timeout_without_retries_says_so_by_saying_nothing_of_them(server: LocalServer) -> None:
    with OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
        server.inject(Fault.slow(30))
        with pytest.raises(APITimeoutError) as raised:
            client.chat.completions.create(USER, model="m", timeout=0.2)
    assert raised.value.attempts == 1
    assert str(raised.value) == raised.value.message
    assert raised.value.message.endswith(": nothing received for 0.2 s (read timeout)")


@pytest.mark.parametrize(("status", "cls"), [(500, InternalServerError), (429, RateLimitError)])
def test_a_retried_status_says_it_was_retried(
    server: LocalServer, client: OpenAI, clock: RecordingClock, status: int, cls: type[Exception]
) -> None:
    server.inject(Fault.http_error(status, message="Try later.", retry_after=0), times=3)
    with pytest.raises(cls) as raised:
        client.chat.completions.create(USER, model="m")
    error = raised.value
    assert isinstance(error, InternalServerError | RateLimitError)
    assert error.message == "Try later."  # the server's words, untouched
    assert error.attempts == 3
    assert str(error).endswith("; retried 2 times, 3 attempts in all")


def test_an_error_after_one_retry_and_one_not_retried(
    server: LocalServer, client: OpenAI, clock: RecordingClock
) -> None:
    server.inject(Fault.http_error(503, retry_after=0))
    server.inject(Fault.http_error(400, message="Bad input."))
    with pytest.raises(BadRequestError) as raised:
        client.chat.completions.create(USER, model="m")
    assert raised.value.attempts == 2
    assert str(raised.value).endswith("; retried 1 time, 2 attempts in all")
    server.inject(Fault.http_error(400, message="Bad input."))
    with pytest.raises(BadRequestError) as once:
        client.chat.completions.create(USER, model="m")
    assert once.value.attempts == 1
    assert "retried" not in str(once.value)


# --- a stream that breaks off: our words, and the answer so far -------------------------------


def _whole_answer(client: OpenAI) -> str:
    text = client.chat.completions.create(USER, model="m").choice.text
    assert text
    return text


def _check_broken_off(error: APIStreamIncompleteError, server: LocalServer, whole: str) -> None:
    assert error.message == (
        f"The stream from {_host(server)} broke off: the connection closed before the end of the answer"
    )
    assert "chunked" not in str(error)  # the HTTP library's words stay in the __cause__
    assert error.status_code == 200  # the status the answer came with
    assert error.request_id is not None
    assert error.partial is not None
    partial_text = error.partial.choice.text
    assert partial_text
    assert whole.startswith(partial_text)
    assert partial_text != whole
    assert error.partial.choice.parsed is None
    assert str(error).endswith("; the answer so far is in the error's partial")


def test_a_cut_stream_keeps_the_answer_so_far(server: LocalServer, client: OpenAI) -> None:
    long = [{"role": "user", "content": "one two three four five six seven eight"}]
    whole = client.chat.completions.create(long, model="m").choice.text
    assert whole
    server.inject(Fault.stream_cut(after_events=3))
    with (
        pytest.raises(APIStreamIncompleteError) as raised,
        client.chat.completions.stream(long, model="m") as stream,
    ):
        for _ in stream:
            pass
    _check_broken_off(raised.value, server, whole)
    server.inject(Fault.stream_cut(after_events=3))
    with pytest.raises(APIStreamIncompleteError) as created:
        client.chat.completions.create(long, model="m", stream=True)
    _check_broken_off(created.value, server, whole)
    server.inject(Fault.stream_cut(after_events=3))
    outcome = client.chat.completions.try_create(long, model="m", stream=True)
    (failure,) = outcome.errors
    assert isinstance(failure, APIStreamIncompleteError)
    _check_broken_off(failure, server, whole)


def test_an_async_cut_stream_keeps_the_answer_so_far(server: LocalServer) -> None:
    long = [{"role": "user", "content": "one two three four five six seven eight"}]

    async def run() -> tuple[str, APIStreamIncompleteError]:
        async with AsyncOpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:
            whole = (await client.chat.completions.create(long, model="m")).choice.text
            assert whole
            server.inject(Fault.stream_cut(after_events=3))
            try:
                await client.chat.completions.create(long, model="m", stream=True)
            except APIStreamIncompleteError as error:
                return whole, error
        raise AssertionError("expected APIStreamIncompleteError")

    whole, error = asyncio.run(run())
    _check_broken_off(error, server, whole)


def test_a_stream_cut_before_its_first_chunk_has_no_answer_so_far(
    server: LocalServer, client: OpenAI
) -> None:
    server.inject(Fault.stream_cut(after_events=0))
    with pytest.raises(APIStreamIncompleteError) as raised:
        client.chat.completions.create(USER, model="m", stream=True)
    assert raised.value.partial is None
    assert "partial" not in str(raised.value)


def test_an_error_event_keeps_the_answer_so_far(server: LocalServer, client: OpenAI) -> None:
    whole = _whole_answer(client)
    server.inject(Fault.stream_error(after_events=2, message="Overloaded mid-stream."))
    with pytest.raises(APIStreamError) as raised:
        client.chat.completions.create(USER, model="m", stream=True)
    error = raised.value
    assert error.message == "Overloaded mid-stream."
    assert error.status_code == 200
    assert isinstance(error.body, dict)
    assert error.partial is not None
    assert error.partial.choice.text
    assert whole.startswith(error.partial.choice.text)


def test_a_stream_closed_early_keeps_what_was_read(server: LocalServer, client: OpenAI) -> None:
    with client.chat.completions.stream(USER, model="m") as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
    with pytest.raises(APIStreamIncompleteError, match="closed before its end") as raised:
        stream.final()
    assert raised.value.partial is not None
    assert raised.value.partial.choice.text


# --- answers that are not what was asked for: the status they came with ------------------------


@pytest.mark.parametrize("body", [b"{}", b'{"id": "chatcmpl-1", "cho'], ids=["{}", "truncated"])
def test_an_undecodable_answer_has_its_status_streamed_or_not(
    server: LocalServer, client: OpenAI, body: bytes
) -> None:
    for stream in (False, True):
        server.inject(Fault.raw(body))
        with pytest.raises(APIResponseValidationError) as raised:
            client.chat.completions.create(USER, model="m", stream=stream)
        assert raised.value.status_code == 200, stream
        assert "status=200" in str(raised.value)
        assert body.decode()[:10] in raised.value.message


def test_a_json_answer_to_a_stream_says_it_is_not_an_event_stream(
    server: LocalServer, client: OpenAI
) -> None:
    server.inject(Fault.raw(b"{}"))
    with pytest.raises(APIResponseValidationError) as raised:
        client.chat.completions.create(USER, model="m", stream=True)
    assert raised.value.message == (
        "The answer is not an event stream (content-type application/json): the server may not "
        "stream; it starts '{}'"
    )


# --- a base URL without /v1 ------------------------------------------------------------------


def _hint(origin: str) -> str:
    return (
        f"; the base URL {origin} does not end in /v1, under which OpenAI-compatible servers "
        f"usually serve: try base_url='{origin}/v1'"
    )


def test_a_base_url_without_v1_gets_a_hint(server: LocalServer) -> None:
    # The local server serves the API at its root as well as under /v1: a base URL of
    # another path is the wrong one here.
    base = f"{_origin(server)}/api"
    with OpenAI(api_key=KEY, base_url=base, max_retries=0) as client:
        with pytest.raises(NotFoundError) as raised:
            client.chat.completions.create(USER, model="m")
        assert raised.value.message == "Invalid URL (POST /api/chat/completions)" + _hint(base)
        with pytest.raises(NotFoundError) as retrieved:
            client.chat.completions.retrieve("chatcmpl-1")
        assert retrieved.value.message == "Invalid URL (GET /api/chat/completions/chatcmpl-1)" + _hint(base)
        server.inject(Fault.raw(b"404 page not found", status=404, content_type="text/plain"))
        with pytest.raises(NotFoundError) as bare:
            client.chat.completions.create(USER, model="m")
        assert bare.value.message == "Error code 404: 404 page not found" + _hint(base)


def test_the_hint_shows_no_credentials_of_the_url(server: LocalServer) -> None:
    origin = _origin(server)
    with_credentials = origin.replace("http://", "http://user:hunter2@") + "/api"
    with OpenAI(api_key=KEY, base_url=with_credentials, max_retries=0) as client:
        outcome = client.chat.completions.try_create(USER, model="m", extra_query={"token": "q-secret"})
    (error,) = outcome.errors
    assert isinstance(error, NotFoundError)
    assert error.message.endswith(_hint(f"{origin}/api"))
    for secret in ("hunter2", "user:", "q-secret", KEY):
        assert secret not in str(error)
        assert secret not in repr(error)


def test_no_hint_where_the_base_url_has_v1_or_the_api_names_the_completion(
    server: LocalServer, client: OpenAI
) -> None:
    server.inject(Fault.raw(b'{"detail": "Not Found"}', status=404))
    with pytest.raises(NotFoundError) as raised:
        client.chat.completions.create(USER, model="m")
    assert raised.value.message == 'Error code 404: {"detail": "Not Found"}'
    with pytest.raises(NotFoundError) as missing:
        client.chat.completions.retrieve("chatcmpl-missing")
    assert "/v1" not in missing.value.message


# --- an HTML page, once ------------------------------------------------------------------------


def test_an_html_page_s_text_appears_once(server: LocalServer, client: OpenAI, clock: RecordingClock) -> None:
    server.inject(Fault.html(502), times=3)
    with pytest.raises(InternalServerError) as raised:
        client.chat.completions.create(USER, model="m")
    assert raised.value.message == "Error code 502: 502 Bad Gateway - nginx"
    assert str(raised.value).count("Bad Gateway") == 1
    assert raised.value.response.content == Fault.html(502).body
    assert isinstance(raised.value.body, str)  # not JSON: openai's body is then the text
    assert raised.value.body.startswith("<html>")


def test_a_page_s_script_and_style_are_not_its_text(server: LocalServer, client: OpenAI) -> None:
    page = (
        b"<html><head><title>Service Unavailable</title><style>body { color: red; }</style>"
        b"<script>var x = 1;</script></head><body><h1>Service Unavailable</h1>"
        b"<p>Try again later.</p></body></html>"
    )
    server.inject(Fault.raw(page, status=400, content_type="text/html"))
    with pytest.raises(BadRequestError) as raised:
        client.chat.completions.create(USER, model="m")
    assert raised.value.message == "Error code 400: Service Unavailable - Try again later."


# --- a lambda as a tool -----------------------------------------------------------------------


def test_a_lambda_tool_is_refused_saying_to_name_it(client: OpenAI, server: LocalServer) -> None:
    def run(tools: list[Any]) -> InvalidRequestError:
        with pytest.raises(InvalidRequestError) as raised:
            client.chat.completions.create(USER, model="m", tools=tools)
        return raised.value

    error = run([lambda: "noon"])
    assert error.param == "tools.<lambda>"
    assert error.message == (
        "tools.<lambda>: a lambda has no name the model can call it by: "
        "use tool(fn, name=\"...\") (1 to 64 letters, digits, '_' or '-')"
    )
    with_parameters = run([lambda city: city])
    assert 'tool(fn, name="...")' in with_parameters.message
    assert "define the function with def, its parameters annotated" in with_parameters.message
    named = tool(lambda: "noon", name="get_time")
    assert client.chat.completions.create(USER, model="m", tools=[named]).choice is not None
    assert server.requests
