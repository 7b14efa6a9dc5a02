"""The client's core: everything about a request except sending it.

Building the ``httpx.Request`` from an endpoint stub, deciding whether and when to try
again, turning an answer into a value or an error: all of it lives here, without I/O,
so the sync and the async client only send, sleep and loop.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import random
import re
import sys
import time
import typing
import urllib.parse
from collections.abc import Callable, Generator, Mapping
from typing import Any, Generic, TypedDict, TypeVar

import httpx
import msgspec

from ._decoding import decode_json, encode_json
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    MissingAPIKeyError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._generated.endpoints import Endpoint, NoParameters
from ._generated.models import ErrorResponse
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ClientConfig",
    "Clock",
    "Outcome",
    "RequestOptions",
    "RequestSpec",
    "Secret",
    "build_request",
    "check_flag",
    "check_options",
    "decide",
    "decode",
    "error_from_response",
    "error_from_transport",
    "retry_delay",
    "retry_flow",
]

T = TypeVar("T")

logger = logging.getLogger("completionkit")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_RETRIES = 2
# Backoff: 0.5 s doubling up to 8 s, less up to a quarter of jitter; a server's own
# Retry-After is honoured up to a minute.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 409, 429})

# sys, not platform: a client's import time is part of every cold start.
USER_AGENT = (
    f"completionkit/{__version__} (Python {'.'.join(map(str, sys.version_info[:3]))}; {sys.platform})"
)


class Secret:
    """A value that never shows itself: not in ``repr``, ``str``, logs or errors."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __reduce__(self) -> Any:  # pickling would be another way out
        raise TypeError("a Secret cannot be pickled")


class RequestOptions(TypedDict, total=False):
    """Per-call options, beside the API's own parameters."""

    timeout: float | httpx.Timeout | None
    """Seconds (or an ``httpx.Timeout``) for this call; None waits forever."""
    max_retries: int
    """How many times to try again after a retryable failure; 0 never retries."""
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str]
    extra_body: Mapping[str, object]
    """Keys merged into the JSON body, for parameters this version does not know yet."""


class Clock:
    """Time as the client sees it; tests give the client one that does not really wait."""

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        """``sleep`` for the async client: the event loop goes on meanwhile."""
        import asyncio  # only async clients need it, and it is slow to import

        await asyncio.sleep(seconds)


HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)

# The pool of a client we create: httpx's default keeps only 20 idle connections, so
# more requests than that in flight keep opening and closing connections.
CONNECTION_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


class ClientBase(Generic[HttpT]):
    """What ``OpenAI`` and ``AsyncOpenAI`` share: their arguments and their settings."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: HttpT | None = None,
    ) -> None:
        self._config = ClientConfig.from_arguments(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._new_http_client()
        self._start()

    def _new_http_client(self) -> HttpT:
        raise NotImplementedError

    def _start(self) -> None:
        """Set up what the client adds: its caller and ``chat`` namespace."""

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        return self._config.max_retries

    @property
    def timeout(self) -> float | httpx.Timeout | None:
        return self._config.timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._config.shown()})"


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    """What a client was built with; immutable, shared by every request."""

    api_key: Secret
    base_url: str
    organization: str | None
    project: str | None
    timeout: float | httpx.Timeout | None
    max_retries: int
    default_headers: Mapping[str, str]

    def shown(self) -> str:
        """The settings worth showing in a client's repr: never the key."""
        return f"base_url={self.base_url!r}, organization={self.organization!r}, project={self.project!r}"

    @classmethod
    def from_arguments(
        cls,
        *,
        api_key: str | None,
        base_url: str | None,
        organization: str | None,
        project: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        environ: Mapping[str, str] = os.environ,
    ) -> ClientConfig:
        key = api_key if api_key is not None else environ.get("OPENAI_API_KEY")
        if not key:
            raise MissingAPIKeyError(
                "No API key: pass api_key= or set the OPENAI_API_KEY environment variable "
                "(a local server that needs none still wants a placeholder, such as 'sk-local')."
            )
        url = base_url or environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidRequestError("base_url", f"expected an http(s) URL, got {url!r}")
        _check_retries("max_retries", max_retries)
        return cls(
            api_key=Secret(key),
            base_url=url.rstrip("/"),
            organization=organization if organization is not None else environ.get("OPENAI_ORG_ID"),
            project=project if project is not None else environ.get("OPENAI_PROJECT_ID"),
            timeout=timeout,
            max_retries=max_retries,
            default_headers=dict(default_headers or {}),
        )


def _check_retries(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(name, f"expected an integer >= 0, got {value!r}")


def check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequestError(name, f"expected True or False, got {value!r}")
    return value


def check_options(options: Mapping[str, Any]) -> None:
    """Refuse per-call options of the wrong type before anything is sent."""
    if "max_retries" in options:
        _check_retries("max_retries", options["max_retries"])
    timeout = options.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float | httpx.Timeout)
    ):
        raise InvalidRequestError("timeout", f"expected seconds or an httpx.Timeout, got {timeout!r}")
    for name in ("extra_headers", "extra_query", "extra_body"):
        if name in options and not isinstance(options[name], Mapping):
            raise InvalidRequestError(name, f"expected a mapping, got {type(options[name]).__name__}")


# --- building requests -------------------------------------------------------------------


def _segment(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError(name, f"expected a string id, got {type(value).__name__}")
    if not value.strip():
        raise InvalidRequestError(name, "an id must not be empty or blank")
    # One path segment, whatever the id holds: "/" and "?" included.
    return urllib.parse.quote(value, safe="")


def _query_pairs(endpoint: Endpoint[Any, Any, Any, Any, Any], query: msgspec.Struct) -> list[tuple[str, str]]:
    values: dict[str, object] = msgspec.to_builtins(query)
    pairs: list[tuple[str, str]] = []
    for parameter in endpoint.query_parameters:
        value = values.get(parameter.name)
        if value is None:
            continue
        if parameter.style == "deepObject" and isinstance(value, dict):
            members = typing.cast("dict[str, object]", value)
            pairs.extend((f"{parameter.name}[{k}]", str(v)) for k, v in members.items())
        elif isinstance(value, list):
            items = typing.cast("list[object]", value)
            pairs.extend((parameter.name, str(v)) for v in items)
        elif isinstance(value, bool):
            pairs.append((parameter.name, "true" if value else "false"))
        else:
            pairs.append((parameter.name, str(value)))
    return pairs


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    """Everything a request is made of; the shell hands it to its httpx client's
    ``build_request``, so that a caller's own client adds its headers and settings."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    timeout: float | httpx.Timeout | None
    max_retries: int

    def build(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The request, built by the client that sends it (its own headers and settings added)."""
        return http.build_request(
            self.method, self.url, headers=self.headers, content=self.content, timeout=self.timeout
        )


def build_request(
    config: ClientConfig,
    endpoint: Endpoint[Any, Any, Any, Any, Any],
    *,
    path: msgspec.Struct | None = None,
    query: msgspec.Struct | None = None,
    body: msgspec.Struct | None = None,
    options: RequestOptions | None = None,
) -> RequestSpec:
    """The request for ``endpoint``: URL from the stub's path template, query in the
    stub's styles, the body encoded from its Struct (unset fields left out)."""
    options = options or {}
    check_options(options)
    path_values: dict[str, object] = {}
    if path is not None and not isinstance(path, NoParameters):
        path_values = msgspec.to_builtins(path)
    url_path = endpoint.path.format(**{name: _segment(name, value) for name, value in path_values.items()})
    pairs = _query_pairs(endpoint, query) if query is not None else []
    pairs.extend((str(k), str(v)) for k, v in options.get("extra_query", {}).items())
    url = config.base_url + url_path
    if pairs:
        url += "?" + urllib.parse.urlencode(pairs)

    headers = {
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "Authorization": f"Bearer {config.api_key.reveal()}",
    }
    if config.organization:
        headers["OpenAI-Organization"] = config.organization
    if config.project:
        headers["OpenAI-Project"] = config.project
    headers.update(config.default_headers)
    headers.update(options.get("extra_headers", {}))

    content: bytes | None = None
    if body is not None:
        extra = options.get("extra_body")
        content = encode_json({**msgspec.to_builtins(body), **extra} if extra else body)
        headers["Content-Type"] = "application/json"
    return RequestSpec(
        method=endpoint.method,
        url=url,
        headers=headers,
        content=content,
        timeout=options.get("timeout", config.timeout),
        max_retries=options.get("max_retries", config.max_retries),
    )


# --- deciding on answers -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What to do after one attempt: done, try again after ``delay``, or fail with ``error``."""

    response: httpx.Response | None = None
    delay: float | None = None
    error: OpenAIError | None = None


def retry_delay(
    attempt: int,
    headers: httpx.Headers | None,
    now: Callable[[], datetime.datetime],
    jitter: Callable[[], float] = random.random,
) -> float:
    """How long to wait before attempt ``attempt + 1``: the server's word if it gave a
    reasonable one (``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date),
    else exponential backoff with jitter."""
    if headers is not None:
        wait: float | None = None
        if (ms := headers.get("retry-after-ms")) is not None:
            wait = _number(ms, 1000.0)
        elif (after := headers.get("retry-after")) is not None:
            wait = _number(after, 1.0)
            if wait is None:
                import email.utils  # rare (an HTTP date), and slow to import

                try:
                    when = email.utils.parsedate_to_datetime(after)
                except (TypeError, ValueError):
                    when = None
                if when is not None:
                    # HTTP dates are GMT; a naive one is read as UTC, never as local time.
                    when = when if when.tzinfo else when.replace(tzinfo=datetime.UTC)
                    wait = (when - now()).total_seconds()
        if wait is not None and 0 <= wait <= MAX_RETRY_AFTER:
            return wait
    backoff = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return backoff * (1.0 - 0.25 * jitter())


def _number(text: str, per_second: float) -> float | None:
    try:
        return float(text) / per_second
    except ValueError:
        return None


def _should_retry(response: httpx.Response) -> bool:
    verdict = response.headers.get("x-should-retry")
    if verdict == "true":
        return True
    if verdict == "false":
        return False
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


def decide(
    attempt: int,
    max_retries: int,
    result: httpx.Response | httpx.TransportError,
    now: Callable[[], datetime.datetime],
) -> Outcome:
    """The outcome of attempt ``attempt`` (0 for the first try)."""
    can_retry = attempt < max_retries
    if isinstance(result, httpx.TransportError):
        failure: OpenAIError = error_from_transport(result)
        return (
            Outcome(delay=retry_delay(attempt, None, now), error=failure)
            if can_retry
            else Outcome(error=failure)
        )
    if result.is_success:
        return Outcome(response=result)
    error = error_from_response(result)
    if can_retry and _should_retry(result):
        return Outcome(delay=retry_delay(attempt, result.headers, now), error=error)
    return Outcome(error=error)


Attempt = httpx.Response | httpx.TransportError
RetryFlow = Generator[float | None, Attempt | None, httpx.Response]


def retry_flow(max_retries: int, clock: Clock, what: str) -> RetryFlow:
    """The attempts of one request, as a conversation with whoever does the I/O.

    It yields None to ask for an attempt (and is sent its response or transport error),
    or a number of seconds to wait before the next one (and is sent None once waited).
    It returns the successful response, or raises the error of the last attempt. The
    sync and async clients each drive it with their own sending and sleeping.
    """
    attempt = 0
    while True:
        result = yield None
        assert result is not None
        outcome = decide(attempt, max_retries, result, clock.now)
        if outcome.response is not None:
            return outcome.response
        assert outcome.error is not None
        if outcome.delay is None:
            raise outcome.error
        logger.info(
            "%s failed (%s); retry %d of %d in %.2fs",
            what,
            type(outcome.error).__name__,
            attempt + 1,
            max_retries,
            outcome.delay,
        )
        yield outcome.delay
        attempt += 1


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


def error_from_response(response: httpx.Response) -> APIStatusError:
    """The typed error of an answer with an error status, whatever its body holds."""
    status = response.status_code
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    try:
        error = decode_json(response.content, ErrorResponse).error
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


def error_from_transport(error: httpx.TransportError) -> APIConnectionError:
    if isinstance(error, httpx.TimeoutException):
        timeout = APITimeoutError("Request timed out.")
        timeout.__cause__ = error
        return timeout
    connection = APIConnectionError(f"Connection error: {type(error).__name__}")
    connection.__cause__ = error
    return connection


def decode(type_: type[T], response: httpx.Response) -> T:
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
