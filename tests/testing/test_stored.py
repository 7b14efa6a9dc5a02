"""Stored completions: retrieve, update, delete, list and messages, with their pagination."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from completionkit.testing import LocalServer

from .conftest import check_response, create


def _store(client: httpx2.Client, n: int, **params: Any) -> list[str]:
    return [create(client, f"message {i}", store=True, **params).json()["id"] for i in range(n)]


def test_a_stored_completion_can_be_retrieved(client: httpx2.Client) -> None:
    created = create(client, store=True, metadata={"topic": "greeting"}).json()
    stored = client.get(f"/chat/completions/{created['id']}").json()
    assert stored["id"] == created["id"]
    assert stored["choices"] == created["choices"]
    assert stored["metadata"] == {"topic": "greeting"}


def test_a_completion_not_stored_is_not_found(client: httpx2.Client) -> None:
    completion_id = create(client).json()["id"]
    response = client.get(f"/chat/completions/{completion_id}")
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "completion_id"


def test_update_replaces_the_metadata(client: httpx2.Client) -> None:
    (completion_id,) = _store(client, 1, metadata={"a": "1"})
    updated = client.post(f"/chat/completions/{completion_id}", json={"metadata": {"b": "2"}}).json()
    assert updated["metadata"] == {"b": "2"}
    assert client.get(f"/chat/completions/{completion_id}").json()["metadata"] == {"b": "2"}


@pytest.mark.parametrize(
    "metadata",
    [{f"k{i}": "v" for i in range(17)}, {"k" * 65: "v"}, {"k": "v" * 513}],
    ids=["17 pairs", "65-char key", "513-char value"],
)
def test_update_beyond_the_metadata_limits_gets_400(client: httpx2.Client, metadata: dict[str, str]) -> None:
    (completion_id,) = _store(client, 1)
    response = client.post(f"/chat/completions/{completion_id}", json={"metadata": metadata})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "metadata"


def test_update_at_the_metadata_limits_is_fine(client: httpx2.Client) -> None:
    (completion_id,) = _store(client, 1)
    metadata = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}
    assert client.post(f"/chat/completions/{completion_id}", json={"metadata": metadata}).status_code == 200


def test_update_of_an_unknown_id_is_404_and_a_bad_body_400(client: httpx2.Client) -> None:
    assert client.post("/chat/completions/nope", json={"metadata": {}}).status_code == 404
    (completion_id,) = _store(client, 1)
    response = client.post(f"/chat/completions/{completion_id}", json={"metadata": {"k": 1}})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "metadata"


def test_delete_then_not_found(client: httpx2.Client) -> None:
    (completion_id,) = _store(client, 1)
    assert client.delete(f"/chat/completions/{completion_id}").json() == {
        "object": "chat.completion.deleted",
        "id": completion_id,
        "deleted": True,
    }
    assert client.delete(f"/chat/completions/{completion_id}").status_code == 404
    assert client.get(f"/chat/completions/{completion_id}").status_code == 404
    assert client.get(f"/chat/completions/{completion_id}/messages").status_code == 404


def test_list_pages_forward_with_after_and_limit(client: httpx2.Client) -> None:
    ids = _store(client, 5)
    first = client.get("/chat/completions", params={"limit": 2}).json()
    assert [c["id"] for c in first["data"]] == ids[:2]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (ids[0], ids[1], True)
    second = client.get("/chat/completions", params={"limit": 2, "after": first["last_id"]}).json()
    assert [c["id"] for c in second["data"]] == ids[2:4]
    third = client.get("/chat/completions", params={"limit": 2, "after": second["last_id"]}).json()
    assert [c["id"] for c in third["data"]] == ids[4:]
    assert third["has_more"] is False


def test_list_defaults_to_20_ascending(client: httpx2.Client) -> None:
    ids = _store(client, 21)
    page = client.get("/chat/completions").json()
    assert [c["id"] for c in page["data"]] == ids[:20]
    assert page["has_more"] is True


def test_list_in_descending_order(client: httpx2.Client) -> None:
    ids = _store(client, 3)
    page = client.get("/chat/completions", params={"order": "desc", "limit": 2}).json()
    assert [c["id"] for c in page["data"]] == [ids[2], ids[1]]
    rest = client.get("/chat/completions", params={"order": "desc", "after": ids[1]}).json()
    assert [c["id"] for c in rest["data"]] == [ids[0]]


def test_list_filters_by_model_and_metadata(client: httpx2.Client) -> None:
    create(client, store=True, model="a", metadata={"topic": "x", "team": "1"})
    wanted = create(client, store=True, model="b", metadata={"topic": "x", "team": "2"}).json()["id"]
    create(client, store=True, model="b", metadata={"topic": "y"})
    by_model = client.get("/chat/completions", params={"model": "b"}).json()["data"]
    assert len(by_model) == 2
    both = client.get("/chat/completions", params={"metadata[topic]": "x", "metadata[team]": "2"}).json()[
        "data"
    ]
    assert [c["id"] for c in both] == [wanted]
    assert client.get("/chat/completions", params={"metadata[topic]": "z"}).json() == {
        "object": "list",
        "data": [],
        "first_id": "",
        "last_id": "",
        "has_more": False,
    }


def test_list_of_nothing_stored_is_empty(client: httpx2.Client) -> None:
    create(client)
    assert client.get("/chat/completions").json()["data"] == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"after": "nope"}, "after"),
    ],
)
def test_bad_list_parameters_get_400(client: httpx2.Client, params: dict[str, Any], param: str) -> None:
    response = client.get("/chat/completions", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_messages_are_the_stored_input_messages(client: httpx2.Client) -> None:
    messages = [
        {"role": "developer", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ],
        },
    ]
    completion_id = client.post(
        "/chat/completions", json={"model": "m", "messages": messages, "store": True}
    ).json()["id"]
    page = client.get(f"/chat/completions/{completion_id}/messages").json()
    assert [m["role"] for m in page["data"]] == ["developer", "user"]
    assert [m["id"] for m in page["data"]] == [f"{completion_id}-0", f"{completion_id}-1"]
    assert page["data"][0]["content"] == "Be brief."
    assert page["data"][1]["content"] == "What is this?"
    assert page["data"][1]["content_parts"] == messages[1]["content"]
    # The spec's stored message requires a refusal: null, for a message that had none.
    assert [m["refusal"] for m in page["data"]] == [None, None]


def test_messages_have_their_own_pagination(client: httpx2.Client) -> None:
    messages = [{"role": "user", "content": f"m{i}"} for i in range(5)]
    completion_id = client.post(
        "/chat/completions", json={"model": "m", "messages": messages, "store": True}
    ).json()["id"]
    first = client.get(f"/chat/completions/{completion_id}/messages", params={"limit": 3}).json()
    assert [m["content"] for m in first["data"]] == ["m0", "m1", "m2"]
    assert first["has_more"] is True
    rest = client.get(
        f"/chat/completions/{completion_id}/messages", params={"after": first["last_id"]}
    ).json()
    assert [m["content"] for m in rest["data"]] == ["m3", "m4"]
    backwards = client.get(
        f"/chat/completions/{completion_id}/messages", params={"order": "desc", "limit": 1}
    ).json()
    assert [m["content"] for m in backwards["data"]] == ["m4"]


def test_ids_are_one_path_segment(client: httpx2.Client) -> None:
    # An encoded "/" stays inside the id: it reaches the completion route, not another one.
    response = client.get("/chat/completions/a%2Fmessages")
    assert response.status_code == 404
    assert "a/messages" in response.json()["error"]["message"]


def test_stored_completions_survive_a_restart_with_a_db_file(tmp_path: Path) -> None:
    db = str(tmp_path / "store.sqlite")
    with LocalServer(db=db) as first, httpx2.Client(base_url=first.url) as client:
        completion_id = create(client, store=True, metadata={"k": "v"}).json()["id"]
    with LocalServer(db=db) as second, httpx2.Client(base_url=second.url) as client:
        response = client.get(f"/chat/completions/{completion_id}")
        check_response(response)
        assert response.json()["metadata"] == {"k": "v"}


def test_two_servers_share_nothing() -> None:
    with LocalServer() as one, LocalServer() as two, httpx2.Client() as client:
        client.post(
            f"{one.url}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "x"}], "store": True},
        )
        assert one.store.count() == 1
        assert two.store.count() == 0
        assert len(one.requests) == 1
        assert two.requests == []
        assert one.url != two.url
