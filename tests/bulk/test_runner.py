"""``client.chat.completions.bulk``, end to end against the local server."""

from __future__ import annotations

import asyncio
import collections
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from completionkit import (
    AsyncOpenAI,
    BadRequestError,
    BulkStoppedError,
    InvalidRequestError,
    OpenAI,
    RateLimitError,
)
from completionkit.bulk import BulkOutcome, BulkProgress, read
from completionkit.testing import Fault, LocalServer, RateLimits


class Square(msgspec.Struct):
    number: int
    square: int


def _requests(count: int, prefix: str = "q") -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"{prefix}-{n}",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"{prefix} {n}"}]},
        }
        for n in range(count)
    ]


def _sent(server: LocalServer) -> collections.Counter[str]:
    """How many times each prompt reached the server."""
    return collections.Counter(
        r.body["messages"][-1]["content"] for r in server.requests if r.path == "/v1/chat/completions"
    )


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def client(server: LocalServer) -> Iterator[OpenAI]:
    with OpenAI(api_key="sk-test", base_url=server.url) as openai:
        yield openai


def test_every_request_gets_its_outcome(client: OpenAI, server: LocalServer, tmp_path: Path) -> None:
    run = client.chat.completions.bulk(_requests(300), journal=tmp_path / "journal.jsonl", max_concurrency=16)
    outcomes = {o.custom_id: o for o in run}
    assert set(outcomes) == {f"q-{n}" for n in range(300)}
    assert all(
        o.result is not None and o.result.choice.text == f"q {o.custom_id[2:]}" for o in outcomes.values()
    )
    assert server.max_in_flight <= 16
    summary = run.summary
    assert (summary.succeeded, summary.failed, summary.skipped, summary.stopped_by) == (300, 0, 0, None)
    assert summary.prompt_tokens > 0
    assert max(_sent(server).values()) == 1
    journal = list(read(tmp_path / "journal.jsonl"))
    assert sorted(o.custom_id for o in journal) == sorted(outcomes)


def test_async_bulk(server: LocalServer) -> None:
    async def main() -> list[BulkOutcome[None]]:
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url) as client:
            return [o async for o in client.chat.completions.bulk(_requests(50))]

    outcomes = asyncio.run(main())
    assert sorted(o.custom_id for o in outcomes) == sorted(f"q-{n}" for n in range(50))


def test_response_format_is_honoured(client: OpenAI) -> None:
    outcomes = list(client.chat.completions.bulk(_requests(5), response_format=Square))
    assert all(isinstance(o.result.choice.parsed, Square) for o in outcomes if o.result is not None)
    assert len(outcomes) == 5


def test_a_rerun_skips_what_the_journal_has(client: OpenAI, server: LocalServer, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    first = client.chat.completions.bulk(_requests(40), journal=journal)
    for n, _ in enumerate(first):
        if n == 14:
            break  # the caller stops early: what is in flight is still journalled
    server.clear_requests()
    again = client.chat.completions.bulk(_requests(40), journal=journal)
    rest = list(again)
    assert again.summary.skipped + len(rest) == 40
    assert again.summary.skipped >= 15
    assert not set(_sent(server)) & {
        f"q {o.custom_id[2:]}" for o in read(journal) if o.custom_id not in {r.custom_id for r in rest}
    }
    lines = [json.loads(line)["custom_id"] for line in journal.read_text().splitlines()]
    assert sorted(lines) == sorted(f"q-{n}" for n in range(40))  # one line each


def test_a_bad_line_is_refused_before_anything_is_sent(client: OpenAI, server: LocalServer) -> None:
    requests = _requests(10)
    requests[7]["body"]["temperature"] = "hot"
    with pytest.raises(InvalidRequestError, match="line 8") as caught:
        list(client.chat.completions.bulk(requests))
    assert "temperature" in str(caught.value.param)
    duplicated = [*_requests(3), _requests(2)[1]]
    with pytest.raises(InvalidRequestError, match=r"2\b.*4\b|4\b.*2\b"):
        list(client.chat.completions.bulk(duplicated))
    assert server.requests == []


def test_failures_are_outcomes_and_transient_errors_are_retried(client: OpenAI, server: LocalServer) -> None:
    server.inject(Fault.http_error(500), times=3)
    server.inject(Fault.http_error(400, message="bad luck"), times=1)
    run = client.chat.completions.bulk(_requests(20), max_concurrency=1)
    outcomes = list(run)
    failed = [o for o in outcomes if not o.success]
    assert len(outcomes) == 20
    assert [type(o.error) for o in failed] == [BadRequestError]
    assert run.summary.retried == 3
    assert run.summary.failures == {"BadRequestError": 1}


def test_a_server_rate_limit_is_kept(server: LocalServer, tmp_path: Path) -> None:
    server.set_rate_limits(RateLimits(requests_per_minute=6000))  # 100 a second, 6000 at once
    with OpenAI(api_key="sk-test", base_url=server.url) as client:
        run = client.chat.completions.bulk(_requests(200), max_concurrency=32)
        assert len(list(run)) == 200
    assert run.summary.failed == 0


def test_a_429_slows_the_whole_run(server: LocalServer) -> None:
    # A 429 of a server whose limits refill fast: the pause is the retry-after's.
    fast = {"x_ratelimit_limit_requests": "600000", "x_ratelimit_limit_tokens": "60000000"}
    server.inject(Fault.rate_limit(retry_after=0.2, **fast), times=1)
    with OpenAI(api_key="sk-test", base_url=server.url) as client:
        run = client.chat.completions.bulk(_requests(30), max_concurrency=4)
        assert len(list(run)) == 30
    assert (run.summary.rate_limited, run.summary.retried, run.summary.failed) == (1, 1, 0)


@pytest.mark.parametrize("status", [429, 401, 403])
def test_an_answer_no_retry_fixes_stops_the_run(
    client: OpenAI, server: LocalServer, tmp_path: Path, status: int
) -> None:
    journal = tmp_path / "journal.jsonl"
    server.inject(Fault.insufficient_quota() if status == 429 else Fault.http_error(status), times=1)
    seen: list[BulkOutcome[None]] = []
    with pytest.raises(BulkStoppedError) as caught:
        seen.extend(client.chat.completions.bulk(_requests(200), journal=journal, max_concurrency=4))
    stopped = caught.value
    assert stopped.status_code == status
    if status == 429:
        assert isinstance(stopped.error, RateLimitError)
        assert stopped.code == "insufficient_quota"
    assert "nothing more was sent" in str(stopped)
    assert len(server.requests) < 200
    assert sorted(o.custom_id for o in read(journal)) == sorted(o.custom_id for o in seen)


def test_progress_is_reported(client: OpenAI) -> None:
    seen: list[BulkProgress] = []
    run = client.chat.completions.bulk(_requests(25), on_progress=seen.append, progress=False)
    list(run)
    assert [p.done for p in seen] == list(range(1, 26))
    assert seen[-1].total == 25
    assert seen[-1].requests_per_second > 0


def test_a_lazy_input_is_read_as_the_run_goes(client: OpenAI) -> None:
    taken: list[int] = []

    def lines() -> Iterator[dict[str, Any]]:
        for n in range(100):
            taken.append(n)
            yield _requests(100)[n]

    run = client.chat.completions.bulk(lines(), max_concurrency=4)
    first = next(iter(run))
    assert first.success
    assert len(taken) < 100  # not read ahead of the budget


def test_the_progress_bar_sums_up_on_stderr(client: OpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    stdout_before = sys.stdout
    run = client.chat.completions.bulk(_requests(20), progress=True)
    assert len(list(run)) == 20
    assert sys.stdout is stdout_before  # the bar redirects nothing of the program's
    captured = capsys.readouterr()
    assert "bulk: 20 succeeded, 0 failed" in captured.err
    assert "20/20" in captured.err
    assert captured.out == ""
