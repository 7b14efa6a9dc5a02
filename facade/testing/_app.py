"""The local server's ASGI application: the six chat-completions operations of spec/
(and ``GET /v1/models``), as spec/ has them or as a provider's server answers them
(``ServerState.emulation``, from _profiles.py).

Routes come from the generated endpoint stubs and request bodies are judged by the
generated request types (strictly, _validation.py), so the server speaks exactly the API
of spec/.  A routed request goes to the handler its operation id names in
``App._HANDLERS``; an endpoint with no handler there stops ``App()`` with an error
naming its operation id.  So adding an operation to spec/ takes, on the server side, one
handler method and its entry in that table.  Every answer carries ``x-request-id``;
every request is recorded for assertions (_state.py).

This module holds the application: routing, the faults met before an answer, and the
operations' handlers.  Below it: _http.py (ASGI plumbing), _validation.py (judging a
request), _streaming.py (streamed answers and their faults), _state.py (what a server
holds).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import sqlite3
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal

import msgspec

from .._generated import endpoints
from .._generated.endpoints import Endpoint
from ._cassette import answer_from
from ._control import CONTROL_PREFIX, control
from ._faults import Fault
from ._http import (
    HTTPError,
    Json,
    Receive,
    Scope,
    Send,
    Watch,
    drop,
    extra_headers,
    load_json,
    query_pairs,
    read_body,
    send_answer,
    send_half,
    send_json,
)
from ._limits import LimitExceededError
from ._model import build_chunks, build_completion
from ._profiles import ProviderError, models_list
from ._state import ServerState, recorded_request
from ._store import stored_message
from ._streaming import send_stream
from ._validation import check_body_rules, page_limit, request_body, request_query, validate_metadata

__all__ = ["App"]

# Not an operation of spec/, but every OpenAI-compatible server lists its models there.
MODELS_PATH = "/models"
LIST_MODELS = "listModels"
# The API is served under /v1 (a client's base URL) and at the root (a base URL without
# it, as some clients and SDK test suites take): a path is routed without this prefix.
API_PREFIX = "/v1"


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
    return re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


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
    watch: Watch

    @property
    def completion_id(self) -> str:
        return self.path_params.get("completion_id", "")


_Handler = Callable[["App", _Call], Awaitable[None]]


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
            await send_json(send, 200, {"status": "ok"}, "req_health")
            return
        if path == CONTROL_PREFIX or path.startswith(f"{CONTROL_PREFIX}/"):
            # A test's control of the server, not an API request: not recorded, not counted
            # in flight, never asked for a key nor met by a fault.
            await self._control(scope, path.removeprefix(CONTROL_PREFIX), receive, send)
            return
        self.state.enter()
        try:
            await self._serve(scope, path, receive, send)
        finally:
            self.state.leave()

    async def _serve(self, scope: Scope, path: str, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        watch = Watch(receive, self.state.stopping)
        try:
            await self._serve_read(scope, path, body, send, watch)
        finally:
            await watch.close()

    async def _serve_read(self, scope: Scope, path: str, body: bytes, send: Send, watch: Watch) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        route = self._route(scope["method"], path)
        endpoint = route.endpoint
        self.state.record(recorded_request(scope, path, headers, body, route.operation_id))
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
                await drop(send)
            return
        if fault is not None and fault.drop == "before":
            await drop(send)
            return
        try:
            if self.state.emulation is not None:
                self.state.emulation.check_query(dict(query_pairs(scope)))
            self._authorize(headers)
            if fault is not None and fault.body is not None:
                status = fault.status if fault.status is not None else 200
                await send_answer(send, status, fault.body, fault.content_type, request_id, fault.headers)
                return
            if fault is not None and fault.status is not None:
                raise HTTPError(
                    fault.status,
                    fault.message,
                    type=fault.error_type,
                    code=fault.error_code,
                    headers=fault.headers,
                )
            cassette = self.state.cassette
            if cassette is not None:  # a recorded answer, for any path the API has or not
                await answer_from(cassette, scope, path, body, send)
                return
            if route.error is not None:
                raise route.error
            if route.operation == LIST_MODELS:
                await self._answer(send, models_list(self.state.emulation), request_id, fault)
                return
            assert endpoint is not None
            await self._dispatch(endpoint, route.path_params, scope, body, send, request_id, fault, watch)
        except sqlite3.Error as error:
            failure = _store_failure(error)
            await send_json(send, failure.status, failure.body, request_id, failure.headers)
        except (HTTPError, ProviderError) as error:
            await send_json(send, error.status, error.body, request_id, error.headers)

    async def _control(self, scope: Scope, path: str, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        request_id = self.state.request_id()
        if not self.state.control:
            error = HTTPError(404, f"The control routes ({CONTROL_PREFIX}/) are off on this server.")
            await send_json(send, error.status, error.body, request_id)
            return
        try:
            status, answer = control(self.state, scope["method"], path, body)
        except sqlite3.Error as failed:
            error = _store_failure(failed)
            await send_json(send, error.status, error.body, request_id, error.headers)
            return
        await send_answer(send, status, answer, "application/json", request_id)

    # --- routing and authorization -------------------------------------------------

    def _route(self, method: str, path: str) -> _Route:
        # The error messages name the path as sent.
        api_path = path.removeprefix(API_PREFIX) if path.startswith(f"{API_PREFIX}/") else path
        if api_path == MODELS_PATH:
            if method == "GET":
                return _Route(None, {}, operation=LIST_MODELS)
            return _Route(
                None, {}, HTTPError(405, f"Method {method} is not allowed on {path}; allowed: GET.")
            )
        allowed: list[str] = []
        for pattern, endpoint in self._routes:
            match = pattern.match(api_path)
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
        watch: Watch,
    ) -> None:
        query = request_query(endpoint, scope)
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
        update = request_body(call.endpoint, call.body)
        metadata = validate_metadata(update.metadata)
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
        extra = extra_headers(fault, limits)
        if fault is not None and fault.drop == "during":
            await send_half(send, msgspec.json.encode(result), "application/json", request_id, extra)
            return
        await send_json(send, 200, result, request_id, extra)

    @staticmethod
    def _not_found(completion_id: str) -> Json:
        raise HTTPError(
            404,
            f"No chat completion found with id '{completion_id}'.",
            param="completion_id",
            code="not_found",
        )

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

        # Any limit and any `after` are answered, as spec/ allows: see Store._page.
        page = self.state.store.list_completions(
            after=given(query.after),
            limit=page_limit(query),
            order=given(query.order) or "asc",
            model=given(query.model),
            metadata=given(query.metadata),
        )
        return self._page_fields(page.items, page.has_more)

    def _messages(self, completion_id: str, query: Any) -> Json:
        after = None if query.after is msgspec.UNSET else query.after
        order: Literal["asc", "desc"] = "asc" if query.order is msgspec.UNSET else query.order
        page = self.state.store.messages(completion_id, after=after, limit=page_limit(query), order=order)
        if page is None:
            self._not_found(completion_id)
        assert page is not None
        return self._page_fields(page.items, page.has_more)

    async def _create(self, call: _Call) -> None:
        body, send, request_id, fault = call.body, call.send, call.request_id, call.fault
        request_body(call.endpoint, body)  # judged by the generated request type; 400 names the field
        request = load_json(body)
        emulation = self.state.emulation
        if emulation is not None:
            # The provider's own refusals come first: it reads the fields it does not take
            # before it would judge them.
            emulation.refuse(request)
            request = emulation.understood(request)
        check_body_rules(call.endpoint, request)
        metadata = validate_metadata(request.get("metadata"))
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
            extra = extra_headers(fault, limits)
            if fault is not None and fault.drop == "during":
                await send_half(send, reply.raw, reply.raw_content_type, request_id, extra)
            else:
                await send_answer(send, 200, reply.raw, reply.raw_content_type, request_id, extra)
            return
        completion_id = f"chatcmpl-{secrets.token_hex(12)}"
        created = int(time.time())
        field = "reasoning" if emulation is None else emulation.reasoning_field
        completion = build_completion(request, reply, completion_id, created, reasoning_field=field)
        if request.get("store"):
            messages = [stored_message(completion_id, i, m) for i, m in enumerate(request["messages"])]
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
            await send_stream(send, chunks, request_id, fault, call.watch, limits)
        else:
            await self._answer(send, completion, request_id, fault, limits)
