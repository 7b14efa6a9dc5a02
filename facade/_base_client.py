"""What ``OpenAI`` and ``AsyncOpenAI`` share: their arguments, their settings and the HTTP
client they send with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, Self, TypeVar, Unpack

import httpx2

from ._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ClientConfig, ClientOptions

__all__ = ["ClientBase", "wrong_http_client"]

HttpT = TypeVar("HttpT", httpx2.Client, httpx2.AsyncClient)


class ClientBase(Generic[HttpT]):
    """The configuration of a client and its HTTP client; the subclasses add the I/O."""

    _config: ClientConfig
    _http: HttpT
    _owns_http: bool

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        timeout: float | httpx2.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: HttpT | None = None,
    ) -> None:
        config = ClientConfig.from_arguments(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        self._set_up(config, http_client, None)

    def _set_up(self, config: ClientConfig, http_client: object | None, pool: HttpT | None) -> None:
        """Take ``config`` and the HTTP client to send with: the caller's ``http_client``,
        a ``pool`` shared with the client this one is a copy of, or (neither) a new one."""
        self._config = config
        # Only the client that made its HTTP client closes it: not one given it, and not a
        # copy, whose original may still be sending through it.
        self._owns_http = http_client is None and pool is None
        if http_client is not None:
            self._http = self._adopt(http_client)
        else:
            self._http = self._new_http_client() if pool is None else pool
        self._start()

    def with_options(self, *, http_client: HttpT | None = None, **options: Unpack[ClientOptions]) -> Self:
        """A copy of this client with the settings given changed, as openai's
        ``with_options``: ``client.with_options(timeout=5, max_retries=0).chat.completions...``.

        The copy sends through this client's connections (or through ``http_client``), and
        closing it leaves them open: they are this client's to close, once its copies are
        done with them.  A setting is checked as the client's own are; an unknown keyword
        raises ``InvalidRequestError`` naming it.
        """
        copy = type(self).__new__(type(self))
        config = self._config.replaced(options, also_known=frozenset({"http_client"}))
        copy._set_up(config, http_client, self._http)
        return copy

    def _new_http_client(self) -> HttpT:
        raise NotImplementedError

    def _adopt(self, given: object) -> HttpT:
        """The caller's HTTP client, as one this client can send with (or a TypeError)."""
        raise NotImplementedError

    def _start(self) -> None:
        """Set up what the client adds: its caller and ``chat`` namespace."""

    @property
    def base_url(self) -> str:
        """The URL every path is joined to (``https://api.openai.com/v1`` by default)."""
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        """How many times a call is tried again after a retryable failure, unless it says otherwise."""
        return self._config.max_retries

    @property
    def timeout(self) -> float | httpx2.Timeout | None:
        """Each call's timeout, in seconds (or an ``httpx2.Timeout``), unless it says otherwise."""
        return self._config.timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._config.shown()})"


def wrong_http_client(given: object, expected: str) -> TypeError:
    """The error for an ``http_client`` that is not an HTTP client this client can use."""
    return TypeError(
        f"http_client must be an {expected} (or an httpx 0.28 client of the same kind), "
        f"got {type(given).__module__}.{type(given).__qualname__}"
    )
