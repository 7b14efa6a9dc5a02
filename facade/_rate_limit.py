"""``RateLimit``: the ``x-ratelimit-*`` headers of an answer, read when asked for (a
module of its own, which a cold start does not load)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Literal, TypeAlias

import httpx2

__all__ = ["WINDOW_SECONDS", "Per", "RateLimit", "count", "header_names", "reset_seconds", "seconds"]

Per: TypeAlias = Literal["minute", "second"]
"""The window a server's counts are for."""
WINDOW_SECONDS: Mapping[Per, float] = {"minute": 60.0, "second": 1.0}

_OPENAI: Mapping[str, tuple[str, str, str]] = {
    kind: (f"x-ratelimit-limit-{kind}", f"x-ratelimit-remaining-{kind}", f"x-ratelimit-reset-{kind}")
    for kind in ("requests", "tokens")
}
# Together counts per second, its requests without the -requests suffix (and its tokens
# under OpenAI's names).
_PER_SECOND: Mapping[str, tuple[str, str, str]] = {
    **_OPENAI,
    "requests": ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
}
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")

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


def header_names(headers: httpx2.Headers) -> tuple[Per | None, Mapping[str, tuple[str, str, str]]]:
    """The window the ``x-ratelimit-*`` headers count (None when none was sent), and the
    names of the limit, remaining and reset headers of each budget (``requests``,
    ``tokens``).  Per second when they are Together's: ``x-ratelimit-limit``,
    ``-remaining`` or ``-reset`` without OpenAI's ``-requests`` suffix, and none with it."""
    if any(name in headers for name in _OPENAI["requests"]):
        return "minute", _OPENAI
    if any(name in headers for name in _PER_SECOND["requests"]):
        return "second", _PER_SECOND
    if any(name in headers for name in _OPENAI["tokens"]):
        return "minute", _OPENAI
    return None, _OPENAI


def reset_seconds(text: str | None, per: Per | None) -> float | None:
    """A reset header in seconds: a duration as OpenAI writes it (``6m0s``), or among
    Together's per-second headers a plain number of seconds (``0.5``); None unless it is
    one, and finite."""
    during = seconds(text)
    if during is not None or per != "second" or text is None:
        return during
    if not _NUMBER.fullmatch(number := text.strip()):
        return None
    value = float(number)
    return value if math.isfinite(value) else None


def count(text: str | None) -> int | None:
    """A header's count (``x-ratelimit-remaining-requests``); None unless it is one."""
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if text is None or not (digits := text.strip()).isascii() or not digits.isdigit():
        return None
    return int(digits)


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """The ``x-ratelimit-*`` headers of an answer (``result.rate_limit``,
    ``outcome.rate_limit``); None for each the server did not send or sent unreadable.

    OpenAI's headers (``x-ratelimit-limit-requests``, ...) count per minute; Together's
    count per second, its requests under ``x-ratelimit-limit``, ``-remaining`` and
    ``-reset`` (a number of seconds): they fill the same fields, and ``per`` says which
    window the counts are for."""

    limit_requests: int | None
    """How many requests the budget allows (``x-ratelimit-limit-requests``, or Together's
    ``x-ratelimit-limit``)."""
    remaining_requests: int | None
    """How many requests are left in the budget (``x-ratelimit-remaining-requests``, or
    Together's ``x-ratelimit-remaining``)."""
    reset_requests: float | None
    """Seconds until the request budget is full again."""
    limit_tokens: int | None
    """How many tokens the budget allows (``x-ratelimit-limit-tokens``)."""
    remaining_tokens: int | None
    """How many tokens are left in the budget (``x-ratelimit-remaining-tokens``)."""
    reset_tokens: float | None
    """Seconds until the token budget is full again (``6m0s`` is 360.0)."""
    per: Per | None = None
    """The window the counts are for: ``"minute"`` for OpenAI's headers (Groq, which
    sends the same names, counts its requests per day), ``"second"`` for Together's;
    None when no ``x-ratelimit-*`` header was sent."""

    @classmethod
    def from_headers(cls, headers: httpx2.Headers) -> RateLimit:
        """Read from the headers of any answer, an error's (``error.headers``) included."""
        per, names = header_names(headers)
        limit, remaining, reset = names["requests"]
        return cls(
            limit_requests=count(headers.get(limit)),
            remaining_requests=count(headers.get(remaining)),
            reset_requests=reset_seconds(headers.get(reset), per),
            limit_tokens=count(headers.get("x-ratelimit-limit-tokens")),
            remaining_tokens=count(headers.get("x-ratelimit-remaining-tokens")),
            reset_tokens=reset_seconds(headers.get("x-ratelimit-reset-tokens"), per),
            per=per,
        )
