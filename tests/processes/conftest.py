"""The local server in a process of its own: these tests fork, and a process that forks
must not be running the server's threads."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest


def _serve(*arguments: str) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "completionkit.testing", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()  # printed once it listens
        assert "listening on" in line, line
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait()
        process.stdout.close()


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The base URL of a local server running in another process."""
    yield from _serve()


@pytest.fixture(scope="module")
def keyed_server_url() -> Iterator[str]:
    """The base URL of a local server in another process that wants the key ``sk-right``."""
    yield from _serve("--api-key", "sk-right")
