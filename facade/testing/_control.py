"""The control routes under ``/_completionkit/``: what a test does to a ``LocalServer`` it
holds (queue replies and faults, store a completion, read the requests, reset), over
HTTP, for a test suite in another process or in another language.  ``ServerControl``
(_server_control.py) is their Python client; the JSON shapes are both sides' here.

They are not the API: they are never recorded, never asked for a key, never met by a
fault, whatever provider the server plays.  A body is decoded strictly (no unknown
field, no ``"1"`` for 1); a refusal is a 400 in the API's error shape whose ``param``
names the field (``replies[0].content``).

The routes (each answers a JSON object):

- ``POST /_completionkit/reset``: ``LocalServer.reset()``; ``{"reset": true}``.
- ``POST /_completionkit/completions``: stores a completion (its fields, with
  ``messages`` and ``metadata``); the stored completion.
- ``POST /_completionkit/replies``: queues ``{"replies": [...], "only": "stream"}``
  (or ``"plain"``, or null); ``{"queued": N}``.  ``GET``: ``{"queued": N}``;
  ``DELETE`` forgets them: ``{"cleared": N}``.
- ``POST /_completionkit/faults``: injects a fault (its fields, ``times``,
  ``operation``); ``{"pending": N}``.  ``GET``: ``{"pending": N}``; ``DELETE``:
  ``{"cleared": N}``.
- ``GET /_completionkit/requests``: ``{"requests": [...]}``, the recorded requests;
  ``DELETE``: ``{"cleared": N}``.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Final, Literal, TypeVar

import msgspec

from .._decoding import decode_json, error_location
from .._generated import endpoints
from .._generated.models import ChatCompletionRequestMessage
from ._faults import Fault
from ._http import HTTPError, Json, load_json
from ._model import Reply, ToolCall, build_completion, default_reply
from ._state import RecordedRequest, ServerState
from ._store import stored_message
from ._validation import validate_metadata

__all__ = [
    "CONTROL_PREFIX",
    "OPERATION_IDS",
    "ControlError",
    "Only",
    "check_operation",
    "control",
    "fault_json",
    "recorded_from_json",
    "recorded_json",
    "reply_json",
    "store_completion",
]

CONTROL_PREFIX: Final = "/_completionkit"
"""The reserved path: nothing under it is the API's."""

Only = Literal["stream", "plain"]
"""Which create requests a queued reply is for: streamed ones (``"stream": true``) or the others."""

OPERATION_IDS: Final = frozenset(e.operation_id for e in endpoints.ENDPOINTS) | {"listModels"}
"""The operations a fault can be kept for (``operation=``)."""

# A fault's wait is bounded: asyncio cannot schedule one past about 10**9 seconds, and
# an hour is already longer than any client's timeout.
_MAX_DELAY = 3600.0
# RFC 9110's token: what a header name may hold.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_DEFAULT_MODEL = "gpt-4o-mini"
_NO_BODY = frozenset({204, 304})
_UNKNOWN = re.compile(r"unknown field `([^`]*)`")

T = TypeVar("T")


class ControlError(ValueError):
    """What is wrong with a control request, and the field it is about (``param``)."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


# --- the JSON of a reply ------------------------------------------------------------------


class _ToolCallBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    # JSON text, or the arguments themselves (sent as compact JSON).
    arguments: str | dict[str, Any] = "{}"
    id: str = ""


class _ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[_ToolCallBody] = msgspec.field(default_factory=list[_ToolCallBody])
    reasoning: str | None = None
    raw: str | None = None
    """A body served as it is, as text (UTF-8 on the wire)."""
    raw_base64: bytes | None = None
    """A body served as it is, in base64: any bytes."""
    raw_content_type: str = "text/event-stream"


class _QueueBody(msgspec.Struct, forbid_unknown_fields=True):
    replies: list[_ReplyBody]
    only: Only | None = None


def _reply(body: _ReplyBody, at: str) -> Reply:
    if body.raw is not None and body.raw_base64 is not None:
        raise ControlError("Give a raw body as raw or as raw_base64, not both.", f"{at}.raw")
    _check_header_value(body.raw_content_type, f"{at}.raw_content_type")
    raw = body.raw.encode() if body.raw is not None else body.raw_base64
    calls = tuple(
        ToolCall(
            call.name,
            call.arguments
            if isinstance(call.arguments, str)
            else json.dumps(call.arguments, separators=(",", ":")),
            call.id,
        )
        for call in body.tool_calls
    )
    return Reply(
        content=body.content,
        refusal=body.refusal,
        tool_calls=calls,
        raw=raw,
        raw_content_type=body.raw_content_type,
        reasoning=body.reasoning,
    )


def reply_json(reply: Reply) -> Json:
    """``reply`` as ``POST /_completionkit/replies`` takes it (a raw body in base64)."""
    out: Json = {
        "content": reply.content,
        "refusal": reply.refusal,
        "tool_calls": [{"name": c.name, "arguments": c.arguments, "id": c.id} for c in reply.tool_calls],
        "reasoning": reply.reasoning,
        "raw_content_type": reply.raw_content_type,
    }
    if reply.raw is not None:
        out["raw_base64"] = base64.b64encode(reply.raw).decode("ascii")
    return out


# --- the JSON of a fault ------------------------------------------------------------------

_Seconds = Annotated[float, msgspec.Meta(ge=0, le=_MAX_DELAY)]
_Count = Annotated[int, msgspec.Meta(ge=0)]
_DEFAULT_FAULT = Fault()


class _FaultBody(msgspec.Struct, forbid_unknown_fields=True):
    # A Fault's fields, with their defaults, and a body as text or in base64.
    status: Annotated[int, msgspec.Meta(ge=200, le=599)] | None = None
    error_type: str = _DEFAULT_FAULT.error_type
    error_code: str | None = None
    message: str = _DEFAULT_FAULT.message
    headers: dict[str, str] = msgspec.field(default_factory=dict[str, str])
    delay: _Seconds = 0.0
    gather: Annotated[int, msgspec.Meta(ge=1)] | None = None
    drop: Literal["before", "during"] | None = None
    body: str | None = None
    body_base64: bytes | None = None
    content_type: str = _DEFAULT_FAULT.content_type
    cut_stream_after: _Count | None = None
    error_event_after: _Count | None = None
    keepalive_comments: bool = False
    chunk_delay: _Seconds = 0.0
    # How it is injected.
    times: Annotated[int, msgspec.Meta(ge=1)] = 1
    operation: str | None = None


def _fault(body: _FaultBody) -> Fault:
    if body.body is not None and body.body_base64 is not None:
        raise ControlError("Give a fault's body as body or as body_base64, not both.", "body")
    if body.status in _NO_BODY:
        # The answer carries a body (the error object, or the fault's own), which such
        # a status forbids: the connection's next answer would be garbled.
        raise ControlError(f"A fault cannot answer {body.status}: that status has no body.", "status")
    for name, value in body.headers.items():
        if not _HEADER_NAME.match(name):
            raise ControlError(f"{name!r} cannot be the name of a header.", "headers")
        _check_header_value(value, "headers")
    _check_header_value(body.content_type, "content_type")
    check_operation(body.operation)
    return Fault(
        status=body.status,
        error_type=body.error_type,
        error_code=body.error_code,
        message=body.message,
        headers=body.headers,
        delay=body.delay,
        gather=body.gather,
        drop=body.drop,
        body=body.body.encode() if body.body is not None else body.body_base64,
        content_type=body.content_type,
        cut_stream_after=body.cut_stream_after,
        error_event_after=body.error_event_after,
        keepalive_comments=body.keepalive_comments,
        chunk_delay=body.chunk_delay,
    )


def fault_json(fault: Fault, *, times: int = 1, operation: str | None = None) -> Json:
    """``fault`` as ``POST /_completionkit/faults`` takes it (a body in base64)."""
    out: Json = {
        "status": fault.status,
        "error_type": fault.error_type,
        "error_code": fault.error_code,
        "message": fault.message,
        "headers": dict(fault.headers),
        "delay": fault.delay,
        "gather": fault.gather,
        "drop": fault.drop,
        "content_type": fault.content_type,
        "cut_stream_after": fault.cut_stream_after,
        "error_event_after": fault.error_event_after,
        "keepalive_comments": fault.keepalive_comments,
        "chunk_delay": fault.chunk_delay,
        "times": times,
        "operation": operation,
    }
    if fault.body is not None:
        out["body_base64"] = base64.b64encode(fault.body).decode("ascii")
    return out


def check_operation(operation: str | None) -> None:
    """Refuse an operation id no request can have: a fault kept for it would never be met."""
    if operation is not None and operation not in OPERATION_IDS:
        known = ", ".join(sorted(OPERATION_IDS))
        raise ControlError(f"No operation {operation!r}; the operations are {known}.", "operation")


def _check_header_value(value: str, param: str) -> None:
    # What uvicorn would refuse to send, or send as a broken answer, is refused here.
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ControlError(f"{value!r} cannot be sent in a header (latin-1 only).", param) from None
    if any(c in value for c in "\r\n\0"):
        raise ControlError(f"{value!r} cannot be sent in a header (a line break or NUL).", param)


# --- a stored completion ------------------------------------------------------------------


def store_completion(
    state: ServerState,
    completion: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]] = (),
    metadata: Mapping[str, str] | None = None,
) -> Json:
    """Store ``completion`` (a ``chat.completion`` object with its ``id``) and its input
    ``messages``; return it as ``GET /v1/chat/completions/{id}`` answers it.

    Any field it leaves out (all but ``id``, if it likes) is the deterministic model's
    answer to ``messages``.  ``metadata`` (else the completion's own) must keep the
    API's limits.  ``ControlError`` names what is wrong: a field, a message, an id
    already stored.
    """
    completion_id = completion.get("id")
    if not isinstance(completion_id, str) or not completion_id:
        raise ControlError("A stored completion needs an id (a non-empty string).", "id")
    checked = _checked_messages(messages)
    kept = metadata if metadata is not None else completion.get("metadata")
    try:
        given_metadata = msgspec.convert(kept, dict[str, str] | None, strict=True)
        pairs = validate_metadata(given_metadata) if given_metadata is not None else {}
    except msgspec.ValidationError as error:
        raise ControlError(f"Invalid metadata: {error_location(error)[1]}", "metadata") from None
    except HTTPError as error:
        raise ControlError(str(error), "metadata") from None
    model = completion.get("model")
    request: Json = {"model": model if isinstance(model, str) else _DEFAULT_MODEL, "messages": checked}
    built = build_completion(request, default_reply(request), completion_id, int(time.time()))
    stored: Json = {**built, **completion, "metadata": pairs}
    try:
        encoded = msgspec.json.encode(stored)
    except (TypeError, ValueError) as error:  # a Python caller's value JSON has no place for
        raise ControlError(f"The completion is not JSON: {error}") from None
    try:
        decode_json(encoded, endpoints.get_chat_completion.response, strict=True)
    except msgspec.ValidationError as error:
        raise _invalid(error, "") from None
    stored = json.loads(encoded)  # plain JSON from here on, as a request's body is
    rows = [stored_message(completion_id, i, m) for i, m in enumerate(checked)]
    try:
        state.store.add(stored, pairs, rows)
    except sqlite3.IntegrityError:
        raise ControlError(f"A completion with id {completion_id!r} is stored already.", "id") from None
    return state.store.get(completion_id) or stored


def _checked_messages(messages: Sequence[Mapping[str, Any]]) -> list[Json]:
    """The messages as plain JSON, each one a message a create request could send."""
    try:
        encoded = msgspec.json.encode(list(messages))
    except (TypeError, ValueError) as error:
        raise ControlError(f"The messages are not JSON: {error}", "messages") from None
    try:
        decode_json(encoded, list[ChatCompletionRequestMessage], strict=True)
    except msgspec.ValidationError as error:
        raise _invalid(error, "messages") from None
    checked: list[Json] = json.loads(encoded)
    return checked


# --- the recorded requests ----------------------------------------------------------------


def recorded_json(request: RecordedRequest) -> Json:
    """One recorded request as ``GET /_completionkit/requests`` lists it: a body that is
    not JSON (bytes) in ``body_base64``."""
    raw = request.body if isinstance(request.body, bytes) else None
    return {
        "method": request.method,
        "path": request.path,
        "query": [list(pair) for pair in request.query],
        "headers": dict(request.headers),
        "body": None if raw is not None else request.body,
        "body_base64": base64.b64encode(raw).decode("ascii") if raw is not None else None,
        "operation_id": request.operation_id,
    }


def recorded_from_json(value: Json) -> RecordedRequest:
    """The ``RecordedRequest`` that ``recorded_json`` wrote."""
    raw = value.get("body_base64")
    return RecordedRequest(
        value["method"],
        value["path"],
        tuple((str(k), str(v)) for k, v in value["query"]),
        dict(value["headers"]),
        base64.b64decode(raw) if raw is not None else value["body"],
        value["operation_id"],
    )


# --- the routes ---------------------------------------------------------------------------


def _decode(body: bytes, type_: type[T]) -> T:
    if not body:
        raise ControlError("The request needs a JSON body.")
    try:
        load_json(body)  # bytes and depth no parser can take are a 400, not a crash
    except HTTPError as error:
        raise ControlError(str(error)) from None
    try:
        return msgspec.json.decode(body, type=type_, strict=True)
    except msgspec.ValidationError as error:
        raise _invalid(error, "") from None
    except (msgspec.DecodeError, ValueError):
        raise ControlError("We could not parse the JSON body of your request.") from None


def _invalid(error: msgspec.ValidationError, within: str) -> ControlError:
    """The refusal of what msgspec refused, naming the field (``within`` the one decoded),
    the one it names as unknown too: ``Invalid replies[0].content: Expected `str | null```."""
    path, message = error_location(error)
    unknown = _UNKNOWN.search(message)
    if unknown:
        path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
    elif not path:
        return ControlError(f"Invalid {within or 'request body'}: {message}", within or None)
    # A list's index follows its name as it is: messages[0].role.
    param = f"{within}{path}" if path.startswith("[") else f"{within}.{path}" if within else path
    return ControlError(f"Invalid {param}: {message}", param)


def _reset(state: ServerState, body: bytes) -> Json:
    state.reset()
    return {"reset": True}


def _store(state: ServerState, body: bytes) -> Json:
    given = dict(_decode(body, dict[str, Any]))
    try:
        messages = msgspec.convert(given.pop("messages", []), list[dict[str, Any]], strict=True)
    except msgspec.ValidationError as error:
        raise _invalid(error, "messages") from None
    metadata = given.pop("metadata", None)
    return store_completion(state, given, messages, metadata)


def _queue(state: ServerState, body: bytes) -> Json:
    queued = _decode(body, _QueueBody)
    state.queue([_reply(r, f"replies[{i}]") for i, r in enumerate(queued.replies)], queued.only)
    return {"queued": state.queued_replies()}


def _inject(state: ServerState, body: bytes) -> Json:
    given = _decode(body, _FaultBody)
    state.inject(_fault(given), given.times, given.operation)
    return {"pending": state.pending_faults()}


def _requests(state: ServerState, body: bytes) -> Json:
    return {"requests": [recorded_json(r) for r in state.requests()]}


_Handler = Callable[[ServerState, bytes], Json]

_ROUTES: Final[Mapping[str, Mapping[str, _Handler]]] = {
    "/reset": {"POST": _reset},
    "/completions": {"POST": _store},
    "/replies": {
        "POST": _queue,
        "GET": lambda state, body: {"queued": state.queued_replies()},
        "DELETE": lambda state, body: {"cleared": state.clear_replies()},
    },
    "/faults": {
        "POST": _inject,
        "GET": lambda state, body: {"pending": state.pending_faults()},
        "DELETE": lambda state, body: {"cleared": state.clear_faults()},
    },
    "/requests": {
        "GET": _requests,
        "DELETE": lambda state, body: {"cleared": state.clear_requests()},
    },
}


def control(state: ServerState, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    """The answer (status, JSON bytes) to the control request ``method path`` (``path``
    under ``/_completionkit``).  A store that fails raises its ``sqlite3.Error``."""
    routes = _ROUTES.get(path)
    if routes is None:
        known = ", ".join(CONTROL_PREFIX + p for p in _ROUTES)
        return _error(404, f"No control route {CONTROL_PREFIX}{path}; the routes are {known}.")
    handler = routes.get(method)
    if handler is None:
        allowed = ", ".join(routes)
        return _error(405, f"Method {method} is not allowed on {CONTROL_PREFIX}{path}; allowed: {allowed}.")
    try:
        answer = handler(state, body)
    except ControlError as error:
        return _error(400, str(error), error.param)
    # The stdlib's encoder: a recorded body holds what json.loads took, lone surrogates
    # included, which it escapes and msgspec refuses to encode.
    return 200, json.dumps(answer, separators=(",", ":")).encode()


def _error(status: int, message: str, param: str | None = None) -> tuple[int, bytes]:
    return status, msgspec.json.encode(HTTPError(status, message, param=param).body)
