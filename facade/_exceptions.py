"""Every error completionkit raises, under one root; the names, and the attributes of
each name, are those of the official ``openai`` package, so that code catching openai's
exceptions works once its import line changes:

    OpenAIError
    ├── InvalidRequestError              bad input, caught before anything is sent
    │   └── ProvidersFileError           a providers file that cannot be read as one
    ├── MissingAPIKeyError               no api_key= and no OPENAI_API_KEY
    ├── ToolLoopError                    run_tools: the model still called tools after max_rounds
    ├── BulkStoppedError                 bulk: an answer no retry can fix stopped the run
    └── APIError                         a request was sent, and failed
        ├── APIConnectionError           no (whole) answer came
        │   ├── APITimeoutError
        │   └── APIStreamIncompleteError a stream that broke off
        ├── APIStreamError               an error event in the middle of a stream
        ├── APIResponseValidationError   an answer that does not decode into its type
        │   └── StructuredOutputError    a model's JSON answer that does not fit the type asked for
        └── APIStatusError               an answer with a 4xx or 5xx status
            ├── BadRequestError              400
            ├── AuthenticationError          401
            ├── PermissionDeniedError        403
            ├── NotFoundError                404
            ├── ConflictError                409
            ├── UnprocessableEntityError     422
            ├── RateLimitError               429
            └── InternalServerError          500 and above

Every error carries the fields of the API's error object (``code``, ``message``,
``type``, ``param``), the answer's ``status_code``, ``request_id`` and ``body`` where
there was one, and the flags of 4D AI Kit's ``OpenAIError`` (``is_rate_limit_error``,
``is_not_found_error``, ...).  An ``APIError`` adds the ``request`` sent, how many
``attempts`` were made, and, when a stream failed part way, the answer so far
(``partial``); an ``APIStatusError`` the ``response``.  None of them ever holds the API
key: the request they keep has its ``Authorization`` header concealed.
"""

from __future__ import annotations

import copyreg
from typing import TYPE_CHECKING, Any

import httpx2

if TYPE_CHECKING:
    from ._results import ChatCompletionResult
    from .bulk import BulkSummary

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APIStreamIncompleteError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BulkStoppedError",
    "ConflictError",
    "InternalServerError",
    "InvalidRequestError",
    "MissingAPIKeyError",
    "NotFoundError",
    "OpenAIError",
    "PermissionDeniedError",
    "ProvidersFileError",
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
        status_code: int | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: object | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        """What went wrong: the API error object's ``message``, or completionkit's own words."""
        self._status_code = status_code
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
        """The answer's body, as openai gives it: decoded from JSON when it is JSON (the
        ``error`` object of an error answer, when it holds one), its text when it is not;
        None when there was no answer.  The bytes themselves are ``response.content``."""

    @property
    def status_code(self) -> int | None:
        """The HTTP status of the answer; None when there was no answer (never on an
        ``APIStatusError``)."""
        return self._status_code

    @property
    def status(self) -> int | None:
        """``status_code``, by the name 4D AI Kit gives it."""
        return self._status_code

    def _details(self) -> list[str]:
        return [
            f"{name}={value}"
            for name, value in (
                ("status", self._status_code),
                ("type", self.type),
                ("code", self.code),
                ("param", self.param),
                ("request_id", self.request_id),
            )
            if value is not None
        ]

    def __str__(self) -> str:
        details = self._details()
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status_code={self._status_code!r}, code={self.code!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce rebuilds an error with cls(*args), which most classes here
        # refuse (APIStatusError wants response=, InvalidRequestError param and message):
        # a worker's error in a ProcessPoolExecutor became BrokenProcessPool in the parent.
        # Made without __init__ instead, as pickle makes any object, with every attribute as
        # it was; a user's subclass, whatever its __init__, included.  Nothing in the state
        # holds the key: the request kept, the response's included, is concealed once sent.
        return (copyreg.__newobj__, (type(self), *self.args), self.__dict__)  # type: ignore[attr-defined]

    # --- the flags of 4D AI Kit's OpenAIError ----------------------------------------

    @property
    def is_bad_request_error(self) -> bool:
        """The status is 400 (``BadRequestError``)."""
        return self._status_code == 400

    @property
    def is_authentication_error(self) -> bool:
        """The status is 401 (``AuthenticationError``)."""
        return self._status_code == 401

    @property
    def is_permission_denied_error(self) -> bool:
        """The status is 403 (``PermissionDeniedError``)."""
        return self._status_code == 403

    @property
    def is_not_found_error(self) -> bool:
        """The status is 404 (``NotFoundError``)."""
        return self._status_code == 404

    @property
    def is_conflict_error(self) -> bool:
        """The status is 409 (``ConflictError``)."""
        return self._status_code == 409

    @property
    def is_unprocessable_entity_error(self) -> bool:
        """The status is 422 (``UnprocessableEntityError``)."""
        return self._status_code == 422

    @property
    def is_rate_limit_error(self) -> bool:
        """The status is 429 (``RateLimitError``)."""
        return self._status_code == 429

    @property
    def is_internal_server_error(self) -> bool:
        """The status is 500 or above (``InternalServerError``)."""
        return self._status_code is not None and self._status_code >= 500

    @property
    def is_connection_error(self) -> bool:
        """No (whole) answer came: an ``APIConnectionError`` (a timeout or a broken stream included)."""
        return isinstance(self, APIConnectionError)

    @property
    def is_timeout_error(self) -> bool:
        """No answer came within the timeout (``APITimeoutError``)."""
        return isinstance(self, APITimeoutError)


class InvalidRequestError(OpenAIError, TypeError, ValueError):
    """Input the API would refuse, caught before anything is sent; ``param`` names the field.

    It is a ``TypeError`` (a misspelt keyword, a value of the wrong type) and a
    ``ValueError`` (an empty id, a value out of range) as Python code expects.

    Nothing was sent, so it is not an ``APIError``, and ``status_code`` and ``type`` are
    None, as for every error raised without an answer: ``type`` is the API's own error
    type (``"invalid_request_error"`` on a server's 400) and only a server sets it.  That
    tells this refusal from a ``BadRequestError`` by its fields alone, not only by its class.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}", param=param)


class ProvidersFileError(InvalidRequestError):
    """A providers file that cannot be read as one: ``path`` names the file and ``param``
    the key at fault (``providers.groq.base_url``)."""

    def __init__(self, path: str, key: str, message: str) -> None:
        super().__init__(key, f"{message} (in {path})")
        self.path = path
        """The providers file."""


class MissingAPIKeyError(OpenAIError):
    """No API key: neither ``api_key=`` nor the ``OPENAI_API_KEY`` environment variable."""


class ToolLoopError(OpenAIError):
    """``run_tools``: the model still called tools after ``max_rounds`` requests."""

    def __init__(self, message: str, *, messages: list[Any]) -> None:
        super().__init__(message)
        self.messages = messages
        """The conversation so far, the last answer's tool calls included."""


class BulkStoppedError(OpenAIError):
    """A bulk run stopped before its end, on an answer no retry can fix
    (``insufficient_quota``, a 401, a 403): nothing more was sent, the journal holds every
    answer so far, and a rerun with it carries on where this one stopped.

    ``error`` is that answer's error, ``summary`` the run so far; ``status_code``,
    ``code``, ``type`` and ``request_id`` are the error's."""

    def __init__(self, error: OpenAIError, summary: BulkSummary) -> None:
        super().__init__(
            f"The bulk run stopped: {error.message} ({summary.succeeded} succeeded, {summary.failed} "
            "failed; nothing more was sent)",
            status_code=error.status_code,
            code=error.code,
            type=error.type,
            request_id=error.request_id,
        )
        self.error = error
        """The error that stopped the run."""
        self.summary = summary
        """The run up to where it stopped."""


class APIError(OpenAIError):
    """A request was sent and failed: no answer, an answer that broke off or does not
    decode, an error in a stream, or an error status.

    ``str(error)`` adds, after the fields, how many attempts were made when the request
    was retried, and that the answer so far is in ``partial`` when there is one.
    """

    _default_message = "The request failed."

    def __init__(
        self,
        message: str | None = None,
        request: httpx2.Request | None = None,
        *,
        body: object | None = None,
        status_code: int | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        partial: ChatCompletionResult[Any] | None = None,
    ) -> None:
        super().__init__(
            self._default_message if message is None else message,
            status_code=status_code,
            code=code,
            type=type,
            param=param,
            request_id=request_id,
            body=body,
        )
        self.request = request
        """The HTTP request sent (``request.method``, ``request.url``; its
        ``Authorization`` header concealed); None when not known (an answer read from a
        result after the call, a response made without its request)."""
        self.attempts = attempts
        """How many times the request was sent: 1, or more when it was retried."""
        self.partial = partial
        """When a stream failed part way: the answer so far, merged from the chunks that
        came (``partial.choice.text``, tool calls as far as they got; ``parsed`` None);
        None otherwise."""

    def __str__(self) -> str:
        text = super().__str__()
        if self.attempts > 1:
            retries = self.attempts - 1
            text += f"; retried {retries} time{'s' if retries > 1 else ''}, {self.attempts} attempts in all"
        if self.partial is not None:
            text += "; the answer so far is in the error's partial"
        return text


class APIConnectionError(APIError):
    """The request got no answer, or not all of it: the connection failed or broke off."""

    _default_message = "Connection error."


class APITimeoutError(APIConnectionError):
    """No answer within the timeout; the message says which timeout and its value."""

    _default_message = "Request timed out."


class APIStreamIncompleteError(APIConnectionError):
    """The stream ended before ``data: [DONE]``, or in the middle of an event; ``partial``
    holds the answer so far."""

    _default_message = "The stream broke off."


class APIStreamError(APIError):
    """The server reported an error in the middle of a stream (an ``error`` event, or a
    chunk holding an ``error`` object); ``code``, ``type`` and ``param`` are its own,
    ``partial`` holds the answer so far."""

    _default_message = "The stream reported an error."


class APIResponseValidationError(APIError):
    """An answer whose body is not what the spec says it is (not JSON, or the wrong shape).

    ``response`` is the answer, when the error is about a whole answer (None for a chunk
    of a stream, or an answer read from a result later)."""

    _default_message = "Data returned by API invalid for expected schema."

    def __init__(
        self,
        message: str | None = None,
        request: httpx2.Request | None = None,
        *,
        response: httpx2.Response | None = None,
        body: object | None = None,
        status_code: int | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        partial: ChatCompletionResult[Any] | None = None,
    ) -> None:
        if response is not None:
            request = request or _request_of(response)
            status_code = response.status_code
            request_id = response.headers.get("x-request-id")
        super().__init__(
            message,
            request,
            body=body,
            status_code=status_code,
            code=code,
            type=type,
            param=param,
            request_id=request_id,
            attempts=attempts,
            partial=partial,
        )
        self.response = response
        """The HTTP answer that did not decode, when the error is about a whole answer."""


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


def _request_of(response: httpx2.Response) -> httpx2.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response built without its request
        return None


class APIStatusError(APIError):
    """An answer with an error status; the class says which (``RateLimitError``, ...)."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        body: object | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(
            message,
            _request_of(response),
            body=body,
            status_code=response.status_code,
            code=code,
            type=type,
            param=param,
            request_id=response.headers.get("x-request-id"),
            attempts=attempts,
        )
        self.response = response
        """The HTTP answer itself: ``response.headers``, ``response.content`` (the body's
        bytes), ``response.request`` (which method and URL was asked)."""
        self.headers = response.headers
        """The response headers (``retry-after``, ``x-ratelimit-*``, ...)."""

    if TYPE_CHECKING:
        # Only the types narrow: the values are OpenAIError's, which are never None here.
        @property
        def status_code(self) -> int:
            """The HTTP status of the answer (4xx or 5xx)."""
            ...

        @property
        def status(self) -> int:
            """``status_code``, by the name 4D AI Kit gives it."""
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
