"""``RateLimit``: the ``x-ratelimit-*`` headers of an answer, read when asked for (a
module of its own, which a cold start does not load)."""

from __future__ import annotations

import dataclasses
import math
import re

import httpx2

__all__ = ["RateLimit", "count", "seconds"]

_DURATION = r"(\d+(?:\.\d+)?)(ms|h|m|s)"
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def seconds(text: str | None) -> float | None:
    """``6m0s``, ``1.5s``, ``20ms`` (the API's reset durations) in seconds; None unless it
    is one, and finite."""
    if not text:
        return None
    parts = re.findall(_DURATION, text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    total = sum(float(n) * _UNITS[u] for n, u in parts)
    return total if math.isfinite(total) else None


def count(text: str | None) -> int | None:
    """A header's count (``x-ratelimit-remaining-requests``); None unless it is one."""
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if text is None or not (digits := text.strip()).isascii() or not digits.isdigit():
        return None
    return int(digits)


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """The ``x-ratelimit-*`` headers of an answer (``result.rate_limit``,
    ``outcome.rate_limit``); None for each the server did not send or sent unreadable."""

    limit_requests: int | None
    """How many requests the budget allows (``x-ratelimit-limit-requests``)."""
    remaining_requests: int | None
    """How many requests are left in the budget (``x-ratelimit-remaining-requests``)."""
    reset_requests: float | None
    """Seconds until the request budget is full again."""
    limit_tokens: int | None
    """How many tokens the budget allows (``x-ratelimit-limit-tokens``)."""
    remaining_tokens: int | None
    """How many tokens are left in the budget (``x-ratelimit-remaining-tokens``)."""
    reset_tokens: float | None
    """Seconds until the token budget is full again (``6m0s`` is 360.0)."""

    @classmethod
    def from_headers(cls, headers: httpx2.Headers) -> RateLimit:
        """Read from the headers of any answer, an error's (``error.headers``) included."""
        return cls(
            limit_requests=count(headers.get("x-ratelimit-limit-requests")),
            remaining_requests=count(headers.get("x-ratelimit-remaining-requests")),
            reset_requests=seconds(headers.get("x-ratelimit-reset-requests")),
            limit_tokens=count(headers.get("x-ratelimit-limit-tokens")),
            remaining_tokens=count(headers.get("x-ratelimit-remaining-tokens")),
            reset_tokens=seconds(headers.get("x-ratelimit-reset-tokens")),
        )
