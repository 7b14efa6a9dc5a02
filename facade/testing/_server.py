"""``LocalServer``: the ASGI application on uvicorn, in a thread of the calling process."""

from __future__ import annotations

import os
import threading
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import httpx2
import uvicorn

from .._providers import ProviderProfile
from ._app import App
from ._cassette import Cassette, CassettePlayer, Interaction
from ._control import Only, check_operation, store_completion
from ._faults import Fault
from ._limits import RateLimits
from ._model import Reply
from ._profiles import resolve_profile
from ._state import RecordedRequest, ServerState
from ._store import Store

__all__ = ["LocalServer", "ServingServer", "server_config"]

STARTUP_TIMEOUT = 30.0


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
        # uvicorn's own protocol writes an answer's head and body apart: two TCP segments
        # where one would do.  Coalescing them (a transport under uvicorn's protocol)
        # changed the time of a request by 4% at most, either way, creates and streams,
        # sync and async (bench/run.py, workload 9): not worth reaching into uvicorn.
        # A write per stream event did cost; _streaming.py hands them over together.
        http="auto",
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


def _player(cassette: str | os.PathLike[str] | Cassette) -> CassettePlayer:
    return CassettePlayer(cassette.path if isinstance(cassette, Cassette) else cassette)


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

    ``cassette`` (a file a ``Cassette`` recorded) makes it answer every request with the
    recorded answer of the interaction the request matches (see ``play``).

    The API is served at the root too (``/chat/completions``, ``root_url``).  Below
    ``/_completionkit/`` are its control routes: what this object does (``reset``,
    ``queue``, ``inject``, ``store_completion``, ``requests``), over HTTP, for a test in
    another process (``ServerControl``); ``control=False`` turns them off.
    """

    def __init__(
        self,
        profile: str | ProviderProfile | None = None,
        *,
        port: int = 0,
        api_key: str | None = None,
        db: str | None = None,
        rate_limits: RateLimits | None = None,
        cassette: str | os.PathLike[str] | Cassette | None = None,
        control: bool = True,
    ) -> None:
        self._profile = resolve_profile(profile)
        self._state = ServerState(
            api_key=api_key, db=db, rate_limits=rate_limits, profile=self._profile, control=control
        )
        if cassette is not None:
            self._state.use_cassette(_player(cassette), setting=True)
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
    def root_url(self) -> str:
        """The server's root, ``http://127.0.0.1:PORT``: it serves the API there too
        (``/chat/completions``), and its control routes below ``/_completionkit/``."""
        return self.url.removesuffix("/v1")

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

    def queue(self, *replies: Reply, only: Only | None = None) -> None:
        """Make these the model's next answers, one per create request, in order.

        ``only="stream"`` keeps them for streamed create requests (``stream: true``),
        ``only="plain"`` for the others; a request takes the first queued reply meant for
        its kind, and leaves the others queued.
        """
        if only not in (None, "stream", "plain"):
            raise ValueError(f"only must be 'stream', 'plain' or None, not {only!r}")
        self._state.queue(replies, only)

    @property
    def queued_replies(self) -> int:
        """How many queued replies no request has taken yet."""
        return self._state.queued_replies()

    def clear_replies(self) -> None:
        """Forget the queued replies: the deterministic model answers again."""
        self._state.clear_replies()

    def inject(self, fault: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """Apply ``fault`` to the next ``times`` requests (of ``operation``, an operation id, if given).

        ``ValueError`` for an operation id the server has not (``createChatCompletion``,
        ``getChatCompletion``, ... and ``listModels`` are).
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        check_operation(operation)
        self._state.inject(fault, times, operation)

    def clear_faults(self) -> None:
        """Forget the injected faults no request has met (``pending_faults`` is 0 again)."""
        self._state.clear_faults()

    def store_completion(
        self,
        completion: Mapping[str, Any],
        messages: Sequence[Mapping[str, Any]] = (),
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Store a completion with the id of your choice, as if a create with ``store: true``
        had made it, and return it as ``retrieve`` answers it.

        ``completion`` is a ``chat.completion`` object with its ``id``; the fields it leaves
        out are the deterministic model's answer to ``messages`` (a create request's
        messages, listed by ``messages.list``), so ``{"id": "chatcmpl-1"}`` is enough.
        ``metadata`` (else the completion's own) must keep the API's limits.  ``ValueError``
        names what is wrong: a field, a message, an id already stored.
        """
        stored: dict[str, Any] = store_completion(self._state, completion, messages, metadata)
        return stored

    def reset(self) -> None:
        """Back to a server just started, for the next test: no completion stored, no reply
        or fault queued, no request recorded, ``max_in_flight`` 0, the rate limits it was
        made with, their buckets full, and the cassette it was made with (if any) from its
        start (one given to ``play`` is forgotten).  Its profile, key and store's file
        stay.  Safe while the server runs (a request in flight meets either state)."""
        self._state.reset()

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

    def play(self, cassette: str | os.PathLike[str] | Cassette | None) -> None:
        """Answer from now on with the recorded answers of ``cassette`` (a file a
        ``Cassette`` recorded, or the ``Cassette``); None: the server answers again.

        A request gets the answer of the first interaction not yet played with the same
        method, path (with ``/v1`` or without), query and JSON body: status, headers and
        body byte for byte, a stream as a stream; one that matches none gets a 404 of type
        ``cassette_error`` naming the request and the cassette.  Faults injected still
        come first; authorization too, when the server has an ``api_key``.
        ``reset()`` forgets it (a cassette given to ``LocalServer()`` it keeps, and plays
        from its start again).  ``CassetteError`` (a ``ValueError``) for a file that is not
        a cassette.
        """
        self._state.use_cassette(None if cassette is None else _player(cassette))

    @property
    def unplayed(self) -> list[Interaction]:
        """The interactions of the cassette played that no request has been answered with yet."""
        player = self._state.cassette
        return player.unplayed if player is not None else []
