"""Create: the deterministic model, every honoured parameter, streams, and 400s naming the field."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from completionkit.testing import LocalServer, Reply

from .conftest import create, sse_data


def _chunks(response: httpx2.Response) -> list[Any]:
    data = sse_data(response.content)
    assert data[-1] == b"[DONE]"
    return [json.loads(d) for d in data[:-1]]


def test_the_model_echoes_the_last_user_message(client: httpx2.Client) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "second one"}]},
        ],
    }
    completion = client.post("/chat/completions", json=body).json()
    assert completion["object"] == "chat.completion"
    assert completion["model"] == "gpt-4o-mini"
    choice = completion["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": "second one",
        "refusal": None,
        "annotations": [],
    }
    assert choice["finish_reason"] == "stop"
    assert completion["usage"]["prompt_tokens"] == 6
    assert completion["usage"]["completion_tokens"] == 2
    assert completion["usage"]["total_tokens"] == 8
    assert completion["system_fingerprint"] == "fp_completionkit"
    assert completion["service_tier"] == "default"


def test_the_same_request_gets_the_same_answer(client: httpx2.Client) -> None:
    first, second = create(client).json(), create(client).json()
    assert first["choices"] == second["choices"]
    assert first["id"] != second["id"]


def test_queued_replies_come_in_order(server: LocalServer, client: httpx2.Client) -> None:
    server.queue(Reply.text("one"), Reply.text("two"))
    assert [create(client).json()["choices"][0]["message"]["content"] for _ in range(3)] == [
        "one",
        "two",
        "Hello there",
    ]


def test_tool_call_reply(server: LocalServer, client: httpx2.Client) -> None:
    server.queue(Reply.calling("get_weather", {"city": "Paris"}))
    choice = create(client).json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["id"].startswith("call_")
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert choice["message"]["content"] is None


def test_refusal_reply(server: LocalServer, client: httpx2.Client) -> None:
    server.queue(Reply.refusal_of("I can't help with that."))
    message = create(client).json()["choices"][0]["message"]
    assert message["refusal"] == "I can't help with that."
    assert message["content"] is None


def test_json_reply_and_json_by_default_under_response_format(
    server: LocalServer, client: httpx2.Client
) -> None:
    server.queue(Reply.json({"answer": 42}))
    assert json.loads(create(client).json()["choices"][0]["message"]["content"]) == {"answer": 42}
    content = create(client, "hi", response_format={"type": "json_object"}).json()["choices"][0]["message"][
        "content"
    ]
    assert json.loads(content) == {"echo": "hi"}


def test_n_gives_n_choices(client: httpx2.Client) -> None:
    completion = create(client, "a b", n=3).json()
    assert [c["index"] for c in completion["choices"]] == [0, 1, 2]
    assert completion["usage"]["completion_tokens"] == 6


@pytest.mark.parametrize("limit_name", ["max_completion_tokens", "max_tokens"])
def test_token_limit_cuts_with_finish_reason_length(client: httpx2.Client, limit_name: str) -> None:
    choice = create(client, "one two three four", **{limit_name: 2}).json()["choices"][0]
    assert choice["message"]["content"] == "one two"
    assert choice["finish_reason"] == "length"


def test_logprobs_and_top_logprobs(client: httpx2.Client) -> None:
    logprobs = create(client, "to be", logprobs=True, top_logprobs=3).json()["choices"][0]["logprobs"]
    assert [t["token"] for t in logprobs["content"]] == ["to", " be"]
    first = logprobs["content"][0]
    assert first["bytes"] == list(b"to")
    assert len(first["top_logprobs"]) == 3
    assert first["top_logprobs"][0]["token"] == "to"
    assert all(t["logprob"] <= 0 for t in logprobs["content"])


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_each_top_logprob_carries_the_bytes_of_its_own_token(client: httpx2.Client, stream: bool) -> None:
    response = create(client, "to bé", logprobs=True, top_logprobs=3, stream=stream)
    if stream:
        tokens = [
            t
            for c in _chunks(response)
            if c["choices"] and c["choices"][0]["logprobs"]
            for t in c["choices"][0]["logprobs"]["content"]
        ]
    else:
        tokens = response.json()["choices"][0]["logprobs"]["content"]
    alternatives = [a for t in tokens for a in t["top_logprobs"]]
    assert len(alternatives) == 6
    assert {a["token"] for a in alternatives} >= {"to#1", " bé#2"}
    for alternative in alternatives:
        assert alternative["bytes"] == list(alternative["token"].encode())


def test_service_tier_is_echoed(client: httpx2.Client) -> None:
    assert create(client, service_tier="flex").json()["service_tier"] == "flex"
    assert create(client, service_tier="auto").json()["service_tier"] == "default"


class TestStreaming:
    def test_word_by_word_then_done(self, client: httpx2.Client) -> None:
        response = create(client, "Hello there world", stream=True)
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["transfer-encoding"] == "chunked"
        chunks = _chunks(response)
        assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
        words = [c["choices"][0]["delta"].get("content") for c in chunks[1:-1]]
        assert words == ["Hello", " there", " world"]
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
        assert {c["id"] for c in chunks} == {chunks[0]["id"]}
        assert all("usage" not in c for c in chunks)

    def test_include_usage_adds_a_last_chunk_without_choices(self, client: httpx2.Client) -> None:
        chunks = _chunks(create(client, "a b c", stream=True, stream_options={"include_usage": True}))
        assert all(c["usage"] is None for c in chunks[:-1])
        assert chunks[-1]["choices"] == []
        assert chunks[-1]["usage"]["completion_tokens"] == 3

    def test_streamed_tool_call_arguments_join_up(self, server: LocalServer, client: httpx2.Client) -> None:
        server.queue(Reply.calling("lookup", {"query": "a fairly long query", "limit": 5}))
        chunks = _chunks(create(client, stream=True))
        calls = [
            c["choices"][0]["delta"]["tool_calls"][0]
            for c in chunks
            if c["choices"][0]["delta"].get("tool_calls")
        ]
        assert calls[0]["function"]["name"] == "lookup"
        arguments = "".join(c["function"]["arguments"] for c in calls)
        assert json.loads(arguments) == {"query": "a fairly long query", "limit": 5}
        assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"

    def test_streamed_refusal(self, server: LocalServer, client: httpx2.Client) -> None:
        server.queue(Reply.refusal_of("No can do."))
        chunks = _chunks(create(client, stream=True))
        assert "".join(c["choices"][0]["delta"].get("refusal") or "" for c in chunks) == "No can do."

    def test_streamed_logprobs_follow_the_words(self, client: httpx2.Client) -> None:
        chunks = _chunks(create(client, "x y", stream=True, logprobs=True, top_logprobs=1))
        tokens = [
            c["choices"][0]["logprobs"]["content"][0]["token"] for c in chunks if c["choices"][0]["logprobs"]
        ]
        assert tokens == ["x", " y"]

    def test_stream_with_n_choices(self, client: httpx2.Client) -> None:
        chunks = _chunks(create(client, "a", stream=True, n=2))
        finished = {c["choices"][0]["index"] for c in chunks if c["choices"][0]["finish_reason"]}
        assert finished == {0, 1}


# The server's own words for a body that does not fit the request's types; msgspec's
# reason follows them, in its words (which change with its versions): not checked here.
BODY_DOES_NOT_FIT = "Invalid request body: "


@pytest.mark.parametrize(
    ("body", "param", "opening"),
    [
        ({"model": "m"}, "messages", BODY_DOES_NOT_FIT),
        ({"messages": [{"role": "user", "content": "x"}]}, "model", BODY_DOES_NOT_FIT),
        ({"model": "m", "messages": []}, "messages", BODY_DOES_NOT_FIT),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 5},
            "temperature",
            BODY_DOES_NOT_FIT,
        ),
        (
            {"model": "m", "messages": [{"role": "wizard", "content": "x"}]},
            "messages[0].role",
            BODY_DOES_NOT_FIT,
        ),
        ({"model": "m", "messages": [{"role": "user"}]}, "messages[0].content", BODY_DOES_NOT_FIT),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}], "n": "two"}, "n", BODY_DOES_NOT_FIT),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 2},
            "top_logprobs",
            "top_logprobs is only allowed when logprobs is true",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "x"}],
                "top_logprobs": 2,
                "logprobs": False,
            },
            "top_logprobs",
            "top_logprobs is only allowed when logprobs is true",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "x"}],
                "stream_options": {"include_usage": True},
            },
            "stream_options",
            "stream_options is only allowed when stream is true",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "x"}],
                "metadata": {f"k{i}": "v" for i in range(17)},
            },
            "metadata",
            BODY_DOES_NOT_FIT,
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "metadata": {"k" * 65: "v"}},
            "metadata",
            BODY_DOES_NOT_FIT,
        ),
    ],
)
def test_invalid_bodies_get_400_naming_the_field(
    client: httpx2.Client, body: Any, param: str, opening: str
) -> None:
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"].startswith(opening)


@pytest.mark.parametrize(
    "fields",
    [
        {"top_logprobs": 2, "logprobs": True},
        {"top_logprobs": None},
        {"top_logprobs": None, "logprobs": False},
        {"stream_options": None},
        {"stream_options": None, "stream": False},
        {"metadata": {f"{i:02d}" + "k" * 62: "v" * 512 for i in range(16)}},
    ],
    ids=[
        "top_logprobs with logprobs",
        "null top_logprobs",
        "null top_logprobs, logprobs false",
        "null stream_options",
        "null stream_options, stream false",
        "metadata at its limits",
    ],
)
def test_what_the_rules_across_fields_allow_is_served(client: httpx2.Client, fields: dict[str, Any]) -> None:
    # A null field is not used: the field it would need is not needed.
    response = client.post(
        "/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "x"}], **fields}
    )
    assert response.status_code == 200, response.text


def test_a_body_that_is_not_json_gets_400(client: httpx2.Client) -> None:
    response = client.post(
        "/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "parse the JSON body" in response.json()["error"]["message"]
