"""Process pools in each start method, with a client made in the parent and the local
server in another process: answers come back right, errors as their own types."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pytest

from completionkit import (
    APIConnectionError,
    AsyncOpenAI,
    BadRequestError,
    NotFoundError,
    OpenAI,
    OpenAIError,
)

from . import workers

METHODS = ["fork", "forkserver", "spawn"]


@pytest.fixture(params=METHODS)
def pool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessPoolExecutor]:
    # The workers read the key from their environment: the pickled clients carry none.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    context = multiprocessing.get_context(request.param)
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
        yield executor


def test_answers_come_back_right(pool: ProcessPoolExecutor, server_url: str) -> None:
    client = OpenAI(base_url=server_url)
    markers = [f"task {i}" for i in range(40)]
    assert list(pool.map(workers.ask, [client] * len(markers), markers)) == markers


def test_an_async_client_goes_to_a_worker(pool: ProcessPoolExecutor, server_url: str) -> None:
    client = AsyncOpenAI(base_url=server_url)
    markers = [f"async {i}" for i in range(5)]
    assert pool.submit(workers.ask_async, client, markers).result() == markers


@pytest.mark.parametrize(
    ("how", "error"),
    [("400", BadRequestError), ("404", NotFoundError), ("connection", APIConnectionError)],
)
def test_errors_come_back_as_their_own_types(
    pool: ProcessPoolExecutor, server_url: str, how: str, error: type[OpenAIError]
) -> None:
    client = OpenAI(base_url=server_url, max_retries=0)
    with pytest.raises(error) as caught:
        pool.submit(workers.fail, client, how).result()
    assert type(caught.value) is error
    if how == "400":
        assert (caught.value.status_code, caught.value.param) == (400, "temperature")
    elif how == "404":
        assert caught.value.status_code == 404
        assert caught.value.request_id
    # The pool survives a worker's error: the next task is answered.
    assert pool.submit(workers.ask, client, "after the error").result() == "after the error"


def test_a_client_used_in_the_parent_before_the_workers_fork(server_url: str) -> None:
    """The fork context's workers inherit the parent's client, connections included."""
    with OpenAI(api_key="sk-test", base_url=server_url) as client:
        assert workers.ask(client, "parent first") == "parent first"
        workers.INHERITED = client
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
                futures = [executor.submit(workers.ask_inherited, f"worker {i}") for i in range(60)]
                parent = [workers.ask(client, f"parent {i}") for i in range(30)]
                assert [f.result() for f in futures] == [f"worker {i}" for i in range(60)]
            assert parent == [f"parent {i}" for i in range(30)]
            assert workers.ask(client, "parent last") == "parent last"
        finally:
            workers.INHERITED = None
