"""The events a client's hooks are called with: ``on_request`` before each attempt is sent,
``on_response`` with each answer, ``on_retry`` when a failed attempt is to be tried again.

An event shows what was sent and what came back, never the key: the headers that may
carry a secret (the key's own, and any whose name says auth, key, token, secret, cookie,
password or credential) read ``**********``, and a secret in the URL (a password before
the host, a query parameter of such a name) reads ``REDACTED``.  Events are made only for
a client given a hook; ``_telemetry`` calls the hooks.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import httpx2

from ._config import _SECRET_HEADER  # pyright: ignore[reportPrivateUsage]  # one rule for every secret header
from ._decoding import decode_plain_json
from ._exceptions import OpenAIError

__all__ = [
    "CONCEALED",
    "REDACTED",
    "OnRequest",
    "OnResponse",
    "OnRetry",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "redacted_url",
    "request_event",
    "response_event",
    "shown_headers",
]

CONCEALED = "**********"
"""What an event shows instead of the value of a header that may carry a secret."""
REDACTED = "REDACTED"
"""What a URL shows instead of a secret in it (OpenTelemetry's word for ``url.full``)."""
# A query parameter that may carry a secret: the headers' rule, and the signatures of
# pre-signed URLs (S3's X-Amz-Signature, Azure's sig, Google's X-Goog-Signature).
_SECRET_QUERY = re.compile(rf"{_SECRET_HEADER.pattern}|signature|^sig$", re.IGNORECASE)
_RESPONSE_SECRET = re.compile("cookie", re.IGNORECASE)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RequestEvent:
    """One attempt of a request, as it is about to be sent (``on_request``)."""

    method: str
    """``POST``, ``GET``..."""
    url: str
    """The URL, a secret in it (a password, a query parameter named like a key) ``REDACTED``."""
    headers: Mapping[str, str]
    """The headers sent, names in lower case; the key's header, and any other whose name
    says it may carry a secret, read ``**********``."""
    content: bytes | None = dataclasses.field(repr=False)
    """The body as sent (JSON); None for a request without one.  ``json()`` decodes it."""
    attempt: int
    """1 for the first try, 2 for the first retry..."""
    operation: str
    """The API's name of the operation: ``createChatCompletion``, ``getChatCompletion``,
    ``listChatCompletions``, ``updateChatCompletion``, ``deleteChatCompletion``,
    ``getChatCompletionMessages``."""
    provider: str
    """The name of the provider the request goes to (``openai``, ``groq``, ``custom``...)."""

    def json(self) -> Any:
        """The body's JSON data; None for a request without a body."""
        return None if self.content is None else decode_plain_json(self.content)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ResponseEvent:
    """The answer to one attempt (``on_response``), whatever its status: a 429 that is
    retried has its event too.  A transport failure (no answer) has none; ``on_retry``
    sees it when it is retried, the call raises it when it is not."""

    request: RequestEvent
    """The attempt this answers."""
    status_code: int
    headers: Mapping[str, str]
    """The response headers, names in lower case (``set-cookie`` reads ``**********``)."""
    elapsed: float
    """Seconds from sending to the answer: its whole body, or for a stream its headers."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RetryEvent:
    """A failed attempt that is to be tried again after ``delay`` seconds (``on_retry``)."""

    request: RequestEvent
    """The attempt that failed."""
    error: OpenAIError
    """What it failed with: the error the call would have raised had it not retried
    (``RateLimitError``, ``InternalServerError``, ``APIConnectionError``...)."""
    status_code: int | None
    """The answer's status; None for a transport failure (no answer)."""
    delay: float
    """Seconds the client waits before the next attempt (the server's ``Retry-After``, or backoff)."""


OnRequest = Callable[[RequestEvent], object]
"""``on_request``: called before each attempt is sent, with its ``RequestEvent``."""
OnResponse = Callable[[ResponseEvent], object]
"""``on_response``: called with each answer, of any status, as a ``ResponseEvent``."""
OnRetry = Callable[[RetryEvent], object]
"""``on_retry``: called when a failed attempt is to be tried again, with a ``RetryEvent``."""


@functools.lru_cache(maxsize=512)  # a program sends few header names: each is looked at once
def _is_secret(name: str, secret: re.Pattern[str]) -> bool:
    return secret.search(name) is not None


def shown_headers(headers: httpx2.Headers, secret: re.Pattern[str] = _SECRET_HEADER) -> Mapping[str, str]:
    """Headers as an event shows them: a copy, each whose name ``secret`` finds concealed.
    A response's are shown with ``_RESPONSE_SECRET``: the request's rule would hide its
    ``x-ratelimit-*-tokens``, which carry no secret."""
    return {name: CONCEALED if _is_secret(name, secret) else value for name, value in headers.items()}


def redacted_url(url: httpx2.URL) -> str:
    """The URL with what may be a secret in it redacted: the user information before the
    host, and the value of each query parameter named like a secret."""
    text = str(url)
    if not url.userinfo and not url.query:
        return text  # the common case: nothing to redact
    parts = urllib.parse.urlsplit(text)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}:{REDACTED}@{netloc.rpartition('@')[2]}"
    pairs = parts.query.split("&") if parts.query else []
    query = "&".join(
        f"{pair.partition('=')[0]}={REDACTED}"
        if _SECRET_QUERY.search(urllib.parse.unquote_plus(pair.partition("=")[0]))
        else pair
        for pair in pairs
    )
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


def request_event(
    request: httpx2.Request, content: bytes | None, attempt: int, operation: str, provider: str
) -> RequestEvent:
    """The event of ``request``, attempt ``attempt`` (1 for the first try)."""
    return RequestEvent(
        method=request.method,
        url=redacted_url(request.url),
        headers=shown_headers(request.headers),
        content=content,
        attempt=attempt,
        operation=operation,
        provider=provider,
    )


def response_event(request: RequestEvent, response: httpx2.Response, elapsed: float) -> ResponseEvent:
    """The event of ``response``, the answer to ``request`` after ``elapsed`` seconds."""
    return ResponseEvent(
        request=request,
        status_code=response.status_code,
        headers=shown_headers(response.headers, _RESPONSE_SECRET),
        elapsed=elapsed,
    )
