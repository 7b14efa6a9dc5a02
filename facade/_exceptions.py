"""Every error completionkit raises, under one root:

    OpenAIError
    ├── InvalidRequestError           bad input, caught before anything is sent
    ├── MissingAPIKeyError            no api_key= and no OPENAI_API_KEY
    ├── APIConnectionError            the request did not get an answer
    │   ├── APITimeoutError
    │   └── APIStreamIncompleteError  a stream that broke off
    ├── APIStreamError                an error event in the middle of a stream
    ├── APIResponseValidationError    an answer that does not decode into its type
    │   └── StructuredOutputError     a model's JSON answer that does not fit the type asked for
    ├── ToolLoopError                 run_tools: the model still called tools after max_rounds
    └── APIStatusError                an answer with a 4xx or 5xx status
        ├── BadRequestError              400
        ├── AuthenticationError          401
        ├── PermissionDeniedError        403
        ├── NotFoundError                404
        ├── ConflictError                409
        ├── UnprocessableEntityError     422
        ├── RateLimitError               429
        └── InternalServerError          500 and above

Every error carries the fields of the API's error object (``status``, ``code``,
``message``, ``type``, ``param``), the ``request_id`` and the response ``body`` where
there was one, and the flags of 4D AI Kit's ``OpenAIError`` (``is_rate_limit_error``,
``is_not_found_error``, ...).  None of them ever holds the API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx2

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APIStreamIncompleteError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "InvalidRequestError",
    "MissingAPIKeyError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimitError",
    "StructuredOutputError",
    "ToolLoopError",
    "UnprocessableEntityError",
]


class OpenAIError(Exception):
    """The root of every completionkit error: ``except OpenAIError`` catches them all.

    ``str(error)`` is the message followed by the fields that are set
    (``Rate limit reached (status=429, type=requests, code=rate_limit_exceeded)``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: bytes | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        """What went wrong: the API error object's ``message``, or completionkit's own words."""
        self._status = status
        self.code = code
        """The API error object's ``code`` (``"rate_limit_exceeded"``, ``"invalid_api_key"``), if any."""
        self.type = type
        """The API error object's ``type`` (``"invalid_request_error"``); None for an error
        no server reported, since only a server sets one."""
        self.param = param
        """The parameter the error is about (``"messages"``, ``"temperature"``), if known."""
        self.request_id = request_id
        """The answer's ``x-request-id`` header, to quote to the provider; None without one."""
        self.body = body
        """The raw response body, when there was an answer."""

    @property
    def status(self) -> int | None:
        """The HTTP status of the answer, None when there was no answer (never on an
        ``APIStatusError``)."""
        return self._status

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("status", self.status),
                ("type", self.type),
                ("code", self.code),
                ("param", self.param),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r}, code={self.code!r})"

    # --- the flags of 4D AI Kit's OpenAIError ----------------------------------------

    @property
    def is_bad_request_error(self) -> bool:
        """The status is 400 (``BadRequestError``)."""
        return self.status == 400

    @property
    def is_authentication_error(self) -> bool:
        """The status is 401 (``AuthenticationError``)."""
        return self.status == 401

    @property
    def is_permission_denied_error(self) -> bool:
        """The status is 403 (``PermissionDeniedError``)."""
        return self.status == 403

    @property
    def is_not_found_error(self) -> bool:
        """The status is 404 (``NotFoundError``)."""
        return self.status == 404

    @property
    def is_conflict_error(self) -> bool:
        """The status is 409 (``ConflictError``)."""
        return self.status == 409

    @property
    def is_unprocessable_entity_error(self) -> bool:
        """The status is 422 (``UnprocessableEntityError``)."""
        return self.status == 422

    @property
    def is_rate_limit_error(self) -> bool:
        """The status is 429 (``RateLimitError``)."""
        return self.status == 429

    @property
    def is_internal_server_error(self) -> bool:
        """The status is 500 or above (``InternalServerError``)."""
        return self.status is not None and self.status >= 500

    @property
    def is_connection_error(self) -> bool:
        """No answer came: an ``APIConnectionError`` (a timeout or a broken stream included)."""
        return isinstance(self, APIConnectionError)

    @property
    def is_timeout_error(self) -> bool:
        """No answer came within the timeout (``APITimeoutError``)."""
        return isinstance(self, APITimeoutError)


class InvalidRequestError(OpenAIError, TypeError, ValueError):
    """Input the API would refuse, caught before anything is sent; ``param`` names the field.

    It is a ``TypeError`` (a misspelt keyword, a value of the wrong type) and a
    ``ValueError`` (an empty id, a value out of range) as Python code expects.

    Nothing answered, so ``status`` and ``type`` are None, as for every error raised
    without an answer: ``type`` is the API's own error type (``"invalid_request_error"``
    on a server's 400) and only a server sets it.  That tells this refusal from a
    ``BadRequestError`` by its fields alone, not only by its class.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}", param=param)


class MissingAPIKeyError(OpenAIError):
    """No API key: neither ``api_key=`` nor the ``OPENAI_API_KEY`` environment variable."""


class APIConnectionError(OpenAIError):
    """The request got no answer: the connection failed or broke off."""


class APITimeoutError(APIConnectionError):
    """No answer within the timeout."""


class APIStreamIncompleteError(APIConnectionError):
    """The stream ended before ``data: [DONE]``, or in the middle of an event."""


class APIStreamError(OpenAIError):
    """The server reported an error in the middle of a stream (an ``error`` event, or a
    chunk holding an ``error`` object); ``code``, ``type`` and ``param`` are its own."""


class APIResponseValidationError(OpenAIError):
    """An answer whose body is not what the spec says it is (not JSON, or the wrong shape)."""


class StructuredOutputError(APIResponseValidationError):
    """The model's answer does not decode into the type asked for (``response_format=Weather``).

    ``path`` is where, in msgspec's style (``$.temperature``, ``$.days[2]``, ``$`` for the
    whole answer); ``text`` is the answer itself (the model's words, nothing of the request).
    """

    def __init__(self, message: str, *, path: str, text: str) -> None:
        super().__init__(message)
        self.path = path
        """Where the answer departs from the type: ``$.temperature``, ``$.days[2]``, ``$``."""
        self.text = text
        """The model's answer, as it wrote it."""


class ToolLoopError(OpenAIError):
    """``run_tools``: the model still called tools after ``max_rounds`` requests."""

    def __init__(self, message: str, *, messages: list[Any]) -> None:
        super().__init__(message)
        self.messages = messages
        """The conversation so far, the last answer's tool calls included."""


class APIStatusError(OpenAIError):
    """An answer with an error status; the class says which (``RateLimitError``, ...)."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status=response.status_code,
            code=code,
            type=type,
            param=param,
            request_id=response.headers.get("x-request-id"),
            body=response.content,
        )
        self.headers = response.headers
        """The response headers (``retry-after``, ``x-ratelimit-*``, ...)."""
        self.response = response
        """The HTTP answer itself (its ``request`` says which method and path was asked)."""

    if TYPE_CHECKING:
        # Only the type narrows: the value is OpenAIError's, which is never None here.
        @property
        def status(self) -> int:
            """The HTTP status of the answer (4xx or 5xx)."""
            ...


class BadRequestError(APIStatusError):
    """400: the API refused the request."""


class AuthenticationError(APIStatusError):
    """401: a missing or wrong API key."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such completion (or model, or path)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the state of the resource."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is well formed but cannot be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; ``headers`` say when to come back."""


class InternalServerError(APIStatusError):
    """500 and above: the server failed."""
