"""``LocalServer``: the ASGI application on uvicorn, in a thread of the calling process."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

import httpx2
import uvicorn

from .._providers import ProviderProfile
from ._app import App, RecordedRequest, ServerState
from ._faults import Fault
from ._limits import RateLimits
from ._model import Reply
from ._profiles import resolve_profile
from ._store import Store

__all__ = ["LocalServer", "ServingServer", "server_config"]

STARTUP_TIMEOUT = 30.0


# Anything held longer than this is sent at once: a long stream goes out in pieces.
_COALESCE_LIMIT = 64 * 1024


class _CoalescingTransport:
    """A connection's transport that sends what one turn of the loop writes in one go.

    uvicorn writes a response's head and its body separately, and each write is a send
    of its own: two TCP segments, so a client reads twice (and an async client waits on
    its loop twice) for one answer.  Held until the loop's next turn, they leave as one.
    Closing or aborting sends what is held first: a connection dropped half way through
    an answer (Fault.drop) still delivers the half.  Everything else is the transport's.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))
        self._size += len(data)
        if self._size >= _COALESCE_LIMIT:
            self.flush()

    def flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._size = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self.flush()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _coalescing(transport: asyncio.BaseTransport) -> asyncio.Transport:
    # uvloop's transports are asyncio.Transports in all but their class; and the
    # coalescing one stands in for the transport it holds.
    held = _CoalescingTransport(typing.cast(asyncio.Transport, transport), asyncio.get_running_loop())
    return typing.cast(asyncio.Transport, held)


class _OnCoalescingTransport(asyncio.Protocol):
    """Put before one of uvicorn's HTTP protocols: it is handed the coalescing transport."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(_coalescing(transport))


def _protocol_class() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, on a coalescing transport: httptools' (in C) when the
    `testing` extra installed it, h11's when not."""
    if importlib.util.find_spec("httptools") is not None:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        class HttpTools(_OnCoalescingTransport, HttpToolsProtocol):
            pass

        return HttpTools
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class H11(_OnCoalescingTransport, H11Protocol):
        pass

    return H11


def server_config(app: App, *, host: str, port: int) -> uvicorn.Config:
    """How every local server runs, in a thread (LocalServer) or alone (the command line)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        # httptools and uvloop (the `testing` extra installs both) when they are there,
        # h11 and asyncio's own loop when not: the same server, in C where it can be.
        # Either way a request costs the server a fraction of what it costs a client.
        http=_protocol_class(),
        loop="auto",
        # Nothing here reads the client's address: X-Forwarded-For is not worth a
        # middleware on every request.
        proxy_headers=False,
        server_header=False,  # nobody reads "server: uvicorn"; every client would parse it
        backlog=2048,
        # Requests that wait (slow answers and streams, gathering) give up as soon as
        # shutdown begins (ServingServer.shutdown), so stopping takes a few tenths of a
        # second; this bound is only a backstop for a handler stuck elsewhere.
        timeout_graceful_shutdown=3,
    )


class ServingServer(uvicorn.Server):
    """uvicorn's server, telling others when it listens (``ready``) and where (``on_ready``)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[int], None] | None = None) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._on_ready = on_ready

    @property
    def bound_port(self) -> int:
        return int(self.servers[0].sockets[0].getsockname()[1])

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_ready is not None:
            self._on_ready(self.bound_port)
        self.ready.set()

    async def shutdown(self, sockets: Any = None) -> None:
        # First tell the app, so that requests waiting on a delay or a slow stream end
        # now instead of holding uvicorn's graceful shutdown until its timeout.
        app = self.config.app
        if isinstance(app, App):
            app.state.begin_shutdown()
        await super().shutdown(sockets)

    def run(self, sockets: Any = None) -> None:
        try:
            super().run(sockets)
        finally:
            self.ready.set()  # a failed startup must not leave start() waiting


class LocalServer:
    """An OpenAI-compatible chat-completions server on 127.0.0.1, for tests and demos:

        with LocalServer() as server:
            client = OpenAI(base_url=server.url, api_key="sk-test")

    It serves the six operations of spec/ under ``/v1`` with a deterministic model
    (see ``queue``), stores completions in SQLite (``db=`` names a file that outlives
    the server), answers faults on demand (``inject``), keeps rate limits when given
    them (``rate_limits=``) and records every request (``requests``).  Two servers in
    one process share nothing.

    ``profile`` makes it answer as a provider does (``"groq"``, any name of
    ``BUILTIN_PROFILES``, or a ``ProviderProfile``): its refusals, its field names, its
    headers.  None (the default) is the server of spec/.  ``ValueError`` for an unknown name.
    """

    def __init__(
        self,
        profile: str | ProviderProfile | None = None,
        *,
        port: int = 0,
        api_key: str | None = None,
        db: str | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self._profile = resolve_profile(profile)
        self._state = ServerState(api_key=api_key, db=db, rate_limits=rate_limits, profile=self._profile)
        self._server = ServingServer(server_config(App(self._state), host="127.0.0.1", port=port))
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    def __repr__(self) -> str:
        state = f"url={self.url!r}" if self._port is not None else "stopped"
        played = f", profile={self._profile.name!r}" if self._profile is not None else ""
        return f"LocalServer({state}, auth={'on' if self._state.api_key else 'off'}{played})"

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> LocalServer:
        """Start serving and return once the server answers HTTP requests."""
        if self._thread is not None:
            raise RuntimeError("this LocalServer is already started")
        self._thread = threading.Thread(
            target=self._server.run, name="completionkit-local-server", daemon=True
        )
        self._thread.start()
        if not self._server.ready.wait(STARTUP_TIMEOUT) or not self._server.started:
            self.stop()
            raise RuntimeError("the local server did not start")
        self._port = self._server.bound_port
        # Listening is not answering: one real request proves the whole stack is up.
        httpx2.get(f"http://127.0.0.1:{self._port}/health", timeout=STARTUP_TIMEOUT).raise_for_status()
        return self

    def stop(self) -> None:
        """Stop serving, close the open connections and the store."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join()
        self._thread = None
        self._port = None
        self._state.store.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests use ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL a client takes: ``http://127.0.0.1:PORT/v1``."""
        if self._port is None:
            raise RuntimeError("the server is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def port(self) -> int:
        """The port the server listens on (chosen by the system unless ``port=`` said)."""
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def profile(self) -> ProviderProfile | None:
        """The provider the server plays; None: the server of spec/."""
        return self._profile

    @property
    def store(self) -> Store:
        """The stored completions, to inspect or to fill directly."""
        return self._state.store

    def queue(self, *replies: Reply) -> None:
        """Make these the model's next answers, one per create request, in order."""
        self._state.queue(replies)

    def inject(self, fault: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """Apply ``fault`` to the next ``times`` requests (of ``operation``, an operation id, if given)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._state.inject(fault, times, operation)

    @property
    def rate_limits(self) -> RateLimits | None:
        """The limits the server keeps on create requests (None: none, and no ``x-ratelimit-*``
        headers); a profile that always sends rate-limit headers keeps generous ones unless told."""
        return self._state.rate_limits

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Keep ``limits`` from the next request on, their buckets full (None: no limits,
        or the generous ones of a profile that always sends rate-limit headers)."""
        self._state.set_rate_limits(limits)

    @property
    def max_in_flight(self) -> int:
        """The most requests the server has been serving at one time."""
        return self._state.max_in_flight

    @property
    def pending_faults(self) -> int:
        """How many injected faults no request has met yet."""
        return self._state.pending_faults()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (authorization redacted)."""
        return self._state.requests()

    @property
    def last_request(self) -> RecordedRequest:
        """The latest request received; ``LookupError`` before the first."""
        requests = self._state.requests()
        if not requests:
            raise LookupError("the server has received no request yet")
        return requests[-1]

    def clear_requests(self) -> None:
        """Forget the requests received so far (``requests`` starts again empty)."""
        self._state.clear_requests()

    def replay(self, streams: Iterable[bytes]) -> None:
        """Serve these recorded bodies, byte for byte, to the next create requests."""
        self.queue(*(Reply.replay(body) for body in streams))
