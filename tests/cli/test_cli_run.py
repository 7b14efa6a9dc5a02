"""``completionkit run``: a bulk run over a file of requests, its journal and its resume;
run as the installed console script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from completionkit.testing import Fault, LocalServer

from .conftest import Cli


def _requests(folder: Path, count: int) -> Path:
    path = folder / "requests.jsonl"
    lines = [
        {
            "custom_id": f"q-{n}",
            "body": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": f"What is {n} squared?"}],
            },
        }
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    return path


def _journal(path: Path) -> dict[str, Any]:
    return {line["custom_id"]: line for line in map(json.loads, path.read_text("utf-8").splitlines())}


def _creates(server: LocalServer) -> int:
    return sum(1 for r in server.requests if r.operation_id == "createChatCompletion")


def test_every_request_is_answered_into_the_journal_and_a_rerun_sends_nothing(
    cli: Cli, server: LocalServer
) -> None:
    requests = _requests(cli.cwd, 20)

    first = cli("run", str(requests), "--journal", "answers.jsonl", "--max-concurrency", "4")

    assert first.stdout == ""
    assert "20 succeeded, 0 failed" in first.stderr
    journal = _journal(cli.cwd / "answers.jsonl")
    assert set(journal) == {f"q-{n}" for n in range(20)}
    assert journal["q-3"]["response"]["body"]["choices"][0]["message"]["content"] == "What is 3 squared?"
    assert _creates(server) == 20

    server.clear_requests()
    second = cli("run", str(requests), "--journal", "answers.jsonl")

    assert _creates(server) == 0
    assert "20 already in the journal" in second.stderr
    assert _journal(cli.cwd / "answers.jsonl") == journal


def test_a_run_stopped_half_way_carries_on_from_its_journal(cli: Cli, server: LocalServer) -> None:
    requests = _requests(cli.cwd, 10)
    # An answer no retry fixes stops the run: exit 1, the answers so far journalled.
    server.inject(Fault.insufficient_quota(), operation="createChatCompletion")

    stopped = cli("run", str(requests), "--journal", "answers.jsonl", "--max-concurrency", "1", code=1)

    assert "BulkStoppedError" in stopped.stderr
    answered = set(_journal(cli.cwd / "answers.jsonl"))
    assert len(answered) < 10

    server.clear_requests()
    cli("run", str(requests), "--journal", "answers.jsonl")

    assert _creates(server) == 10 - len(answered)
    assert set(_journal(cli.cwd / "answers.jsonl")) == {f"q-{n}" for n in range(10)}


def test_failed_requests_are_data_in_the_journal_and_the_exit_code_is_0(
    cli: Cli, server: LocalServer
) -> None:
    requests = _requests(cli.cwd, 5)
    server.inject(Fault.http_error(400), operation="createChatCompletion")

    done = cli("run", str(requests), "--journal", "answers.jsonl", "--max-concurrency", "1")

    assert "4 succeeded, 1 failed (1 BadRequestError)" in done.stderr
    journal = _journal(cli.cwd / "answers.jsonl")
    failed = [line for line in journal.values() if line["response"]["status_code"] == 400]
    assert len(failed) == 1

    # The next run sends the failed one again, unless told not to.
    server.clear_requests()
    cli("run", str(requests), "--journal", "answers.jsonl", "--no-retry-failed")
    assert _creates(server) == 0
    cli("run", str(requests), "--journal", "answers.jsonl")
    assert _creates(server) == 1


def test_the_progress_bar_on_request_ends_with_the_summary_once(cli: Cli) -> None:
    requests = _requests(cli.cwd, 3)

    done = cli("run", str(requests), "--journal", "answers.jsonl", "--progress")

    assert done.stdout == ""
    assert done.stderr.count("3 succeeded") == 1


def test_a_file_that_does_not_hold_requests_is_a_usage_error(cli: Cli, server: LocalServer) -> None:
    bad = cli.cwd / "bad.jsonl"
    bad.write_text('{"body": {"model": "gpt-4o-mini", "messages": []}}\n', "utf-8")

    cli("run", str(bad), "--journal", "answers.jsonl", code=2)
    cli("run", "no-such-file.jsonl", "--journal", "answers.jsonl", code=2)
    cli("run", str(_requests(cli.cwd, 1)), code=2)  # no --journal
    cli("run", str(_requests(cli.cwd, 1)), "--journal", "j.jsonl", "--share", "0", code=2)

    assert server.requests == []
