"""A bulk run killed (``kill -9``) or interrupted (Ctrl-C) at any moment, then run again:
every request ends with exactly one answer in the journal, and nothing answered before
the kill is sent again (only what was in flight then)."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from completionkit.testing import Fault, LocalServer

ROOT = Path(__file__).resolve().parents[2]
COUNT = 300
CONCURRENCY = 8


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


def _child(server: LocalServer, journal: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bulk.bulk_child",
            server.url,
            str(journal),
            str(COUNT),
            str(CONCURRENCY),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _stop_after(process: subprocess.Popen[str], answers: int, how: signal.Signals) -> list[str]:
    """Read ``answers`` answers from the child, then signal it; every line it printed."""
    assert process.stdout is not None
    printed: list[str] = []
    while len(printed) < answers:
        line = process.stdout.readline()
        assert line, "the child ended early"
        printed.append(line.strip())
    process.send_signal(how)
    printed.extend(line.strip() for line in process.stdout)
    printed = [line for line in printed if line]  # the blank line before "interrupted"
    process.wait()
    process.stdout.close()
    return printed


def _journal_ids(journal: Path) -> list[str]:
    return [json.loads(line)["custom_id"] for line in journal.read_bytes().splitlines()]


def _sent(server: LocalServer) -> collections.Counter[str]:
    """How many times each prompt reached the server whole (a kill can cut one short)."""
    return collections.Counter(
        r.body["messages"][-1]["content"] for r in server.requests if isinstance(r.body, dict)
    )


def _finish(server: LocalServer, journal: Path) -> None:
    process = _child(server, journal)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out
    assert out.splitlines()[-1] == "done"


@pytest.mark.parametrize("answers", [1, 37, 150, 290])
def test_killed_at_any_moment_then_run_again(server: LocalServer, tmp_path: Path, answers: int) -> None:
    server.inject(Fault.slow(0.002), times=COUNT)  # answers take a moment: some are in flight at the kill
    journal = tmp_path / "journal.jsonl"
    printed = _stop_after(_child(server, journal), answers, signal.SIGKILL)
    journalled_before = set(_journal_ids(journal))
    # Everything the child saw answered was in the journal first.
    assert set(printed) <= journalled_before
    _finish(server, journal)
    ids = _journal_ids(journal)
    assert sorted(ids) == sorted(f"r-{n}" for n in range(COUNT))  # one line each
    sent = _sent(server)
    assert set(sent) == {f"r {n}" for n in range(COUNT)}
    twice = {prompt for prompt, times in sent.items() if times > 1}
    assert max(sent.values()) <= 2
    assert len(twice) <= CONCURRENCY  # only what was in flight at the kill
    assert not {p.replace(" ", "-") for p in twice} & journalled_before


def test_interrupted_then_run_again_sends_nothing_twice(server: LocalServer, tmp_path: Path) -> None:
    # The requests after the first 60 take five seconds: the run holds still while the
    # Ctrl-C is sent, however loaded the machine is (with every answer at 2 ms, a slow
    # reader saw the run end before its signal arrived).  Ctrl-C waits for those in flight.
    server.inject(Fault.slow(0.002), times=60)
    server.inject(Fault.slow(5.0), times=CONCURRENCY)
    journal = tmp_path / "journal.jsonl"
    printed = _stop_after(_child(server, journal), 60, signal.SIGINT)
    assert printed[-1] == "interrupted"
    # Ctrl-C waits for the answers in flight and journals them.
    assert set(printed[:-1]) <= set(_journal_ids(journal))
    _finish(server, journal)
    assert sorted(_journal_ids(journal)) == sorted(f"r-{n}" for n in range(COUNT))
    assert set(_sent(server).values()) == {1}
