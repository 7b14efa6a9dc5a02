"""One AsyncOpenAI across event loops: successive ``asyncio.run`` calls, and loops in
other threads, each with connections of its own, closed as its loop shuts down."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from completionkit import AsyncOpenAI


async def _ask(client: AsyncOpenAI, marker: str) -> str:
    result = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": marker}])
    return result.choice.text


def test_one_client_across_successive_asyncio_runs(server_url: str) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=server_url)
    for run in range(3):
        assert asyncio.run(_ask(client, f"run {run}")) == f"run {run}"
        # The loop closed the connections it had as it shut down: none is left open
        # for a later loop to trip on, or for the garbage collector to warn about.
        assert all(http.is_closed for http, _ in client._connections._pools.values())


def test_streams_and_many_requests_across_runs(server_url: str) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=server_url)

    async def many(run: int) -> list[str]:
        async with client.chat.completions.stream(
            model="m", messages=[{"role": "user", "content": f"stream {run}"}]
        ) as stream:
            streamed = (await stream.final()).choice.text
        texts = await asyncio.gather(*(_ask(client, f"{run}.{i}") for i in range(20)))
        return [streamed, *texts]

    for run in range(3):
        assert asyncio.run(many(run)) == [f"stream {run}", *(f"{run}.{i}" for i in range(20))]


def test_loops_in_other_threads_at_the_same_time(server_url: str) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=server_url)
    assert asyncio.run(_ask(client, "main")) == "main"
    answers: dict[int, list[str]] = {}
    barrier = threading.Barrier(4)

    def in_thread(n: int) -> None:
        async def main() -> list[str]:
            barrier.wait()  # every thread's loop runs while the others do
            return list(await asyncio.gather(*(_ask(client, f"{n}.{i}") for i in range(25))))

        answers[n] = asyncio.run(main())

    threads = [threading.Thread(target=in_thread, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {n: [f"{n}.{i}" for i in range(25)] for n in range(4)}
    assert asyncio.run(_ask(client, "main again")) == "main again"


def test_a_client_kept_running_in_one_loop_works_from_another(server_url: str) -> None:
    """A loop that never ends (a server's, say) and another one using the same client."""
    client = AsyncOpenAI(api_key="sk-test", base_url=server_url)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        first = asyncio.run_coroutine_threadsafe(_ask(client, "in the long loop"), loop).result()
        assert first == "in the long loop"
        assert asyncio.run(_ask(client, "in a short one")) == "in a short one"
        again = asyncio.run_coroutine_threadsafe(_ask(client, "long loop again"), loop).result()
        assert again == "long loop again"
        asyncio.run_coroutine_threadsafe(client.close(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.mark.parametrize("how", ["dropped", "closed"])
def test_no_warning_when_the_client_outlives_its_loop(server_url: str, how: str) -> None:
    # pytest turns a ResourceWarning from a garbage-collected transport into an error.
    client = AsyncOpenAI(api_key="sk-test", base_url=server_url)
    assert asyncio.run(_ask(client, "once")) == "once"
    if how == "closed":
        asyncio.run(client.close())
    del client
    gc.collect()


def test_a_closed_client_sends_nothing_in_any_loop(server_url: str) -> None:
    client = AsyncOpenAI(api_key="sk-test", base_url=server_url)

    async def use_then_close() -> None:
        await _ask(client, "once")
        await client.close()

    asyncio.run(use_then_close())
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(_ask(client, "after close"))
