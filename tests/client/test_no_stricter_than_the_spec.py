"""The client refuses before sending exactly what the local server refuses, and both only
what spec/ says.

The bounds and rules that spec/overlay.yaml writes down from upstream's own words
(Metadata's 16 pairs, keys of 64 characters and values of 512; ``top_logprobs`` needs
``logprobs``, ``stream_options`` needs ``stream``) are refused by both alike, because both
judge by the generated types and endpoint stubs.  What spec/ leaves open (any integer
``limit``, any ``after``, a blank id) is sent by the client and answered by the server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from completionkit import AsyncOpenAI, InvalidRequestError, OpenAI
from completionkit.testing import LocalServer

from .conftest import USER


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx2.Client]:
    """Requests as any program would send them, past the client's checks."""
    with httpx2.Client(base_url=server.url, timeout=30) as client:
        yield client


def _stored_id(client: OpenAI) -> str:
    completion_id = client.chat.completions.create(USER, model="m", store=True).id
    assert completion_id is not None
    return completion_id


OVER_THE_LIMITS = {
    "17 pairs": {f"k{i}": "v" for i in range(17)},
    "a key of 65 characters": {"k" * 65: "v"},
    "a value of 513 characters": {"k": "v" * 513},
}
AT_THE_LIMITS = {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}


def _metadata_calls(
    client: OpenAI, http: httpx2.Client, completion_id: str, metadata: dict[str, str]
) -> list[tuple[Callable[[], object], Callable[[], httpx2.Response]]]:
    """Each operation that takes metadata: the client's call, and the same request sent as it is."""
    query = {f"metadata[{key}]": value for key, value in metadata.items()}
    return [
        (
            lambda: client.chat.completions.create(USER, model="m", metadata=metadata),
            lambda: http.post(
                "/chat/completions", json={"model": "m", "messages": USER, "metadata": metadata}
            ),
        ),
        (
            lambda: client.chat.completions.update(completion_id, metadata),
            lambda: http.post(f"/chat/completions/{completion_id}", json={"metadata": metadata}),
        ),
        (
            lambda: client.chat.completions.list(metadata=metadata),
            lambda: http.get("/chat/completions", params=query),
        ),
    ]


@pytest.mark.parametrize("metadata", list(OVER_THE_LIMITS.values()), ids=list(OVER_THE_LIMITS))
def test_metadata_over_its_limits_is_refused_by_both(
    server: LocalServer, client: OpenAI, http: httpx2.Client, metadata: dict[str, str]
) -> None:
    completion_id = _stored_id(client)
    for call, sent in _metadata_calls(client, http, completion_id, metadata):
        server.clear_requests()
        with pytest.raises(InvalidRequestError) as raised:
            call()
        assert raised.value.param == "metadata"
        assert server.requests == []
        response = sent()
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == "metadata"
    assert server.store.get(completion_id)["metadata"] == {}


def test_metadata_at_its_limits_is_taken_by_both(client: OpenAI, http: httpx2.Client) -> None:
    completion_id = _stored_id(client)
    for call, sent in _metadata_calls(client, http, completion_id, AT_THE_LIMITS):
        call()
        assert sent().status_code == 200


REFUSED_COMBINATIONS = [
    ({"top_logprobs": 2}, "top_logprobs"),
    ({"top_logprobs": 0, "logprobs": False}, "top_logprobs"),
    ({"top_logprobs": 2, "logprobs": None}, "top_logprobs"),
    ({"stream_options": {"include_usage": True}}, "stream_options"),
]
TAKEN_COMBINATIONS = [
    {"top_logprobs": 2, "logprobs": True},
    {"top_logprobs": None},
    {"logprobs": False},
    {"stream_options": None},
    {"stream": None},  # the spec's stream is a boolean or null: null, as absent, is not streamed
]


@pytest.mark.parametrize(("fields", "param"), REFUSED_COMBINATIONS, ids=repr)
def test_a_field_without_the_one_it_needs_is_refused_by_both(
    server: LocalServer, client: OpenAI, http: httpx2.Client, fields: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.create(USER, model="m", **fields)
    assert raised.value.param == param
    assert server.requests == []
    response = http.post("/chat/completions", json={"model": "m", "messages": USER, **fields})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize("fields", TAKEN_COMBINATIONS, ids=repr)
def test_what_the_rules_allow_is_taken_by_both(
    server: LocalServer, client: OpenAI, http: httpx2.Client, fields: dict[str, Any]
) -> None:
    client.chat.completions.create(USER, model="m", **fields)
    assert len(server.requests) == 1
    assert http.post("/chat/completions", json={"model": "m", "messages": USER, **fields}).status_code == 200


def test_the_async_client_sends_a_limit_of_zero(server: LocalServer) -> None:
    async def listed() -> tuple[list[object], bool]:
        async with AsyncOpenAI(api_key="sk-test-key", base_url=server.url) as client:
            await client.chat.completions.create(USER, model="m", store=True)
            page = await client.chat.completions.list(limit=0)
            return list(page.data), page.has_more

    assert asyncio.run(listed()) == ([], True)
    assert server.last_request.query == (("limit", "0"),)


# --- any list query: the client refuses it before sending iff the server answers 400 ----

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)  # a lone surrogate cannot be sent
KEYS = st.one_of(TEXT, st.integers(62, 66).map(lambda n: "k" * n))
VALUES = st.one_of(TEXT, st.integers(510, 514).map(lambda n: "v" * n))
LIST_QUERIES = st.fixed_dictionaries(
    {},
    optional={
        "limit": st.integers(),
        "after": TEXT,
        "order": st.one_of(st.sampled_from(["asc", "desc"]), TEXT),
        "model": TEXT,
        "metadata": st.dictionaries(KEYS, VALUES, max_size=18),
    },
)
PROPERTY = settings(
    max_examples=int(os.environ.get("CONTRACT_EXAMPLES", "60")),
    deadline=None,
    derandomize=not os.environ.get("CONTRACT_RANDOM"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    """The query the client sends for ``params``, as the API spells it."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if name == "metadata":
            pairs += [(f"metadata[{key}]", item) for key, item in value.items()]
        else:
            pairs.append((name, str(value)))
    return pairs


@PROPERTY
@given(params=LIST_QUERIES)
def test_the_client_refuses_a_list_query_iff_the_server_does(
    server: LocalServer, client: OpenAI, http: httpx2.Client, params: dict[str, Any]
) -> None:
    server.reset()
    _stored_id(client)
    server.clear_requests()
    try:
        client.chat.completions.list(**params)  # a server's 400 would raise BadRequestError here
    except InvalidRequestError as refused:
        event(f"refused before sending: {refused.param}")
        assert server.requests == []
        response = http.get("/chat/completions", params=_pairs(params))
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] in params  # the first of the bad ones it met
        return
    event("sent and answered")
    assert sorted(server.last_request.query) == sorted(_pairs(params))


@PROPERTY
@given(limit=st.integers())
def test_any_integer_limit_is_sent_and_answered(server: LocalServer, client: OpenAI, limit: int) -> None:
    server.reset()
    ids = [_stored_id(client) for _ in range(2)]
    messages_page = client.chat.completions.messages.list(ids[0], limit=limit)
    page = client.chat.completions.list(limit=limit)
    assert [c.id for c in page.data] == ids[: max(0, limit)]
    assert page.has_more is (limit < 2)
    assert len(messages_page.data) == min(1, max(0, limit))
