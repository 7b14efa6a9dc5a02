"""The local server's HTTP plumbing, below the API: ASGI's types, the answer in the API's
error shape (``HTTPError``), reading a request's body and query, loading a JSON body
that no parser can choke on, sending answers (whole, or half and the connection cut),
and watching for a client that leaves or a server that stops (``Watch``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import msgspec

from ._faults import Fault

__all__ = [
    "JSON_MAX_DEPTH",
    "HTTPError",
    "Json",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "Watch",
    "decoded_body",
    "drop",
    "extra_headers",
    "load_json",
    "query_pairs",
    "read_body",
    "response_headers",
    "send_answer",
    "send_half",
    "send_json",
]

Json = Any
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Deeper JSON is refused with a 400 before any parser sees it: the parsers (and the
# model's instances of a schema) recurse.  Not a rule of the API: the client's own bound
# (completionkit._request.MAX_JSON_DEPTH), so that it sends nothing this refuses.
JSON_MAX_DEPTH = 128
# A JSON string; one left open runs to the end of the body, so matching never backtracks.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class HTTPError(Exception):
    """An answer in the API's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": type, "param": param, "code": code}}
        self.headers = dict(headers or {})


# --- reading a request ----------------------------------------------------------------


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def query_pairs(scope: Scope) -> list[tuple[str, str]]:
    query: bytes = scope.get("query_string", b"")
    return urllib.parse.parse_qsl(query.decode("latin-1"), keep_blank_values=True)


def _too_deep(body: bytes) -> bool:
    """Whether the arrays and objects of ``body`` nest deeper than JSON_MAX_DEPTH.

    A body with no more opening brackets than that (nearly every one) cannot: counting
    them answers at once, without the exact measure below.
    """
    if body.count(b"[") + body.count(b"{") <= JSON_MAX_DEPTH:
        return False
    return _json_depth(body) > JSON_MAX_DEPTH


def _json_depth(body: bytes) -> int:
    """How deep the arrays and objects of ``body`` nest (brackets in strings do not count)."""
    brackets = _JSON_STRING.sub(b'""', body).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(1 if b in b"[{" else -1 for b in brackets), default=0)


def load_json(body: bytes) -> Json:
    """Decode a request body as JSON, or raise the 400 that says why it is not.

    Never lets a parser fail on the body's bytes or its depth: invalid UTF-8, over-deep
    nesting and anything ``json`` refuses are all the client's error.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPError(400, f"The request body is not valid UTF-8 (byte {error.start}).") from None
    if _too_deep(body):
        raise HTTPError(400, f"The JSON body of your request nests deeper than {JSON_MAX_DEPTH} levels.")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPError(400, "We could not parse the JSON body of your request.") from None


def decoded_body(body: bytes) -> Json:
    """A request body as a record shows it: its JSON, the bytes themselves when it is not
    JSON, None when empty."""
    if not body:
        return None
    try:
        return load_json(body)
    except HTTPError:
        return body


# --- answering --------------------------------------------------------------------------


def extra_headers(fault: Fault | None, limits: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """The headers an answer adds to its own: its rate limits', then its fault's (which win)."""
    if limits is None:
        return fault.headers if fault is not None else None
    if fault is None or not fault.headers:
        return limits
    return {**limits, **fault.headers}


def response_headers(
    content_type: str, request_id: str, extra: Mapping[str, str] | None
) -> list[tuple[bytes, bytes]]:
    if not extra:  # the same headers as below, without building a dict
        return [
            (b"content-type", content_type.encode("latin-1")),
            (b"x-request-id", request_id.encode("latin-1")),
        ]
    merged = {"content-type": content_type, "x-request-id": request_id, **extra}
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]


async def send_answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    request_id: str,
    extra: Mapping[str, str] | None = None,
) -> None:
    headers = response_headers(content_type, request_id, extra)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send: Send, status: int, value: Json, request_id: str, extra: Mapping[str, str] | None = None
) -> None:
    await send_answer(send, status, msgspec.json.encode(value), "application/json", request_id, extra)


async def send_half(
    send: Send, payload: bytes, content_type: str, request_id: str, extra: Mapping[str, str] | None
) -> None:
    """Start a 200 answer of ``payload``, send its first half, and drop the connection."""
    headers = response_headers(content_type, request_id, extra)
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True})
    await drop(send)


async def drop(send: Send) -> None:
    """Close the connection at once, whatever has been sent.

    ASGI has no way to say this; uvicorn's ``send`` is a method of the request cycle,
    which holds the asyncio transport.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("dropping a connection needs uvicorn's request cycle")
    transport.abort()
    # Let the loop deliver connection_lost, so uvicorn knows the client is gone and
    # does not try to finish the response.
    await asyncio.sleep(0)


# --- waiting ----------------------------------------------------------------------------


async def _settled(awaitable: Awaitable[object]) -> None:
    await awaitable


class Watch:
    """Tells a request's handler when to stop waiting: its client left, or the server stops.

    Made once the body is read.  From the first ``wait`` (or ``listen``, which a stream
    calls before its first event) on, it listens for ``http.disconnect`` for the rest of
    the request, so a slow answer or stream ends as soon as its client is gone and a
    stopping server never waits for (nor cancels) a handler that sleeps.  An answer sent
    at once (most of them) never starts that task: it would have nothing to tell.
    """

    def __init__(self, receive: Receive, stopping: asyncio.Event) -> None:
        self._receive = receive
        self._stopping = stopping
        self._left = asyncio.Event()
        self._listener: asyncio.Future[None] | None = None

    def listen(self) -> None:
        """Start listening for the client leaving (once; later calls do nothing)."""
        if self._listener is None:
            self._listener = asyncio.ensure_future(self._listen(self._receive))

    async def _listen(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self._left.set()

    @property
    def client_left(self) -> bool:
        return self._left.is_set()

    @property
    def over(self) -> bool:
        """The client left or the server is stopping: nobody will read an answer."""
        return self._left.is_set() or self._stopping.is_set()

    async def wait(self, seconds: float | None = None, until: Awaitable[object] | None = None) -> bool:
        """Wait ``seconds`` (or for ``until``); True, sooner, if the client leaves or the server stops."""
        if self.over:
            if isinstance(until, Coroutine):
                until.close()  # never to be awaited: say so, rather than warn
            return True
        self.listen()
        waiting = [self._left.wait(), self._stopping.wait(), *([until] if until is not None else [])]
        waiters = [asyncio.ensure_future(_settled(w)) for w in waiting]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        return self.over

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
