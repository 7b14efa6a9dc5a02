"""A bulk job split across processes: ``completionkit.bulk.shard`` gives each worker its
part; the parts, run on a local Dask cluster of two worker processes, each with its share
of the local server's rate limits, end as one run in one process ends."""

from __future__ import annotations

import collections
import itertools
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import distributed
import pytest

from completionkit import InvalidRequestError, OpenAI
from completionkit.bulk import BulkOutcome, read, shard
from completionkit.testing import LocalServer, RateLimits
from tests.bulk import scale_out_workers

KEY = "sk-scale-out"
COUNT = 2000
PARTS = 2
CONCURRENCY = 32


def _requests(count: int) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"row-{n}",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"row {n}"}]},
        }
        for n in range(count)
    ]


def _write(path: Path, requests: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(request) + "\n" for request in requests), encoding="utf-8")
    return path


def _ids(requests: Any) -> list[str]:
    return [request["custom_id"] for request in requests]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    # Limits high enough not to slow 2,000 requests down, but on: every answer carries the
    # x-ratelimit-* headers each worker seeds its share of the budget from.
    limits = RateLimits(requests_per_minute=1_000_000, tokens_per_minute=100_000_000)
    with LocalServer(api_key=KEY, rate_limits=limits) as running:
        yield running


# --- shard() -----------------------------------------------------------------------------


def test_the_parts_split_the_requests_by_a_stable_hash(tmp_path: Path) -> None:
    requests = _requests(500)
    file = _write(tmp_path / "requests.jsonl", requests)
    parts = [_ids(shard(requests, index, 3)) for index in range(3)]
    assert sorted(itertools.chain.from_iterable(parts)) == sorted(_ids(requests))  # each request in one part
    assert all(parts)
    for index, part in enumerate(parts):
        assert all(zlib.crc32(custom_id.encode()) % 3 == index for custom_id in part)
        members = set(part)
        assert part == [i for i in _ids(requests) if i in members]  # the input's order
        assert _ids(shard(file, index, 3)) == part  # a file splits as the list does
        assert _ids(shard(iter(requests), index, 3)) == part
    assert _ids(shard(requests, 0, 1)) == _ids(requests)


def test_a_part_of_a_list_or_a_file_reads_again_and_has_a_size(tmp_path: Path) -> None:
    file = _write(tmp_path / "requests.jsonl", _requests(40))
    for source in (file, str(file), _requests(40)):
        part = shard(source, 1, 2)
        assert _ids(part) == _ids(part)
        assert len(part) == len(_ids(part))
    once = shard(iter(_requests(40)), 1, 2)
    assert _ids(once)
    assert _ids(once) == []  # a generator's part is read once, as the generator is


def test_index_and_count_are_checked() -> None:
    for index, count, field in [
        (0, 0, "count"),
        (0, True, "count"),
        (0, 1.0, "count"),
        (2, 2, "index"),
        (-1, 2, "index"),
        (False, 2, "index"),
    ]:
        with pytest.raises(InvalidRequestError) as raised:
            shard(_requests(2), index, count)  # type: ignore[call-overload]
        assert raised.value.param == field


def test_the_input_is_checked_whole_wherever_a_line_falls(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError) as refused:  # at once, not when the run reads it
        shard({"custom_id": "a", "body": {}}, 0, 2)  # type: ignore[arg-type]
    assert refused.value.param == "requests"
    requests = _requests(20)
    requests[11]["custom_id"] = "row-3"
    for index in range(2):  # each part refuses it, naming both lines of the input
        with pytest.raises(InvalidRequestError, match=r"line 12 .*line 4 again") as raised:
            _ids(shard(requests, index, 2))
        assert raised.value.param == "custom_id"
    broken = _requests(5)
    del broken[3]["body"]
    for index in range(2):
        with pytest.raises(InvalidRequestError, match="line 4") as raised:
            _ids(shard(broken, index, 2))
        assert raised.value.param == "body"


def test_bulk_checks_a_part_whole_before_sending(server: LocalServer, tmp_path: Path) -> None:
    requests = _requests(10)
    index = zlib.crc32(b"row-7") % 2
    requests[7]["body"]["temperature"] = "hot"
    file = _write(tmp_path / "requests.jsonl", requests)
    with OpenAI(api_key=KEY, base_url=server.url) as client:
        with pytest.raises(InvalidRequestError, match="row-7") as raised:
            list(client.chat.completions.bulk(shard(file, index, 2), progress=False))
        assert raised.value.param == "body.temperature"
        assert server.requests == []
        other = list(client.chat.completions.bulk(shard(file, 1 - index, 2), progress=False))
    assert {o.custom_id for o in other} == set(_ids(shard(requests, 1 - index, 2)))


# --- on a Dask cluster -------------------------------------------------------------------------


def _sent(server: LocalServer) -> collections.Counter[str]:
    """How many times each prompt reached the server."""
    return collections.Counter(
        r.body["messages"][-1]["content"] for r in server.requests if r.path == "/v1/chat/completions"
    )


def _answers(outcomes: Iterable[BulkOutcome[None]]) -> dict[str, tuple[str | None, int]]:
    answers: dict[str, tuple[str | None, int]] = {}
    for outcome in outcomes:
        assert outcome.result is not None, outcome.error
        assert outcome.result.usage is not None
        answers[outcome.custom_id] = (outcome.result.choice.text, outcome.result.usage.total_tokens)
    return answers


@pytest.fixture
def dask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A client of a local Dask cluster of ``PARTS`` worker processes, whose environment
    has ``OPENAI_API_KEY``.  Typed Any, and its calls let through: distributed's
    annotations are partial (parameters left unannotated, ``dashboard_address=None``
    documented but typed ``str``), which the checkers report at every use."""
    # Before the cluster starts: its worker processes inherit the environment, and a
    # client unpickled there reads its key from it (a pickle never carries the key).
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    cluster: Any = distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=PARTS,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,  # pyright: ignore[reportArgumentType]
        local_directory=str(tmp_path / "dask"),
    )
    with cluster, distributed.Client(cluster) as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(PARTS, timeout=60)  # a bound on a broken start, not a pause
        yield client


def test_a_job_split_across_dask_workers_matches_a_single_run(
    server: LocalServer, dask: Any, tmp_path: Path
) -> None:
    requests = _write(tmp_path / "requests.jsonl", _requests(COUNT))
    journals = [tmp_path / f"part-{index}.jsonl" for index in range(PARTS)]
    workers: list[str] = sorted(dask.scheduler_info()["workers"])
    assert len(workers) == PARTS
    with OpenAI(base_url=server.url) as client:  # the key from the environment: it pickles
        alone = client.chat.completions.bulk(
            str(requests), journal=tmp_path / "alone.jsonl", max_concurrency=CONCURRENCY, progress=False
        )
        expected = _answers(list(alone))
        assert len(expected) == COUNT
        server.clear_requests()

        futures = [
            dask.submit(
                scale_out_workers.run_part,
                client,
                str(requests),
                index,
                PARTS,
                str(journals[index]),
                CONCURRENCY,
                workers=[workers[index]],  # one part on each worker process
                pure=False,
            )
            for index in range(PARTS)
        ]
        reports: list[scale_out_workers.PartReport] = [future.result() for future in futures]

    assert [report.worker for report in reports] == workers
    assert len({report.pid for report in reports} - {os.getpid()}) == PARTS  # two processes, not ours
    for report in reports:
        summary = report.summary
        assert summary.succeeded > 0
        assert (summary.failed, summary.skipped, summary.retried, summary.stopped_by) == (0, 0, 0, None)

    # Every request answered once, in the journal of the part its custom_id falls to...
    parts = [list(read(journal)) for journal in journals]
    for index, outcomes in enumerate(parts):
        assert all(zlib.crc32(o.custom_id.encode()) % PARTS == index for o in outcomes)
        assert len(outcomes) == reports[index].summary.succeeded
    merged = list(itertools.chain.from_iterable(parts))
    assert collections.Counter(o.custom_id for o in merged) == collections.Counter(expected.keys())
    # ... with the answer a single run gives...
    assert _answers(merged) == expected
    # ... and each request sent once.
    assert _sent(server) == collections.Counter(f"row {n}" for n in range(COUNT))
