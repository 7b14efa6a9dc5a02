"""How fast a bulk run may send: ``Budget`` (a concurrency cap, request and token budgets
read from the ``x-ratelimit-*`` headers, one pause for the whole run after a 429), what a
request will likely cost (``estimate_tokens``), and what an error means for the run
(``classify``).

Pure: nothing here does I/O but wait, on the clock and the sleep it is given."""

from __future__ import annotations

import asyncio
import collections
import datetime
import random
import time
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import httpx2

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    MissingAPIKeyError,
    OpenAIError,
    PermissionDeniedError,
)
from .._rate_limit import WINDOW_SECONDS, count, header_names, reset_seconds
from .._retry import server_wait

__all__ = ["DEFAULT_COMPLETION_TOKENS", "MAX_PAUSE", "Budget", "Verdict", "classify", "estimate_tokens"]

Verdict: TypeAlias = Literal["retry", "stop", "fail"]

# --- what an error means for the run ------------------------------------------------------

_RETRY_STATUSES = frozenset({408, 409, 429})


def classify(error: OpenAIError) -> Verdict:
    """What a request's error means for the run.

    ``"stop"``: no retry can fix it and nothing more should be sent: a 429 whose code (or
    type) is ``insufficient_quota``, a 401 (``AuthenticationError``), a 403
    (``PermissionDeniedError``), and no API key at all (``MissingAPIKeyError``: every
    request would meet it).  ``"retry"``: it may pass later: any other 429, a 408, a 409,
    a 5xx (``InternalServerError``), and ``APIConnectionError`` with its subclasses
    (timeouts, broken streams).  ``"fail"``: the request's own fault, its outcome: every
    other error (400, 404, 422, ``APIResponseValidationError``, ``StructuredOutputError``,
    ``InvalidRequestError``, ...)."""
    if isinstance(error, AuthenticationError | PermissionDeniedError | MissingAPIKeyError):
        return "stop"
    if isinstance(error, APIStatusError):
        status = error.status_code
        if status == 429:
            quota = error.code == "insufficient_quota" or error.type == "insufficient_quota"
            return "stop" if quota else "retry"
        return "retry" if status in _RETRY_STATUSES or status >= 500 else "fail"
    if isinstance(error, APIConnectionError):
        return "retry"
    return "fail"


# --- what a request will cost ---------------------------------------------------------------

DEFAULT_COMPLETION_TOKENS = 256
"""The completion tokens ``estimate_tokens`` counts for a request that sets neither
``max_completion_tokens`` nor ``max_tokens``: an answer of a few paragraphs."""

# Per message: its role and the markers around it (OpenAI's cookbook counts 3 or 4), and
# once for the reply's own start.
_PER_MESSAGE = 4
_PER_REPLY = 3
# An image's tokens: 85 at low detail, 765 for a 1024x1024 one at high (or auto) detail.
_IMAGE_TOKENS = 765
_LOW_IMAGE_TOKENS = 85


def _field(value: object, name: str) -> object:
    """``value[name]`` of a dict (or any Mapping), ``value.name`` of a ``Message`` or a
    generated Struct; None when it has none."""
    if type(value) is dict or isinstance(value, Mapping):
        return typing.cast("Mapping[str, object]", value).get(name)
    return getattr(value, name, None)


def _size(text: object) -> int:
    """Characters of ASCII text; for other text its UTF-8 bytes, since a tokenizer spends
    more tokens on a character outside ASCII (``isascii`` is free in CPython)."""
    if type(text) is not str:
        return 0
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _count(value: object, default: int) -> int:
    return value if type(value) is int and value >= 0 else default


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """What a request will likely cost against a token limit, before it is sent, as
    OpenAI counts it then (the prompt, and the most the answer may take):

    - the prompt: the characters of the messages' text (their content, text and refusal
      parts, ``name``, tool calls' names and arguments) divided by 4, rounded up, with a
      character outside ASCII counted as its UTF-8 bytes; plus 4 tokens a message and 3
      for the reply; plus 765 tokens an image part (85 at ``detail: "low"``).  Tool
      definitions and response formats are not counted.
    - the completion: ``max_completion_tokens``, else ``max_tokens``, else
      ``DEFAULT_COMPLETION_TOKENS`` (256), times ``n``.

    Cheap (it runs for every request), and never raises: what it does not understand it
    does not count.  The budgets are corrected from each answer's headers and usage."""
    chars = 0
    fixed = _PER_REPLY
    messages = body.get("messages")
    if isinstance(messages, list | tuple):
        for message in typing.cast("Sequence[object]", messages):
            fixed += _PER_MESSAGE
            content = _field(message, "content")
            if type(content) is str:
                chars += _size(content)
            elif isinstance(content, list | tuple):
                for part in typing.cast("Sequence[object]", content):
                    kind = _field(part, "type")
                    if kind == "text":
                        chars += _size(_field(part, "text"))
                    elif kind == "refusal":
                        chars += _size(_field(part, "refusal"))
                    elif kind == "image_url":
                        low = _field(_field(part, "image_url"), "detail") == "low"
                        fixed += _LOW_IMAGE_TOKENS if low else _IMAGE_TOKENS
            chars += _size(_field(message, "name"))
            calls = _field(message, "tool_calls")
            if isinstance(calls, list | tuple):
                for call in typing.cast("Sequence[object]", calls):
                    function = _field(call, "function")
                    chars += _size(_field(function, "name")) + _size(_field(function, "arguments"))
    completion = body.get("max_completion_tokens")
    if completion is None:
        completion = body.get("max_tokens")
    choices = _count(body.get("n"), 1) or 1
    return -(-chars // 4) + fixed + _count(completion, DEFAULT_COMPLETION_TOKENS) * choices


# --- the budgets -------------------------------------------------------------------------------

MAX_PAUSE = 60.0
"""The longest pause one 429 makes, whatever its headers say: OpenAI's limits are per
minute, and a request sent after it meets another 429 if the server still says no."""
_FIRST_BACKOFF = 1.0
# Times closer than this are the same time: a wait left over by float rounding must not
# arm a timer that a fake clock, far from zero, cannot advance.
_EPSILON = 1e-6
# Counts beyond this are not counts (a header of 400 digits): float() of them overflows.
_HUGE = 10**15


def _integer(text: str | None) -> int | None:
    """A header's count, within what the budgets can hold."""
    value = count(text)
    return value if value is not None and value <= _HUGE else None


def _utc_now() -> datetime.datetime:
    # Wall time, not the run's clock: an HTTP date is only comparable to the date now.
    return datetime.datetime.now(datetime.UTC)


class _Bucket:
    """A budget that refills continuously up to its ``limit``: the ``limit`` over its
    ``window`` (60 seconds for OpenAI's headers, 1 for Together's), a ``limit / window``
    a second."""

    __slots__ = ("at", "level", "limit", "rate", "window")

    def __init__(self, limit: float, now: float, window: float) -> None:
        self.limit = limit
        self.window = window
        self.rate = limit / window
        self.level = limit
        self.at = now

    def refill(self, now: float) -> None:
        if now > self.at:
            level = self.level + (now - self.at) * self.rate
            self.level = level if level < self.limit else self.limit
            self.at = now

    def wait(self, amount: float) -> float:
        """Seconds until the bucket holds ``amount``, or the whole limit when it is less:
        a request bigger than the budget goes when the bucket is full."""
        short = min(amount, self.limit) - self.level
        if short <= 0:
            return 0.0
        wait = short / self.rate
        return wait if wait > _EPSILON else 0.0

    def take(self, amount: float) -> None:
        level = self.level - amount
        self.level = level if level > 0 else 0.0

    def give(self, amount: float) -> None:
        level = self.level + amount
        self.level = self.limit if level > self.limit else level if level > 0 else 0.0

    def seed(self, limit: float | None, remaining: float | None, reset: float | None, window: float) -> None:
        """What the server says: its limit over its window, what remains, or failing that
        the seconds until the budget is whole again."""
        if limit is not None and (limit != self.limit or window != self.window):
            self.limit = limit
            self.window = window
            self.rate = limit / window
            self.level = min(self.level, limit)
        if remaining is not None:
            self.level = min(remaining, self.limit)
        elif reset is not None:
            self.level = max(0.0, self.limit - reset * self.rate)


def _check(cap: object, share: object) -> None:
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise ValueError(f"max_concurrency must be a positive integer, not {cap!r}")
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ValueError(f"share must be a number above 0 and at most 1, not {share!r}")


class Budget:
    """How fast a bulk run may send.

    - A concurrency cap, always: at most ``max_concurrency`` requests in flight.
    - A request budget and a token budget once an answer's ``x-ratelimit-limit-*``
      headers tell them: token buckets that refill continuously at a sixtieth of the
      limit a second (OpenAI's limits are per minute; Together's headers, its requests'
      without the ``-requests`` suffix, count per second: the whole limit a second),
      seeded and corrected from each answer's ``x-ratelimit-remaining-*`` (or, without
      it, ``x-ratelimit-reset-*``), and from its ``usage``.  A server that sends no such
      headers (vLLM, Ollama, llama.cpp) leaves the cap alone in charge.
    - After a 429, one pause of the whole run (``rate_limited``): the ``retry-after-ms``
      or ``retry-after`` header when sent, else the longest ``x-ratelimit-reset-*`` of
      the budgets it says are empty, else an exponential backoff with jitter (1 s,
      doubling); never longer than ``MAX_PAUSE``.  429s that come back together (all the
      requests in flight meet one) do not lengthen the backoff; one after the pause does.

    ``share`` (0 < share <= 1) is this process's part of the budgets when a job is split
    across ``1 / share`` workers: every limit and remaining count is taken times
    ``share``.  The concurrency cap is the caller's, already divided.

    Requests go in the order they asked (FIFO).  ``clock`` and ``sleep`` are the time it
    reads and waits on (a test gives a simulated clock).  One event loop, one thread.
    """

    __slots__ = (
        "_cap",
        "_clock",
        "_deadline",
        "_in_flight",
        "_paused_until",
        "_requests",
        "_share",
        "_sleep",
        "_streak",
        "_timer",
        "_tokens",
        "_waiters",
    )

    def __init__(
        self,
        *,
        max_concurrency: int,
        share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        _check(max_concurrency, share)
        self._cap = max_concurrency
        self._share = float(share)
        self._clock = clock
        self._sleep = sleep
        self._in_flight = 0
        self._paused_until: float | None = None
        self._streak = 0
        self._requests: _Bucket | None = None
        self._tokens: _Bucket | None = None
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()
        self._timer: asyncio.Task[None] | None = None
        self._deadline = 0.0

    # --- what a caller reads ---------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Requests acquired and not released yet."""
        return self._in_flight

    @property
    def paused_until(self) -> float | None:
        """When (on the budget's clock) the pause after a 429 ends; None when not paused."""
        until = self._paused_until
        return until if until is not None and self._clock() < until else None

    @property
    def max_concurrency(self) -> int:
        return self._cap

    @property
    def share(self) -> float:
        return self._share

    @property
    def request_limit(self) -> float | None:
        """The request budget (this process's share of it), once headers told it."""
        return None if self._requests is None else self._requests.limit

    @property
    def token_limit(self) -> float | None:
        """The token budget (this process's share of it), once headers told it."""
        return None if self._tokens is None else self._tokens.limit

    @property
    def requests_left(self) -> float | None:
        """Requests in the budget now; None while no header told the limit."""
        return self._level(self._requests)

    @property
    def tokens_left(self) -> float | None:
        """Tokens in the budget now; None while no header told the limit."""
        return self._level(self._tokens)

    def _level(self, bucket: _Bucket | None) -> float | None:
        if bucket is None:
            return None
        bucket.refill(self._clock())
        return bucket.level

    # --- acquire and release --------------------------------------------------------------

    async def acquire(self, tokens: int) -> None:
        """Wait until one more request may go: fewer than ``max_concurrency`` in flight,
        no pause, one request and (when known) ``tokens`` tokens in the budgets; then take
        them and count it in flight.  Requests go in the order they asked; one that needs
        more than the whole token budget goes when the bucket is full."""
        need = tokens if 0 <= tokens <= _HUGE else 0 if tokens < 0 else _HUGE
        if not self._waiters:
            now = self._clock()
            if self._delay(need, now) == 0.0:
                self._take(need)
                return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((need, granted))
        if len(self._waiters) == 1:
            self._wake()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                # Granted as the acquirer was cancelled: what was taken goes back.
                self._in_flight -= 1
                if self._requests is not None:
                    self._requests.give(1)
                if self._tokens is not None:
                    self._tokens.give(need)
            self._wake()
            raise

    def release(self, tokens: int, *, headers: httpx2.Headers | None, used_tokens: int | None) -> None:
        """One request is no longer in flight.

        ``tokens`` is what ``acquire`` took; ``used_tokens`` what the answer says it cost
        (``usage.total_tokens``; 0 for a request that was not sent after all, None when
        not known: the estimate stands).  ``headers``, an answer's or an error's, re-seed the budgets:
        what they say replaces what was counted."""
        if self._in_flight == 0:
            raise RuntimeError("Budget.release() without a request in flight")
        self._in_flight -= 1
        now = self._clock()
        if used_tokens is not None:
            if used_tokens > 0:
                self._streak = 0  # an answer came: the run is no longer being turned away
            if self._tokens is not None and tokens != used_tokens:
                self._tokens.refill(now)
                self._tokens.give(max(-_HUGE, min(_HUGE, tokens - used_tokens)))
        if headers is not None:
            self._seed(headers, now)
        self._wake()

    def rate_limited(self, headers: httpx2.Headers | None) -> float:
        """A 429 came: pause the whole run.  Returns how long the pause lasts from now, in
        seconds.  Call ``release`` for that request too."""
        now = self._clock()
        until = self._paused_until
        if until is None or now >= until:
            self._streak += 1  # a 429 after the pause, not one of those that came with it
        pause: float | None = None
        if headers is not None:
            self._seed(headers, now)
            pause = server_wait(headers, _utc_now)
            if pause is None:
                pause = self._reset_pause(headers)
        if pause is None:
            backoff = _FIRST_BACKOFF * 2.0 ** min(max(self._streak - 1, 0), 16)
            pause = backoff * (1.0 - 0.25 * random.random())  # noqa: S311  # jitter, not secrecy
        pause = min(pause, MAX_PAUSE)
        if until is None or now + pause > until:
            self._paused_until = now + pause
            return pause
        return until - now

    @staticmethod
    def _reset_pause(headers: httpx2.Headers) -> float | None:
        """The longest reset of the budgets the headers say are empty."""
        longest: float | None = None
        per, names = header_names(headers)
        for _, remaining, reset_name in names.values():
            if _integer(headers.get(remaining)) == 0:
                reset = reset_seconds(headers.get(reset_name), per)
                if reset is not None and (longest is None or reset > longest):
                    longest = reset
        return longest

    # --- the machinery -------------------------------------------------------------------

    def _seed(self, headers: httpx2.Headers, now: float) -> None:
        share = self._share
        per, names = header_names(headers)
        window = WINDOW_SECONDS[per or "minute"]
        for kind, (limit_name, remaining_name, reset_name) in names.items():
            limit = _integer(headers.get(limit_name))
            remaining = _integer(headers.get(remaining_name))
            if limit is None and remaining is None:
                continue
            bucket = self._requests if kind == "requests" else self._tokens
            shared = None if not limit else limit * share
            if bucket is None:
                if shared is None:
                    continue  # a count without its limit: no rate to refill at
                bucket = _Bucket(shared, now, window)
                if kind == "requests":
                    self._requests = bucket
                else:
                    self._tokens = bucket
            else:
                bucket.refill(now)
            reset = None if remaining is not None else reset_seconds(headers.get(reset_name), per)
            bucket.seed(shared, None if remaining is None else remaining * share, reset, window)

    def _delay(self, need: int, now: float) -> float | None:
        """Seconds until a request of ``need`` tokens may go (0.0: now); None while the
        cap is reached (a release will tell)."""
        if self._in_flight >= self._cap:
            return None
        wait = 0.0
        until = self._paused_until
        if until is not None:
            if now < until - _EPSILON:
                wait = until - now
            else:
                self._paused_until = None
        if (bucket := self._requests) is not None:
            bucket.refill(now)
            wait = max(wait, bucket.wait(1))
        if (bucket := self._tokens) is not None:
            bucket.refill(now)
            wait = max(wait, bucket.wait(need))
        return wait

    def _take(self, need: int) -> None:
        self._in_flight += 1
        if self._requests is not None:
            self._requests.take(1)
        if self._tokens is not None:
            self._tokens.take(need)

    def _wake(self) -> None:
        """Let the waiters at the head of the queue go, as many as may; when time must
        pass first, arm one timer for when it has."""
        waiters = self._waiters
        if waiters:
            now = self._clock()
            while waiters:
                need, granted = waiters[0]
                if granted.done():  # its acquirer was cancelled
                    waiters.popleft()
                    continue
                delay = self._delay(need, now)
                if delay is None:
                    break
                if delay > 0.0:
                    self._arm(now, delay)
                    return
                waiters.popleft()
                self._take(need)
                granted.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, now: float, delay: float) -> None:
        deadline = now + delay
        if self._timer is not None:
            if self._deadline <= deadline + _EPSILON:
                return  # an earlier timer looks again then
            self._timer.cancel()
        self._deadline = deadline
        self._timer = asyncio.get_running_loop().create_task(self._tick(delay))

    async def _tick(self, delay: float) -> None:
        await self._sleep(delay)
        self._timer = None
        self._wake()
