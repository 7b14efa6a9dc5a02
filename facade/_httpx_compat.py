"""httpx 0.28 clients, carried by httpx2.

completionkit speaks httpx2 (httpx has had no release since 0.28.1; httpx2 is its
maintained continuation, with the same API).  A caller who still hands in an
``httpx.Client`` or ``httpx.AsyncClient`` keeps it working: it becomes the transport of
an httpx2 client, so its own headers, proxies, certificates and pool still apply, and
its exceptions come out as httpx2's (by name, which both packages share).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2

__all__ = ["legacy_async_client", "legacy_client"]


def _httpx() -> Any:
    """httpx, if the caller's program has imported it (it cannot hand us a client otherwise)."""
    return sys.modules.get("httpx")


def _translated(error: Exception) -> Exception:
    """An httpx exception as the httpx2 exception of the same name."""
    twin = getattr(httpx2, type(error).__name__, None)
    if isinstance(twin, type) and issubclass(twin, httpx2.TransportError):
        return twin(str(error))
    return httpx2.TransportError(str(error))


def _request(client: Any, request: httpx2.Request) -> Any:
    return client.build_request(
        request.method,
        str(request.url),
        headers=request.headers.raw,
        content=request.content,
        extensions=request.extensions,
    )


class _Body(httpx2.SyncByteStream):
    def __init__(self, response: Any, transport_error: type[Exception]) -> None:
        self._response = response
        self._transport_error = transport_error

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_raw()
        except self._transport_error as error:
            raise _translated(error) from error

    def close(self) -> None:
        self._response.close()


class _AsyncBody(httpx2.AsyncByteStream):
    def __init__(self, response: Any, transport_error: type[Exception]) -> None:
        self._response = response
        self._transport_error = transport_error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except self._transport_error as error:
            raise _translated(error) from error

    async def aclose(self) -> None:
        await self._response.aclose()


class _Transport(httpx2.BaseTransport):
    def __init__(self, client: Any) -> None:
        self._client = client
        self._transport_error: type[Exception] = _httpx().TransportError

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = self._client.send(_request(self._client, request), stream=True)
        except self._transport_error as error:
            raise _translated(error) from error
        return httpx2.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=_Body(response, self._transport_error),
            extensions=response.extensions,
        )


class _AsyncTransport(httpx2.AsyncBaseTransport):
    def __init__(self, client: Any) -> None:
        self._client = client
        self._transport_error: type[Exception] = _httpx().TransportError

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await self._client.send(_request(self._client, request), stream=True)
        except self._transport_error as error:
            raise _translated(error) from error
        return httpx2.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=_AsyncBody(response, self._transport_error),
            extensions=response.extensions,
        )


def legacy_client(given: object) -> httpx2.Client | None:
    """An httpx2 client that sends through ``given`` when it is an ``httpx.Client``."""
    httpx = _httpx()
    if httpx is None or not isinstance(given, httpx.Client):
        return None
    # No timeout of its own: the caller's client applies its own, and ours per request.
    return httpx2.Client(transport=_Transport(given), timeout=None)


def legacy_async_client(given: object) -> httpx2.AsyncClient | None:
    """An httpx2 client that sends through ``given`` when it is an ``httpx.AsyncClient``."""
    httpx = _httpx()
    if httpx is None or not isinstance(given, httpx.AsyncClient):
        return None
    return httpx2.AsyncClient(transport=_AsyncTransport(given), timeout=None)
