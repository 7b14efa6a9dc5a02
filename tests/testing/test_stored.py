"""Stored completions: retrieve, update, delete, list and messages, with their pagination."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
        ({"order": "sideways"}, "order"),
        ({"limit": "ten"}, "limit"),
        # The metadata filter has Metadata's schema, whose limits spec/overlay.yaml states.
        ({f"metadata[k{i}]": "v" for i in range(17)}, "metadata"),
        ({"metadata[" + "k" * 65 + "]": "v"}, "metadata"),
        ({"metadata[k]": "v" * 513}, "metadata"),
    ],
    ids=["order", "limit", "17 filter pairs", "65-char filter key", "513-char filter value"],
)
def test_bad_list_parameters_get_400(client: httpx2.Client, params: dict[str, Any], param: str) -> None:
    response = client.get("/chat/completions", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def _page(client: httpx2.Client, path: str = "/chat/completions", **params: Any) -> tuple[list[str], bool]:
    response = client.get(path, params=params)
    check_response(response)
    page = response.json()
    return [item["id"] for item in page["data"]], page["has_more"]


@pytest.mark.parametrize("limit", [0, -1, -(2**70)])
def test_a_limit_of_zero_or_less_is_an_empty_page(client: httpx2.Client, limit: int) -> None:
    # spec/ declares `limit` an integer with no bounds: the page holds none, and says more follow.
    assert _page(client, limit=limit) == ([], False)
    ids = _store(client, 2)
    assert client.get("/chat/completions", params={"limit": limit}).json() == {
        "object": "list",
        "data": [],
        "first_id": "",
        "last_id": "",
        "has_more": True,
    }
    assert _page(client, limit=limit, after=ids[0]) == ([], True)
    assert _page(client, limit=limit, after=ids[1]) == ([], False)
    assert _page(client, f"/chat/completions/{ids[0]}/messages", limit=limit) == ([], True)


@pytest.mark.parametrize("limit", [101, 2**63, 10**30])
def test_a_limit_beyond_any_count_is_the_whole_rest(client: httpx2.Client, limit: int) -> None:
    ids = _store(client, 3)
    assert _page(client, limit=limit) == (ids, False)
    assert _page(client, limit=limit, after=ids[0], order="asc") == (ids[1:], False)
    assert _page(client, f"/chat/completions/{ids[0]}/messages", limit=limit) == ([f"{ids[0]}-0"], False)


def test_after_a_completion_outside_the_filters_pages_on_from_its_place(client: httpx2.Client) -> None:
    a1 = create(client, store=True, model="a").json()["id"]
    b1 = create(client, store=True, model="b", metadata={"team": "2"}).json()["id"]
    a2 = create(client, store=True, model="a").json()["id"]
    b2 = create(client, store=True, model="b", metadata={"team": "2"}).json()["id"]
    a3 = create(client, store=True, model="a").json()["id"]
    assert _page(client, model="a", after=b1) == ([a2, a3], False)
    assert _page(client, model="a", after=b1, limit=1) == ([a2], True)
    assert _page(client, model="a", after=b2, order="desc") == ([a2, a1], False)
    assert _page(client, **{"metadata[team]": "2"}, after=a1) == ([b1, b2], False)
    assert _page(client, **{"metadata[team]": "2"}, after=a3) == ([], False)


@pytest.mark.parametrize("after", ["nope", "", " ", "chatcmpl-deleted"])
def test_after_an_id_of_no_completion_starts_at_the_beginning(client: httpx2.Client, after: str) -> None:
    # What the API answers is not documented; a cursor that names nothing skips nothing.
    ids = _store(client, 3)
    assert _page(client, after=after, limit=2) == (ids[:2], True)
    assert _page(client, after=after, order="desc") == (ids[::-1], False)
    assert _page(client, model="nobody", after=after) == ([], False)


def test_a_deleted_cursor_repeats_the_list_rather_than_ending_it(client: httpx2.Client) -> None:
    ids = _store(client, 3)
    first, _ = _page(client, limit=2)
    assert client.delete(f"/chat/completions/{first[-1]}").status_code == 200
    assert _page(client, after=first[-1], limit=2) == ([ids[0], ids[2]], False)


def test_messages_after_an_id_of_none_of_them_start_at_the_beginning(client: httpx2.Client) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": f"m{i}"} for i in range(3)], "store": True}
    one, other = (client.post("/chat/completions", json=body).json()["id"] for _ in range(2))
    path = f"/chat/completions/{one}/messages"
    own = [f"{one}-{i}" for i in range(3)]
    assert _page(client, path, after=f"{one}-0") == (own[1:], False)
    # Another completion's message names no message of this list.
    assert _page(client, path, after=f"{other}-1") == (own, False)
    assert _page(client, path, after="nope", limit=1) == (own[:1], True)


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


QUERY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
QUERY_NAMES = st.one_of(
    st.sampled_from(["limit", "after", "order", "model", "metadata[k]", "metadata[]", "metadata", "other"]),
    QUERY_TEXT.map(lambda key: f"metadata[{key}]"),
)
QUERY_VALUES = st.one_of(
    QUERY_TEXT,
    st.integers().map(str),
    st.sampled_from(["asc", "desc", "1e3", "1.5", "-0", "+1", " 1", "0x10", "9" * 5000]),
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=st.lists(st.tuples(QUERY_NAMES, QUERY_VALUES), max_size=6))
def test_any_list_query_is_answered_never_with_a_500(
    server: LocalServer, client: httpx2.Client, pairs: list[tuple[str, str]]
) -> None:
    server.reset()
    completion_id = create(client, store=True).json()["id"]
    for path in ("/chat/completions", f"/chat/completions/{completion_id}/messages"):
        response = client.get(path, params=pairs)  # the fixture checks the answer's shape
        assert response.status_code in (200, 400), response.text
