"""Error handling as code written for the official openai package has it: the same class
names, the same attributes, only the import line differs (``from openai import ...``
there).  mypy --strict and pyright strict accept it as it is (nox -s typecheck), and it
runs against the local server's faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx2

from completionkit import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    BadRequestError,
    OpenAI,
    RateLimitError,
)
from completionkit.testing import Fault, LocalServer

KEY = "sk-openai-style-0123456789"


def _handled(call: Callable[[], object]) -> dict[str, Any]:
    """What an application written for openai reads from each error (openai's README
    pattern: the most specific class first)."""
    try:
        call()
    except APITimeoutError as e:
        return {"caught": "APITimeoutError", "message": e.message}
    except APIConnectionError as e:
        return {"caught": "APIConnectionError", "message": e.message, "cause": e.__cause__}
    except RateLimitError as e:
        return {"caught": "RateLimitError", "status_code": e.status_code, "headers": e.response.headers}
    except APIStatusError as e:
        return {
            "caught": "APIStatusError",
            "class": type(e),
            "status_code": e.status_code,
            "request_id": e.request_id,
            "body": e.body,
            "code": e.code,
            "type": e.type,
            "param": e.param,
            "message": e.message,
            "headers": e.response.headers,
            "request": e.request,
            "response": e.response,
        }
    except APIError as e:
        return {"caught": "APIError", "class": type(e).__name__, "message": e.message, "body": e.body}
    return {"caught": None}


def test_openai_error_handling_runs_unchanged() -> None:
    with LocalServer() as server, OpenAI(api_key=KEY, base_url=server.url, max_retries=0) as client:

        def create(**options: Any) -> object:
            return client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}], **options
            )

        def stream() -> object:
            with client.chat.completions.stream(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
            ) as chunks:
                return list(chunks)

        server.inject(
            Fault.http_error(400, message="Bad input.", code="bad_input", error_type="invalid_request_error")
        )
        status = _handled(create)
        assert status["caught"] == "APIStatusError"
        assert status["class"] is BadRequestError
        assert status["status_code"] == 400
        assert status["request_id"] == status["headers"]["x-request-id"]
        assert status["request_id"].startswith("req_")
        # openai's body: the API's error object, decoded.
        body = {"message": "Bad input.", "type": "invalid_request_error", "param": None, "code": "bad_input"}
        assert status["body"] == body
        assert (status["code"], status["type"], status["param"], status["message"]) == (
            "bad_input",
            "invalid_request_error",
            None,
            "Bad input.",
        )
        request: httpx2.Request = status["request"]
        response: httpx2.Response = status["response"]
        assert (request.method, request.url.path) == ("POST", "/v1/chat/completions")
        assert response.request is request
        assert response.content.startswith(b'{"error"')
        # The request kept has its key concealed: nothing that shows it, shows the key.
        shown = [repr(request), str(request.url), repr(request.headers), repr(response), str(response)]
        shown += [value for _, value in request.headers.multi_items()]
        assert not [text for text in shown if KEY in text]

        server.inject(Fault.rate_limit(retry_after=7))
        limited = _handled(create)
        assert (limited["caught"], limited["status_code"]) == ("RateLimitError", 429)
        assert limited["headers"]["retry-after"] == "7"

        server.inject(Fault.dropped("before"))
        dropped = _handled(create)
        assert dropped["caught"] == "APIConnectionError"
        assert isinstance(dropped["cause"], httpx2.TransportError)

        server.inject(Fault.slow(30))
        assert _handled(lambda: create(timeout=0.2))["caught"] == "APITimeoutError"

        # openai raises APIResponseValidationError and a stream's error event as APIError.
        server.inject(Fault.raw(b"not JSON"))
        invalid = _handled(create)
        assert (invalid["caught"], invalid["class"], invalid["body"]) == (
            "APIError",
            "APIResponseValidationError",
            "not JSON",
        )
        server.inject(Fault.stream_error(after_events=1, message="Overloaded mid-stream."))
        broken = _handled(stream)
        assert (broken["caught"], broken["class"], broken["message"]) == (
            "APIError",
            "APIStreamError",
            "Overloaded mid-stream.",
        )
        assert isinstance(broken["body"], dict)
        assert broken["body"]["message"] == "Overloaded mid-stream."

        assert _handled(create)["caught"] is None


def test_openai_async_error_handling_runs_unchanged() -> None:
    async def run(url: str) -> tuple[int, str | None, object]:
        async with AsyncOpenAI(api_key=KEY, base_url=url, max_retries=0) as client:
            try:
                await client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
                )
            except APIStatusError as e:
                return e.status_code, e.response.headers.get("x-request-id"), e.body
        raise AssertionError("expected APIStatusError")

    with LocalServer() as server:
        server.inject(Fault.http_error(503, message="Overloaded."))
        status_code, request_id, body = asyncio.run(run(server.url))
    assert status_code == 503
    assert request_id is not None
    assert isinstance(body, dict)
    assert body["message"] == "Overloaded."
