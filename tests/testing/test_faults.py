"""Programmable faults: statuses with their retry headers, delays, drops, broken bodies and streams."""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import json

import httpx2
import pytest

from completionkit.testing import Fault, LocalServer
from completionkit.testing._streaming import HANDOVER_BYTES

from .conftest import create, sse_data


def test_every_answer_has_a_request_id(server: LocalServer, client: httpx2.Client) -> None:
    server.inject(Fault.http_error(500))
    responses = [create(client), create(client), client.get("/chat/completions/nope"), client.get("/nowhere")]
    ids = [r.headers["x-request-id"] for r in responses]
    assert [r.status_code for r in responses] == [500, 200, 404, 404]
    assert all(i.startswith("req_") for i in ids)
    assert len(set(ids)) == 4


def test_a_fault_applies_to_the_next_n_requests_only(server: LocalServer, client: httpx2.Client) -> None:
    server.inject(Fault.http_error(503), times=2)
    assert [create(client).status_code for _ in range(3)] == [503, 503, 200]
    assert server.pending_faults == 0


def test_a_fault_can_wait_for_its_operation(server: LocalServer, client: httpx2.Client) -> None:
    server.inject(Fault.http_error(500), operation="listChatCompletions")
    assert create(client).status_code == 200
    assert client.get("/chat/completions").status_code == 500
    assert client.get("/chat/completions").status_code == 200


def test_rate_limit_with_retry_after_seconds(server: LocalServer, client: httpx2.Client) -> None:
    server.inject(Fault.rate_limit(retry_after=2))
    response = create(client)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_retry_after_as_an_http_date_in_gmt(server: LocalServer, client: httpx2.Client) -> None:
    when = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    server.inject(Fault.http_error(503, retry_after=when))
    header = create(client).headers["retry-after"]
    assert header == "Wed, 02 Jan 2030 01:04:05 GMT"
    assert email.utils.parsedate_to_datetime(header) == when


def test_retry_after_ms_and_should_retry(server: LocalServer, client: httpx2.Client) -> None:
    server.inject(Fault.http_error(409, retry_after_ms=250, should_retry=False))
    response = create(client)
    assert response.status_code == 409
    assert response.headers["retry-after-ms"] == "250"
    assert response.headers["x-should-retry"] == "false"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504])
def test_any_status_in_the_api_error_shape(server: LocalServer, client: httpx2.Client, status: int) -> None:
    server.inject(Fault.http_error(status, code="my_code", message="my message"))
    response = create(client)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("my_code", "my message")
    assert set(error) == {"message", "type", "param", "code"}


def test_a_delay_makes_a_client_time_out(server: LocalServer, raw_client: httpx2.Client) -> None:
    server.inject(Fault.slow(5))
    with pytest.raises(httpx2.ReadTimeout):
        raw_client.post("/chat/completions", json={"model": "m", "messages": []}, timeout=0.2)


def test_connection_dropped_before_the_answer(server: LocalServer, raw_client: httpx2.Client) -> None:
    server.inject(Fault.dropped("before"))
    with pytest.raises(httpx2.RemoteProtocolError):
        create(raw_client)
    assert create(raw_client).status_code == 200


def test_connection_dropped_in_the_middle_of_the_body(server: LocalServer, raw_client: httpx2.Client) -> None:
    server.inject(Fault.dropped("during"))
    with pytest.raises(httpx2.RemoteProtocolError):
        create(raw_client)


@pytest.mark.parametrize(
    "fault",
    [Fault.raw(b'{"id": "chatcmpl-1", "obj'), Fault.raw(b"not json at all", content_type="text/plain")],
    ids=["truncated", "not json"],
)
def test_broken_bodies_arrive_as_they_are(
    server: LocalServer, raw_client: httpx2.Client, fault: Fault
) -> None:
    server.inject(fault)
    response = create(raw_client)
    assert response.status_code == 200
    assert response.content == fault.body
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_an_html_error_page(server: LocalServer, raw_client: httpx2.Client) -> None:
    server.inject(Fault.html(502))
    response = create(raw_client)
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert response.text.startswith("<html>")


class TestStreamFaults:
    def test_cut_in_the_middle_of_an_event(self, server: LocalServer, raw_client: httpx2.Client) -> None:
        server.inject(Fault.stream_cut(after_events=2))
        received = bytearray()
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "one two three"}]}
        with (  # noqa: PT012 - the error comes while reading
            pytest.raises(httpx2.RemoteProtocolError),
            raw_client.stream("POST", "/chat/completions", json=body) as response,
        ):
            for part in response.iter_raw():
                received += part
        events = bytes(received).split(b"\n\n")
        assert len(events) == 3  # two whole events, then half of one
        assert events[2].startswith(b"data: {")
        assert not events[2].endswith(b"}")

    def test_an_error_event(self, server: LocalServer, raw_client: httpx2.Client) -> None:
        server.inject(Fault.stream_error(after_events=1, message="overloaded"))
        body = create(raw_client, stream=True).content
        events = [e for e in body.split(b"\n\n") if e]
        assert len(events) == 2
        assert events[-1].startswith(b"event: error\ndata: ")
        assert json.loads(events[-1].split(b"data: ", 1)[1])["error"]["message"] == "overloaded"
        assert b"[DONE]" not in body

    def test_keep_alive_comments_between_events(self, server: LocalServer, raw_client: httpx2.Client) -> None:
        server.inject(Fault.stream_keepalive())
        body = create(raw_client, "a b", stream=True).content
        assert body.count(b": keep-alive\n\n") == len(sse_data(body))
        assert sse_data(body)[-1] == b"[DONE]"

    def test_slow_chunks_still_make_a_whole_stream(
        self, server: LocalServer, raw_client: httpx2.Client
    ) -> None:
        server.inject(Fault.slow_stream(0.01))
        assert sse_data(create(raw_client, "a b c", stream=True).content)[-1] == b"[DONE]"

    @pytest.mark.parametrize("keepalive", [False, True])
    def test_a_stream_of_several_handovers_arrives_whole(
        self, server: LocalServer, raw_client: httpx2.Client, keepalive: bool
    ) -> None:
        # The server hands a stream's events over HANDOVER_BYTES at a time: none is lost
        # or reordered at the seams.
        if keepalive:
            server.inject(Fault.stream_keepalive())
        text = " ".join(f"w{i}" for i in range(HANDOVER_BYTES // 50))
        body = create(raw_client, text, stream=True).content
        assert len(body) > 3 * HANDOVER_BYTES
        data = sse_data(body)
        assert data[-1] == b"[DONE]"
        chunks = [json.loads(d) for d in data[:-1]]
        assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == text
        assert body.count(b": keep-alive\n\n") == (len(data) if keepalive else 0)

    def test_a_cut_after_several_handovers(self, server: LocalServer, raw_client: httpx2.Client) -> None:
        server.inject(Fault.stream_cut(after_events=1000))
        received = bytearray()
        body = {
            "model": "m",
            "stream": True,
            "messages": [{"role": "user", "content": " ".join(f"w{i}" for i in range(HANDOVER_BYTES // 50))}],
        }
        with (  # noqa: PT012 - the error comes while reading
            pytest.raises(httpx2.RemoteProtocolError),
            raw_client.stream("POST", "/chat/completions", json=body) as response,
        ):
            for part in response.iter_raw():
                received += part
        events = bytes(received).split(b"\n\n")
        assert len(received) > HANDOVER_BYTES
        assert len(events) == 1001  # a thousand whole events, then half of one
        assert all(json.loads(e.removeprefix(b"data: ")) for e in events[:1000])
        assert events[1000].startswith(b"data: {")
        assert not events[1000].endswith(b"}")


def test_faults_combine(server: LocalServer, client: httpx2.Client) -> None:
    server.inject(dataclasses.replace(Fault.http_error(503), delay=0.01))
    assert create(client).status_code == 503
