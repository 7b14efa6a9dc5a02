"""The local server in a process of its own: these tests fork, and a process that forks
must not be running the server's threads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..command_line_server import command_line_server


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The base URL of a local server running in another process."""
    with command_line_server() as url:
        yield url


@pytest.fixture(scope="module")
def keyed_server_url() -> Iterator[str]:
    """The base URL of a local server in another process that wants the key ``sk-right``."""
    with command_line_server("--api-key", "sk-right") as url:
        yield url
