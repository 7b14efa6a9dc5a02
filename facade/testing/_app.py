"""The local server's ASGI application: the six chat-completions operations of spec/
(and ``GET /v1/models``), as spec/ has them or as a provider's server answers them
(``ServerState.emulation``, from _profiles.py).

Routes come from the generated endpoint stubs and request bodies are judged by the
generated request types (strictly), so the server speaks exactly the API of spec/.
A routed request goes to the handler its operation id names in ``App._HANDLERS``; an
endpoint with no handler there stops ``App()`` with an error naming its operation id.
So adding an operation to spec/ takes, on the server side, one handler method and its
entry in that table.  Every answer carries ``x-request-id``; every request is recorded
for assertions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
import secrets
import sqlite3
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, ClassVar, Literal

import msgspec

from .._decoding import decode_json, error_location
from .._generated import endpoints
from .._generated.endpoints import Endpoint
from .._providers import ProviderProfile
from ._faults import Fault
from ._limits import Limiter, LimitExceededError, RateLimits
from ._model import Reply, build_chunks, build_completion, charged_tokens, content_text, default_reply
from ._profiles import Emulation, ProviderError, models_list
from ._store import Store, UnknownCursorError

__all__ = ["App", "RecordedRequest", "ServerState"]

Json = Any
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REDACTED = "[redacted]"
# The API's limits on metadata: https://platform.openai.com/docs/api-reference/chat/update
METADATA_MAX_PAIRS = 16
METADATA_MAX_KEY = 64
METADATA_MAX_VALUE = 512
LIST_MAX_LIMIT = 100
# Not an operation of spec/, but every OpenAI-compatible server lists its models there.
MODELS_PATH = "/v1/models"
LIST_MODELS = "listModels"
# Deeper JSON is refused with a 400 before any parser sees it: the parsers recurse.
JSON_MAX_DEPTH = 128
# A JSON string; one left open runs to the end of the body, so matching never backtracks.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; the authorization header is redacted."""

    method: str
    """The HTTP method: ``GET``, ``POST`` or ``DELETE``."""
    path: str
    """The URL path, ``/v1/chat/completions`` for instance."""
    query: tuple[tuple[str, str], ...]
    """The query parameters as sent, in order, a repeated name as many times."""
    headers: Mapping[str, str]
    """The request headers, by lower-case name; ``authorization`` redacted."""
    body: Json
    """The decoded JSON body, the raw bytes when it is not JSON, None when empty."""
    operation_id: str | None
    """The operation the request was routed to (``createChatCompletion``, or
    ``listModels`` for ``GET /v1/models``); None for a path the API does not have."""

    @property
    def params(self) -> dict[str, str]:
        """The query as a dict (the last value of a repeated name wins)."""
        return dict(self.query)


class ServerState:
    """Everything one server holds: nothing here is shared between two servers."""

    def __init__(
        self,
        *,
        api_key: str | None,
        db: str | None,
        rate_limits: RateLimits | None = None,
        profile: ProviderProfile | None = None,
    ) -> None:
        self.api_key = api_key
        self.store = Store(db)
        self._lock = threading.Lock()
        # None: the server of spec/; else the provider it plays.
        self.emulation = Emulation(profile) if profile is not None else None
        self.rate_limits: RateLimits | None = None
        # None when no limit is set: a create then checks this once and goes on.
        self.limiter: Limiter | None = None
        self.set_rate_limits(rate_limits)
        self._replies: deque[Reply] = deque()
        self._faults: list[tuple[Fault, str | None]] = []
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self.in_flight = 0
        self.max_in_flight = 0
        # Requests gathering (Fault.gather) wait on these futures, woken by a new record
        # of max_in_flight.  Only the server's loop touches the counts: no lock.
        self._gathering: list[asyncio.Future[None]] = []
        self._stopping: asyncio.Event | None = None

    def enter(self) -> None:
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight
            if self._gathering:
                waiters, self._gathering = self._gathering, []
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)

    def leave(self) -> None:
        self.in_flight -= 1

    @property
    def stopping(self) -> asyncio.Event:
        """Set when the server begins to shut down: waiting requests give up at once."""
        if self._stopping is None:
            self._stopping = asyncio.Event()  # on the server's own loop
        return self._stopping

    def begin_shutdown(self) -> None:
        """Called on the server's loop when it begins to shut down."""
        self.stopping.set()

    async def gather(self, count: int) -> None:
        while self.max_in_flight < count:
            waiter = asyncio.get_running_loop().create_future()
            self._gathering.append(waiter)
            await waiter

    def queue(self, replies: Iterable[Reply]) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self, request: Json) -> Reply:
        with self._lock:
            reply = self._replies.popleft() if self._replies else None
        return self._played(request, reply if reply is not None else default_reply(request))

    def _played(self, request: Json, reply: Reply) -> Reply:
        return reply if self.emulation is None else self.emulation.reply(request, reply)

    def set_rate_limits(self, limits: RateLimits | None) -> None:
        """Keep these limits from now on, with full buckets (None: no limits, or the
        default limits of a provider that always sends its rate-limit headers)."""
        emulation = self.emulation
        if emulation is not None and (limits is None or not limits.any):
            limits = emulation.default_limits
        style = "openai" if emulation is None else emulation.profile.rate_limit_headers
        with self._lock:
            self.rate_limits = limits
            self.limiter = Limiter(limits, headers=style) if limits is not None and limits.any else None

    def admit(self, request: Json, limiter: Limiter) -> tuple[Reply, dict[str, str]]:
        """The next reply and the ``x-ratelimit-*`` headers of its answer, once ``limiter``
        has charged the request for it; ``LimitExceededError`` leaves the reply queued."""
        with self._lock:
            # The answer's tokens are charged before it is sent, so the reply is known
            # first; a refused request must leave it for the next one.
            queued = bool(self._replies)
            reply = self._played(request, self._replies[0] if queued else default_reply(request))
            headers = limiter.charge(charged_tokens(request, reply), str(request["model"]))
            if queued:
                self._replies.popleft()
        return reply, headers

    def inject(self, fault: Fault, times: int, operation_id: str | None) -> None:
        with self._lock:
            self._faults.extend([(fault, operation_id)] * times)

    def take_fault(self, operation_id: str | None) -> Fault | None:
        with self._lock:
            for index, (fault, only) in enumerate(self._faults):
                if only is None or only == operation_id:
                    del self._faults[index]
                    return fault
        return None

    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def request_id(self) -> str:
        return f"req_{next(self._ids):08d}{secrets.token_hex(8)}"


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


@dataclasses.dataclass(frozen=True)
class _Route:
    endpoint: Endpoint[Any, Any, Any, Any, Any] | None
    path_params: dict[str, str]
    error: HTTPError | None = None
    operation: str | None = None
    """The id of an operation outside spec/ (``listModels``), which has no endpoint."""

    @property
    def operation_id(self) -> str | None:
        return self.endpoint.operation_id if self.endpoint is not None else self.operation


def _route_pattern(path: str) -> re.Pattern[str]:
    # Parameters match one raw path segment; they are percent-decoded afterwards, so
    # an id holding an encoded "/" stays one id.
    return re.compile("^/v1" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


@dataclasses.dataclass(frozen=True)
class _Call:
    """One routed request, as every operation's handler takes it."""

    endpoint: Endpoint[Any, Any, Any, Any, Any]
    path_params: dict[str, str]
    query: Any
    """The query, converted into the operation's generated query type."""
    body: bytes
    send: Send
    request_id: str
    fault: Fault | None
    watch: _Watch

    @property
    def completion_id(self) -> str:
        return self.path_params.get("completion_id", "")


_Handler = Callable[["App", _Call], Awaitable[None]]


def _param_of(error: msgspec.ValidationError) -> str | None:
    """The request field a msgspec error names (``messages[0].role``), for ``param``."""
    return error_location(error)[0] or None


def _extra_headers(fault: Fault | None, limits: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """The headers an answer adds to its own: its rate limits', then its fault's (which win)."""
    if limits is None:
        return fault.headers if fault is not None else None
    if fault is None or not fault.headers:
        return limits
    return {**limits, **fault.headers}


async def _drop(send: Send) -> None:
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


async def _settled(awaitable: Awaitable[object]) -> None:
    await awaitable


class _Watch:
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


def _load_json(body: bytes) -> Json:
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


def _store_failure(error: sqlite3.Error) -> HTTPError:
    """The answer to a store operation that failed (and was rolled back: nothing changed)."""
    text = str(error)
    if isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return HTTPError(
            503,
            f"The local server's store is busy ({text}): another connection holds its database "
            "locked. Nothing was changed; try again.",
            type="server_error",
            code="store_busy",
            headers={"retry-after": "1"},
        )
    return HTTPError(
        500, f"The local server's store failed ({text}). Nothing was changed.", type="server_error"
    )


def _validate_metadata(metadata: Json) -> dict[str, str]:
    if metadata is None:
        return {}
    if len(metadata) > METADATA_MAX_PAIRS:
        raise HTTPError(400, f"metadata may hold at most {METADATA_MAX_PAIRS} pairs.", param="metadata")
    for key, value in metadata.items():
        if len(key) > METADATA_MAX_KEY:
            raise HTTPError(
                400, f"metadata keys are at most {METADATA_MAX_KEY} characters.", param="metadata"
            )
        if len(value) > METADATA_MAX_VALUE:
            raise HTTPError(
                400, f"metadata values are at most {METADATA_MAX_VALUE} characters.", param="metadata"
            )
    return dict(metadata)


def _query_pairs(scope: Scope) -> list[tuple[str, str]]:
    query: bytes = scope.get("query_string", b"")
    return urllib.parse.parse_qsl(query.decode("latin-1"), keep_blank_values=True)


def _stored_message(completion_id: str, index: int, message: Json) -> Json:
    content: Json = message.get("content")
    parts: Json = None if isinstance(content, str) else content
    stored: Json = {
        "id": f"{completion_id}-{index}",
        "role": message["role"],
        "content": content_text(content) or None,
        "content_parts": parts,
        # The spec's stored message is a ChatCompletionMessage, which requires a
        # refusal; the API leaves it out of the messages it was sent, the spec does not.
        "refusal": message.get("refusal"),
    }
    for key in ("name", "tool_calls", "tool_call_id"):
        if key in message:
            stored[key] = message[key]
    return stored


class App:
    """The ASGI application of one local server."""

    def __init__(
        self,
        state: ServerState,
        *,
        operations: Iterable[Endpoint[Any, Any, Any, Any, Any]] = endpoints.ENDPOINTS,
    ) -> None:
        """Serve ``operations`` (every operation of spec/ unless told otherwise).

        Raises ``NotImplementedError`` naming the operation ids that have no handler.
        """
        self.state = state
        served = tuple(operations)
        missing = [e.operation_id for e in served if e.operation_id not in self._HANDLERS]
        if missing:
            raise NotImplementedError(
                f"the local server has no handler for operation {', '.join(map(repr, missing))}: "
                "add one to App._HANDLERS"
            )
        self._routes = [(_route_pattern(e.path), e) for e in served]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        if path == "/health":  # the readiness probe of LocalServer; not recorded
            await self._send_json(send, 200, {"status": "ok"}, "req_health")
            return
        self.state.enter()
        try:
            await self._serve(scope, path, receive, send)
        finally:
            self.state.leave()

    async def _serve(self, scope: Scope, path: str, receive: Receive, send: Send) -> None:
        body = await self._read_body(receive)
        watch = _Watch(receive, self.state.stopping)
        try:
            await self._serve_read(scope, path, body, send, watch)
        finally:
            await watch.close()

    async def _serve_read(self, scope: Scope, path: str, body: bytes, send: Send, watch: _Watch) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        route = self._route(scope["method"], path)
        endpoint = route.endpoint
        self.state.record(self._recorded(scope, path, headers, body, route.operation_id))
        request_id = self.state.request_id()
        fault = self.state.take_fault(route.operation_id)
        if fault is not None and fault.gather is not None:
            await watch.wait(until=self.state.gather(fault.gather))
        if fault is not None and fault.delay:
            await watch.wait(fault.delay)
        if watch.over:
            # A client that timed out is gone: nobody to answer.  A stopping server cuts
            # the connection of a client still waiting, as a real one going down would.
            if not watch.client_left:
                await _drop(send)
            return
        if fault is not None and fault.drop == "before":
            await _drop(send)
            return
        try:
            if self.state.emulation is not None:
                self.state.emulation.check_query(dict(_query_pairs(scope)))
            self._authorize(headers)
            if fault is not None and fault.body is not None:
                status = fault.status if fault.status is not None else 200
                await self._send(send, status, fault.body, fault.content_type, request_id, fault.headers)
                return
            if fault is not None and fault.status is not None:
                raise HTTPError(
                    fault.status,
                    fault.message,
                    type=fault.error_type,
                    code=fault.error_code,
                    headers=fault.headers,
                )
            if route.error is not None:
                raise route.error
            if route.operation == LIST_MODELS:
                await self._answer(send, models_list(self.state.emulation), request_id, fault)
                return
            assert endpoint is not None
            await self._dispatch(endpoint, route.path_params, scope, body, send, request_id, fault, watch)
        except sqlite3.Error as error:
            failure = _store_failure(error)
            await self._send_json(send, failure.status, failure.body, request_id, failure.headers)
        except (HTTPError, ProviderError) as error:
            await self._send_json(send, error.status, error.body, request_id, error.headers)

    # --- HTTP plumbing ----------------------------------------------------------

    @staticmethod
    async def _read_body(receive: Receive) -> bytes:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    def _recorded(
        scope: Scope,
        path: str,
        headers: dict[str, str],
        body: bytes,
        operation_id: str | None,
    ) -> RecordedRequest:
        decoded: Json = None
        if body:
            try:
                decoded = _load_json(body)
            except HTTPError:
                decoded = body
        shown = {k: (REDACTED if k in ("authorization", "api-key") else v) for k, v in headers.items()}
        query = tuple(_query_pairs(scope))
        return RecordedRequest(
            scope["method"],
            urllib.parse.unquote(path),
            query,
            shown,
            decoded,
            operation_id,
        )

    def _route(self, method: str, path: str) -> _Route:
        if path == MODELS_PATH:
            if method == "GET":
                return _Route(None, {}, operation=LIST_MODELS)
            return _Route(
                None, {}, HTTPError(405, f"Method {method} is not allowed on {path}; allowed: GET.")
            )
        allowed: list[str] = []
        for pattern, endpoint in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            if endpoint.method == method:
                return _Route(endpoint, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()})
            allowed.append(endpoint.method)
        if allowed:
            return _Route(
                None,
                {},
                HTTPError(405, f"Method {method} is not allowed on {path}; allowed: {', '.join(allowed)}."),
            )
        return _Route(None, {}, HTTPError(404, f"Invalid URL ({method} {path})"))

    def _authorize(self, headers: Mapping[str, str]) -> None:
        if self.state.api_key is None:
            return
        emulation = self.state.emulation
        if emulation is not None and emulation.authorize(headers, self.state.api_key):
            return
        given = headers.get("authorization", "")
        if not given.startswith("Bearer "):
            raise HTTPError(
                401,
                "You didn't provide an API key. Provide it in the Authorization header (Bearer).",
                code="missing_api_key",
            )
        if not secrets.compare_digest(given.removeprefix("Bearer ").encode(), self.state.api_key.encode()):
            raise HTTPError(401, "Incorrect API key provided.", code="invalid_api_key")

    async def _send(
        self,
        send: Send,
        status: int,
        body: bytes,
        content_type: str,
        request_id: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        headers = self._headers(content_type, request_id, extra)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _send_json(
        self, send: Send, status: int, value: Json, request_id: str, extra: Mapping[str, str] | None = None
    ) -> None:
        await self._send(send, status, msgspec.json.encode(value), "application/json", request_id, extra)

    @staticmethod
    def _headers(
        content_type: str, request_id: str, extra: Mapping[str, str] | None
    ) -> list[tuple[bytes, bytes]]:
        if not extra:  # the same headers as below, without building a dict
            return [
                (b"content-type", content_type.encode("latin-1")),
                (b"x-request-id", request_id.encode("latin-1")),
            ]
        merged = {"content-type": content_type, "x-request-id": request_id, **extra}
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]

    # --- the operations -----------------------------------------------------------

    async def _dispatch(
        self,
        endpoint: Endpoint[Any, Any, Any, Any, Any],
        path_params: dict[str, str],
        scope: Scope,
        body: bytes,
        send: Send,
        request_id: str,
        fault: Fault | None,
        watch: _Watch,
    ) -> None:
        query = self._query(endpoint, scope)
        call = _Call(endpoint, path_params, query, body, send, request_id, fault, watch)
        # __init__ refused any endpoint without a handler: the lookup cannot miss.
        await self._HANDLERS[endpoint.operation_id](self, call)

    async def _create_chat_completion(self: App, call: _Call) -> None:
        await self._create(call)

    async def _list_chat_completions(self: App, call: _Call) -> None:
        await self._answer(call.send, self._list(call.query), call.request_id, call.fault)

    async def _get_chat_completion(self: App, call: _Call) -> None:
        result = self.state.store.get(call.completion_id) or self._not_found(call.completion_id)
        await self._answer(call.send, result, call.request_id, call.fault)

    async def _update_chat_completion(self: App, call: _Call) -> None:
        update = self._body(call.endpoint, call.body)
        metadata = _validate_metadata(update.metadata)
        result = self.state.store.update(call.completion_id, metadata) or self._not_found(call.completion_id)
        await self._answer(call.send, result, call.request_id, call.fault)

    async def _delete_chat_completion(self: App, call: _Call) -> None:
        if not self.state.store.delete(call.completion_id):
            self._not_found(call.completion_id)
        result = {"object": "chat.completion.deleted", "id": call.completion_id, "deleted": True}
        await self._answer(call.send, result, call.request_id, call.fault)

    async def _get_chat_completion_messages(self: App, call: _Call) -> None:
        result = self._messages(call.completion_id, call.query)
        await self._answer(call.send, result, call.request_id, call.fault)

    # The operation id of each endpoint of spec/ -> its handler; built once, with the
    # class.  A new operation needs its handler here, or App() refuses to start.  (The
    # handlers say ``self: App`` so that they are plain App functions to the checkers.)
    _HANDLERS: ClassVar[Mapping[str, _Handler]] = {
        "createChatCompletion": _create_chat_completion,
        "listChatCompletions": _list_chat_completions,
        "getChatCompletion": _get_chat_completion,
        "updateChatCompletion": _update_chat_completion,
        "deleteChatCompletion": _delete_chat_completion,
        "getChatCompletionMessages": _get_chat_completion_messages,
    }

    async def _answer(
        self,
        send: Send,
        result: Json,
        request_id: str,
        fault: Fault | None,
        limits: Mapping[str, str] | None = None,
    ) -> None:
        extra = _extra_headers(fault, limits)
        if fault is not None and fault.drop == "during":
            await self._send_half(send, msgspec.json.encode(result), "application/json", request_id, extra)
            return
        await self._send_json(send, 200, result, request_id, extra)

    async def _send_half(
        self, send: Send, payload: bytes, content_type: str, request_id: str, extra: Mapping[str, str] | None
    ) -> None:
        """Start a 200 answer of ``payload``, send its first half, and drop the connection."""
        headers = self._headers(content_type, request_id, extra)
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True})
        await _drop(send)

    @staticmethod
    def _not_found(completion_id: str) -> Json:
        raise HTTPError(
            404,
            f"No chat completion found with id '{completion_id}'.",
            param="completion_id",
            code="not_found",
        )

    @staticmethod
    def _body(endpoint: Endpoint[Any, Any, Any, Any, Any], body: bytes) -> Any:
        assert endpoint.body is not None
        if not body:
            raise HTTPError(400, "The request needs a JSON body.")
        _load_json(body)  # bytes and depth no parser can take are a 400, not a crash
        try:
            return decode_json(body, endpoint.body, strict=True)
        except msgspec.ValidationError as error:
            raise HTTPError(400, f"Invalid request body: {error}", param=_param_of(error)) from None
        except (msgspec.DecodeError, ValueError, RecursionError):
            raise HTTPError(400, "We could not parse the JSON body of your request.") from None

    @staticmethod
    def _query(endpoint: Endpoint[Any, Any, Any, Any, Any], scope: Scope) -> Any:
        pairs = _query_pairs(scope)
        values: dict[str, Any] = {}
        for parameter in endpoint.query_parameters:
            if parameter.style == "deepObject":
                prefix = f"{parameter.name}["
                found = {k[len(prefix) : -1]: v for k, v in pairs if k.startswith(prefix) and k.endswith("]")}
                if found:
                    values[parameter.name] = found
            else:
                given = [v for k, v in pairs if k == parameter.name]
                if given:
                    values[parameter.name] = given[-1]
        try:
            # strict=False: query values are text, "20" is the integer 20 here.
            return msgspec.convert(values, endpoint.query, strict=False)
        except msgspec.ValidationError as error:
            raise HTTPError(400, f"Invalid query parameter: {error}", param=_param_of(error)) from None

    @staticmethod
    def _limit(query: Any) -> int:
        limit = query.limit if query.limit is not msgspec.UNSET else 20
        if not 1 <= limit <= LIST_MAX_LIMIT:
            raise HTTPError(400, f"limit must be between 1 and {LIST_MAX_LIMIT}.", param="limit")
        return int(limit)

    @staticmethod
    def _page_fields(items: list[Json], has_more: bool) -> Json:
        return {
            "object": "list",
            "data": items,
            "first_id": items[0]["id"] if items else "",
            "last_id": items[-1]["id"] if items else "",
            "has_more": has_more,
        }

    def _list(self, query: Any) -> Json:
        def given(value: Any) -> Any:
            return None if value is msgspec.UNSET else value

        try:
            page = self.state.store.list_completions(
                after=given(query.after),
                limit=self._limit(query),
                order=given(query.order) or "asc",
                model=given(query.model),
                metadata=given(query.metadata),
            )
        except UnknownCursorError as error:
            raise HTTPError(
                400, f"No chat completion found with id '{error}' to list after.", param="after"
            ) from None
        return self._page_fields(page.items, page.has_more)

    def _messages(self, completion_id: str, query: Any) -> Json:
        after = None if query.after is msgspec.UNSET else query.after
        order: Literal["asc", "desc"] = "asc" if query.order is msgspec.UNSET else query.order
        try:
            page = self.state.store.messages(
                completion_id, after=after, limit=self._limit(query), order=order
            )
        except UnknownCursorError as error:
            raise HTTPError(
                400, f"No message found with id '{error}' to list after.", param="after"
            ) from None
        if page is None:
            self._not_found(completion_id)
        assert page is not None
        return self._page_fields(page.items, page.has_more)

    async def _create(self, call: _Call) -> None:
        body, send, request_id, fault = call.body, call.send, call.request_id, call.fault
        self._body(call.endpoint, body)  # judged by the generated request type; 400 names the field
        request = _load_json(body)
        emulation = self.state.emulation
        if emulation is not None:
            # The provider's own refusals come first: it reads the fields it does not take
            # before it would judge them.
            emulation.refuse(request)
            request = emulation.understood(request)
        if request.get("top_logprobs") is not None and not request.get("logprobs"):
            raise HTTPError(400, "top_logprobs requires logprobs to be true.", param="top_logprobs")
        if request.get("stream_options") is not None and not request.get("stream"):
            raise HTTPError(
                400, "stream_options is only allowed when stream is true.", param="stream_options"
            )
        metadata = _validate_metadata(request.get("metadata"))
        limiter = self.state.limiter
        limits: dict[str, str] | None = None
        if limiter is None:
            reply = self.state.next_reply(request)
        else:
            try:
                reply, limits = self.state.admit(request, limiter)
            except LimitExceededError as refused:
                raise HTTPError(
                    429,
                    refused.message,
                    type=refused.kind,
                    code="rate_limit_exceeded",
                    headers=refused.headers,
                ) from None
        if reply.raw is not None:
            extra = _extra_headers(fault, limits)
            if fault is not None and fault.drop == "during":
                await self._send_half(send, reply.raw, reply.raw_content_type, request_id, extra)
            else:
                await self._send(send, 200, reply.raw, reply.raw_content_type, request_id, extra)
            return
        completion_id = f"chatcmpl-{secrets.token_hex(12)}"
        created = int(time.time())
        field = "reasoning" if emulation is None else emulation.reasoning_field
        completion = build_completion(request, reply, completion_id, created, reasoning_field=field)
        if request.get("store"):
            messages = [_stored_message(completion_id, i, m) for i, m in enumerate(request["messages"])]
            self.state.store.add({**completion, "metadata": metadata}, metadata, messages)
        if request.get("stream"):
            chunks = build_chunks(
                request,
                reply,
                completion_id,
                created,
                usage="when_asked" if emulation is None else emulation.profile.stream_usage,
                usage_in_x_groq=emulation is not None and emulation.style.usage_in_x_groq,
                reasoning_field=field,
            )
            await self._stream(send, chunks, request_id, fault, call.watch, limits)
        else:
            await self._answer(send, completion, request_id, fault, limits)

    async def _stream(
        self,
        send: Send,
        chunks: Iterable[Json],
        request_id: str,
        fault: Fault | None,
        watch: _Watch,
        limits: Mapping[str, str] | None = None,
    ) -> None:
        headers = self._headers("text/event-stream; charset=utf-8", request_id, _extra_headers(fault, limits))
        headers.append((b"cache-control", b"no-cache"))
        watch.listen()  # a stream may meet a client that leaves half way
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        events = [b"data: " + msgspec.json.encode(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
        cut = _stream_cut(events, fault)
        error_at = None
        if fault is not None and fault.error_event_after is not None:
            error_at = min(fault.error_event_after, len(events) - 1)  # at the latest, instead of [DONE]
        for index, event in enumerate(events):
            if fault is not None and fault.chunk_delay and index:
                await watch.wait(fault.chunk_delay)
            if watch.over:
                # Nobody reads on: stop at once.  A stopping server cuts the stream of a
                # client still reading, as a real one going down would.
                if not watch.client_left:
                    await _drop(send)
                return
            if fault is not None and fault.keepalive_comments:
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
            if cut is not None and cut[0] == index:
                await send({"type": "http.response.body", "body": event[: cut[1]], "more_body": True})
                await _drop(send)
                return
            if fault is not None and error_at == index:
                error = {
                    "error": {
                        "message": fault.message,
                        "type": fault.error_type,
                        "param": None,
                        "code": fault.error_code,
                    }
                }
                body = b"event: error\ndata: " + msgspec.json.encode(error) + b"\n\n"
                await send({"type": "http.response.body", "body": body})
                return
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _stream_cut(events: list[bytes], fault: Fault | None) -> tuple[int, int] | None:
    """Where a stream fault breaks the stream off: (event index, bytes of that event sent), or None.

    ``cut_stream_after`` cuts the next event in half (at the latest [DONE]);
    ``drop="during"`` cuts at the middle byte of the whole body.
    """
    if fault is None:
        return None
    if fault.cut_stream_after is not None:
        index = min(fault.cut_stream_after, len(events) - 1)
        return index, len(events[index]) // 2
    if fault.drop == "during":
        half = sum(map(len, events)) // 2
        for index, event in enumerate(events):
            if half < len(event):
                return index, half
            half -= len(event)
    return None
