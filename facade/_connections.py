"""The connections a client sends through, as the process and the event loop it runs in
see them.

A pool of keep-alive connections is good for one process, and an async pool for one
event loop:

- after ``os.fork()`` the child holds the parent's sockets; were both to write to one,
  each would read the other's answers.  The child therefore opens a pool of its own the
  first time it sends, and lets go of its copies of the parent's sockets without a byte
  (closing a copied descriptor leaves the parent's socket open; a TLS ``close_notify``
  or a ``shutdown()`` would not).
- ``asyncio.run()`` closes its loop when it returns, and a connection opened in it is
  dead after that (openai's "Event loop is closed").  Each event loop gets a pool of its
  own, closed inside that loop as it shuts down: the loop closes the async generators
  still open then, and one of them is there to close the pool.

Only the pool a client opened itself is replaced: an ``http_client`` given to a client is
the caller's, used as it is wherever the client is used.

The check costs a ``getpid()`` (and, async, the running loop) per request: a create takes
thousands of times longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx2

from ._config import CONNECTION_LIMITS

__all__ = ["AsyncConnections", "Connections"]


class Connections:
    """The ``httpx2.Client`` of a synchronous client, one per process."""

    __slots__ = ("_http", "_pid", "owned")

    def __init__(self, given: httpx2.Client | None) -> None:
        self.owned = given is None
        """Whether the pool is ours to open and close (no ``http_client`` was given)."""
        self._http = given
        self._pid = os.getpid()

    def current(self) -> httpx2.Client:
        """The client to send with here: made the first time a process sends."""
        http = self._http
        if http is None or self._pid != os.getpid():
            http = self._renewed()
        return http

    def _renewed(self) -> httpx2.Client:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            if self.owned and self._http is not None:
                inherited, self._http = self._http, None
                _let_go(inherited)
        if self._http is None:  # only a pool of our own is ever None
            self._http = httpx2.Client(limits=CONNECTION_LIMITS)
        return self._http

    def close(self) -> None:
        """Close the pool this process opened; a forked child lets go of the parent's."""
        if not self.owned:
            return
        if self._pid != os.getpid():
            self._renewed()
        if self._http is None:
            self._http = httpx2.Client(limits=CONNECTION_LIMITS)  # closed: no request may be sent now
        self._http.close()


class AsyncConnections:
    """The ``httpx2.AsyncClient`` of an asynchronous client, one per process and event loop."""

    __slots__ = ("_closed", "_given", "_last", "_pools")

    def __init__(self, given: httpx2.AsyncClient | None) -> None:
        self._given = given
        # (loop, pid, client) of the latest request, read and written as one value: two
        # threads, each running a loop of its own, may send through one client at once.
        self._last: tuple[object, int, httpx2.AsyncClient] | None = None
        # Each loop's client and the generator that closes it as that loop shuts down.
        self._pools: dict[object, tuple[httpx2.AsyncClient, AsyncIterator[None] | None]] = {}
        self._closed: httpx2.AsyncClient | None = None

    @property
    def owned(self) -> bool:
        """Whether the pools are ours to open and close (no ``http_client`` was given)."""
        return self._given is None

    def current(self) -> httpx2.AsyncClient:
        """The client to send with in the running loop of this process."""
        loop = _running_loop()
        last = self._last
        if last is not None and last[0] is loop and last[1] == os.getpid():
            return last[2]
        return self._switch(loop)

    def _switch(self, loop: object) -> httpx2.AsyncClient:
        pid = os.getpid()
        if self._given is not None:
            http = self._given
        elif self._closed is not None:
            http = self._closed
        else:
            if self._last is not None and self._last[1] != pid:
                # Forked: the parent's pools are the parent's (their closers see it too).
                self._pools.clear()
            pool = self._pools.get(loop)
            if pool is None or pool[0].is_closed:
                for other in [key for key, (client, _) in self._pools.items() if client.is_closed]:
                    del self._pools[other]  # their loops have shut down and closed them
                http = httpx2.AsyncClient(limits=CONNECTION_LIMITS)
                self._pools[loop] = (http, _closing_with_loop(http, pid))
            else:
                http = pool[0]
        self._last = (loop, pid, http)
        return http

    async def aclose(self) -> None:
        """Close the pool of the running loop; the pools of other loops close as their
        loops shut down.  No request may be sent after."""
        if self._given is not None or self._closed is not None:
            return
        loop = _running_loop()
        pool = self._pools.get(loop) if self._last is None or self._last[1] == os.getpid() else None
        self._pools.clear()
        self._closed = pool[0] if pool is not None else httpx2.AsyncClient(limits=CONNECTION_LIMITS)
        self._last = None
        await self._closed.aclose()


def _running_loop() -> object:
    """The asyncio loop running in this thread; None under another library (trio), whose
    client is then one for every run."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _closing_with_loop(http: httpx2.AsyncClient, pid: int) -> AsyncIterator[None] | None:
    """An async generator, started, whose ``finally`` closes ``http``: starting it hands it
    to the running loop, which closes it as it shuts down (``asyncio.run`` does, in
    ``shutdown_asyncgens``), while the loop can still run the close; dropped before that,
    it is closed in its loop all the same.  None outside a loop that keeps its async
    generators (no loop at all): there, nothing could run the close."""
    if sys.get_asyncgen_hooks().firstiter is None:
        return None

    async def close_at_the_end() -> AsyncGenerator[None]:
        try:
            yield
        finally:
            if os.getpid() == pid:  # a forked child leaves the parent's sockets alone
                await http.aclose()

    closer = close_at_the_end()
    step = closer.asend(None)  # the loop's asyncgen hook registers the generator here
    with contextlib.suppress(StopIteration):  # the first yield: started, nothing awaited
        step.send(None)
    return closer


def _let_go(http: httpx2.Client) -> None:
    """Close this process's copies of the sockets of ``http``'s pools (a forked child's
    copies of its parent's) without writing to them, so that neither a close nor the
    garbage collector ever does.  The pools are httpcore2's, reached through attributes
    of theirs that are not public: any that is missing leaves the rest to the garbage
    collector, which closes a descriptor without writing either."""
    mounts: dict[object, object] = getattr(http, "_mounts", {})
    transports: list[object] = [getattr(http, "_transport", None), *mounts.values()]
    for transport in transports:
        for connection in list(getattr(getattr(transport, "_pool", None), "connections", ())):
            inner: Any = connection
            # A proxy's connection wraps an HTTP one, which wraps the HTTP/1.1 or /2 one.
            while inner is not None and not hasattr(inner, "_network_stream"):
                inner = getattr(inner, "_connection", None)
            stream = getattr(inner, "_network_stream", None)
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket) and sock.fileno() >= 0:
                os.close(sock.detach())  # detached: no TLS close_notify, no shutdown()
