"""The bulk runner's budget: what an error means for the run (``classify``), what a request
will cost (``estimate_tokens``), and how fast it may send (``Budget``): the concurrency
cap, the request and token budgets the ``x-ratelimit-*`` headers seed, and one pause for
the whole run after a 429.

Time here is simulated: the budget reads a clock the test holds, and its sleep moves that
clock on at once (nothing waits), so every wait is exact and recorded."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import math
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from completionkit import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APIStreamIncompleteError,
    APITimeoutError,
    InternalServerError,
    InvalidRequestError,
    Message,
    MissingAPIKeyError,
    OpenAI,
    OpenAIError,
    RateLimitError,
    StructuredOutputError,
    ToolLoopError,
)
from completionkit._answers import error_from_response, error_from_transport
from completionkit._generated.models import ErrorResponse
from completionkit.bulk._budget import (
    DEFAULT_COMPLETION_TOKENS,
    MAX_PAUSE,
    Budget,
    Verdict,
    classify,
    estimate_tokens,
)
from completionkit.testing import Fault, LocalServer, RateLimits

T = TypeVar("T")
USER = [{"role": "user", "content": "Hello there"}]


# --- simulated time ---------------------------------------------------------------------------


class SimulatedTime:
    """The budget's clock and sleep: a sleep moves the clock on by what was asked, at
    once, and is recorded; ``pass_time`` is time going by while requests are out."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def pass_time(self, seconds: float) -> None:
        self.now += seconds

    def budget(self, max_concurrency: int = 100, share: float = 1.0) -> Budget:
        return Budget(max_concurrency=max_concurrency, share=share, clock=self.clock, sleep=self.sleep)


def run(test: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await test()

    return asyncio.run(main())


async def settle(*watched: Callable[[], object]) -> None:
    """Let every callback that is ready run, until nothing changes (no time passes: the
    clock only moves in the budget's own sleeps, which are immediate)."""
    last: object = None
    quiet = 0
    for _ in range(20_000):
        await asyncio.sleep(0)  # one turn of the event loop, not a wait for time
        state = tuple(w() for w in watched)
        quiet = quiet + 1 if state == last else 0
        last = state
        if quiet >= 6:
            return
    raise AssertionError("the budget never settles: it keeps the event loop busy")


def headers(**values: str | int) -> httpx2.Headers:
    """``headers(limit_requests=60)`` is ``x-ratelimit-limit-requests: 60``; other names as
    they are with ``-`` for ``_`` (``retry_after_ms``)."""
    out: dict[str, str] = {}
    for name, value in values.items():
        key = name.replace("_", "-")
        if key.startswith(("limit-", "remaining-", "reset-")):
            key = "x-ratelimit-" + key
        out[key] = str(value)
    return httpx2.Headers(out)


class Acquirers:
    """Requests waiting on a budget, each a task; ``order`` is the order they got through."""

    def __init__(self, budget: Budget, time: SimulatedTime) -> None:
        self.budget = budget
        self.time = time
        self.order: list[str] = []
        self.granted_at: dict[str, float] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.tokens: dict[str, int] = {}

    def ask(self, name: str, tokens: int = 0) -> asyncio.Task[None]:
        self.tokens[name] = tokens

        async def acquire() -> None:
            await self.budget.acquire(tokens)
            self.order.append(name)
            self.granted_at[name] = self.time.now

        task = asyncio.get_running_loop().create_task(acquire())
        self.tasks[name] = task
        return task

    @property
    def waiting(self) -> list[str]:
        return [name for name, task in self.tasks.items() if not task.done()]

    async def settle(self) -> None:
        await settle(lambda: self.time.now, lambda: self.budget.in_flight, lambda: len(self.order))


# --- classify ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture(scope="module")
def client(server: LocalServer) -> Iterator[OpenAI]:
    with OpenAI(api_key="sk-test-key", base_url=server.url, max_retries=0) as openai:
        yield openai


def raised(client: OpenAI) -> OpenAIError:
    with pytest.raises(OpenAIError) as caught:
        client.chat.completions.create(USER, model="m")
    return caught.value


@pytest.mark.parametrize(
    ("fault", "verdict"),
    [
        (Fault.http_error(400), "fail"),
        (Fault.http_error(401), "stop"),
        (Fault.http_error(403), "stop"),
        (Fault.http_error(404), "fail"),
        (Fault.http_error(408), "retry"),
        (Fault.http_error(409), "retry"),
        (Fault.http_error(413), "fail"),
        (Fault.http_error(422), "fail"),
        (Fault.rate_limit(), "retry"),
        (Fault.http_error(429, code="insufficient_quota", error_type="insufficient_quota"), "stop"),
        (Fault.http_error(429, code="insufficient_quota"), "stop"),
        (Fault.http_error(429, error_type="insufficient_quota", code=""), "stop"),
        (Fault.http_error(500), "retry"),
        (Fault.http_error(503), "retry"),
        (Fault.html(502), "retry"),
        (Fault.dropped("before"), "retry"),
        (Fault.raw(b"not json"), "fail"),
        (Fault.raw(b'{"id": 5}'), "fail"),
    ],
    ids=lambda value: repr(value)[:60] if isinstance(value, Fault) else str(value),
)
def test_each_answer_a_server_can_give_has_its_verdict(
    server: LocalServer, client: OpenAI, fault: Fault, verdict: Verdict
) -> None:
    server.inject(fault)
    assert classify(raised(client)) == verdict


def test_the_errors_met_on_the_way_have_their_verdicts(server: LocalServer, client: OpenAI) -> None:
    server.inject(Fault.dropped("during"))
    assert classify(raised(client)) == "retry"
    server.inject(Fault.stream_cut(1))
    with pytest.raises(APIStreamIncompleteError) as cut:
        for _ in client.chat.completions.create(USER, model="m", stream=True):
            pass
    assert classify(cut.value) == "retry"
    with pytest.raises(InvalidRequestError) as refused:
        client.chat.completions.create([], model="m")
    assert classify(refused.value) == "fail"


def test_errors_made_as_the_client_makes_them() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1:1/v1/chat/completions")
    timeout = error_from_transport(httpx2.ReadTimeout("timed out", request=request))
    refused = error_from_transport(httpx2.ConnectError("refused", request=request))
    assert isinstance(timeout, APITimeoutError)
    assert isinstance(refused, APIConnectionError)
    assert classify(timeout) == classify(refused) == "retry"

    def status(code: int, body: bytes = b"") -> APIStatusError:
        return error_from_response(httpx2.Response(code, content=body, request=request), ErrorResponse)

    quota = b'{"error": {"message": "No quota.", "type": "insufficient_quota", "code": "insufficient_quota"}}'
    assert isinstance(status(429, quota), RateLimitError)
    assert classify(status(429, quota)) == "stop"
    assert classify(status(429)) == "retry"
    assert isinstance(status(599), InternalServerError)
    assert classify(status(599)) == "retry"
    assert classify(status(418)) == "fail"


def test_errors_without_an_answer_have_their_verdicts() -> None:
    assert classify(MissingAPIKeyError("no key")) == "stop"  # every request would meet it
    assert classify(StructuredOutputError("not a Weather", path="$.temperature", text="{}")) == "fail"
    assert classify(APIResponseValidationError("bad")) == "fail"
    assert classify(APIStreamError("event")) == "fail"
    assert classify(ToolLoopError("rounds", messages=[])) == "fail"
    assert classify(InvalidRequestError("messages", "empty")) == "fail"
    assert classify(APIError("what")) == "fail"
    assert classify(OpenAIError("what")) == "fail"


# --- estimate_tokens -----------------------------------------------------------------------------


def test_a_request_costs_its_prompt_and_the_most_its_answer_may_take() -> None:
    body = {"messages": [{"role": "user", "content": "x" * 10}], "max_tokens": 5}
    # 10 characters: 3 tokens (rounded up), 4 for the message, 3 for the reply, 5 at most.
    assert estimate_tokens(body) == 3 + 4 + 3 + 5
    two = {"messages": [{"role": "system", "content": "x" * 7}, {"role": "user", "content": "y"}]}
    assert estimate_tokens(two) == 2 + 2 * 4 + 3 + DEFAULT_COMPLETION_TOKENS
    assert DEFAULT_COMPLETION_TOKENS == 256


def test_max_completion_tokens_before_max_tokens_and_n_choices() -> None:
    base = {"messages": [{"role": "user", "content": "abcd"}]}
    prompt = 1 + 4 + 3
    assert estimate_tokens({**base, "max_completion_tokens": 100, "max_tokens": 9}) == prompt + 100
    assert estimate_tokens({**base, "max_tokens": 9}) == prompt + 9
    assert estimate_tokens({**base, "max_tokens": 9, "n": 3}) == prompt + 27
    assert estimate_tokens({**base, "max_completion_tokens": 0}) == prompt
    assert estimate_tokens({**base, "n": 2}) == prompt + 2 * DEFAULT_COMPLETION_TOKENS


def test_every_text_of_a_message_counts() -> None:
    def cost(*messages: object) -> int:
        return (
            estimate_tokens({"messages": list(messages), "max_completion_tokens": 0}) - 3 - 4 * len(messages)
        )

    texts = [{"type": "text", "text": "a" * 8}, {"type": "text", "text": "b" * 4}]
    assert cost({"role": "user", "content": texts}) == 3
    assert cost({"role": "assistant", "content": [{"type": "refusal", "refusal": "no" * 4}]}) == 2
    assert cost({"role": "user", "content": "abcd", "name": "abcd"}) == 2
    call = {"id": "c1", "type": "function", "function": {"name": "abcd", "arguments": '{"q": 1}'}}
    assert cost({"role": "assistant", "content": None, "tool_calls": [call]}) == 3
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    low = {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}
    assert cost({"role": "user", "content": [image, low]}) == 765 + 85
    # Outside ASCII a character is counted as its UTF-8 bytes: tokenizers spend more on it.
    assert cost({"role": "user", "content": "\u00e9" * 4}) == 2
    assert cost({"role": "user", "content": "\u6f22" * 4}) == 3


def test_messages_as_objects_count_as_their_dicts() -> None:
    typed = Message.user("a" * 40, name="bob")
    assistant = Message.assistant(
        tool_calls=[{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    )
    as_objects = estimate_tokens({"messages": (typed, assistant)})
    as_dicts = estimate_tokens({"messages": [typed.to_dict(), assistant.to_dict()]})
    # 40 + 3 + 1 + 2 characters: 12 tokens; 2 messages; the reply.
    assert as_objects == as_dicts == 12 + 8 + 3 + DEFAULT_COMPLETION_TOKENS


def test_what_it_does_not_understand_it_does_not_count() -> None:
    assert estimate_tokens({}) == 3 + DEFAULT_COMPLETION_TOKENS
    assert (
        estimate_tokens({"messages": "not a list", "max_tokens": "9", "n": -2})
        == 3 + DEFAULT_COMPLETION_TOKENS
    )
    odd = {
        "messages": [None, 5, {"content": 7, "tool_calls": [None, {"function": 3}]}, {"content": [None, 1]}]
    }
    assert estimate_tokens({**odd, "max_tokens": True}) == 3 + 4 * 4 + DEFAULT_COMPLETION_TOKENS


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "system", "assistant", "tool"])},
    optional={
        "content": st.text()
        | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text()}) | JSON),
        "name": st.text() | JSON,
        "tool_calls": st.lists(JSON),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    messages=st.lists(MESSAGE | JSON, max_size=6) | JSON,
    extra=st.dictionaries(st.sampled_from(["max_tokens", "max_completion_tokens", "n"]), JSON),
    more=st.text(min_size=1),
)
def test_any_body_has_an_estimate_that_grows_with_its_text(
    messages: Any, extra: dict[str, Any], more: str
) -> None:
    body = {"messages": messages, **extra}
    estimate = estimate_tokens(body)
    assert isinstance(estimate, int)
    assert estimate >= 3
    longer = (
        {"messages": [*messages, {"role": "user", "content": more}]} if isinstance(messages, list) else body
    )
    assert estimate_tokens({**longer, **extra}) >= estimate


# --- budgets seeded from the headers ---------------------------------------------------------


def test_without_rate_headers_the_cap_alone_rules() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget(max_concurrency=1000)
        for _ in range(1000):
            await budget.acquire(100_000)
        assert budget.in_flight == 1000
        for _ in range(1000):
            budget.release(100_000, headers=httpx2.Headers({"x-request-id": "req_1"}), used_tokens=5)
        assert (budget.request_limit, budget.token_limit, budget.requests_left, budget.tokens_left) == (
            None,
            None,
            None,
            None,
        )
        assert time.sleeps == []

    run(main)


def test_an_answers_headers_seed_both_budgets() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget()
        await budget.acquire(10)
        budget.release(
            10,
            headers=headers(
                limit_requests=60, remaining_requests=10, limit_tokens=1000, remaining_tokens=400
            ),
            used_tokens=None,
        )
        assert (budget.request_limit, budget.requests_left) == (60, 10)
        assert (budget.token_limit, budget.tokens_left) == (1000, 400)
        # The budgets refill a sixtieth of their limit a second, up to the limit.
        time.pass_time(3)
        assert (budget.requests_left, budget.tokens_left) == (13, pytest.approx(450))
        time.pass_time(600)
        assert (budget.requests_left, budget.tokens_left) == (60, 1000)

    run(main)


def test_a_reset_stands_in_for_a_missing_remaining() -> None:
    async def main() -> None:
        budget = SimulatedTime().budget()
        await budget.acquire(0)
        budget.release(
            0,
            headers=headers(limit_requests=60, reset_requests="6s", limit_tokens=6000, reset_tokens="1m0s"),
            used_tokens=None,
        )
        assert (budget.requests_left, budget.tokens_left) == (54, 0)
        # Remaining wins over reset, and a remaining without its limit seeds nothing new.
        await budget.acquire(0)
        budget.release(0, headers=headers(remaining_requests=7, reset_requests="1s"), used_tokens=None)
        assert budget.requests_left == 7
        fresh = SimulatedTime().budget()
        await fresh.acquire(0)
        fresh.release(0, headers=headers(remaining_tokens=7, reset_tokens="1s"), used_tokens=None)
        assert fresh.token_limit is None

    run(main)


def test_the_answers_usage_corrects_the_estimate() -> None:
    async def main() -> None:
        budget = SimulatedTime().budget()
        await budget.acquire(0)
        budget.release(0, headers=headers(limit_tokens=1000, remaining_tokens=1000), used_tokens=None)
        await budget.acquire(300)
        assert budget.tokens_left == 700
        budget.release(300, headers=None, used_tokens=100)
        assert budget.tokens_left == 900
        await budget.acquire(100)
        budget.release(100, headers=None, used_tokens=500)  # more than estimated: taken too
        assert budget.tokens_left == 400
        await budget.acquire(100)
        budget.release(100, headers=None, used_tokens=None)  # not known: the estimate stands
        assert budget.tokens_left == 300
        # The headers, when sent, are the server's word: they replace what was counted.
        await budget.acquire(100)
        budget.release(100, headers=headers(limit_tokens=1000, remaining_tokens=800), used_tokens=10)
        assert budget.tokens_left == 800

    run(main)


def test_the_local_servers_headers_seed_the_budgets() -> None:
    async def main(limits: Mapping[str, str]) -> Budget:
        budget = SimulatedTime().budget()
        await budget.acquire(0)
        budget.release(0, headers=httpx2.Headers(limits), used_tokens=None)
        return budget

    limits = RateLimits(requests_per_minute=50, tokens_per_minute=10_000)
    with (
        LocalServer(rate_limits=limits) as server,
        OpenAI(api_key="sk-test-key", base_url=server.url) as openai,
    ):
        result = openai.chat.completions.create(USER, model="m", max_completion_tokens=100)
    seen = result.rate_limit
    budget = run(lambda: main(result.headers))
    assert (
        (budget.request_limit, budget.token_limit) == (seen.limit_requests, seen.limit_tokens) == (50, 10_000)
    )
    assert (budget.requests_left, budget.tokens_left) == (seen.remaining_requests, seen.remaining_tokens)
    assert budget.tokens_left is not None
    assert budget.tokens_left < 10_000 - 100


def test_share_takes_its_part_of_every_budget() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget(share=0.5)
        await budget.acquire(0)
        budget.release(
            0,
            headers=headers(
                limit_requests=60, remaining_requests=1, limit_tokens=1000, remaining_tokens=1000
            ),
            used_tokens=None,
        )
        assert (budget.request_limit, budget.requests_left) == (30, 0.5)
        assert (budget.token_limit, budget.tokens_left) == (500, 500)
        assert (budget.max_concurrency, budget.share) == (100, 0.5)
        # Half of 60 a minute is one request every 2 seconds.
        await budget.acquire(0)  # the half a request left, as a budget smaller than a request goes when full
        assert time.sleeps == [pytest.approx(1.0)]
        budget.release(0, headers=None, used_tokens=None)
        await budget.acquire(0)
        assert time.sleeps[1:] == [pytest.approx(2.0)]

    run(main)


# --- waiting for the budgets ---------------------------------------------------------------------


async def seeded(time: SimulatedTime, max_concurrency: int = 100, **values: str | int) -> Budget:
    budget = time.budget(max_concurrency=max_concurrency)
    await budget.acquire(0)
    budget.release(0, headers=headers(**values), used_tokens=None)
    return budget


def test_a_request_waits_exactly_until_the_budgets_hold_it() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = await seeded(
            time, limit_requests=60, remaining_requests=0, limit_tokens=6000, remaining_tokens=0
        )
        start = time.now
        await budget.acquire(250)  # 1 s for a request, 2.5 s for 250 tokens at 100 a second
        assert time.now == pytest.approx(start + 2.5)
        assert len(time.sleeps) == 1
        assert budget.requests_left == pytest.approx(1.5)
        assert budget.tokens_left == pytest.approx(0)
        await budget.acquire(0)  # a request is there; no token is needed
        assert time.now == pytest.approx(start + 2.5)
        await budget.acquire(50)  # now 0.5 request and 0 tokens: 0.5 s either way
        assert time.now == pytest.approx(start + 3.0)
        assert len(time.sleeps) == 2

    run(main)


def test_a_request_bigger_than_the_whole_budget_goes_when_it_is_full() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = await seeded(time, limit_tokens=600, remaining_tokens=600)
        start = time.now
        await budget.acquire(10_000)
        assert time.sleeps == []  # full: it goes
        assert budget.tokens_left == 0
        await budget.acquire(10_000)  # after a whole minute's refill
        assert time.now == pytest.approx(start + 60)
        await budget.acquire(0)
        budget.release(0, headers=headers(limit_tokens=600, remaining_tokens=300), used_tokens=None)
        await budget.acquire(600)  # exactly the budget: when it is full, 30 s on
        assert time.now == pytest.approx(start + 90)

    run(main)


def test_requests_go_in_the_order_they_asked() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = await seeded(time, max_concurrency=1, limit_tokens=600, remaining_tokens=600)
        await budget.acquire(0)
        acquirers = Acquirers(budget, time)
        for name, tokens in [("big", 500), ("small", 0), ("huge", 5000), ("tiny", 1)]:
            acquirers.ask(name, tokens)
        await acquirers.settle()
        assert acquirers.waiting == ["big", "small", "huge", "tiny"]  # the cap holds them all
        for _ in range(4):
            budget.release(0, headers=None, used_tokens=None)
            await acquirers.settle()
            assert budget.in_flight == 1
        assert acquirers.order == ["big", "small", "huge", "tiny"]
        # big took 500 of 600; small waited for none; huge for a full bucket (50 s), tiny
        # for one token after it (0.1 s): nothing overtook huge while it waited.
        at = acquirers.granted_at
        assert at["big"] == at["small"]
        assert at["huge"] - at["small"] == pytest.approx(50)
        assert at["tiny"] - at["huge"] == pytest.approx(0.1)

    run(main)


def test_one_waiting_for_tokens_holds_those_behind_it() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = await seeded(time, limit_tokens=60, remaining_tokens=0)
        acquirers = Acquirers(budget, time)
        acquirers.ask("first", 30)
        acquirers.ask("second", 0)
        await acquirers.settle()
        assert acquirers.order == ["first", "second"]
        assert acquirers.granted_at["first"] == acquirers.granted_at["second"]

    run(main)


def test_no_more_than_the_cap_in_flight() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget(max_concurrency=3)
        acquirers = Acquirers(budget, time)
        for i in range(10):
            acquirers.ask(f"r{i}")
        await acquirers.settle()
        assert budget.in_flight == 3
        assert acquirers.order == ["r0", "r1", "r2"]
        most = 3
        while acquirers.waiting:
            budget.release(0, headers=None, used_tokens=None)
            assert budget.in_flight == 3  # the slot freed goes to the next at once
            await acquirers.settle()
            most = max(most, budget.in_flight)
        assert most == 3
        assert acquirers.order == [f"r{i}" for i in range(10)]
        assert time.sleeps == []

    run(main)


def test_a_cancelled_request_leaves_its_place_and_its_budget() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = await seeded(
            time,
            max_concurrency=1,
            limit_tokens=600,
            remaining_tokens=600,
            limit_requests=60,
            remaining_requests=60,
        )
        await budget.acquire(0)
        acquirers = Acquirers(budget, time)
        acquirers.ask("gone", 100)
        acquirers.ask("next", 100)
        await acquirers.settle()
        acquirers.tasks["gone"].cancel()
        await acquirers.settle()
        budget.release(0, headers=None, used_tokens=None)
        await acquirers.settle()
        assert acquirers.order == ["next"]
        assert budget.in_flight == 1
        assert budget.tokens_left == 500

        # Granted, but cancelled before it could go on: what it took comes back.
        budget.release(100, headers=None, used_tokens=None)
        await budget.acquire(0)
        late = acquirers.ask("late", 200)
        await acquirers.settle()
        assert acquirers.waiting == ["late"]  # the cap is reached
        budget.release(0, headers=None, used_tokens=None)  # granted now, resumed later
        assert budget.in_flight == 1
        late.cancel()
        await acquirers.settle()
        assert budget.in_flight == 0
        assert budget.tokens_left == 500  # nothing taken by "late"
        assert budget.requests_left == 57  # seeded, next, the one before late: late's came back

    run(main)


def test_a_release_without_a_request_in_flight_is_refused() -> None:
    budget = SimulatedTime().budget()
    with pytest.raises(RuntimeError):
        budget.release(0, headers=None, used_tokens=None)


@pytest.mark.parametrize(
    "arguments",
    [{"max_concurrency": 0}, {"max_concurrency": 2.0}, {"max_concurrency": True}, {"share": 0}]
    + [{"share": s} for s in (1.5, -0.5, float("nan"), "0.5", True)],
)
def test_a_budget_refuses_what_it_cannot_keep(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(arguments))):
        Budget(**{"max_concurrency": 4, **arguments})


class ManualTime(SimulatedTime):
    """Time that moves only when the test says (``advance``): a sleep waits until then."""

    def __init__(self) -> None:
        super().__init__()
        self.sleepers: list[tuple[float, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + seconds, woken))
        await woken

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for deadline, woken in self.sleepers:
            if deadline <= self.now and not woken.done():
                woken.set_result(None)

    @property
    def asleep(self) -> int:
        return sum(not woken.done() for _, woken in self.sleepers)


def test_a_better_word_from_the_server_lets_the_head_go_sooner() -> None:
    async def main() -> None:
        time = ManualTime()
        budget = time.budget()
        await budget.acquire(0)
        budget.release(0, headers=headers(limit_tokens=600, remaining_tokens=100), used_tokens=None)
        for _ in range(3):
            await budget.acquire(0)
        acquirers = Acquirers(budget, time)
        acquirers.ask("head", 600)
        await acquirers.settle()
        assert time.sleeps == [50]  # 500 tokens short, at 10 a second
        time.advance(10)
        await acquirers.settle()
        assert acquirers.waiting == ["head"]
        # An answer says less is left: 45 s more, later than the timer set, which looks again then.
        budget.release(0, headers=headers(limit_tokens=600, remaining_tokens=150), used_tokens=None)
        await acquirers.settle()
        assert (time.sleeps, time.asleep) == ([50], 1)
        # Another says more: 10 s more, sooner: a new timer for then, the old one let go.
        budget.release(0, headers=headers(limit_tokens=600, remaining_tokens=500), used_tokens=None)
        await acquirers.settle()
        assert (time.sleeps, time.asleep) == ([50, 10], 1)
        # Another says the whole budget is there: the head goes now, and no timer is left.
        budget.release(0, headers=headers(limit_tokens=600, remaining_tokens=600), used_tokens=None)
        await acquirers.settle()
        assert acquirers.order == ["head"]
        assert (time.sleeps, time.asleep) == ([50, 10], 0)

    run(main)


def test_a_later_deadline_waits_for_the_timer_already_set() -> None:
    async def main() -> None:
        time = ManualTime()
        budget = time.budget()
        acquirers = Acquirers(budget, time)
        budget.rate_limited(headers(retry_after=5))
        acquirers.ask("first")
        await acquirers.settle()
        assert time.sleeps == [5]
        budget.rate_limited(headers(retry_after=20))  # longer: the timer set looks again at 5 s
        acquirers.ask("second")
        await acquirers.settle()
        assert time.sleeps == [5]
        time.advance(5)
        await acquirers.settle()
        assert time.sleeps == [5, 15]
        assert acquirers.order == []
        time.advance(15)
        await acquirers.settle()
        assert acquirers.order == ["first", "second"]
        assert time.asleep == 0

    run(main)


def test_the_last_waiter_gone_its_timer_goes_too() -> None:
    async def main() -> None:
        time = ManualTime()
        budget = time.budget()
        acquirers = Acquirers(budget, time)
        budget.rate_limited(headers(retry_after=30))
        task = acquirers.ask("alone")
        await acquirers.settle()
        assert time.asleep == 1
        task.cancel()
        await acquirers.settle()
        assert time.asleep == 0
        assert budget.in_flight == 0

    run(main)


def test_a_new_limit_replaces_the_old() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = await seeded(time, limit_requests=60, remaining_requests=60)
        await budget.acquire(0)
        budget.release(0, headers=headers(limit_requests=30), used_tokens=None)
        assert (budget.request_limit, budget.requests_left) == (30, 30)  # no more than the limit
        await budget.acquire(0)
        budget.release(0, headers=headers(limit_requests=120), used_tokens=None)
        assert (budget.request_limit, budget.requests_left) == (120, 29)
        time.pass_time(1)
        assert budget.requests_left == 31  # refilled at 2 a second now

    run(main)


# --- a 429 pauses the whole run ----------------------------------------------------------------


def test_a_429_pauses_every_request_for_its_retry_after() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget(max_concurrency=10)
        await budget.acquire(0)
        start = time.now
        assert budget.paused_until is None
        assert budget.rate_limited(headers(retry_after=7)) == 7
        budget.release(0, headers=None, used_tokens=None)
        assert budget.paused_until == start + 7
        acquirers = Acquirers(budget, time)
        for i in range(5):
            acquirers.ask(f"r{i}")
        await acquirers.settle()
        assert acquirers.order == [f"r{i}" for i in range(5)]
        assert set(acquirers.granted_at.values()) == {start + 7}
        assert time.sleeps == [7]  # one pause for all, not one each
        assert budget.paused_until is None

    run(main)


@pytest.mark.parametrize(
    ("sent", "pause"),
    [
        ({"retry_after_ms": 1500, "retry_after": 2}, 1.5),
        ({"retry_after": "2.5"}, 2.5),
        ({"retry_after": 0}, 0.0),
        ({"retry_after": 3600}, MAX_PAUSE),
        ({"retry_after_ms": "soon", "retry_after": 4}, 4.0),
        # Without retry-after: the reset of the budgets it says are empty, the longest.
        ({"remaining_requests": 0, "reset_requests": "2s", "remaining_tokens": 5, "reset_tokens": "9s"}, 2.0),
        ({"remaining_requests": 0, "reset_requests": "2s", "remaining_tokens": 0, "reset_tokens": "9s"}, 9.0),
        ({"remaining_tokens": 0, "reset_tokens": "1m30s"}, MAX_PAUSE),
        ({"remaining_tokens": 0, "reset_tokens": "120ms"}, 0.12),
    ],
)
def test_the_pause_is_what_the_headers_say(sent: dict[str, str | int], pause: float) -> None:
    budget = SimulatedTime().budget()
    assert budget.rate_limited(headers(**sent)) == pytest.approx(pause)


def test_retry_after_as_an_http_date() -> None:
    far = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
    budget = SimulatedTime().budget()
    assert (
        budget.rate_limited(headers(retry_after=email.utils.format_datetime(far, usegmt=True))) == MAX_PAUSE
    )
    # A date gone by says nothing: the backoff decides (the first is 1 s, less some jitter).
    assert (
        0.75
        <= SimulatedTime()
        .budget()
        .rate_limited(headers(retry_after=email.utils.format_datetime(past, usegmt=True)))
        <= 1
    )


def test_without_headers_the_backoff_grows_after_each_pause_and_not_within_one() -> None:
    time = SimulatedTime()
    budget = time.budget()
    first = budget.rate_limited(None)
    assert 0.75 <= first <= 1.0
    time.pass_time(0.5)
    # The other requests in flight meet the same 429: the pause stays the pause.
    assert budget.rate_limited(None) <= 1.0
    assert budget.rate_limited(httpx2.Headers()) <= 1.0
    pauses = []
    for _ in range(9):
        until = budget.paused_until
        assert until is not None
        time.now = until
        pauses.append(budget.rate_limited(None))
    for n, pause in enumerate(pauses, start=1):
        assert 0.75 * min(2**n, MAX_PAUSE) <= pause <= min(2**n, MAX_PAUSE)


def test_an_answer_ends_the_backoffs_growth() -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget()
        for _ in range(3):  # 1, 2, 4 s
            time.pass_time(budget.rate_limited(None))
        await budget.acquire(0)
        budget.release(0, headers=None, used_tokens=0)  # not sent after all: no answer
        assert 6.0 <= budget.rate_limited(None) <= 8.0
        time.pass_time(8)
        await budget.acquire(0)
        budget.release(0, headers=None, used_tokens=12)
        assert 0.75 <= budget.rate_limited(None) <= 1.0

    run(main)


def test_a_pause_is_never_shortened() -> None:
    time = SimulatedTime()
    budget = time.budget()
    assert budget.rate_limited(headers(retry_after=10)) == 10
    time.pass_time(1)
    assert budget.rate_limited(headers(retry_after=1)) == 9
    assert budget.rate_limited(headers(retry_after=20)) == 20
    assert budget.paused_until == time.now + 20


def test_a_429_of_the_local_server_pauses_for_its_retry_after() -> None:
    async def main(error: RateLimitError) -> tuple[float, Budget]:
        budget = SimulatedTime().budget()
        await budget.acquire(1)
        pause = budget.rate_limited(error.headers)
        budget.release(1, headers=error.headers, used_tokens=None)
        return pause, budget

    limits = RateLimits(requests_per_minute=2, tokens_per_minute=1000)
    with (
        LocalServer(rate_limits=limits) as server,
        OpenAI(api_key="sk-test-key", base_url=server.url, max_retries=0) as openai,
    ):
        for _ in range(2):
            openai.chat.completions.create(USER, model="m", max_completion_tokens=10)
        with pytest.raises(RateLimitError) as caught:
            openai.chat.completions.create(USER, model="m", max_completion_tokens=10)
    error = caught.value
    assert classify(error) == "retry"
    pause, budget = run(lambda: main(error))
    assert pause == int(error.headers["retry-after-ms"]) / 1000
    assert 0 < pause <= 30
    assert (budget.request_limit, budget.requests_left) == (2, 0)


# --- properties ---------------------------------------------------------------------------------

HEADER_NAMES = [
    f"x-ratelimit-{what}-{kind}"
    for what in ("limit", "remaining", "reset")
    for kind in ("requests", "tokens")
] + ["retry-after", "retry-after-ms"]

DURATION = st.builds(
    lambda parts: "".join(f"{n}{u}" for n, u in parts),
    st.lists(
        st.tuples(
            st.integers(0, 10**30).map(str) | st.floats(0, 1e6).map(lambda f: f"{f:.3f}"),
            st.sampled_from(["h", "m", "s", "ms", "", "us"]),
        ),
        max_size=3,
    ),
)
VALUE = (
    st.integers(0, 100_000).map(lambda i: str(i).encode())
    | st.binary(max_size=24).filter(lambda b: not set(b) & set(b"\r\n\0"))
    | st.integers(-(10**20), 10**40).map(lambda i: str(i).encode())
    | DURATION.map(str.encode)
    | st.sampled_from(
        [
            b"\xb2",
            b"1e400",
            b"inf",
            b"nan",
            b"-1",
            b" 60 ",
            b"\xd9\xa1\xd9\xa2",
            b"Wed, 21 Oct 2015 07:28:00 GMT",
        ]
    )
)
HEADERS = st.lists(st.tuples(st.sampled_from(HEADER_NAMES), VALUE), max_size=8).map(
    lambda pairs: httpx2.Headers([(name.encode(), value) for name, value in pairs])
)


def check(budget: Budget, cap: int) -> None:
    assert 0 <= budget.in_flight <= cap
    for limit, left in (
        (budget.request_limit, budget.requests_left),
        (budget.token_limit, budget.tokens_left),
    ):
        if limit is None:
            assert left is None
        else:
            assert left is not None
            assert math.isfinite(limit)
            assert limit > 0
            assert 0 <= left <= limit
    until = budget.paused_until
    assert until is None or math.isfinite(until)


@settings(max_examples=400, deadline=None)
@given(answer=HEADERS, refusal=HEADERS, used=st.none() | st.integers(-(10**30), 10**30))
def test_headers_of_any_shape_never_raise(
    answer: httpx2.Headers, refusal: httpx2.Headers, used: int | None
) -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget(max_concurrency=2, share=0.25)
        await budget.acquire(10)
        await budget.acquire(10)
        budget.release(10, headers=answer, used_tokens=used)
        check(budget, 2)
        pause = budget.rate_limited(refusal)
        assert 0 <= pause <= MAX_PAUSE
        budget.release(10, headers=refusal, used_tokens=None)
        check(budget, 2)
        await budget.acquire(10**40)  # whatever the budgets are, a request goes in the end
        check(budget, 2)
        assert all(0 <= s <= MAX_PAUSE + 1e-6 for s in time.sleeps)

    run(main)


OPERATION = st.one_of(
    st.tuples(st.just("acquire"), st.integers(-10, 5000)),
    st.tuples(st.just("release"), st.none() | st.integers(0, 5000), st.none() | HEADERS),
    st.tuples(st.just("rate_limited"), st.none() | HEADERS),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("pass_time"), st.floats(0, 120)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cap=st.integers(1, 4),
    share=st.sampled_from([1.0, 0.5, 0.01]),
    seed=st.none() | HEADERS,
    operations=st.lists(OPERATION, max_size=40),
)
def test_any_sequence_keeps_the_cap_and_the_budgets(
    cap: int, share: float, seed: httpx2.Headers | None, operations: list[tuple[Any, ...]]
) -> None:
    async def main() -> None:
        time = SimulatedTime()
        budget = time.budget(max_concurrency=cap, share=share)
        if seed is not None:
            await budget.acquire(0)
            budget.release(0, headers=seed, used_tokens=None)
        acquirers = Acquirers(budget, time)
        held: list[str] = []  # granted and not released, oldest first
        seen = 0
        for number, operation in enumerate(operations):
            kind = operation[0]
            if kind == "acquire":
                acquirers.ask(str(number), operation[1])
            elif kind == "release":
                if held:
                    taken = acquirers.tokens[held.pop(0)]
                    budget.release(taken, headers=operation[2], used_tokens=operation[1])
                else:
                    with pytest.raises(RuntimeError):
                        budget.release(0, headers=operation[2], used_tokens=operation[1])
            elif kind == "rate_limited":
                assert 0 <= budget.rate_limited(operation[1]) <= MAX_PAUSE
            elif kind == "cancel":
                waiting = acquirers.waiting
                if waiting:
                    acquirers.tasks[waiting[operation[1] % len(waiting)]].cancel()
            else:
                time.pass_time(operation[1])
            await acquirers.settle()
            held.extend(acquirers.order[seen:])
            seen = len(acquirers.order)
            check(budget, cap)
            # Time passes freely here: whoever still waits, waits for the cap alone.
            assert not acquirers.waiting or budget.in_flight == cap
            assert budget.in_flight == len(held)
        assert all(0 <= s <= MAX_PAUSE + 1e-6 for s in time.sleeps)
        for task in acquirers.tasks.values():
            task.cancel()
        await acquirers.settle()

    run(main)
