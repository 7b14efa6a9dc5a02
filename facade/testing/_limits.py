"""Rate limits the local server keeps, as the API does: ``RateLimits`` and its buckets.

Each limit is a token bucket, as OpenAI describes its own: it holds at most the
per-minute limit and refills continuously, a sixtieth of the limit each second.  A
create request takes one request and its tokens out of the buckets before it is
answered; one that finds too little in a bucket gets a 429 and takes nothing.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Literal

__all__ = ["HeaderStyle", "LimitExceededError", "Limiter", "RateLimits", "duration"]

HeaderStyle = Literal["openai", "per_second", "none"]
"""The rate-limit headers a server sends (``ProviderProfile.rate_limit_headers``)."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class RateLimits:
    """The per-minute limits a ``LocalServer`` keeps on create requests.

    ``LocalServer(rate_limits=RateLimits(requests_per_minute=3))``; None (the default
    of each) leaves that one unlimited, and its ``x-ratelimit-*`` headers out.
    """

    requests_per_minute: int | None = None
    """How many create requests a minute: the request bucket holds this many."""
    tokens_per_minute: int | None = None
    """How many tokens a minute (prompt and completion): the token bucket holds this many."""

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value: object = getattr(self, name)
            # bool is an int to Python, but True requests a minute is surely a mistake.
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"RateLimits.{name} must be a positive integer or None, not {value!r}")

    @property
    def any(self) -> bool:
        """Whether any limit is set."""
        return self.requests_per_minute is not None or self.tokens_per_minute is not None


def duration(seconds: float) -> str:
    """``seconds`` as the API writes its reset times: ``12ms``, ``1.2s``, ``6m0s``, ``1h0m0s``.

    Whole milliseconds, rounded up: a client that waits that long finds the bucket refilled.
    """
    ms = max(0, math.ceil(seconds * 1000 - 1e-6))  # 1e-6: float noise must not add a millisecond
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs = f"{ms // 1000}.{ms % 1000:03d}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{secs}"
    if minutes:
        return f"{minutes}m{secs}"
    return secs


class _Bucket:
    __slots__ = ("at", "kind", "level", "limit", "per_second")

    def __init__(self, kind: str, limit: int, now: float, *, per_second: bool = False) -> None:
        self.kind = kind
        # Kept per second, a bucket holds a second's share of the per-minute limit (at
        # least one request's worth, or nothing would ever pass) and refills at the same
        # pace: the limit is the same, counted in seconds.
        self.limit = max(1, math.ceil(limit / 60)) if per_second else limit
        self.per_second = limit / 60.0
        self.level = float(self.limit)
        self.at = now

    def refill(self, now: float) -> None:
        self.level = min(float(self.limit), self.level + (now - self.at) * self.per_second)
        self.at = now

    def wait(self, amount: int) -> float:
        """Seconds until the bucket holds ``amount``."""
        return max(0.0, (amount - self.level) / self.per_second)

    def headers(self, out: dict[str, str]) -> None:
        out[f"x-ratelimit-limit-{self.kind}"] = str(self.limit)
        out[f"x-ratelimit-remaining-{self.kind}"] = str(max(0, math.floor(self.level)))
        out[f"x-ratelimit-reset-{self.kind}"] = duration((self.limit - self.level) / self.per_second)

    def per_second_headers(self, out: dict[str, str]) -> None:
        # Together's names: the requests' headers have no suffix, and only they say
        # when the bucket is full again (in whole seconds).
        suffix = "" if self.kind == "requests" else "-tokens"
        out[f"x-ratelimit-limit{suffix}"] = str(self.limit)
        out[f"x-ratelimit-remaining{suffix}"] = str(max(0, math.floor(self.level)))
        if self.kind == "requests":
            out["x-ratelimit-reset"] = str(math.ceil((self.limit - self.level) / self.per_second - 1e-9))


class LimitExceededError(Exception):
    """A request the buckets refuse: the 429 to answer, its error fields and headers."""

    def __init__(self, kind: str, message: str, headers: dict[str, str]) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.headers = headers


_PER_MINUTE = {"requests": "requests per min (RPM)", "tokens": "tokens per min (TPM)"}
_PER_SECOND = {"requests": "requests per second", "tokens": "tokens per second"}


class Limiter:
    """The buckets of one server's ``RateLimits``, full when made.

    ``headers`` is how the answers tell them: OpenAI's ``x-ratelimit-*`` per minute,
    Together's per second (the buckets then hold a second's share of each limit), or
    not at all (a 429 then carries no header either).

    Not thread-safe: its owner (``ServerState``) calls it under its lock.
    """

    def __init__(
        self,
        limits: RateLimits,
        clock: Callable[[], float] = time.monotonic,
        *,
        headers: HeaderStyle = "openai",
    ) -> None:
        self.limits = limits
        self.style: HeaderStyle = headers
        self._clock = clock
        now = clock()
        per_second = headers == "per_second"
        self._units = _PER_SECOND if per_second else _PER_MINUTE
        self._requests = (
            _Bucket("requests", limits.requests_per_minute, now, per_second=per_second)
            if limits.requests_per_minute
            else None
        )
        self._tokens = (
            _Bucket("tokens", limits.tokens_per_minute, now, per_second=per_second)
            if limits.tokens_per_minute
            else None
        )
        self._buckets = tuple(b for b in (self._requests, self._tokens) if b is not None)

    def _headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.style == "openai":
            for bucket in self._buckets:
                bucket.headers(out)
        elif self.style == "per_second":
            for bucket in self._buckets:
                bucket.per_second_headers(out)
        return out

    def charge(self, tokens: int, model: str) -> dict[str, str]:
        """Take one request and ``tokens`` out of the buckets; the ``x-ratelimit-*``
        headers of the answer, or ``LimitExceededError`` (and nothing taken)."""
        now = self._clock()
        for bucket in self._buckets:
            bucket.refill(now)
        wanted = {"requests": 1, "tokens": tokens}
        if self._tokens is not None and tokens > self._tokens.limit:
            # No wait makes room for it: no retry-after, as the API's "Request too large".
            raise LimitExceededError(
                "tokens",
                f"Request too large for {model} on {self._units['tokens']}: Limit {self._tokens.limit}, "
                f"Requested {tokens}. The input or output tokens must be reduced in order to run "
                "successfully.",
                self._headers(),
            )
        short = [b for b in self._buckets if b.level < wanted[b.kind]]
        if short:
            first = short[0]
            # After the longest wait every bucket holds enough (unless others spend it first).
            wait = max(b.wait(wanted[b.kind]) for b in short)
            used = math.ceil(first.limit - first.level - 1e-9)
            headers = self._headers()
            if self.style != "none":  # a server that tells nothing tells no wait either
                headers["retry-after"] = str(max(1, math.ceil(wait)))
                headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
            raise LimitExceededError(
                first.kind,
                f"Rate limit reached for {model} on {self._units[first.kind]}: Limit {first.limit}, "
                f"Used {used}, Requested {wanted[first.kind]}. Please try again in {duration(wait)}.",
                headers,
            )
        for bucket in self._buckets:
            bucket.level -= wanted[bucket.kind]
        return self._headers()
