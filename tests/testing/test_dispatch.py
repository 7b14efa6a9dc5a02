"""How the local server hands a routed request to its operation: a table by operation id."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import msgspec
import pytest

from completionkit._generated.endpoints import ENDPOINTS, Endpoint, NoParameters
from completionkit._generated.models import ChatCompletionDeleted, ErrorResponse
from completionkit.testing import LocalServer
from completionkit.testing._app import App, _Call
from completionkit.testing._state import ServerState

# An operation the spec might gain one day, which the server has no handler for.
ARCHIVE: Endpoint[NoParameters, NoParameters, None, ChatCompletionDeleted, None] = Endpoint(
    operation_id="archiveChatCompletions",
    method="POST",
    path="/chat/completions/archive",
    path_parameters=NoParameters,
    query=NoParameters,
    query_parameters=(),
    body=None,
    response=ChatCompletionDeleted,
    stream_chunk=None,
    error=ErrorResponse,
)


@pytest.fixture
def state() -> Iterator[ServerState]:
    state = ServerState(api_key=None, db=None)
    yield state
    state.store.close()


def test_every_endpoint_has_a_handler(state: ServerState) -> None:
    missing = [e.operation_id for e in ENDPOINTS if e.operation_id not in App._HANDLERS]
    assert missing == [], f"the local server has no handler for {missing}"
    App(state)  # and the server starts with all of them


def test_every_handler_serves_an_endpoint() -> None:
    stale = set(App._HANDLERS) - {e.operation_id for e in ENDPOINTS}
    assert stale == set(), f"handlers for operations spec/ does not have: {sorted(stale)}"


def test_an_endpoint_without_a_handler_stops_the_app_by_name(state: ServerState) -> None:
    with pytest.raises(NotImplementedError, match=r"no handler for operation 'archiveChatCompletions'"):
        App(state, operations=(*ENDPOINTS, ARCHIVE))


def test_every_endpoint_without_a_handler_is_named(state: ServerState) -> None:
    renamed = msgspec.structs.replace(ARCHIVE, operation_id="restoreChatCompletions")
    with pytest.raises(NotImplementedError) as raised:
        App(state, operations=(ARCHIVE, *ENDPOINTS, renamed))
    assert "'archiveChatCompletions', 'restoreChatCompletions'" in str(raised.value)


def test_an_operation_never_falls_back_on_another(
    state: ServerState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The old if/elif chain answered any operation it did not know as getChatCompletionMessages.
    without_messages = {k: v for k, v in App._HANDLERS.items() if k != "getChatCompletionMessages"}
    monkeypatch.setattr(App, "_HANDLERS", without_messages)
    with pytest.raises(NotImplementedError, match="'getChatCompletionMessages'"):
        App(state)


def test_each_operation_reaches_its_own_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    def answering(operation_id: str) -> object:
        async def handler(app: App, call: _Call) -> None:
            await app._answer(call.send, {"operation": operation_id}, call.request_id, call.fault)

        return handler

    monkeypatch.setattr(App, "_HANDLERS", {op: answering(op) for op in App._HANDLERS})
    with LocalServer() as server, httpx2.Client(base_url=server.url, timeout=30) as http:
        for endpoint in ENDPOINTS:
            path = endpoint.path.replace("{completion_id}", "chatcmpl-abc")
            response = http.request(endpoint.method, path)
            assert response.json() == {"operation": endpoint.operation_id}
        assert [r.operation_id for r in server.requests] == [e.operation_id for e in ENDPOINTS]
