"""``ServerControl``: a local server driven over HTTP, through its control routes
(``/_completionkit/``, see _control.py), by a test that did not start it."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx2

from ._control import CONTROL_PREFIX, Only, check_operation, fault_json, recorded_from_json, reply_json
from ._faults import Fault
from ._model import Reply
from ._state import RecordedRequest

__all__ = ["ServerControl"]


class ServerControl:
    """A local server started elsewhere (``python -m completionkit.testing``, another
    process's ``LocalServer``), driven as a ``LocalServer`` is, over HTTP:

        with ServerControl("http://127.0.0.1:8080/v1") as server:
            server.reset()
            server.queue(Reply.text("Paris."))
            ...  # the code under test sends its requests to the same URL
            assert server.last_request.body["model"] == "gpt-4o-mini"

    ``url`` is the server's base URL, with or without its ``/v1``.  The methods and
    properties are ``LocalServer``'s, each one request to the server's control routes;
    a value the server refuses raises ``ValueError`` naming the field, and a server
    without control routes (``--no-control``) ``RuntimeError``.  ``http_client`` (an
    ``httpx2.Client``) sends them instead of a client of its own, and stays yours to close.
    """

    def __init__(self, url: str, *, timeout: float = 30.0, http_client: httpx2.Client | None = None) -> None:
        self._root = url.rstrip("/").removesuffix("/v1")
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx2.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"ServerControl(url={self.url!r})"

    @property
    def url(self) -> str:
        """The base URL a client takes: the server's ``/v1``."""
        return f"{self._root}/v1"

    @property
    def root_url(self) -> str:
        """The server's root: it serves the API here too, and its control routes below
        ``/_completionkit/``."""
        return self._root

    def close(self) -> None:
        """Close the connections this object opened (not those of a client passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ServerControl:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, route: str, body: Any = None) -> Any:
        url = f"{self._root}{CONTROL_PREFIX}/{route}"
        response = self._http.request(method, url, json=body)
        if response.status_code == 200:
            return response.json()
        try:
            message = str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        if response.status_code == 400:
            raise ValueError(message)
        if response.status_code == 404:
            raise RuntimeError(
                f"{self._root} answers no control route {CONTROL_PREFIX}/{route} (started with "
                f"--no-control, or not a completionkit local server?): {message}"
            )
        raise RuntimeError(f"{method} {url} answered {response.status_code}: {message}")

    # --- LocalServer's methods ------------------------------------------------------------

    def reset(self) -> None:
        """``LocalServer.reset``: empty the store, the queues and the record of requests."""
        self._call("POST", "reset")

    def store_completion(
        self,
        completion: Mapping[str, Any],
        messages: Sequence[Mapping[str, Any]] = (),
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """``LocalServer.store_completion``: store a completion with its id and input messages."""
        body = {**completion, "messages": list(messages)}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        stored: dict[str, Any] = self._call("POST", "completions", body)
        return stored

    def queue(self, *replies: Reply, only: Only | None = None) -> None:
        """``LocalServer.queue``: the model's next answers (for streamed or plain creates ``only``)."""
        self._call("POST", "replies", {"replies": [reply_json(r) for r in replies], "only": only})

    def replay(self, streams: Iterable[bytes]) -> None:
        """``LocalServer.replay``: serve these recorded bodies to the next create requests."""
        self.queue(*(Reply.replay(body) for body in streams))

    @property
    def queued_replies(self) -> int:
        """How many queued replies no request has taken yet."""
        return int(self._call("GET", "replies")["queued"])

    def clear_replies(self) -> None:
        """Forget the queued replies."""
        self._call("DELETE", "replies")

    def inject(self, fault: Fault, *, times: int = 1, operation: str | None = None) -> None:
        """``LocalServer.inject``: apply ``fault`` to the next ``times`` requests (of ``operation``)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        check_operation(operation)
        self._call("POST", "faults", fault_json(fault, times=times, operation=operation))

    @property
    def pending_faults(self) -> int:
        """How many injected faults no request has met yet."""
        return int(self._call("GET", "faults")["pending"])

    def clear_faults(self) -> None:
        """Forget the pending faults."""
        self._call("DELETE", "faults")

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request the server received since its start or its last reset, oldest first."""
        return [recorded_from_json(r) for r in self._call("GET", "requests")["requests"]]

    @property
    def last_request(self) -> RecordedRequest:
        """The latest request received; ``LookupError`` before the first."""
        requests = self.requests
        if not requests:
            raise LookupError("the server has received no request yet")
        return requests[-1]

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        self._call("DELETE", "requests")
