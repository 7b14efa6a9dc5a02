"""Auto-paging stops with a clear error when the server's cursor does not advance, and a
404 counts as "no such completion" only when the API itself says so."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest

from completionkit import APIResponseValidationError, AsyncOpenAI, NotFoundError, OpenAI
from completionkit._answers import error_from_response, says_no_such_completion
from completionkit._generated.models import ErrorResponse
from completionkit._results import AsyncPage
from completionkit.testing import Fault, LocalServer

LIST = "listChatCompletions"


def _completion(completion_id: str) -> dict[str, Any]:
    return {"id": completion_id, "object": "chat.completion", "created": 1, "model": "m", "choices": []}


def _page(ids: list[str], *, has_more: bool, last_id: str | None = None) -> bytes:
    body: dict[str, Any] = {
        "object": "list",
        "data": [_completion(i) for i in ids],
        "first_id": ids[0] if ids else "",
        "has_more": has_more,
    }
    if last_id is not None:
        body["last_id"] = last_id
    return json.dumps(body).encode()


def _afters(server: LocalServer) -> list[str | None]:
    return [r.params.get("after") for r in server.requests]


# --- paging --------------------------------------------------------------------------------------


def test_a_cursor_that_does_not_advance_stops_the_iteration(server: LocalServer, client: OpenAI) -> None:
    # Prism's mock: every page the same, has_more true, the same last_id.
    server.inject(Fault.raw(_page(["a", "b"], has_more=True, last_id="b")), times=5, operation=LIST)
    page = client.chat.completions.list()
    seen: list[str] = []
    with pytest.raises(APIResponseValidationError, match=r"does not advance.*'b'"):
        seen.extend(c.id for c in page)
    assert seen == ["a", "b"]
    assert _afters(server) == [None, "b"]  # one request for the repeated page, no more


def test_next_page_refuses_a_page_that_ends_at_its_own_cursor(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.raw(_page(["a"], has_more=True, last_id="a")), times=2, operation=LIST)
    first = client.chat.completions.list()
    with pytest.raises(APIResponseValidationError, match="'a'"):
        first.next_page()


@pytest.mark.parametrize("last_id", [None, ""], ids=["missing", "empty"])
def test_has_more_without_a_last_id_raises(server: LocalServer, client: OpenAI, last_id: str | None) -> None:
    server.inject(Fault.raw(_page(["a"], has_more=True, last_id=last_id)), operation=LIST)
    page = client.chat.completions.list()
    with pytest.raises(APIResponseValidationError, match="no last_id"):
        list(page)
    with pytest.raises(APIResponseValidationError, match="no last_id"):
        page.next_page()
    assert len(server.requests) == 1


def test_a_cycle_of_cursors_stops_the_iteration(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.raw(_page(["a"], has_more=True, last_id="a")), operation=LIST)
    server.inject(Fault.raw(_page(["b"], has_more=True, last_id="b")), operation=LIST)
    server.inject(Fault.raw(_page(["a"], has_more=True, last_id="a")), times=3, operation=LIST)
    with pytest.raises(APIResponseValidationError, match="'a'"):
        list(client.chat.completions.list())
    assert _afters(server) == [None, "a", "b"]


def test_pages_that_advance_still_go_to_the_end(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.raw(_page(["a"], has_more=True, last_id="a")), operation=LIST)
    server.inject(Fault.raw(_page(["b"], has_more=True, last_id="b")), operation=LIST)
    server.inject(Fault.raw(_page([], has_more=False, last_id="")), operation=LIST)
    assert [c.id for c in client.chat.completions.list()] == ["a", "b"]


def test_the_async_pages_stop_too(server: LocalServer) -> None:
    async def run() -> tuple[list[str], list[str]]:
        async with AsyncOpenAI(api_key="k", base_url=server.url, max_retries=0) as client:
            by_pages: list[str] = []
            server.inject(Fault.raw(_page(["a"], has_more=True, last_id="a")), times=2, operation=LIST)

            async def every_item() -> None:
                async for item in client.chat.completions.list():
                    by_pages.append(item.id)

            with pytest.raises(APIResponseValidationError, match="'a'"):
                await every_item()
            by_page: list[str] = []
            server.inject(Fault.raw(_page(["a"], has_more=True, last_id="a")), times=2, operation=LIST)
            first = await client.chat.completions.list()

            async def every_item_of(page: AsyncPage[Any]) -> None:
                async for item in page:
                    by_page.append(item.id)

            with pytest.raises(APIResponseValidationError, match="'a'"):
                await every_item_of(first)
            server.inject(Fault.raw(_page(["a"], has_more=True, last_id="a")), times=2, operation=LIST)
            first = await client.chat.completions.list()
            with pytest.raises(APIResponseValidationError, match="'a'"):
                await first.next_page()
            return by_pages, by_page

    assert asyncio.run(run()) == (["a"], ["a"])
    assert server.pending_faults == 0


# --- 404: "no such completion" or a wrong route -------------------------------------------------

API_MISSING = {
    "error": {
        "message": "No chat completion found with id 'chatcmpl-abc'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
}


def _not_found(body: bytes, path: str = "/v1/chat/completions/chatcmpl-abc") -> NotFoundError:
    request = httpx2.Request("DELETE", f"https://api.example{path}")
    error = error_from_response(httpx2.Response(404, content=body, request=request), ErrorResponse)
    assert isinstance(error, NotFoundError)
    return error


@pytest.mark.parametrize(
    "body",
    [
        API_MISSING,
        {"error": {**API_MISSING["error"], "param": "completion_id", "code": "not_found"}},
        {"error": {**API_MISSING["error"], "message": "Chat completion chatcmpl-abc not found."}},
        {"error": {**API_MISSING["error"], "code": "not_found"}},
    ],
    ids=["API, param null", "local server", "other wording", "code not_found"],
)
def test_the_api_s_own_404_for_a_missing_completion_says_so(body: dict[str, Any]) -> None:
    assert says_no_such_completion(_not_found(json.dumps(body).encode()))


def test_a_percent_encoded_id_is_matched_decoded() -> None:
    body = {"error": {**API_MISSING["error"], "message": "No chat completion found with id 'a/b c'."}}
    assert says_no_such_completion(_not_found(json.dumps(body).encode(), "/v1/chat/completions/a%2Fb%20c"))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"detail": "Not Found"}',
        b"<html><body><h1>404 Not Found</h1></body></html>",
        b"Not Found",
        b'{"error": "Not Found"}',
        b'{"error": {"message": "Invalid URL (DELETE /chat/completions/chatcmpl-abc)",'
        b' "type": "invalid_request_error", "param": null, "code": null}}',
        b'{"error": {"message": "The model chatcmpl-abc does not exist", "type": "not_found_error"}}',
        b'{"error": {"message": "Not found", "type": "invalid_request_error"}}',
        b'{"error": {"message": "No chat completion found with id chatcmpl-abc",'
        b' "type": "invalid_request_error", "param": "model"}}',
    ],
    ids=[
        "empty",
        "detail",
        "HTML",
        "text",
        "error string",
        "Invalid URL",
        "other type",
        "no id",
        "wrong param",
    ],
)
def test_any_other_404_does_not(body: bytes) -> None:
    assert not says_no_such_completion(_not_found(body))


def test_a_404_of_another_path_does_not() -> None:
    body = json.dumps(API_MISSING).encode()
    assert not says_no_such_completion(_not_found(body, "/v1/models/chatcmpl-abc"))
    assert not says_no_such_completion(_not_found(body, "/v1/chat/completions"))


def test_a_response_without_its_request_does_not() -> None:
    error = error_from_response(httpx2.Response(404, content=json.dumps(API_MISSING).encode()), ErrorResponse)
    assert isinstance(error, NotFoundError)
    assert not says_no_such_completion(error)


def _retrieve_404(client: OpenAI, completion_id: str = "chatcmpl-missing") -> NotFoundError:
    with pytest.raises(NotFoundError) as raised:
        client.chat.completions.retrieve(completion_id)
    return raised.value


def test_against_the_local_server(server: LocalServer, client: OpenAI) -> None:
    assert says_no_such_completion(_retrieve_404(client))
    for fault in (
        Fault.raw(b'{"detail":"Not Found"}', status=404),
        Fault.raw(b"", status=404),
        Fault.html(404),
    ):
        server.inject(fault)
        assert not says_no_such_completion(_retrieve_404(client))
    # A base URL of a wrong path: the server's own 404 for a route it does not have.
    with OpenAI(api_key="k", base_url=f"{server.root_url}/api", max_retries=0) as wrong:
        assert not says_no_such_completion(_retrieve_404(wrong))


def test_delete_of_a_missing_completion_is_still_false(client: OpenAI) -> None:
    assert client.chat.completions.delete("chatcmpl-missing") is False


def test_delete_through_a_wrong_route_raises(server: LocalServer) -> None:
    with OpenAI(api_key="k", base_url=f"{server.root_url}/api", max_retries=0) as wrong:
        try:
            deleted = wrong.chat.completions.delete("chatcmpl-missing")
        except NotFoundError:
            deleted = None
        assert deleted is None, "a misconfigured base URL looked like 'nothing to delete'"


@pytest.mark.parametrize(
    "fault",
    [Fault.raw(b'{"detail":"Not Found"}', status=404), Fault.raw(b"", status=404), Fault.html(404)],
    ids=["detail", "empty", "HTML"],
)
def test_delete_answered_by_a_foreign_404_raises(server: LocalServer, client: OpenAI, fault: Fault) -> None:
    server.inject(fault)
    try:
        deleted = client.chat.completions.delete("chatcmpl-missing")
    except NotFoundError:
        deleted = None
    assert deleted is None
