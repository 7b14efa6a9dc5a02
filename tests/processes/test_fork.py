"""A client used before ``os.fork()`` is safe on both sides of it: the child opens
connections of its own, and never writes to (or closes) the parent's."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import pytest

from completionkit import AsyncOpenAI, OpenAI

from .workers import ask

TRIALS = 8
REQUESTS = 20


def _pooled_sockets(client: OpenAI) -> list[socket.socket]:
    """The sockets of the client's pooled connections, as httpcore2 keeps them."""
    pool: Any = client._caller.http._transport._pool  # type: ignore[attr-defined]
    return [c._connection._network_stream.get_extra_info("socket") for c in pool.connections]


def _wrong_answers(client: OpenAI, who: str) -> int:
    wrong = 0
    for i in range(REQUESTS):
        try:
            if ask(client, f"{who} {i}") != f"{who} {i}":
                wrong += 1
        except Exception:
            wrong += 1
    return wrong


def _in_child(body: Any) -> int:
    """Fork; the child runs ``body()`` (an int, 0 to 255) and exits with it; the parent
    returns the child's pid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 255
        try:
            code = body()
        finally:
            os._exit(code)
    return pid


def _exit_code(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize("close_in_child", [True, False], ids=["child-closes", "child-drops"])
def test_parent_and_child_each_get_their_own_answers(server_url: str, close_in_child: bool) -> None:
    with OpenAI(api_key="sk-test", base_url=server_url) as client:
        for trial in range(TRIALS):
            assert ask(client, "warm up") == "warm up"  # a keep-alive connection in the pool
            inherited = _pooled_sockets(client)
            assert inherited

            def child(trial: int = trial) -> int:
                wrong = _wrong_answers(client, f"child {trial}")
                if close_in_child:
                    client.close()
                return wrong

            pid = _in_child(child)
            parent_wrong = _wrong_answers(client, f"parent {trial}")
            assert (_exit_code(pid), parent_wrong) == (0, 0)
            # The child let go of its copies without a word: the parent's connection is
            # the one it had, still open and still answering.
            assert all(sock.fileno() >= 0 for sock in inherited)
            assert ask(client, f"after {trial}") == f"after {trial}"
            assert _pooled_sockets(client) == inherited


def test_a_forked_child_opens_its_own_connections(server_url: str) -> None:
    with OpenAI(api_key="sk-test", base_url=server_url) as client:
        ask(client, "warm up")
        parent_ends = {sock.getsockname() for sock in _pooled_sockets(client)}

        def child() -> int:
            ask(client, "child")
            mine = {sock.getsockname() for sock in _pooled_sockets(client)}
            return 0 if mine and not mine & parent_ends else 1

        assert _exit_code(_in_child(child)) == 0


def test_a_child_that_closes_an_unused_client_leaves_the_parents_open(server_url: str) -> None:
    with OpenAI(api_key="sk-test", base_url=server_url) as client:
        ask(client, "warm up")
        inherited = _pooled_sockets(client)

        def child() -> int:
            client.close()  # never sent anything here
            return 0

        assert _exit_code(_in_child(child)) == 0
        assert ask(client, "still here") == "still here"
        assert _pooled_sockets(client) == inherited


def test_an_async_client_used_before_a_fork(server_url: str) -> None:
    """Used in the parent's ``asyncio.run``, then in a ``asyncio.run`` on each side of a
    fork.  (Not forked inside a running loop: asyncio has no running loop in such a child.)"""
    client = AsyncOpenAI(api_key="sk-test", base_url=server_url)

    async def wrong_answers(who: str) -> int:
        wrong = 0
        for i in range(REQUESTS):
            result = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"{who} {i}"}]
            )
            wrong += result.choice.text != f"{who} {i}"
        return wrong

    assert asyncio.run(wrong_answers("warm up")) == 0
    pid = _in_child(lambda: asyncio.run(wrong_answers("child")))
    assert (asyncio.run(wrong_answers("parent")), _exit_code(pid)) == (0, 0)
