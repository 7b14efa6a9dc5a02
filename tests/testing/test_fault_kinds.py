"""Every kind of Fault does what its docstring says, on streamed and on whole creates."""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

import httpx2
import pytest

from completionkit.testing import Fault, LocalServer

from .conftest import check_response, sse_data

CONTENT = "one two three four five six seven eight"


def _body(stream: bool) -> dict[str, Any]:
    return {"model": "m", "stream": stream, "messages": [{"role": "user", "content": CONTENT}]}


def _received(client: httpx2.Client, stream: bool) -> tuple[httpx2.Response, bytes, Exception | None]:
    """The response, the bytes of its body that arrived, and the error that ended it early (or None)."""
    received = bytearray()
    with client.stream("POST", "/chat/completions", json=_body(stream)) as response:
        try:
            for part in response.iter_raw():
                received += part
        except httpx2.RemoteProtocolError as error:
            return response, bytes(received), error
    return response, bytes(received), None


@pytest.fixture
def whole_stream(raw_client: httpx2.Client) -> bytes:
    """The body of the same streamed create without a fault (ids and times aside, the same length)."""
    return raw_client.post("/chat/completions", json=_body(True)).content


class TestDropped:
    def test_during_a_stream_breaks_it_half_way(
        self, server: LocalServer, raw_client: httpx2.Client, whole_stream: bytes
    ) -> None:
        server.inject(Fault.dropped("during"))
        response, received, error = _received(raw_client, stream=True)
        assert response.status_code == 200
        assert isinstance(error, httpx2.RemoteProtocolError)
        assert b"[DONE]" not in received
        assert 0 < len(received) < len(whole_stream)
        assert abs(len(received) - len(whole_stream) // 2) <= 2  # the middle byte (ids are fixed-width)
        assert server.pending_faults == 0
        assert sse_data(raw_client.post("/chat/completions", json=_body(True)).content)[-1] == b"[DONE]"

    def test_during_a_whole_answer_breaks_it_half_way(
        self, server: LocalServer, raw_client: httpx2.Client
    ) -> None:
        server.inject(Fault.dropped("during"), operation="createChatCompletion")
        response, received, error = _received(raw_client, stream=False)
        assert response.status_code == 200
        assert isinstance(error, httpx2.RemoteProtocolError)
        assert 0 < len(received) < int(response.headers["content-length"])

    def test_during_a_replayed_body_breaks_it_half_way(
        self, server: LocalServer, raw_client: httpx2.Client
    ) -> None:
        recorded = b"data: " + b"x" * 100 + b"\n\ndata: [DONE]\n\n"
        server.replay([recorded])
        server.inject(Fault.dropped("during"))
        _, received, error = _received(raw_client, stream=True)
        assert isinstance(error, httpx2.RemoteProtocolError)
        assert received == recorded[: len(recorded) // 2]

    @pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
    def test_before_sends_nothing(self, server: LocalServer, raw_client: httpx2.Client, stream: bool) -> None:
        server.inject(Fault.dropped("before"))
        # Streamed, a response is handed over once its head arrives: none did.
        with (
            pytest.raises(httpx2.RemoteProtocolError),
            raw_client.stream("POST", "/chat/completions", json=_body(stream)),
        ):
            pass


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
class TestAnswersInsteadOfTheCreate:
    def test_http_error(self, server: LocalServer, raw_client: httpx2.Client, stream: bool) -> None:
        server.inject(Fault.http_error(503, retry_after=2))
        response = raw_client.post("/chat/completions", json=_body(stream))
        check_response(response)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert response.json()["error"]["code"] == "overloaded"

    def test_rate_limit(self, server: LocalServer, raw_client: httpx2.Client, stream: bool) -> None:
        server.inject(Fault.rate_limit(retry_after=3, x_ratelimit_remaining_tokens="7"))
        response = raw_client.post("/chat/completions", json=_body(stream))
        check_response(response)
        assert response.status_code == 429
        assert response.headers["x-ratelimit-remaining-tokens"] == "7"

    def test_raw(self, server: LocalServer, raw_client: httpx2.Client, stream: bool) -> None:
        server.inject(Fault.raw(b"data: {broken", status=200, content_type="text/event-stream"))
        response = raw_client.post("/chat/completions", json=_body(stream))
        assert (response.status_code, response.content) == (200, b"data: {broken")
        assert response.headers["content-type"] == "text/event-stream"

    def test_html(self, server: LocalServer, raw_client: httpx2.Client, stream: bool) -> None:
        server.inject(Fault.html(504))
        response = raw_client.post("/chat/completions", json=_body(stream))
        assert response.status_code == 504
        assert response.headers["content-type"] == "text/html"
        assert b"nginx" in response.content

    def test_a_body_without_a_status_is_a_200(
        self, server: LocalServer, raw_client: httpx2.Client, stream: bool
    ) -> None:
        server.inject(Fault(body=b"{}"))
        response = raw_client.post("/chat/completions", json=_body(stream))
        assert (response.status_code, response.content) == (200, b"{}")

    def test_extra_headers_on_a_normal_answer(
        self, server: LocalServer, raw_client: httpx2.Client, stream: bool
    ) -> None:
        server.inject(Fault(headers={"x-extra": "yes", "x-ratelimit-remaining-requests": "1"}))
        response = raw_client.post("/chat/completions", json=_body(stream))
        assert response.status_code == 200
        assert response.headers["x-extra"] == "yes"
        assert response.headers["x-ratelimit-remaining-requests"] == "1"

    def test_slow_makes_a_client_time_out(
        self, server: LocalServer, raw_client: httpx2.Client, stream: bool
    ) -> None:
        server.inject(Fault.slow(30))
        with pytest.raises(httpx2.ReadTimeout):
            raw_client.post("/chat/completions", json=_body(stream), timeout=0.2)
        assert raw_client.post("/chat/completions", json=_body(stream)).status_code == 200

    def test_gathering_holds_requests_until_enough_are_in_flight(
        self, server: LocalServer, stream: bool
    ) -> None:
        server.inject(Fault.gathering(3), times=3)
        statuses: list[int] = []
        lock = threading.Lock()

        def post() -> None:
            status = httpx2.post(f"{server.url}/chat/completions", json=_body(stream), timeout=30).status_code
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=post) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * 3
        assert server.max_in_flight >= 3


class TestStreamFaults:
    def test_cut_beyond_the_last_event_cuts_the_done_event(
        self, server: LocalServer, raw_client: httpx2.Client
    ) -> None:
        server.inject(Fault.stream_cut(after_events=1000))
        _, received, error = _received(raw_client, stream=True)
        assert isinstance(error, httpx2.RemoteProtocolError)
        assert b"[DONE]" not in received
        assert received.endswith(b"\n\ndata: [")  # half of the last event, "data: [DONE]\n\n"

    def test_an_error_event_beyond_the_last_event_takes_the_place_of_done(
        self, server: LocalServer, raw_client: httpx2.Client
    ) -> None:
        server.inject(Fault.stream_error(after_events=1000, message="late"))
        body = raw_client.post("/chat/completions", json=_body(True)).content
        events = [e for e in body.split(b"\n\n") if e]
        assert b"[DONE]" not in body
        assert events[-1].startswith(b"event: error\ndata: ")
        assert json.loads(events[-1].split(b"data: ", 1)[1])["error"]["message"] == "late"
        assert all(json.loads(e.removeprefix(b"data: ")) for e in events[:-1])

    def test_an_error_event_in_the_faults_type_and_code(
        self, server: LocalServer, raw_client: httpx2.Client
    ) -> None:
        fault = dataclasses.replace(
            Fault.stream_error(0), error_type="rate_limit_error", error_code="slow_down"
        )
        server.inject(fault)
        body = raw_client.post("/chat/completions", json=_body(True)).content
        error = json.loads(body.split(b"data: ", 1)[1])["error"]
        assert (error["type"], error["code"]) == ("rate_limit_error", "slow_down")

    def test_keepalive_comments_precede_every_event(
        self, server: LocalServer, raw_client: httpx2.Client
    ) -> None:
        server.inject(Fault.stream_keepalive())
        body = raw_client.post("/chat/completions", json=_body(True)).content
        parts = body.split(b"\n\n")[:-1]
        assert parts[0::2] == [b": keep-alive"] * (len(parts) // 2)
        assert all(p.startswith(b"data: ") for p in parts[1::2])

    def test_slow_stream_sends_every_event(self, server: LocalServer, raw_client: httpx2.Client) -> None:
        server.inject(Fault.slow_stream(0.001))
        assert sse_data(raw_client.post("/chat/completions", json=_body(True)).content)[-1] == b"[DONE]"

    @pytest.mark.parametrize(
        "fault",
        [Fault.stream_cut(1), Fault.stream_error(1), Fault.stream_keepalive(), Fault.slow_stream(0.001)],
        ids=["cut", "error", "keepalive", "slow"],
    )
    def test_stream_faults_leave_a_whole_answer_alone(
        self, server: LocalServer, client: httpx2.Client, fault: Fault
    ) -> None:
        server.inject(fault)
        response = client.post("/chat/completions", json=_body(False))
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"] == CONTENT
        assert server.pending_faults == 0
