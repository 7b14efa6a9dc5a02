"""completionkit's pytest plugin: a local server for the test session, reset before each
test that uses it, and clients on it.

pytest loads it (the ``pytest11`` entry point) in every project that installs
completionkit, with or without the ``testing`` extra: so it imports nothing of the
server here, only inside the fixtures.  A project turns it off with ``-p no:completionkit``.

- ``completionkit_server``: a ``LocalServer`` started once for the session (at the first
  test that asks for it), ``reset()`` before each test that uses it: no completion
  stored, no reply or fault queued, no request recorded, its rate limits as made.
- ``completionkit_client``: an ``OpenAI`` on it, closed after the test.
- ``completionkit_async_client``: an ``AsyncOpenAI`` on it, for the test's own event
  loop (or loops: each loop's connections close as that loop ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import AsyncOpenAI, OpenAI
    from .testing import LocalServer

__all__ = [
    "API_KEY",
    "completionkit_async_client",
    "completionkit_client",
    "completionkit_server",
]

API_KEY = "sk-completionkit-local"
"""The key the fixtures' clients send: the session's server takes any."""


def _local_server() -> type[LocalServer] | str:
    """``LocalServer``, or why it cannot be imported (uvicorn, of the `testing` extra, is
    missing).  Failing outside the ``except`` keeps the ImportError out of the report."""
    try:
        from .testing import LocalServer
    except ImportError as error:
        return str(error)
    return LocalServer


@pytest.fixture(scope="session")
def _completionkit_session_server() -> Iterator[LocalServer]:
    found = _local_server()
    if isinstance(found, str):
        pytest.fail(
            "the completionkit_server fixture runs the local server, which needs the testing "
            f"extra: pip install 'completionkit[testing]' ({found})",
            pytrace=False,
        )
    with found() as server:
        yield server


@pytest.fixture
def completionkit_server(_completionkit_session_server: LocalServer) -> LocalServer:
    """The session's local server (``completionkit.testing.LocalServer``), reset for this test."""
    _completionkit_session_server.reset()
    return _completionkit_session_server


@pytest.fixture
def completionkit_client(completionkit_server: LocalServer) -> Iterator[OpenAI]:
    """An ``OpenAI`` client on ``completionkit_server``, closed after the test."""
    from . import OpenAI

    with OpenAI(api_key=API_KEY, base_url=completionkit_server.url) as client:
        yield client


@pytest.fixture
def completionkit_async_client(completionkit_server: LocalServer) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` client on ``completionkit_server``, to use in the test's event loop
    (``asyncio.run`` in the test, or a plugin's loop); it opens connections in each loop
    it runs in, and they close with that loop."""
    from . import AsyncOpenAI

    return AsyncOpenAI(api_key=API_KEY, base_url=completionkit_server.url)
