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

from ._decoding import decode_json, decode_plain_json
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamIncompleteError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._generated.models import Error, ErrorResponse

__all__ = [
    "decode",
    "error_body",
    "error_from_response",
    "error_from_transport",
    "says_no_such_completion",
    "transport_failure",
]

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
_SCRIPTS = r"<(script|style)\b.*?</\1\s*>"


def _text(body: bytes, limit: int = 200) -> str:
    """The start of a body as text, whatever its bytes: invalid UTF-8 is replaced; an HTML
    page's tags, scripts and styles are dropped, and each of its texts is kept once (a
    proxy's page says "502 Bad Gateway" in its title and again in its heading)."""
    text = body[: limit * 8].decode("utf-8", "replace")
    if "<" in text:
        text = re.sub(_SCRIPTS, " ", text, flags=re.IGNORECASE | re.DOTALL)
    pieces = (" ".join(piece.split()) for piece in re.split(_TAGS, text))
    return " - ".join(dict.fromkeys(piece for piece in pieces if piece))[:limit]


def error_body(content: bytes, *, error_member: bool = False) -> object:
    """A body as an error's ``body`` holds it, as openai's errors do: its JSON decoded
    (with ``error_member``, only the ``error`` member of an object that has one), or its
    text when it is not JSON.  Never raises."""
    try:
        body = decode_plain_json(content)
    except msgspec.DecodeError:
        return content.decode("utf-8", "replace")
    member = _member(body, "error") if error_member else None
    return body if member is None else member


def _member(value: object, name: str) -> object:
    """``value[name]`` when ``value`` is a JSON object that has it, else None."""
    return typing.cast("dict[str, object]", value).get(name) if isinstance(value, dict) else None


def error_from_response(
    response: httpx2.Response, error_type: type[ErrorResponse], *, attempts: int = 1
) -> APIStatusError:
    """The typed error of an answer with an error status, whatever its body holds;
    ``error_type`` is the error body the endpoint stub names, ``attempts`` how many times
    the request was sent.  Any bytes give an error of the status's class: never an
    exception of its own."""
    status = response.status_code
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    code: str | None = None
    type_: str | None = None
    param: str | None = None
    try:
        error = decode_json(response.content, error_type).error
    except msgspec.DecodeError:
        flat = _flat_error(response.content)
        if flat is not None:
            message, type_, param, code = flat
        else:
            # Not an error object: a proxy's HTML page, plain text, invalid UTF-8, nothing.
            message = f"Error code {status}: {_text(response.content) or response.reason_phrase or 'no body'}"
        routed = False
    else:
        message = error.message or f"Error code {status}"
        code = None if error.code is None else str(error.code)
        type_, param = error.type, error.param
        routed = not message.startswith("Invalid URL")
    if status == 404 and not routed:
        message += _base_url_hint(response)
    return cls(
        message,
        response=response,
        body=error_body(response.content, error_member=True),
        code=code,
        type=type_,
        param=param,
        attempts=attempts,
    )


def _flat_error(content: bytes) -> tuple[str, str | None, str | None, str | None] | None:
    """The message, type, param and code of an error object at the top of the body, not
    in an ``error`` member: vLLM's (``{"object": "error", "message": ...}``) and
    Mistral's (its message a FastAPI ``{"detail": [...]}`` of each field it refused).
    None for a body that is neither (a bare FastAPI ``{"detail": ...}`` is quoted whole)."""
    try:
        body = decode_plain_json(content)
    except msgspec.DecodeError:
        return None
    if not isinstance(body, dict):
        return None
    fields = typing.cast("dict[str, object]", body)
    if fields.get("object") != "error":
        return None
    said = fields.get("message")
    if isinstance(said, dict):
        said = typing.cast("dict[str, object]", said).get("detail")
    param = _text_of(fields.get("param"))
    if isinstance(said, list):
        problems: list[str] = []
        for item in typing.cast("list[object]", said):
            place = _member(item, "loc")
            names = (
                [str(p) for p in typing.cast("list[object]", place) if p != "body"]
                if isinstance(place, list)
                else []
            )
            where = ".".join(names)
            param = param or where or None
            problems.append(f"{where}: {_member(item, 'msg')}" if where else str(_member(item, "msg")))
        said = "; ".join(problems)
    if not isinstance(said, str) or not said:
        return None
    return said, _text_of(fields.get("type")), param, _text_of(fields.get("code"))


def _text_of(value: object) -> str | None:
    """A field of an error object as text: vLLM's ``code`` is the status, a number."""
    if isinstance(value, bool) or value is None:
        return None
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else None


def _base_url_hint(response: httpx2.Response) -> str:
    """For a 404 that is not the API's own error about what was asked (the path itself
    was not found): when the base URL does not end in ``/v1``, a hint that it should.

    A base URL without ``/v1`` is the most common mistake with a local server (vLLM,
    Ollama, llama.cpp, LM Studio), and the server's own words (``Invalid URL (POST
    /chat/completions)``, ``{"detail": "Not Found"}``, ``404 page not found``) do not say it.
    """
    try:
        url = response.request.url
    except RuntimeError:  # a response built without its request
        return ""
    base_path, found, _ = url.path.partition("/chat/completions")
    if not found or base_path.rstrip("/").endswith("/v1"):
        return ""
    base = f"{url.scheme}://{_origin(url)}{base_path.rstrip('/')}"
    return (
        f"; the base URL {base} does not end in /v1, under which OpenAI-compatible servers "
        f"usually serve: try base_url={base + '/v1'!r}"
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
    if error.request is None:  # a response made without its request
        return False
    path = error.request.url.path  # percent-decoded
    _, found, rest = path.partition("/chat/completions/")
    completion_id = rest.split("/", 1)[0]
    return (
        bool(found and completion_id)
        and completion_id in error.message
        and not error.message.startswith("Invalid URL")
    )


def transport_failure(error: httpx2.RequestError, *, streaming: bool = False) -> tuple[type[APIError], str]:
    """The class and the message of the error of a request that got no (whole) answer.

    A timeout is an ``APITimeoutError``, whose message says which timeout and its value;
    a body that cannot be decompressed (a ``DecodingError``) an
    ``APIResponseValidationError``; any other failure an ``APIConnectionError``, or, while
    a stream was being read (``streaming``), an ``APIStreamIncompleteError``: the answer
    had begun and broke off.  The message names the host and the reason in the system's
    words (``Connection refused``) or completionkit's, never the URL's path, query or
    headers.
    """
    host = _host(error)
    to = f" to {host}" if host else ""
    if isinstance(error, httpx2.TimeoutException):
        return APITimeoutError, f"Request timed out{to}{_timeout(error)}"
    if isinstance(error, httpx2.DecodingError):
        return APIResponseValidationError, f"The answer{to} could not be decoded: {_reason(error)}"
    if streaming:
        # The HTTP library's words for a cut stream ("incomplete chunked read") say less
        # than ours; the system's (``Connection reset by peer``) are kept.
        reason = _system_reason(error) or "the connection closed before the end of the answer"
        return APIStreamIncompleteError, f"The stream{' from ' + host if host else ''} broke off: {reason}"
    return APIConnectionError, f"Connection error{to}: {_reason(error)}"


def error_from_transport(error: httpx2.RequestError, *, attempts: int = 1) -> APIError:
    """The error of a request that got no (whole) answer (``transport_failure`` says which),
    after ``attempts`` attempts; the transport's error is its ``__cause__``."""
    cls, message = transport_failure(error)
    try:
        request: httpx2.Request | None = error.request
    except RuntimeError:  # raised before it had a request
        request = None
    failure = cls(message, request, attempts=attempts)
    failure.__cause__ = error
    return failure


_TIMEOUTS: tuple[tuple[type[httpx2.TimeoutException], str, str], ...] = (
    (httpx2.ConnectTimeout, "connect", "not connected within"),
    (httpx2.ReadTimeout, "read", "nothing received for"),
    (httpx2.WriteTimeout, "write", "not sent within"),
    (httpx2.PoolTimeout, "pool", "no free connection within"),
)


def _timeout(error: httpx2.TimeoutException) -> str:
    """What timed out, and after how long: ``: nothing received for 0.2 s (read timeout)``
    (the request keeps the timeouts it was sent with); empty when that is not known."""
    try:
        timeouts = error.request.extensions.get("timeout")
    except RuntimeError:  # raised before it had a request
        return ""
    for cls, phase, what in _TIMEOUTS:
        if isinstance(error, cls) and isinstance(timeouts, dict):
            seconds = typing.cast("dict[str, object]", timeouts).get(phase)
            if isinstance(seconds, int | float):
                return f": {what} {seconds:g} s ({phase} timeout)"
    return ""


def _origin(url: httpx2.URL) -> str:
    """``host:port`` of a URL (the port when it has one; an IPv6 host in brackets)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port is None else f"{host}:{url.port}"


def _host(error: httpx2.RequestError) -> str:
    try:
        url = error.request.url
    except RuntimeError:  # raised before it had a request
        return ""
    return _origin(url) if url.host else ""


_ERRNO = r"^\[Errno -?\d+\]\s*"


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and its causes, the innermost last."""
    seen: set[int] = set()
    causes: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        causes.append(current)
        current = current.__cause__ or current.__context__
    return causes


def _system_reason(error: BaseException) -> str | None:
    """The system's words for the innermost ``OSError`` among the causes, if any."""
    for cause in reversed(_causes(error)):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
    return None


def _reason(error: BaseException) -> str:
    """The innermost cause's own words: ``Connection refused`` for ``[Errno 111]
    Connection refused``, the resolver's message for a DNS failure; the error's class
    name when no cause says anything."""
    for cause in reversed(_causes(error)):
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
            response=response,
            body=error_body(body),
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
