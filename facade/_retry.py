"""The retry policy: after each attempt, whether to stop with its answer, stop with its
error, or try again after how long (``decide``); and the clock it waits on.

The policy does no I/O: each client's loop sends, asks ``decide``, and sleeps."""

from __future__ import annotations

import datetime
import logging
import math
import random
import time
import typing
from collections.abc import Callable

import httpx2

from ._answers import error_from_response, error_from_transport
from ._exceptions import OpenAIError
from ._generated.models import ErrorResponse

__all__ = ["Attempt", "Clock", "Outcome", "decide", "retry_delay", "server_wait"]

logger = logging.getLogger("completionkit")

# Backoff: 0.5 s doubling up to 8 s, less up to a quarter of jitter; a server's own
# Retry-After is honoured up to a minute.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 409, 429})

Attempt = httpx2.Response | httpx2.RequestError
"""What one attempt gave: an answer (of any status), or a transport failure (or a body
that could not be decompressed, an ``httpx2.DecodingError``)."""


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


class Outcome(typing.NamedTuple):
    """What to do after one attempt: stop with ``response``, stop with ``error``, or try
    again after ``delay`` seconds (``error`` then says what failed).  A NamedTuple: one
    is made for every attempt, and a frozen dataclass is four times as slow to make."""

    response: httpx2.Response | None = None
    delay: float | None = None
    error: OpenAIError | None = None

    def result(self) -> httpx2.Response:
        """The answer of a final outcome, or its error raised."""
        if self.response is not None:
            return self.response
        assert self.error is not None  # an Outcome holds one or the other, by construction
        raise self.error


def retry_delay(
    attempt: int,
    headers: httpx2.Headers | None,
    now: Callable[[], datetime.datetime],
    jitter: Callable[[], float] = random.random,
) -> float:
    """How long to wait before attempt ``attempt + 1``: the server's word if it gave a
    reasonable one (``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date),
    else exponential backoff with jitter."""
    if headers is not None:
        wait = server_wait(headers, now)
        if wait is not None and wait <= MAX_RETRY_AFTER:
            return wait
    backoff = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return backoff * (1.0 - 0.25 * jitter())


def server_wait(headers: httpx2.Headers, now: Callable[[], datetime.datetime]) -> float | None:
    """How long the server asks to wait, in seconds: its ``retry-after-ms``, or its
    ``Retry-After`` in seconds or as an HTTP date (``now`` is the date to count from);
    None when neither says a time to come."""
    wait: float | None = None
    if (ms := headers.get("retry-after-ms")) is not None:
        wait = _number(ms, 1000.0)
    if wait is None and (after := headers.get("retry-after")) is not None:
        wait = _number(after, 1.0)
        if wait is None:
            import email.utils  # rare (an HTTP date), and slow to import

            try:
                when = email.utils.parsedate_to_datetime(after)
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
            # HTTP dates are GMT; a naive one is read as UTC, never as local time.
            when = when if when.tzinfo else when.replace(tzinfo=datetime.UTC)
            wait = (when - now()).total_seconds()
    return wait if wait is not None and wait >= 0 else None


def _number(text: str, per_second: float) -> float | None:
    try:
        value = float(text) / per_second
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _should_retry(response: httpx2.Response) -> bool:
    verdict = response.headers.get("x-should-retry")
    if verdict == "true":
        return True
    if verdict == "false":
        return False
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


def decide(
    attempt: int,
    max_retries: int,
    result: Attempt,
    now: Callable[[], datetime.datetime],
    error_type: type[ErrorResponse] = ErrorResponse,
) -> Outcome:
    """The outcome of attempt ``attempt`` (0 for the first try) of a request that may be
    tried ``max_retries`` more times; logs each retry it asks for.  An error says how
    many attempts were made (``attempts``)."""
    can_retry = attempt < max_retries
    outcome: Outcome
    if isinstance(result, httpx2.RequestError):
        failure = error_from_transport(result, attempts=attempt + 1)
        # A connection that failed is worth another try; a body that did not decompress is not.
        retry = can_retry and isinstance(result, httpx2.TransportError)
        outcome = Outcome(delay=retry_delay(attempt, None, now) if retry else None, error=failure)
    elif result.is_success:
        return Outcome(response=result)
    else:
        error = error_from_response(result, error_type, attempts=attempt + 1)
        # insufficient_quota is a 429 that no wait fixes: the account is out of credit.
        retry = can_retry and _should_retry(result) and error.code != "insufficient_quota"
        outcome = Outcome(delay=retry_delay(attempt, result.headers, now) if retry else None, error=error)
    if outcome.delay is not None:
        logger.info(
            "%s failed (%s); retry %d of %d in %.2fs",
            _what(result),
            type(outcome.error).__name__,
            attempt + 1,
            max_retries,
            outcome.delay,
        )
    return outcome


def _what(result: Attempt) -> str:
    """The request, as the log names it: method and path, never the query or headers."""
    try:
        request = result.request
    except RuntimeError:  # a transport error raised before it had a request
        return "a request"
    return f"{request.method} {request.url.path}"
