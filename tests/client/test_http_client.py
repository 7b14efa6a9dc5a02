"""http_client=: an httpx2 client, an httpx 0.28 client (still working, carried by
httpx2), or a clear TypeError."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
import httpx2
import pytest

from completionkit import APIConnectionError, APITimeoutError, AsyncOpenAI, OpenAI
from completionkit.testing import Fault, LocalServer

from .conftest import USER


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_httpx2_client_is_used_as_it_is(server: LocalServer) -> None:
    with (
        httpx2.Client(headers={"X-From": "mine"}) as http,
        OpenAI(api_key="k", base_url=server.url, http_client=http) as client,
    ):
        assert client._caller.http is http
        client.chat.completions.create(USER, model="m")
    assert server.last_request.headers["x-from"] == "mine"


def test_an_httpx_028_client_still_works(server: LocalServer) -> None:
    with httpx.Client(headers={"X-From": "legacy"}) as http:
        with OpenAI(api_key="k", base_url=server.url, http_client=http, max_retries=0) as client:
            result = client.chat.completions.create(USER, model="m", store=True)
            assert result.choice.text == "Hello there"
            assert server.last_request.headers["x-from"] == "legacy"
            with client.chat.completions.stream(USER, model="m") as stream:
                assert "".join(stream.text_deltas()) == "Hello there"
            assert client.chat.completions.delete(result.id) is True
            server.inject(Fault.slow(2))
            with pytest.raises(APITimeoutError) as timed_out:
                client.chat.completions.create(USER, model="m", timeout=0.2)
            assert isinstance(timed_out.value.__cause__, httpx2.TimeoutException)
        assert not http.is_closed  # the caller's client stays the caller's


def test_an_httpx_028_client_maps_connection_errors() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with (
        httpx.Client() as http,
        OpenAI(api_key="k", base_url=url, http_client=http, max_retries=0) as client,
        pytest.raises(APIConnectionError) as raised,
    ):
        client.chat.completions.create(USER, model="m")
    assert isinstance(raised.value.__cause__, httpx2.ConnectError)


def test_an_httpx_028_async_client_still_works(server: LocalServer) -> None:
    async def run() -> tuple[str | None, str]:
        async with (
            httpx.AsyncClient(headers={"X-From": "legacy-async"}) as http,
            AsyncOpenAI(api_key="k", base_url=server.url, http_client=http) as client,
        ):
            result = await client.chat.completions.create(USER, model="m")
            async with client.chat.completions.stream(USER, model="m") as stream:
                texts = [t async for t in stream.text_deltas()]
            return result.choice.text, "".join(texts)

    assert asyncio.run(run()) == ("Hello there", "Hello there")
    assert server.last_request.headers["x-from"] == "legacy-async"


@pytest.mark.parametrize(
    "make",
    [object, lambda: "http://example", httpx2.AsyncClient, httpx.AsyncClient],
    ids=["object", "str", "async httpx2 for sync", "async httpx for sync"],
)
def test_anything_else_is_a_clear_type_error(make: Callable[[], object]) -> None:
    given = make()
    with pytest.raises(TypeError, match=r"http_client must be an httpx2\.Client") as raised:
        OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1", http_client=given)  # type: ignore[arg-type]
    assert type(given).__name__ in str(raised.value)


def test_a_sync_client_for_the_async_client_is_a_type_error() -> None:
    with httpx2.Client() as sync_http, pytest.raises(TypeError, match=r"httpx2\.AsyncClient"):
        AsyncOpenAI(api_key="k", base_url="http://127.0.0.1:9/v1", http_client=sync_http)  # type: ignore[arg-type]
