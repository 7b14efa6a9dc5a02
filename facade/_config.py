"""What a client is configured with: the defaults, the API key kept secret, the
per-call options, and the checks that refuse a bad setting before anything is sent."""

from __future__ import annotations

import dataclasses
import os
import sys
import urllib.parse
from collections.abc import Mapping
from typing import Any, TypedDict

import httpx2

from ._exceptions import InvalidRequestError, MissingAPIKeyError
from ._version import __version__

__all__ = [
    "CONNECTION_LIMITS",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "ClientConfig",
    "RequestOptions",
    "Secret",
    "check_flag",
    "check_options",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_RETRIES = 2

# sys, not platform: a client's import time is part of every cold start.
USER_AGENT = (
    f"completionkit/{__version__} (Python {'.'.join(map(str, sys.version_info[:3]))}; {sys.platform})"
)

# The pool of a client we create: the default keeps only 20 idle connections, so more
# requests than that in flight keep opening and closing connections.
CONNECTION_LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)


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

    timeout: float | httpx2.Timeout | None
    """Seconds (or an ``httpx2.Timeout``) for this call; None waits forever."""
    max_retries: int
    """How many times to try again after a retryable failure; 0 never retries."""
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, str]
    extra_body: Mapping[str, object]
    """Keys merged into the JSON body, for parameters this version does not know yet."""


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    """What a client was built with; immutable, shared by every request."""

    api_key: Secret
    base_url: str
    organization: str | None
    project: str | None
    timeout: float | httpx2.Timeout | None
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
        timeout: float | httpx2.Timeout | None,
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
        isinstance(timeout, bool) or not isinstance(timeout, int | float | httpx2.Timeout)
    ):
        raise InvalidRequestError("timeout", f"expected seconds or an httpx2.Timeout, got {timeout!r}")
    for name in ("extra_headers", "extra_query", "extra_body"):
        if name in options and not isinstance(options[name], Mapping):
            raise InvalidRequestError(name, f"expected a mapping, got {type(options[name]).__name__}")
