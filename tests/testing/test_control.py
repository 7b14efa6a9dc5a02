"""What a test does to the local server between its requests: ``reset()``, the queues
counted and cleared, replies kept for streamed or plain requests, completions stored with
an id of the test's choosing; the API at the root as under ``/v1``; and all of it over
HTTP, under ``/_completionkit/``, for a suite in another process (``ServerControl``)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from completionkit import InternalServerError, NotFoundError, OpenAI
from completionkit.testing import (
    Fault,
    LocalServer,
    RateLimits,
    RecordedRequest,
    Reply,
    ServerControl,
    ToolCall,
)
from completionkit.testing.__main__ import main

from ..command_line_server import command_line_server
from .conftest import check_response, create, sse_data

RECORDED = (Path(__file__).parent.parent / "fixtures" / "recorded" / "stream-01.sse").read_bytes()
HELLO = [{"role": "user", "content": "Hello there"}]


def _text(response: httpx2.Response) -> str | None:
    """The answer's text, streamed or not."""
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("text/event-stream"):
        chunks = [json.loads(data) for data in sse_data(response.content)[:-1]]
        return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    content: str | None = response.json()["choices"][0]["message"]["content"]
    return content


@pytest.fixture
def control(server: LocalServer) -> Iterator[httpx2.Client]:
    """A plain client on the server's control routes."""
    with httpx2.Client(base_url=f"{server.root_url}/_completionkit", timeout=30) as http:
        yield http


# --- reset ------------------------------------------------------------------------------------


def test_reset_leaves_nothing_of_the_test_before() -> None:
    limits = RateLimits(requests_per_minute=2)
    with (
        LocalServer(api_key="sk-k", rate_limits=limits) as server,
        httpx2.Client(base_url=server.url, headers={"Authorization": "Bearer sk-k"}, timeout=30) as http,
    ):
        completion_id = create(http, store=True).json()["id"]
        assert create(http).status_code == 200
        assert create(http).status_code == 429  # both requests of the minute are spent
        server.queue(Reply.text("left over"), only="plain")
        server.queue(Reply.text("left over too"))
        server.inject(Fault.http_error(503), times=3)
        server.set_rate_limits(RateLimits(requests_per_minute=1))
        assert server.max_in_flight >= 1

        server.reset()
        assert server.store.count() == 0
        assert (server.queued_replies, server.pending_faults) == (0, 0)
        assert server.requests == []
        assert server.max_in_flight == 0
        assert server.rate_limits == limits  # as made, and the buckets full again
        assert http.get(f"/chat/completions/{completion_id}").status_code == 404
        answers = [create(http), create(http)]
        assert [_text(a) for a in answers] == ["Hello there"] * 2
        assert answers[1].headers["x-ratelimit-remaining-requests"] == "0"
        assert create(http).status_code == 429
        # The key stays.
        assert httpx2.post(f"{server.url}/chat/completions", json={}).status_code == 401


def test_reset_keeps_the_profile() -> None:
    with LocalServer(profile="groq") as server:
        server.reset()
        assert server.profile is not None
        assert server.profile.name == "groq"
        answer = httpx2.post(
            f"{server.url}/chat/completions",
            json={"model": "m", "messages": HELLO, "stream": True, "stream_options": {"include_usage": True}},
        )
        assert answer.status_code == 400  # still Groq's refusal of stream_options


def test_reset_while_requests_are_served(server: LocalServer) -> None:
    statuses: list[int] = []

    def send() -> None:
        with httpx2.Client(base_url=server.url, timeout=30) as http:
            statuses.extend(create(http, store=True).status_code for _ in range(60))

    sender = threading.Thread(target=send)
    sender.start()
    resets = 0
    while sender.is_alive() or not resets:
        server.reset()
        resets += 1
    sender.join()
    assert statuses == [200] * 60
    server.reset()
    assert (server.store.count(), len(server.requests)) == (0, 0)


# --- the queues -------------------------------------------------------------------------------


def test_a_request_takes_the_first_reply_meant_for_its_kind(
    server: LocalServer, client: httpx2.Client
) -> None:
    server.queue(Reply.text("streamed"), only="stream")
    server.queue(Reply.text("plain"), only="plain")
    server.queue(Reply.text("either"))
    assert server.queued_replies == 3
    assert _text(create(client)) == "plain"
    assert _text(create(client)) == "either"
    assert server.queued_replies == 1
    assert _text(create(client)) == "Hello there"  # the stream's reply waits for a stream
    assert _text(create(client, stream=True)) == "streamed"
    assert server.queued_replies == 0


def test_a_streams_reply_never_answers_a_plain_request(server: LocalServer, client: httpx2.Client) -> None:
    # The leak of issue 25: a recorded stream, queued for a streamed request that never
    # came, was the next plain request's answer, event-stream bytes in place of JSON.
    server.queue(Reply.replay(RECORDED), only="stream")
    plain = create(client)
    assert plain.headers["content-type"] == "application/json"
    assert _text(plain) == "Hello there"
    assert server.queued_replies == 1
    assert create(client, stream=True).content == RECORDED


def test_a_rate_limited_server_also_takes_the_reply_meant_for_the_request() -> None:
    with (
        LocalServer(rate_limits=RateLimits(requests_per_minute=100)) as server,
        httpx2.Client(base_url=server.url, timeout=30) as http,
    ):
        server.queue(Reply.text("for a stream"), only="stream")
        server.queue(Reply.text("for any"))
        assert _text(create(http)) == "for any"
        assert _text(create(http, stream=True)) == "for a stream"


def test_clear_replies(server: LocalServer, client: httpx2.Client) -> None:
    server.queue(Reply.text("a"), Reply.text("b"), only="plain")
    server.clear_replies()
    assert server.queued_replies == 0
    assert _text(create(client)) == "Hello there"


def test_queue_refuses_another_kind(server: LocalServer) -> None:
    with pytest.raises(ValueError, match="only"):
        server.queue(Reply.text("a"), only="streamed")  # type: ignore[arg-type]


def test_faults_left_over_are_counted_and_cleared(server: LocalServer, client: httpx2.Client) -> None:
    server.inject(Fault.http_error(503), times=10)
    server.inject(Fault.http_error(500), operation="deleteChatCompletion")
    assert create(client).status_code == 503
    assert server.pending_faults == 10
    server.clear_faults()
    assert server.pending_faults == 0
    assert create(client).status_code == 200
    assert client.delete("/chat/completions/chatcmpl-none").status_code == 404  # not the 500


def test_inject_refuses_an_operation_no_request_has(server: LocalServer) -> None:
    with pytest.raises(ValueError, match="createChatCompletions"):
        server.inject(Fault.http_error(503), operation="createChatCompletions")
    assert server.pending_faults == 0


# --- stored completions -----------------------------------------------------------------------


def test_store_completion_with_an_id_of_the_tests_choosing(server: LocalServer) -> None:
    stored = server.store_completion(
        {"id": "chatcmpl-abc"},
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}],
        metadata={"team": "search"},
    )
    assert (stored["id"], stored["metadata"]) == ("chatcmpl-abc", {"team": "search"})
    with OpenAI(api_key="sk-local", base_url=server.url) as client:
        retrieved = client.chat.completions.retrieve("chatcmpl-abc")
        assert retrieved.choice.text == "Hi there"  # the deterministic model's answer
        assert retrieved.metadata == {"team": "search"}
        messages = list(client.chat.completions.messages.list("chatcmpl-abc"))
        assert [(m.role, m.content) for m in messages] == [("system", "Be brief."), ("user", "Hi there")]
        assert [c.id for c in client.chat.completions.list(metadata={"team": "search"})] == ["chatcmpl-abc"]


def test_store_completion_keeps_the_fields_given(server: LocalServer) -> None:
    given_completion = {
        "id": "chatcmpl-given",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "As recorded.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
    }
    stored = server.store_completion(given_completion)
    assert {k: stored[k] for k in given_completion} == given_completion
    with OpenAI(api_key="sk-local", base_url=server.url) as client:
        retrieved = client.chat.completions.retrieve("chatcmpl-given")
    assert (retrieved.choice.text, retrieved.model, retrieved.created) == (
        "As recorded.",
        "gpt-4o-2024-08-06",
        1_700_000_000,
    )


@pytest.mark.parametrize(
    ("completion", "messages", "metadata", "param"),
    [
        ({}, [], None, "id"),
        ({"id": ""}, [], None, "id"),
        ({"id": "c", "created": "yesterday"}, [], None, "created"),
        ({"id": "c"}, [{"role": "wizard", "content": "hi"}], None, "messages[0].role"),
        ({"id": "c"}, [{"role": "user"}], None, "messages[0].content"),
        ({"id": "c"}, [], {"k": 1}, "metadata"),
        ({"id": "c"}, [], {f"k{i}": "v" for i in range(17)}, "metadata"),
    ],
)
def test_store_completion_refuses_naming_the_field(
    server: LocalServer, completion: Any, messages: Any, metadata: Any, param: str
) -> None:
    with pytest.raises(ValueError, match=r"Invalid|id") as refused:
        server.store_completion(completion, messages, metadata=metadata)
    assert param in str(refused.value)
    assert server.store.count() == 0


def test_store_completion_refuses_an_id_stored_already(server: LocalServer) -> None:
    server.store_completion({"id": "chatcmpl-once"})
    with pytest.raises(ValueError, match="chatcmpl-once"):
        server.store_completion({"id": "chatcmpl-once"})
    assert server.store.count() == 1


# --- the API at the root ----------------------------------------------------------------------


def test_the_api_is_served_at_the_root_as_under_v1(server: LocalServer) -> None:
    assert server.root_url == f"http://127.0.0.1:{server.port}"
    assert server.url == f"{server.root_url}/v1"
    with (
        OpenAI(api_key="sk-local", base_url=server.root_url) as at_root,
        httpx2.Client(
            base_url=server.root_url, timeout=30, event_hooks={"response": [check_response]}
        ) as http,
    ):
        stored = at_root.chat.completions.create(HELLO, model="m", store=True)
        assert stored.choice.text == "Hello there"
        assert at_root.chat.completions.retrieve(stored.id).id == stored.id
        assert http.get(f"/v1/chat/completions/{stored.id}/messages").status_code == 200
        assert http.put("/chat/completions").status_code == 405
        assert httpx2.get(f"{server.root_url}/models").json()["data"]
    assert [(r.path, r.operation_id) for r in server.requests] == [
        ("/chat/completions", "createChatCompletion"),
        (f"/chat/completions/{stored.id}", "getChatCompletion"),
        (f"/v1/chat/completions/{stored.id}/messages", "getChatCompletionMessages"),
        ("/chat/completions", None),
        ("/models", "listModels"),
    ]


# --- over HTTP --------------------------------------------------------------------------------


def test_control_requests_are_not_api_requests() -> None:
    # Azure's server wants a key in api-key and an api-version in every query; the control
    # routes want neither, meet no fault, and are not recorded.
    with (
        LocalServer(profile="azure", api_key="az-key") as server,
        httpx2.Client(base_url=f"{server.root_url}/_completionkit", timeout=30) as control,
    ):
        server.inject(Fault.http_error(500))
        assert control.post("/replies", json={"replies": [{"content": "Hi"}]}).json() == {"queued": 1}
        assert control.get("/faults").json() == {"pending": 1}
        assert control.get("/requests").json() == {"requests": []}
        assert server.requests == []
        assert server.max_in_flight == 0


def test_reset_over_http(server: LocalServer, client: httpx2.Client, control: httpx2.Client) -> None:
    create(client, store=True)
    server.queue(Reply.text("left"))
    server.inject(Fault.http_error(503))
    assert control.post("/reset").json() == {"reset": True}
    assert (server.store.count(), server.queued_replies, server.pending_faults) == (0, 0, 0)
    assert server.requests == []


def test_replies_over_http(server: LocalServer, control: httpx2.Client) -> None:
    replies = [
        {"content": "Plain text.", "reasoning": "Thought."},
        {"refusal": "No."},
        {
            "tool_calls": [
                {"name": "get_weather", "arguments": {"city": "Paris"}},
                {"name": "get_time", "arguments": '{"zone": "CET"}', "id": "call_1"},
            ]
        },
        {"raw": '{"not": "a completion"}', "raw_content_type": "application/json"},
        {"raw_base64": base64.b64encode(RECORDED).decode()},
    ]
    assert control.post("/replies", json={"replies": replies}).json() == {"queued": 5}
    assert control.get("/replies").json() == {"queued": 5}
    with httpx2.Client(base_url=server.url, timeout=30) as http:
        text = create(http).json()["choices"][0]["message"]
        assert (text["content"], text["reasoning"]) == ("Plain text.", "Thought.")
        assert create(http).json()["choices"][0]["message"]["refusal"] == "No."
        calls = create(http).json()["choices"][0]["message"]["tool_calls"]
        assert [(c["function"]["name"], c["function"]["arguments"]) for c in calls] == [
            ("get_weather", '{"city":"Paris"}'),
            ("get_time", '{"zone": "CET"}'),
        ]
        assert calls[1]["id"] == "call_1"
        assert create(http).content == b'{"not": "a completion"}'
        assert create(http, stream=True).content == RECORDED
    assert control.post("/replies", json={"replies": [{"content": "s"}], "only": "stream"}).json() == {
        "queued": 1
    }
    assert server.queued_replies == 1
    assert control.delete("/replies").json() == {"cleared": 1}
    assert server.queued_replies == 0


def test_faults_over_http(server: LocalServer, control: httpx2.Client) -> None:
    fault = {"status": 503, "headers": {"retry-after": "0"}, "times": 2, "operation": "createChatCompletion"}
    assert control.post("/faults", json=fault).json() == {"pending": 2}
    with httpx2.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/chat/completions").status_code == 200  # not the operation
        refused = create(http)
        assert (refused.status_code, refused.headers["retry-after"]) == (503, "0")
        assert control.get("/faults").json() == {"pending": 1}
        assert control.delete("/faults").json() == {"cleared": 1}
        assert create(http).status_code == 200
        control.post(
            "/faults", json={"body": "<html>down</html>", "status": 502, "content_type": "text/html"}
        )
        page = create(http)
        assert (page.status_code, page.headers["content-type"], page.text) == (
            502,
            "text/html",
            "<html>down</html>",
        )
        control.post("/faults", json={"body_base64": base64.b64encode(b"\xff\xfe").decode()})
        assert create(http).content == b"\xff\xfe"
        control.post("/faults", json={"drop": "before"})
        with pytest.raises(httpx2.TransportError):
            create(http)


def test_completions_over_http(server: LocalServer, control: httpx2.Client) -> None:
    body = {"id": "chatcmpl-remote", "messages": HELLO, "metadata": {"run": "7"}}
    stored = control.post("/completions", json=body)
    assert stored.status_code == 200
    assert stored.json()["choices"][0]["message"]["content"] == "Hello there"
    with httpx2.Client(base_url=server.url, timeout=30, event_hooks={"response": [check_response]}) as http:
        assert http.get("/chat/completions/chatcmpl-remote").json() == stored.json()
        messages = http.get("/chat/completions/chatcmpl-remote/messages").json()["data"]
        assert [(m["id"], m["content"]) for m in messages] == [("chatcmpl-remote-0", "Hello there")]
        listed = http.get("/chat/completions", params={"metadata[run]": "7"}).json()["data"]
        assert [c["id"] for c in listed] == ["chatcmpl-remote"]
    again = control.post("/completions", json=body)
    assert (again.status_code, again.json()["error"]["param"]) == (400, "id")


def test_requests_over_http(server: LocalServer, client: httpx2.Client, control: httpx2.Client) -> None:
    create(client, temperature=0.5)
    httpx2.post(
        f"{server.url}/chat/completions", content=b"\xff not json", headers={"Authorization": "Bearer s"}
    )
    client.get("/chat/completions", params={"limit": "5", "metadata[a]": "b"})
    listed = control.get("/requests").json()["requests"]
    assert [(r["method"], r["path"], r["operation_id"]) for r in listed] == [
        ("POST", "/v1/chat/completions", "createChatCompletion"),
        ("POST", "/v1/chat/completions", "createChatCompletion"),
        ("GET", "/v1/chat/completions", "listChatCompletions"),
    ]
    assert listed[0]["body"]["temperature"] == 0.5
    assert (listed[1]["body"], base64.b64decode(listed[1]["body_base64"])) == (None, b"\xff not json")
    assert listed[1]["headers"]["authorization"] == "[redacted]"
    assert listed[2]["query"] == [["limit", "5"], ["metadata[a]", "b"]]
    assert control.delete("/requests").json() == {"cleared": 3}
    assert server.requests == []


def test_unknown_control_routes_and_methods(server: LocalServer, control: httpx2.Client) -> None:
    missing = control.get("/nothing")
    assert missing.status_code == 404
    assert "/_completionkit/reset" in missing.json()["error"]["message"]
    assert control.get("/reset").status_code == 405
    assert control.put("/replies").status_code == 405
    assert server.requests == []


def test_a_server_without_control_routes() -> None:
    with LocalServer(control=False) as server:
        assert httpx2.post(f"{server.root_url}/_completionkit/reset").status_code == 404
        assert (
            httpx2.post(f"{server.root_url}/_completionkit/replies", json={"replies": []}).status_code == 404
        )
        assert server.requests == []


@pytest.mark.parametrize(
    ("route", "body", "param"),
    [
        ("replies", {"replies": [{"content": 1}]}, "replies[0].content"),
        ("replies", {"replies": [{"raw": "a", "raw_base64": "YQ=="}]}, "replies[0].raw"),
        ("replies", {"replies": [{"raw_base64": "not base64!"}]}, "replies[0].raw_base64"),
        ("replies", {"replies": [{"raw_content_type": "text/plain\r\nx: y"}]}, "replies[0].raw_content_type"),
        ("replies", {"replies": [{"tool_calls": [{"arguments": "{}"}]}]}, "replies[0].tool_calls[0].name"),
        ("replies", {"replies": [{"colour": "red"}]}, "replies[0].colour"),
        ("replies", {"replies": [], "only": "sometimes"}, "only"),
        ("replies", {}, "replies"),
        ("faults", {"status": 99}, "status"),
        ("faults", {"status": 204}, "status"),
        ("faults", {"status": "503"}, "status"),
        ("faults", {"delay": -1}, "delay"),
        ("faults", {"delay": 1e9}, "delay"),
        ("faults", {"times": 0}, "times"),
        ("faults", {"headers": {"x-a": "b\r\nc"}}, "headers"),
        ("faults", {"headers": {"bad name": "b"}}, "headers"),
        ("faults", {"headers": {"x-a": "ünïcødé ☃"}}, "headers"),
        ("faults", {"operation": "createChatCompletions"}, "operation"),
        ("faults", {"drop": "after"}, "drop"),
        ("faults", {"body": "a", "body_base64": "YQ=="}, "body"),
        ("faults", {"colour": "red"}, "colour"),
        ("completions", {"messages": []}, "id"),
        ("completions", {"id": "c", "messages": {}}, "messages"),
        ("completions", {"id": "c", "messages": [1]}, "messages[0]"),
        ("completions", {"id": "c", "messages": [{"role": "wizard"}]}, "messages[0].role"),
        ("completions", {"id": "c", "model": 5}, "model"),
        ("completions", {"id": "c", "metadata": {"k": ["v"]}}, "metadata"),
    ],
)
def test_refusals_name_the_field(
    server: LocalServer, control: httpx2.Client, route: str, body: Any, param: str
) -> None:
    refused = control.post(f"/{route}", json=body)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert (server.queued_replies, server.pending_faults, server.store.count()) == (0, 0, 0)


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b"{", b"[]", b"null", b"NaN", b"[" * 200 + b"]" * 200])
@pytest.mark.parametrize("route", ["replies", "faults", "completions"])
def test_bodies_that_are_no_object_get_400(control: httpx2.Client, route: str, body: bytes) -> None:
    refused = control.post(f"/{route}", content=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "invalid_request_error"


# Any JSON, and objects with the routes' own field names holding any JSON.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = {
    "replies": ["replies", "only"],
    "faults": ["status", "headers", "delay", "gather", "drop", "body", "body_base64", "times", "operation"],
    "completions": ["id", "messages", "metadata", "choices", "model", "created", "object"],
}
REPLY_FIELDS = ["content", "refusal", "tool_calls", "reasoning", "raw", "raw_base64", "raw_content_type"]


@st.composite
def control_bodies(draw: st.DrawFn) -> tuple[str, Any]:
    route = draw(st.sampled_from(sorted(FIELDS)))
    fields = FIELDS[route]
    shaped = st.dictionaries(st.sampled_from(fields), JSON, max_size=len(fields))
    if route == "replies":
        reply = st.dictionaries(st.sampled_from(REPLY_FIELDS), JSON, max_size=3)
        shaped = st.fixed_dictionaries({"replies": st.lists(reply, max_size=3)}, optional={"only": JSON})
    return route, draw(st.one_of(JSON, shaped))


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[LocalServer, httpx2.Client]]:
    """One server for the whole property test (hypothesis runs many examples in one test)."""
    with (
        LocalServer() as server,
        httpx2.Client(base_url=f"{server.root_url}/_completionkit", timeout=30) as http,
    ):
        yield server, http


@given(example=control_bodies())
@settings(max_examples=300, deadline=None)
def test_any_json_body_gets_an_answer_or_a_400_naming_the_field(
    shared: tuple[LocalServer, httpx2.Client], example: tuple[str, Any]
) -> None:
    server, control = shared
    route, body = example
    server.reset()
    answer = control.post(f"/{route}", json=body)
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        error = answer.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["message"]
        if isinstance(body, dict) and body:
            assert error["param"] is not None, error
    assert control.get("/replies").status_code == 200  # still serving


# --- ServerControl and the command line -------------------------------------------------------


def test_server_control_drives_a_command_line_server() -> None:
    with (
        command_line_server("--api-key", "sk-cli") as url,
        ServerControl(url) as server,
        OpenAI(api_key="sk-cli", base_url=url, max_retries=0) as client,
    ):
        assert (server.url, server.root_url) == (url, url.removesuffix("/v1"))
        server.queue(Reply.text("From afar."), only="plain")
        server.queue(Reply.calling("get_time", {"zone": "CET"}, ToolCall("get_date", "{}", id="call_d")))
        assert server.queued_replies == 2
        assert client.chat.completions.create(HELLO, model="m", stream=True).choice.text is None  # the call
        assert client.chat.completions.create(HELLO, model="m").choice.text == "From afar."
        server.replay([RECORDED])
        streamed = client.chat.completions.create(HELLO, model="m", stream=True)
        assert streamed.id == json.loads(sse_data(RECORDED)[0])["id"]

        server.inject(Fault.http_error(503), times=3, operation="createChatCompletion")
        assert server.pending_faults == 3
        with pytest.raises(InternalServerError):
            client.chat.completions.create(HELLO, model="m")
        assert server.pending_faults == 2
        server.clear_faults()
        assert server.pending_faults == 0

        stored = server.store_completion({"id": "chatcmpl-cli"}, HELLO, metadata={"run": "1"})
        assert stored["metadata"] == {"run": "1"}
        assert client.chat.completions.retrieve("chatcmpl-cli").choice.text == "Hello there"
        last = server.last_request
        assert isinstance(last, RecordedRequest)
        assert (last.method, last.path, last.operation_id) == (
            "GET",
            "/v1/chat/completions/chatcmpl-cli",
            "getChatCompletion",
        )
        assert last.headers["authorization"] == "[redacted]"
        assert [r.operation_id for r in server.requests].count("createChatCompletion") == 4

        with pytest.raises(ValueError, match="stored already"):
            server.store_completion({"id": "chatcmpl-cli"})
        with pytest.raises(ValueError, match="createChatCompletions"):
            server.inject(Fault.http_error(503), operation="createChatCompletions")

        server.clear_requests()
        assert server.requests == []
        with pytest.raises(LookupError):
            _ = server.last_request
        server.queue(Reply.text("left"))
        server.reset()
        assert (server.queued_replies, server.pending_faults, server.requests) == (0, 0, [])
        with pytest.raises(NotFoundError):
            client.chat.completions.retrieve("chatcmpl-cli")
        assert httpx2.post(f"{url}/chat/completions", json={}).status_code == 401  # the key stays


def test_server_control_records_what_local_server_records(server: LocalServer, client: httpx2.Client) -> None:
    create(client, metadata={"a": "b"}, store=True)
    httpx2.post(f"{server.url}/chat/completions", content=b"\xff")
    with ServerControl(server.root_url) as remote:
        assert remote.requests == server.requests


def test_server_control_of_a_server_without_control_routes() -> None:
    with command_line_server("--no-control") as url, ServerControl(url) as server:
        with pytest.raises(RuntimeError, match="--no-control"):
            server.reset()
        assert (
            httpx2.post(f"{url}/chat/completions", json={"model": "m", "messages": HELLO}).status_code == 200
        )


def test_server_control_uses_the_http_client_given(server: LocalServer) -> None:
    with httpx2.Client(timeout=30) as http:
        with ServerControl(server.url, http_client=http) as remote:
            remote.queue(Reply.text("a"))
        assert not http.is_closed
        assert ServerControl(server.url, http_client=http).queued_replies == 1
    assert repr(ServerControl(server.url)) == f"ServerControl(url={server.url!r})"


def test_the_command_line_says_what_another_host_exposes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--no-control" in shown
    assert "exposes the control routes" in shown
