"""What an attempt's result means: the value decoded from a successful answer, or the
typed error of an error status, an undecodable body or a transport failure.

Every transport error of httpx2 becomes an ``OpenAIError`` here and nowhere else."""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
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
from ._generated.models import Error, ErrorResponse

__all__ = ["decode", "error_from_response", "error_from_transport", "says_no_such_completion"]

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

# Patterns of rare paths (an error's body or cause), compiled by `re` when first
# used rather than at import: compiling each is a cold start's millisecond.
_TAGS = r"<[^>]+>"


def _text(body: bytes, limit: int = 200) -> str:
    """The start of a body as text, whatever its bytes: invalid UTF-8 is replaced, tags
    and runs of white space are squeezed out."""
    return " ".join(re.sub(_TAGS, " ", body[: limit * 8].decode("utf-8", "replace")).split())[:limit]


def error_from_response(response: httpx2.Response, error_type: type[ErrorResponse]) -> APIStatusError:
    """The typed error of an answer with an error status, whatever its body holds;
    ``error_type`` is the error body the endpoint stub names.  Any bytes give an error
    of the status's class: never an exception of its own."""
    status = response.status_code
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    try:
        error = decode_json(response.content, error_type).error
    except msgspec.DecodeError:
        # Not the API's error object: a proxy's HTML page, plain text, invalid UTF-8, nothing.
        message = _text(response.content) or response.reason_phrase or "no body"
        return cls(f"Error code {status}: {message}", response=response)
    return cls(
        error.message or f"Error code {status}",
        response=response,
        code=None if error.code is None else str(error.code),
        type=error.type,
        param=error.param,
    )


def says_no_such_completion(error: NotFoundError) -> bool:
    """True when a 404 is the API's own word that the completion asked for does not
    exist, False for any other 404 (a route the server does not have, a proxy's page).

    The API answers a missing stored completion with its error object: ``type``
    ``"invalid_request_error"``, and the message naming the id, e.g. ``{"error":
    {"message": "No chat completion found with id 'chatcmpl-abc'.", "type":
    "invalid_request_error", "param": null, "code": null}}`` (``param`` and ``code`` may
    say ``completion_id`` and ``not_found``).  A 404 for a path the server does not serve
    (a base URL without ``/v1``, a server without stored completions) has no such body:
    none, ``{"detail": "Not Found"}``, HTML, or an ``"Invalid URL (...)"`` message.

    The rule: the body is the API's error object, of type ``invalid_request_error``, and
    it names the completion: ``param`` is ``completion_id``, or the message holds the
    completion id of the request's path (quoted or not).
    """
    if error.type != "invalid_request_error" or error.param not in (None, "completion_id"):
        return False
    if error.param == "completion_id":
        return True
    try:
        path = error.response.request.url.path  # percent-decoded
    except RuntimeError:  # a response built without its request
        return False
    _, found, rest = path.partition("/chat/completions/")
    completion_id = rest.split("/", 1)[0]
    return (
        bool(found and completion_id)
        and completion_id in error.message
        and not error.message.startswith("Invalid URL")
    )


def error_from_transport(error: httpx2.RequestError, *, streaming: bool = False) -> OpenAIError:
    """The error of a request that got no (whole) answer.

    A timeout is an ``APITimeoutError``; a body that cannot be decompressed (a
    ``DecodingError``) an ``APIResponseValidationError``; any other failure an
    ``APIConnectionError``, or, while a stream was being read (``streaming``), an
    ``APIStreamIncompleteError``: the answer had begun and broke off.  The message names
    the host and the reason (``Connection refused``), never the URL's path, query or
    headers.
    """
    failure: OpenAIError
    where = _host(error)
    reason = _reason(error)
    if isinstance(error, httpx2.TimeoutException):
        failure = APITimeoutError(f"Request timed out{where}.")
    elif isinstance(error, httpx2.DecodingError):
        failure = APIResponseValidationError(f"The answer{where} could not be decoded: {reason}")
    elif streaming:
        failure = APIStreamIncompleteError(f"The stream{where} broke off: {reason}")
    else:
        failure = APIConnectionError(f"Connection error{where}: {reason}")
    failure.__cause__ = error
    return failure


def _host(error: httpx2.RequestError) -> str:
    try:
        url = error.request.url
    except RuntimeError:  # raised before it had a request
        return ""
    if not url.host:
        return ""
    port = "" if url.port is None else f":{url.port}"
    return f" to {url.host}{port}"


_ERRNO = r"^\[Errno -?\d+\]\s*"


def _reason(error: BaseException) -> str:
    """The innermost cause's own words: ``Connection refused`` for ``[Errno 111]
    Connection refused``, the resolver's message for a DNS failure; the error's class
    name when no cause says anything."""
    seen: set[int] = set()
    causes: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        causes.append(current)
        current = current.__cause__ or current.__context__
    for cause in reversed(causes):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        text = str(cause).strip()
        if text:
            return re.sub(_ERRNO, "", text)[:200]
    return type(error).__name__


def decode(type_: type[T], response: httpx2.Response) -> T:
    """The body of a successful answer as ``type_``; unknown fields, enum values and
    union members decode too, anything else is an ``APIResponseValidationError``: not
    JSON, invalid UTF-8, the wrong shape, or the API's error object (``{"error": ...}``)
    in an answer whose status says success."""
    body = response.content
    try:
        value = decode_json(body, type_)
        if b'"error"' in body:  # cheap: only then is the body looked at twice
            _refuse_error_object(body)
        if value == _empty(type_) and not _names_a_field(body, type_):
            # Every field a server may leave out has a default, so any object decodes;
            # one in which not a single field is named (`{"detail": "Not Found"}`, `{}`)
            # is not the answer that was asked for.
            raise msgspec.DecodeError("no field of it is in the answer")
    except msgspec.DecodeError as error:
        raise APIResponseValidationError(
            f"The answer is not a valid {getattr(type_, '__name__', type_)}: {error}; "
            f"it starts {body[:120].decode('utf-8', 'replace')!r}",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
            body=body,
        ) from error
    return value


_EMPTY: dict[object, object] = {}


def _empty(type_: object) -> object:
    """``type_`` with every field at its default, or a sentinel if it has required fields."""
    if type_ not in _EMPTY:
        try:
            _EMPTY[type_] = typing.cast("Callable[[], object]", type_)()
        except TypeError:
            _EMPTY[type_] = object()
    return _EMPTY[type_]


def _names_a_field(body: bytes, type_: object) -> bool:
    """Whether the JSON object ``body`` has a key that is a field of the Struct ``type_``."""
    if not (isinstance(type_, type) and issubclass(type_, msgspec.Struct)):
        return True
    keys = msgspec.json.decode(body, type=dict[str, msgspec.Raw])
    return any(f.encode_name in keys for f in msgspec.structs.fields(type_))


class _ErrorProbe(msgspec.Struct):
    error: msgspec.Raw = msgspec.Raw()


def _refuse_error_object(body: bytes) -> None:
    """Raise ``msgspec.DecodeError`` when ``body`` is an object with an ``error`` member."""
    try:
        probe = msgspec.json.decode(body, type=_ErrorProbe)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return  # not an object: it already decoded as the type asked for, so let it be
    if bytes(probe.error) in (b"", b"null"):
        return
    try:
        message = decode_json(probe.error, Error).message
    except msgspec.DecodeError:
        message = ""
    raise msgspec.DecodeError(f"it holds an error object instead{': ' + message if message else ''}")
