"""What the Dask workers of tests/bulk/test_scale_out.py run.  A worker process finds a
task's function by its module's name (Dask pickles an importable function by
reference), so it lives here, importable as ``tests.bulk.scale_out_workers``: the
project's folder is on the test process's ``sys.path``, and a spawned worker process is
given that ``sys.path``."""

from __future__ import annotations

import os
from typing import NamedTuple

import distributed

from completionkit import OpenAI
from completionkit.bulk import BulkSummary, shard


class PartReport(NamedTuple):
    """How one part of the job went, and where it ran."""

    part: int
    pid: int
    worker: str
    """The Dask worker's address."""
    summary: BulkSummary


def run_part(
    client: OpenAI, requests: str, index: int, count: int, journal: str, total_concurrency: int
) -> PartReport:
    """Part ``index`` of ``count`` of the job in ``requests``, journalled to ``journal``,
    with this worker's share of the rate limits and of the concurrency."""
    run = client.chat.completions.bulk(
        shard(requests, index, count),
        journal=journal,
        share=1 / count,
        max_concurrency=max(1, total_concurrency // count),
        progress=False,
    )
    for _ in run:
        pass
    return PartReport(index, os.getpid(), distributed.get_worker().address, run.summary)
