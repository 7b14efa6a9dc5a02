"""What ``OpenAI`` and ``AsyncOpenAI`` share: their arguments, their settings and the HTTP
client they send with."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, Unpack

import httpx2

from ._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, ClientConfig, ClientOptions
from ._connections import AsyncConnections, Connections
from ._exceptions import InvalidRequestError
from ._providers import Provider

if TYPE_CHECKING:
    from ._hooks import OnRequest, OnResponse, OnRetry

__all__ = ["ClientBase", "wrong_http_client"]

HttpT = TypeVar("HttpT", httpx2.Client, httpx2.AsyncClient)
ConnectionsT = TypeVar("ConnectionsT", Connections, AsyncConnections)

# The pool of each client class's unpickled clients, one per process (and event loop).  A
# process pool unpickles its task's arguments for every task: each task's client sends
# through the connections the ones before it opened, instead of opening its own.  None
# of those clients closes the pool; it lasts as long as the process does.
_UNPICKLED_CONNECTIONS: dict[type[Any], Any] = {}


class ClientBase(Generic[HttpT, ConnectionsT]):
    """The configuration of a client and its HTTP client; the subclasses add the I/O."""

    _config: ClientConfig
    _connections: ConnectionsT
    _owns_connections: bool

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
        provider: str | None = None,
        providers_file: str | os.PathLike[str] | None = None,
        strict_params: bool = False,
        on_request: OnRequest | None = None,
        on_response: OnResponse | None = None,
        on_retry: OnRetry | None = None,
    ) -> None:
        config = ClientConfig.from_arguments(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            provider=provider,
            providers_file=providers_file,
            strict_params=strict_params,
            on_request=on_request,
            on_response=on_response,
            on_retry=on_retry,
        )
        self._set_up(config, http_client, None)

    def _set_up(self, config: ClientConfig, http_client: object | None, shared: ConnectionsT | None) -> None:
        """Take ``config`` and the connections to send through: the caller's
        ``http_client``, those ``shared`` with the client this one is a copy of, or
        (neither) a pool of its own, opened as it first sends."""
        self._config = config
        # Only the client that made its pool closes it: not a copy, whose original may
        # still be sending through it (and a given http_client is the caller's).
        self._owns_connections = http_client is None and shared is None
        if http_client is not None:
            self._connections = self._connections_of(self._adopt(http_client))
        else:
            self._connections = self._connections_of(None) if shared is None else shared
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
        copy._set_up(config, http_client, self._connections)
        return copy

    def __reduce__(self) -> tuple[Callable[[dict[str, Any]], Self], tuple[dict[str, Any]]]:
        """Pickled, a client carries its settings, not its key nor its connections: it is
        unpickled (in a worker process, say) with its key read again from the
        environment, and sends through the pool its process keeps for unpickled clients."""
        name = f"an {type(self).__name__} client"
        if not self._connections.owned:
            raise InvalidRequestError(
                "http_client",
                f"{name} given an http_client cannot be pickled: an HTTP client and its connections "
                "stay in their process. Make the client in the process that uses it, with an "
                "http_client made there",
            )
        return type(self)._unpickled, (self._config.pickled(name),)

    @classmethod
    def _unpickled(cls, state: dict[str, Any]) -> Self:
        """A pickled client, remade: its settings, its key from this process's environment."""
        client = cls.__new__(cls)
        config = ClientConfig.unpickled(state)
        shared = _UNPICKLED_CONNECTIONS.get(cls)
        if shared is None:
            shared = _UNPICKLED_CONNECTIONS[cls] = client._connections_of(None)
        client._set_up(config, None, shared)
        return client

    def __copy__(self) -> Self:
        return self.with_options()

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self.with_options()

    def _connections_of(self, given: HttpT | None) -> ConnectionsT:
        """The connections of a client sending through ``given``, or through its own pool."""
        raise NotImplementedError

    def _adopt(self, given: object) -> HttpT:
        """The caller's HTTP client, as one this client can send with (or a TypeError)."""
        raise NotImplementedError

    def _start(self) -> None:
        """Set up what the client adds: its caller and ``chat`` namespace."""

    @property
    def provider(self) -> Provider:
        """The provider the client talks to (``OpenAI(provider="groq")``; OpenAI by default,
        a ``custom`` one for a ``base_url`` of no provider's): its URL, how it takes its key
        and, in ``provider.profile``, how its server departs from OpenAI's API."""
        return self._config.provider

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
