"""Fixtures for the local server's tests: a server reset per test and a checking client.

The client checks every JSON answer against the generated types, strictly: 2xx bodies
against the operation's response type, errors against ErrorResponse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from completionkit import decode_json
from completionkit._generated.endpoints import ENDPOINTS
from completionkit._generated.models import ChatCompletionChunk, ErrorResponse
from completionkit.testing import LocalServer

# The API is served under /v1 and at the root.
_ROUTES = [
    (re.compile("(?:/v1)?" + re.sub(r"\{\w+\}", "[^/]+", e.path) + "$"), e.method, e) for e in ENDPOINTS
]


def check_response(response: httpx2.Response) -> None:
    """Decode the body strictly into what the spec says this answer is."""
    response.read()
    content_type = response.headers.get("content-type", "")
    if response.status_code >= 400:
        assert content_type == "application/json"
        decode_json(response.content, ErrorResponse, strict=True)
        return
    endpoint = next(
        e
        for pattern, method, e in _ROUTES
        if method == response.request.method and pattern.match(response.request.url.path)
    )
    if content_type.startswith("text/event-stream"):
        for data in sse_data(response.content)[:-1]:
            decode_json(data, ChatCompletionChunk, strict=True)
        return
    decode_json(response.content, endpoint.response, strict=True)


def sse_data(body: bytes) -> list[bytes]:
    """The data of each event of a server-sent event body, ``[DONE]`` included."""
    out = []
    for event in body.split(b"\n\n"):
        lines = [line for line in event.split(b"\n") if line.startswith(b"data: ")]
        if lines:
            out.append(b"\n".join(line.removeprefix(b"data: ") for line in lines))
    return out


@pytest.fixture
def server(completionkit_server: LocalServer) -> LocalServer:
    """The session's server of the pytest plugin, reset for this test."""
    return completionkit_server


@pytest.fixture
def client(server: LocalServer) -> Iterator[httpx2.Client]:
    """A plain httpx2 client on the server's base URL that checks every answer."""
    with httpx2.Client(base_url=server.url, event_hooks={"response": [check_response]}, timeout=30) as http:
        yield http


@pytest.fixture
def raw_client(server: LocalServer) -> Iterator[httpx2.Client]:
    """A client that checks nothing: for faults that answer with broken bodies."""
    with httpx2.Client(base_url=server.url, timeout=30) as http:
        yield http


def create(client: httpx2.Client, content: str = "Hello there", **params: Any) -> httpx2.Response:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **params}
    return client.post("/chat/completions", json=body)
