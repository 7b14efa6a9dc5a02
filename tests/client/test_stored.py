"""retrieve, update, delete, list and messages.list, end to end; ids and pages."""

from __future__ import annotations

import pytest

from completionkit import InvalidRequestError, NotFoundError, OpenAI
from completionkit.testing import LocalServer

from .conftest import USER


def _stored(client: OpenAI, n: int, **params: object) -> list[str]:
    ids = []
    for i in range(n):
        result = client.chat.completions.create(
            [{"role": "user", "content": f"m{i}"}], model="m", store=True, **params
        )  # type: ignore[arg-type]
        assert result.id is not None
        ids.append(result.id)
    return ids


def test_retrieve_returns_the_stored_completion(client: OpenAI) -> None:
    (completion_id,) = _stored(client, 1, metadata={"topic": "a"})
    stored = client.chat.completions.retrieve(completion_id)
    assert stored.id == completion_id
    assert stored.metadata == {"topic": "a"}
    assert stored.choices[0].message.content == "m0"


def test_retrieve_of_an_unknown_id_raises_not_found(client: OpenAI) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.chat.completions.retrieve("chatcmpl-missing")
    assert raised.value.is_not_found_error
    assert raised.value.param == "completion_id"


def test_update_returns_the_updated_completion(client: OpenAI) -> None:
    (completion_id,) = _stored(client, 1, metadata={"topic": "a"})
    updated = client.chat.completions.update(completion_id, {"topic": "b", "reviewed": "yes"})
    assert updated.metadata == {"topic": "b", "reviewed": "yes"}


def test_update_checks_the_metadata_before_sending(server: LocalServer, client: OpenAI) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.update("chatcmpl-1", {"k": 1})  # type: ignore[dict-item]
    assert raised.value.param == "metadata"
    assert server.requests == []


def test_delete_is_true_then_false(client: OpenAI) -> None:
    (completion_id,) = _stored(client, 1)
    assert client.chat.completions.delete(completion_id) is True
    assert client.chat.completions.delete(completion_id) is False


def test_an_empty_id_raises_before_sending(server: LocalServer, client: OpenAI) -> None:
    # The path would be another operation's: `/chat/completions/` names no completion.
    completions = client.chat.completions
    for call in (
        lambda: completions.retrieve(""),
        lambda: completions.update("", {}),
        lambda: completions.delete(""),
        lambda: completions.messages.list(""),
    ):
        with pytest.raises(InvalidRequestError) as raised:
            call()
        assert raised.value.param == "completion_id"
    assert server.requests == []


@pytest.mark.parametrize("blank", ["   ", "\t\n"])
def test_a_blank_id_is_sent_and_the_server_answers(server: LocalServer, client: OpenAI, blank: str) -> None:
    # spec/ sets no bound on an id but its type: a blank one is the server's to answer.
    completions = client.chat.completions
    with pytest.raises(NotFoundError):
        completions.retrieve(blank)
    with pytest.raises(NotFoundError):
        completions.update(blank, {})
    with pytest.raises(NotFoundError):
        completions.messages.list(blank)
    assert completions.delete(blank) is False
    assert {r.path for r in server.requests} == {
        f"/v1/chat/completions/{blank}",
        f"/v1/chat/completions/{blank}/messages",
    }
    # ...and so is a blank or empty cursor, which names no completion: the list from its start.
    ids = _stored(client, 2)
    for after in ("", blank):
        assert [c.id for c in completions.list(after=after).data] == ids
        assert server.last_request.params["after"] == after


def test_ids_are_one_url_encoded_path_segment(server: LocalServer, client: OpenAI) -> None:
    with pytest.raises(NotFoundError):
        client.chat.completions.retrieve("a/b?c=d#e")
    request = server.last_request
    assert request.operation_id == "getChatCompletion"
    assert request.path == "/v1/chat/completions/a/b?c=d#e"  # as the server decoded the one segment
    assert request.query == ()


def test_list_iterates_lazily_over_every_page(server: LocalServer, client: OpenAI) -> None:
    ids = _stored(client, 5)
    server.clear_requests()
    page = client.chat.completions.list(limit=2)
    assert [c.id for c in page.data] == ids[:2]
    assert (page.has_more, page.first_id, page.last_id) == (True, ids[0], ids[1])
    assert len(server.requests) == 1
    iterator = iter(page)
    assert [next(iterator).id for _ in range(2)] == ids[:2]
    assert len(server.requests) == 1  # nothing fetched before it is needed
    assert [c.id for c in iterator] == ids[2:]
    assert len(server.requests) == 3
    assert [r.params.get("after") for r in server.requests] == [None, ids[1], ids[3]]


def test_next_page_and_the_last_page(client: OpenAI) -> None:
    ids = _stored(client, 3)
    first = client.chat.completions.list(limit=2)
    second = first.next_page()
    assert second is not None
    assert [c.id for c in second.data] == ids[2:]
    assert second.has_more is False
    assert second.next_page() is None


def test_list_filters_go_out_as_the_api_wants(server: LocalServer, client: OpenAI) -> None:
    _stored(client, 1, metadata={"topic": "x", "team": "1"})
    wanted = _stored(client, 1, metadata={"topic": "x", "team": "2"})
    found = list(client.chat.completions.list(metadata={"topic": "x", "team": "2"}, model="m", order="desc"))
    assert [c.id for c in found] == wanted
    assert server.last_request.query == (
        ("model", "m"),
        ("metadata[topic]", "x"),
        ("metadata[team]", "2"),
        ("order", "desc"),
    )


def test_a_limit_of_zero_is_sent_and_answered(server: LocalServer, client: OpenAI) -> None:
    ids = _stored(client, 2)
    page = client.chat.completions.list(limit=0)
    assert server.last_request.query == (("limit", "0"),)
    assert (page.data, page.has_more) == ([], True)
    messages = client.chat.completions.messages.list(ids[0], limit=0)
    assert server.last_request.query == (("limit", "0"),)
    assert (messages.data, messages.has_more) == ([], True)


def test_list_after_a_completion_outside_the_filters(client: OpenAI) -> None:
    first = _stored(client, 1, metadata={"team": "1"})
    other = _stored(client, 1, metadata={"team": "2"})
    last = _stored(client, 1, metadata={"team": "1"})
    listed = client.chat.completions.list(metadata={"team": "1"}, after=other[0])
    assert [c.id for c in listed.data] == last
    assert [c.id for c in client.chat.completions.list(metadata={"team": "1"})] == first + last


def test_list_checks_its_parameters_before_sending(server: LocalServer, client: OpenAI) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.list(order="sideways")  # type: ignore[arg-type]
    assert raised.value.param == "order"
    with pytest.raises(InvalidRequestError):
        client.chat.completions.list(limit="ten")  # type: ignore[arg-type]
    assert server.requests == []


def test_messages_list_pages_through_the_stored_messages(server: LocalServer, client: OpenAI) -> None:
    messages = [{"role": "user", "content": f"q{i}"} for i in range(5)]
    completion_id = client.chat.completions.create(messages, model="m", store=True).id
    assert completion_id is not None
    page = client.chat.completions.messages.list(completion_id, limit=2)
    assert [m.content for m in page.data] == ["q0", "q1"]
    assert [m.content for m in page] == [f"q{i}" for i in range(5)]
    assert [
        m.role for m in client.chat.completions.messages.list(completion_id, order="desc", limit=1).data
    ] == ["user"]


def test_messages_of_an_unknown_completion(client: OpenAI) -> None:
    with pytest.raises(NotFoundError):
        client.chat.completions.messages.list("chatcmpl-missing")


def test_per_call_options_on_every_method(server: LocalServer, client: OpenAI) -> None:
    (completion_id,) = _stored(client, 1)
    client.chat.completions.retrieve(completion_id, extra_headers={"X-A": "1"}, extra_query={"q": "1"})
    assert server.last_request.headers["x-a"] == "1"
    assert server.last_request.params == {"q": "1"}
    client.chat.completions.list(limit=1, extra_headers={"X-B": "2"}, timeout=5.0, max_retries=0)
    assert server.last_request.headers["x-b"] == "2"


def test_a_stored_conversation_round_trip(client: OpenAI) -> None:
    result = client.chat.completions.create(USER, model="m", store=True, metadata={"k": "v"})
    assert result.id is not None
    assert client.chat.completions.retrieve(result.id).choices[0].message.content == result.choice.text  # type: ignore[union-attr]


def test_extra_body_on_a_request_without_a_body_raises_before_sending(
    server: LocalServer, client: OpenAI
) -> None:
    for call in (
        lambda: client.chat.completions.retrieve("chatcmpl-1", extra_body={"x": 1}),
        lambda: client.chat.completions.delete("chatcmpl-1", extra_body={"x": 1}),
        lambda: list(client.chat.completions.list(extra_body={"x": 1})),
    ):
        with pytest.raises(InvalidRequestError) as raised:
            call()
        assert raised.value.param == "extra_body"
        assert "has no body" in raised.value.message
    assert server.requests == []
