"""The local server's rate limits: buckets per minute, x-ratelimit-* headers, 429s past them.

The limits are small so that the buckets refill slowly (a sixtieth of the limit a
second): what a test reads depends on the requests it sent, not on how long they took,
unless the machine stalls for many seconds.  Nothing here sleeps.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from completionkit import OpenAI, RateLimit, RateLimitError
from completionkit.testing import Fault, LocalServer, RateLimits, Reply
from completionkit.testing.__main__ import main
from completionkit.testing._limits import duration

from ..command_line_server import command_line_server
from .conftest import create, sse_data

RATE_LIMIT_HEADERS = tuple(
    f"x-ratelimit-{kind}-{unit}"
    for unit in ("requests", "tokens")
    for kind in ("limit", "remaining", "reset")
)


def limited(**limits: int) -> LocalServer:
    return LocalServer(rate_limits=RateLimits(**limits))


@pytest.fixture
def http(client: httpx2.Client) -> httpx2.Client:
    """conftest's checking client (of the test's ``server``), by a name that leaves
    ``client`` to the OpenAI client of TestTheClient."""
    return client


def stream_create(client: httpx2.Client, content: str = "Hi") -> httpx2.Response:
    return create(client, content, stream=True)


def remaining(response: httpx2.Response, unit: str) -> int:
    return int(response.headers[f"x-ratelimit-remaining-{unit}"])


def error_of(response: httpx2.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


class TestRateLimits:
    def test_need_positive_integers(self) -> None:
        for field in ("requests_per_minute", "tokens_per_minute"):
            for wrong in (0, -1, 1.5, True, "3"):
                with pytest.raises(ValueError, match=field):
                    RateLimits(**{field: wrong})  # type: ignore[arg-type]

    def test_are_off_unless_given(self) -> None:
        assert RateLimits() == RateLimits(requests_per_minute=None, tokens_per_minute=None)
        assert not RateLimits().any
        assert RateLimits(tokens_per_minute=1).any


def test_durations_are_written_as_the_api_writes_them() -> None:
    written = {
        0: "0s",
        0.0001: "1ms",
        0.012: "12ms",
        0.999: "999ms",
        1: "1s",
        1.2: "1.2s",
        8.64: "8.64s",
        20: "20s",
        59.9999: "1m0s",
        90.5: "1m30.5s",
        360: "6m0s",
        3600: "1h0m0s",
        3723.25: "1h2m3.25s",
    }
    for seconds, text in written.items():
        assert duration(seconds) == text
        # ... and the client reads them back (rounded up to the millisecond).
        read = RateLimit.from_headers(httpx2.Headers({"x-ratelimit-reset-tokens": text})).reset_tokens
        assert read == pytest.approx(math.ceil(seconds * 1000 - 1e-6) / 1000)


def test_off_by_default_no_headers_and_no_429(server: LocalServer, http: httpx2.Client) -> None:
    assert server.rate_limits is None
    responses = [create(http) for _ in range(5)] + [stream_create(http)]
    assert [r.status_code for r in responses] == [200] * 6
    for response in responses:
        assert not [name for name in response.headers if name.startswith("x-ratelimit-")]


class TestRequests:
    @pytest.fixture
    def server(self) -> Iterator[LocalServer]:
        with limited(requests_per_minute=3) as running:
            yield running

    def test_headers_count_down(self, server: LocalServer, http: httpx2.Client) -> None:
        responses = [create(http) for _ in range(3)]
        assert [remaining(r, "requests") for r in responses] == [2, 1, 0]
        for response in responses:
            assert response.headers["x-ratelimit-limit-requests"] == "3"
            # Only the limits that are set are reported.
            assert "x-ratelimit-limit-tokens" not in response.headers
            assert "retry-after" not in response.headers
        resets = [RateLimit.from_headers(r.headers).reset_requests for r in responses]
        # A request refills in 20 s: the bucket is full again one, two, three of them later.
        assert all(reset is not None for reset in resets)
        assert [math.ceil((reset or 0) / 20) for reset in resets] == [1, 2, 3]

    def test_past_the_limit_a_429_with_retry_after(self, server: LocalServer, http: httpx2.Client) -> None:
        for _ in range(3):
            assert create(http).status_code == 200
        refused = create(http)
        assert refused.status_code == 429
        error = error_of(refused)
        assert (error["type"], error["code"], error["param"]) == ("requests", "rate_limit_exceeded", None)
        assert error["message"].startswith("Rate limit reached for gpt-4o-mini on requests per min (RPM)")
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 20  # one request comes back in 20 s
        assert math.ceil(int(refused.headers["retry-after-ms"]) / 1000) == retry_after
        assert refused.headers["x-ratelimit-remaining-requests"] == "0"
        assert refused.headers["x-ratelimit-limit-requests"] == "3"
        # A refused request takes nothing: the next one is refused for the same reason.
        assert create(http).status_code == 429

    def test_streamed_creates_carry_the_headers_and_meet_the_limit(
        self, server: LocalServer, http: httpx2.Client
    ) -> None:
        streams = [stream_create(http) for _ in range(3)]
        assert [remaining(r, "requests") for r in streams] == [2, 1, 0]
        assert all(r.headers["content-type"].startswith("text/event-stream") for r in streams)
        assert sse_data(streams[0].content)[-1] == b"[DONE]"
        refused = stream_create(http)
        assert refused.status_code == 429
        assert "retry-after" in refused.headers

    def test_only_creates_are_limited(self, server: LocalServer, http: httpx2.Client) -> None:
        stored = create(http, store=True)
        completion_id = stored.json()["id"]
        others: list[httpx2.Response] = []
        for _ in range(2):
            others.append(http.get("/chat/completions"))
            others.append(http.get(f"/chat/completions/{completion_id}"))
            others.append(http.get(f"/chat/completions/{completion_id}/messages"))
            others.append(http.post(f"/chat/completions/{completion_id}", json={"metadata": {"a": "b"}}))
        assert [r.status_code for r in others] == [200] * 8
        assert not [name for r in others for name in r.headers if name.startswith("x-ratelimit-")]
        assert remaining(create(http), "requests") == 1

    def test_a_refused_request_leaves_the_queued_reply(
        self, server: LocalServer, http: httpx2.Client
    ) -> None:
        for _ in range(3):
            create(http)
        server.queue(Reply.text("kept for later"))
        assert create(http).status_code == 429
        server.set_rate_limits(RateLimits(requests_per_minute=3))  # full buckets again
        answer = create(http)
        assert answer.json()["choices"][0]["message"]["content"] == "kept for later"
        assert remaining(answer, "requests") == 2

    def test_set_rate_limits_changes_them_on_a_running_server(
        self, server: LocalServer, http: httpx2.Client
    ) -> None:
        assert server.rate_limits == RateLimits(requests_per_minute=3)
        server.set_rate_limits(None)
        assert server.rate_limits is None
        answer = create(http)
        assert "x-ratelimit-limit-requests" not in answer.headers
        server.set_rate_limits(RateLimits(requests_per_minute=1, tokens_per_minute=100))
        answer = create(http)
        assert RateLimit.from_headers(answer.headers).limit_requests == 1
        assert answer.headers["x-ratelimit-limit-tokens"] == "100"
        assert create(http).status_code == 429

    def test_a_fault_answers_before_the_limits_and_takes_nothing(
        self, server: LocalServer, http: httpx2.Client
    ) -> None:
        server.inject(Fault.http_error(500), times=2)
        assert [create(http).status_code for _ in range(2)] == [500, 500]
        assert remaining(create(http), "requests") == 2
        # A fault's own headers win over the limits' on the answer.
        server.inject(Fault(headers={"x-ratelimit-remaining-requests": "99"}))
        assert remaining(create(http), "requests") == 99


class TestTokens:
    """A request costs its prompt's tokens, and max_completion_tokens (or max_tokens) per
    choice when given, else its answer's tokens: the deterministic model's words."""

    @pytest.fixture
    def server(self) -> Iterator[LocalServer]:
        # "Hi" echoed costs 2 tokens (one in, one out); 6 a minute refill one every 10 s.
        with limited(tokens_per_minute=6) as running:
            yield running

    def test_headers_count_down(self, server: LocalServer, http: httpx2.Client) -> None:
        responses = [create(http, "Hi") for _ in range(3)]
        assert [remaining(r, "tokens") for r in responses] == [4, 2, 0]
        assert all(r.headers["x-ratelimit-limit-tokens"] == "6" for r in responses)
        assert all("x-ratelimit-limit-requests" not in r.headers for r in responses)
        assert [r.json()["usage"]["total_tokens"] for r in responses] == [2, 2, 2]

    def test_past_the_limit_a_429_with_retry_after(self, server: LocalServer, http: httpx2.Client) -> None:
        for _ in range(3):
            create(http, "Hi")
        refused = create(http, "Hi")
        assert refused.status_code == 429
        error = error_of(refused)
        assert (error["type"], error["code"], error["param"]) == ("tokens", "rate_limit_exceeded", None)
        assert error["message"].startswith("Rate limit reached for gpt-4o-mini on tokens per min (TPM)")
        assert 1 <= int(refused.headers["retry-after"]) <= 20  # two tokens come back in 20 s
        assert refused.headers["x-ratelimit-remaining-tokens"] == "0"

    def test_streamed_creates_carry_the_headers(self, server: LocalServer, http: httpx2.Client) -> None:
        assert remaining(stream_create(http, "Hi"), "tokens") == 4

    @pytest.mark.parametrize(
        ("params", "cost"),
        [
            pytest.param({}, 3 + 3, id="the answer's tokens"),
            pytest.param({"max_completion_tokens": 5}, 3 + 5, id="max_completion_tokens"),
            pytest.param({"max_completion_tokens": 1}, 3 + 1, id="max_completion_tokens below the answer"),
            pytest.param({"max_tokens": 4}, 3 + 4, id="max_tokens"),
            pytest.param({"max_tokens": 4, "n": 2}, 3 + 2 * 4, id="max_tokens per choice"),
            pytest.param({"n": 3}, 3 + 3 * 3, id="the answer's tokens per choice"),
        ],
    )
    def test_what_a_request_costs(
        self, server: LocalServer, http: httpx2.Client, params: dict[str, Any], cost: int
    ) -> None:
        # A bucket one token smaller can never hold it (that needs no clock to decide);
        # one of its size holds it, and is empty after.
        server.set_rate_limits(RateLimits(tokens_per_minute=cost - 1))
        too_large = create(http, "one two three", **params)
        assert too_large.status_code == 429
        error = error_of(too_large)
        assert (error["type"], error["code"]) == ("tokens", "rate_limit_exceeded")
        assert error["message"].startswith("Request too large for gpt-4o-mini")
        assert f"Requested {cost}." in error["message"]
        assert "retry-after" not in too_large.headers  # no wait will make room for it
        server.set_rate_limits(RateLimits(tokens_per_minute=cost))
        admitted = create(http, "one two three", **params)
        assert admitted.status_code == 200
        assert remaining(admitted, "tokens") == 0

    def test_a_queued_reply_is_charged_for_its_own_tokens(
        self, server: LocalServer, http: httpx2.Client
    ) -> None:
        server.queue(Reply.text("four words of answer"))
        assert remaining(create(http, "Hi"), "tokens") == 1  # 1 in, 4 out


def test_both_limits_report_both_and_the_first_short_one_refuses() -> None:
    # "one two" echoed costs 4 tokens: after two requests both buckets are short.
    with (
        limited(requests_per_minute=2, tokens_per_minute=10) as server,
        httpx2.Client(base_url=server.url, timeout=30) as http,
    ):
        first = create(http, "one two")
        assert {name for name in first.headers if name.startswith("x-ratelimit-")} == set(RATE_LIMIT_HEADERS)
        assert (remaining(first, "requests"), remaining(first, "tokens")) == (1, 6)
        create(http, "one two")
        refused = create(http, "one two")
        assert error_of(refused)["type"] == "requests"
        assert remaining(refused, "tokens") == 2


class TestTheClient:
    @pytest.fixture
    def server(self) -> Iterator[LocalServer]:
        with limited(requests_per_minute=2, tokens_per_minute=1000) as running:
            yield running

    @pytest.fixture
    def client(self, server: LocalServer) -> Iterator[OpenAI]:
        with OpenAI(api_key="sk-local", base_url=server.url, max_retries=0) as openai:
            yield openai

    def test_result_rate_limit_reads_the_headers(self, client: OpenAI) -> None:
        result = client.chat.completions.create([{"role": "user", "content": "one two"}], model="m")
        limit = result.rate_limit
        assert (limit.limit_requests, limit.remaining_requests) == (2, 1)
        assert (limit.limit_tokens, limit.remaining_tokens) == (1000, 996)
        # A full bucket less one request, one of two a minute: full again in 30 s.
        assert limit.reset_requests == 30
        assert limit.reset_tokens == pytest.approx(0.24)  # 4 tokens of 1000 a minute

    def test_a_streamed_result_too(self, client: OpenAI) -> None:
        with client.chat.completions.stream([{"role": "user", "content": "one two"}], model="m") as stream:
            assert stream.headers["x-ratelimit-remaining-requests"] == "1"
            assert stream.final().rate_limit.remaining_requests == 1

    def test_rate_limit_error_past_the_limit(self, client: OpenAI) -> None:
        for _ in range(2):
            client.chat.completions.create([{"role": "user", "content": "Hi"}], model="m")
        with pytest.raises(RateLimitError) as raised:
            client.chat.completions.create([{"role": "user", "content": "Hi"}], model="m")
        error = raised.value
        assert (error.status, error.code, error.type) == (429, "rate_limit_exceeded", "requests")
        assert error.is_rate_limit_error
        assert 1 <= int(error.headers["retry-after"]) <= 30
        outcome = client.chat.completions.try_create([{"role": "user", "content": "Hi"}], model="m")
        assert not outcome.success
        assert outcome.rate_limit.remaining_requests == 0
        assert outcome.rate_limit.limit_requests == 2

    def test_insufficient_quota(self, server: LocalServer, client: OpenAI) -> None:
        server.inject(Fault.insufficient_quota())
        with pytest.raises(RateLimitError) as raised:
            client.chat.completions.create([{"role": "user", "content": "Hi"}], model="m")
        error = raised.value
        assert (error.status, error.code, error.type) == (429, "insufficient_quota", "insufficient_quota")
        assert "retry-after" not in error.headers
        assert "retry-after-ms" not in error.headers


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_insufficient_quota_on_the_wire(server: LocalServer, http: httpx2.Client, stream: bool) -> None:
    server.inject(Fault.insufficient_quota())
    response = create(http, stream=stream)
    assert response.status_code == 429
    assert response.json() == {
        "error": {
            "message": error_of(response)["message"],
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    assert error_of(response)["message"].startswith("You exceeded your current quota")
    assert "retry-after" not in response.headers
    assert create(http).status_code == 200  # a fault: the next request is answered


def test_command_line_flags() -> None:
    with (
        command_line_server("--requests-per-minute", "1", "--tokens-per-minute", "50") as url,
        httpx2.Client(base_url=url, timeout=30) as http,
    ):
        first = create(http, "Hi")
        assert first.status_code == 200
        assert first.headers["x-ratelimit-limit-requests"] == "1"
        assert first.headers["x-ratelimit-limit-tokens"] == "50"
        assert remaining(first, "tokens") == 48
        assert create(http, "Hi").status_code == 429


@pytest.mark.parametrize("flag", ["--requests-per-minute", "--tokens-per-minute"])
@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_command_line_refuses_a_limit_that_is_not_positive(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([flag, value])
    assert exited.value.code == 2
    assert flag in capsys.readouterr().err


@pytest.mark.parametrize("value", ["²", "1²", "١٢", "-1", "1.5", "", "  "])
def test_a_count_header_that_is_not_ascii_digits_reads_as_none(value: str) -> None:
    from completionkit._rate_limit import RateLimit

    headers = httpx2.Headers({"x-ratelimit-remaining-requests": value.encode()})
    assert RateLimit.from_headers(headers).remaining_requests is None
