"""Faults the local server can be told to produce, for testing clients.

A fault is a frozen value; ``LocalServer.inject(fault, times=N)`` queues it for the next
N requests (of one operation, if asked).  The constructors name what a client meets in
the wild: rate limits with their headers, an exhausted quota, overloaded servers,
timeouts, connections cut, proxies answering HTML, streams breaking off.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
from collections.abc import Mapping
from typing import Literal

__all__ = ["Fault"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Fault:
    """What to do instead of (or on top of) the normal answer to one request.

    Build one with the class methods; fields combine (``dataclasses.replace``) when a
    test needs, say, a delay before a 503.
    """

    status: int | None = None
    """Answer with this status and an OpenAI-shaped error body."""
    error_type: str = "server_error"
    """The ``type`` of the error object answered (or of the stream's ``error`` event)."""
    error_code: str | None = None
    """The ``code`` of the error object answered (``"rate_limit_exceeded"``), if any."""
    message: str = "The server had an error while processing your request."
    """The ``message`` of the error object answered."""
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict[str, str])
    """Extra response headers (``x-ratelimit-*``, ``retry-after``, ...)."""
    delay: float = 0.0
    """Seconds to wait before answering: for client timeouts.  A client that gives up
    ends the wait; so does the server stopping (it then closes the connection)."""
    gather: int | None = None
    """Hold the request until this many requests are in flight at once, then answer:
    proves concurrency without timing anything."""
    drop: Literal["before", "during"] | None = None
    """Close the connection before any byte of the response, or in the middle of its body
    (at its middle byte: of the JSON answer, or of the whole event stream of a streamed create)."""
    body: bytes | None = None
    """Answer with these bytes as the body (non-JSON, truncated JSON, an HTML page), with
    ``status`` (200 when it is None)."""
    content_type: str = "application/json"
    """The ``content-type`` a ``body`` is answered with."""
    # Streams (create with stream: true); a request that is not a streamed create meets
    # these and answers as if it had met no fault:
    cut_stream_after: int | None = None
    """Send this many events whole, then half of the next one, then drop the connection
    (a number beyond the stream's events cuts its last one, ``data: [DONE]``)."""
    error_event_after: int | None = None
    """Send this many events, then an ``error`` event (of ``error_type``, ``error_code`` and
    ``message``), and end the stream; it takes the place of ``[DONE]`` at the latest."""
    keepalive_comments: bool = False
    """Send an SSE comment line (``: keep-alive``) before every event."""
    chunk_delay: float = 0.0
    """Seconds to wait between stream events."""

    @classmethod
    def http_error(
        cls,
        status: int,
        *,
        retry_after: float | datetime.datetime | None = None,
        retry_after_ms: int | None = None,
        should_retry: bool | None = None,
        headers: Mapping[str, str] | None = None,
        error_type: str | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> Fault:
        """An error status with the retry headers the API sends.

        ``retry_after`` goes out as ``Retry-After``: seconds for a number, an HTTP date
        (always GMT) for a datetime.
        """
        out = dict(headers or {})
        if isinstance(retry_after, datetime.datetime):
            out["retry-after"] = email.utils.format_datetime(
                retry_after.astimezone(datetime.UTC), usegmt=True
            )
        elif retry_after is not None:
            out["retry-after"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            out["retry-after-ms"] = str(retry_after_ms)
        if should_retry is not None:
            out["x-should-retry"] = "true" if should_retry else "false"
        default_type, default_code, default_message = _STATUS_ERRORS.get(
            status, ("server_error", None, "The server had an error while processing your request.")
        )
        return cls(
            status=status,
            headers=out,
            error_type=error_type or default_type,
            error_code=code if code is not None else default_code,
            message=message or default_message,
        )

    @classmethod
    def rate_limit(cls, *, retry_after: float | datetime.datetime | None = 1, **headers: str) -> Fault:
        """A 429 with ``Retry-After`` and exhausted ``x-ratelimit-*`` headers."""
        limits = {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-limit-tokens": "150000",
            "x-ratelimit-remaining-tokens": "0",
            "x-ratelimit-reset-tokens": "6m0s",
            **{k.replace("_", "-"): v for k, v in headers.items()},
        }
        return cls.http_error(429, retry_after=retry_after, headers=limits)

    @classmethod
    def insufficient_quota(cls) -> Fault:
        """The 429 of an account out of credit: code ``insufficient_quota`` and, as from
        the API, no ``Retry-After`` (no wait makes it succeed)."""
        return cls.http_error(
            429,
            error_type="insufficient_quota",
            code="insufficient_quota",
            message=(
                "You exceeded your current quota, please check your plan and billing details. "
                "For more information on this error, read the docs: "
                "https://platform.openai.com/docs/guides/error-codes/api-errors."
            ),
        )

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, after ``seconds``."""
        return cls(delay=seconds)

    @classmethod
    def gathering(cls, requests: int) -> Fault:
        """Answer only once ``requests`` requests are being served at the same time."""
        return cls(gather=requests)

    @classmethod
    def dropped(cls, when: Literal["before", "during"] = "before") -> Fault:
        """Close the connection before answering, or half way through the body."""
        return cls(drop=when)

    @classmethod
    def raw(cls, body: bytes, *, status: int = 200, content_type: str = "application/json") -> Fault:
        """Answer with exactly ``body``: a truncated or non-JSON answer."""
        return cls(status=status, body=body, content_type=content_type)

    @classmethod
    def html(cls, status: int = 502) -> Fault:
        """The HTML error page a proxy or load balancer answers with."""
        page = (
            f"<html><head><title>{status} Bad Gateway</title></head>"
            f"<body><center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
        ).encode()
        return cls(status=status, body=page, content_type="text/html")

    @classmethod
    def stream_cut(cls, after_events: int) -> Fault:
        """A stream that breaks off in the middle of an event."""
        return cls(cut_stream_after=after_events)

    @classmethod
    def stream_error(
        cls, after_events: int, message: str = "The server had an error while streaming."
    ) -> Fault:
        """A stream that carries an ``error`` event instead of finishing."""
        return cls(error_event_after=after_events, message=message)

    @classmethod
    def stream_keepalive(cls) -> Fault:
        """A stream with a keep-alive comment before every event."""
        return cls(keepalive_comments=True)

    @classmethod
    def slow_stream(cls, seconds_between_events: float) -> Fault:
        """A stream whose events come ``seconds_between_events`` apart."""
        return cls(chunk_delay=seconds_between_events)


# The API's error type, code and message for the statuses clients handle.
_STATUS_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported.",
    ),
    404: ("invalid_request_error", None, "The requested resource does not exist."),
    408: ("timeout", None, "Request timed out."),
    409: (
        "invalid_request_error",
        "conflict",
        "The request conflicts with the current state of the resource.",
    ),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", "overloaded", "The engine is currently overloaded, please try again later."),
}
