"""What an attempt's result means: the value decoded from a successful answer, or the
typed error of an error status, an undecodable body or a transport failure.

Every transport error of httpx2 becomes an ``OpenAIError`` here and nowhere else."""

from __future__ import annotations

import re
from typing import TypeVar

import httpx2
import msgspec

from ._decoding import decode_json
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamIncompleteError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._generated.models import ErrorResponse

__all__ = ["decode", "error_from_response", "error_from_transport"]

T = TypeVar("T")

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

_TAGS = re.compile(r"<[^>]+>")


def error_from_response(response: httpx2.Response, error_type: type[ErrorResponse]) -> APIStatusError:
    """The typed error of an answer with an error status, whatever its body holds;
    ``error_type`` is the error body the endpoint stub names."""
    status = response.status_code
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    try:
        error = decode_json(response.content, error_type).error
    except msgspec.DecodeError:
        # Not the API's error object: a proxy's HTML page, plain text, nothing.
        text = " ".join(_TAGS.sub(" ", response.text).split())[:200]
        message = text or response.reason_phrase or "no body"
        return cls(f"Error code {status}: {message}", response=response)
    return cls(
        error.message,
        response=response,
        code=None if error.code is None else str(error.code),
        type=error.type,
        param=error.param,
    )


def error_from_transport(error: httpx2.TransportError, *, streaming: bool = False) -> OpenAIError:
    """The error of a request that got no (whole) answer.

    A timeout is an ``APITimeoutError``; any other failure an ``APIConnectionError``, or,
    while a stream was being read (``streaming``), an ``APIStreamIncompleteError``: the
    answer had begun and broke off.
    """
    failure: OpenAIError
    if isinstance(error, httpx2.TimeoutException):
        failure = APITimeoutError("Request timed out.")
    elif streaming:
        failure = APIStreamIncompleteError(f"The stream broke off: {type(error).__name__}")
    else:
        failure = APIConnectionError(f"Connection error: {type(error).__name__}")
    failure.__cause__ = error
    return failure


def decode(type_: type[T], response: httpx2.Response) -> T:
    """The body of a successful answer as ``type_``; unknown fields, enum values and
    union members decode too, anything else is an ``APIResponseValidationError``."""
    try:
        return decode_json(response.content, type_)
    except msgspec.DecodeError as error:
        start = response.content[:120].decode("utf-8", "replace")
        raise APIResponseValidationError(
            f"The answer is not a valid {getattr(type_, '__name__', type_)}: {error}; it starts {start!r}",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
            body=response.content,
        ) from error
