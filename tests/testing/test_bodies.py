"""Whatever bytes a request carries, the server answers: 400 where a body is read, never 500."""

from __future__ import annotations

import json

import httpx2
import pytest

from completionkit.testing import LocalServer

from .conftest import check_response, create

_MESSAGES = b'"messages":[{"role":"user","content":"hi"}]'


def _recorded_as_sent(recorded: object, body: bytes) -> bool:
    if body in {BODIES[name] for name in _DECODABLE}:
        return recorded == json.loads(body)
    return recorded == body


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# Well-formed JSON (Python's json takes lone surrogates) is recorded decoded, anything else as raw bytes.
_DECODABLE = {"a lone surrogate"}
BODIES = {
    "nested 1000 deep in a field": b'{"model":"m",' + _MESSAGES + b',"metadata":' + _nested(1000) + b"}",
    "nested 100000 deep": _nested(100_000),
    "nested objects 1000 deep": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "invalid UTF-8 in the model": b'{"model":"m\xff",' + _MESSAGES + b"}",
    "invalid UTF-8 in a message": (
        b'{"model":"m","messages":[{"role":"user","content":"h\xc3i"}],"store":true}'
    ),
    "invalid UTF-8 in metadata": b'{"model":"m",' + _MESSAGES + b',"metadata":{"k":"v\xff"}}',
    "invalid UTF-8 in update metadata": b'{"metadata":{"k\xfe":"v"}}',
    "a lone surrogate": b'{"model":"m\\ud800",' + _MESSAGES + b"}",
    "an integer of 5000 digits": b'{"model":"m",' + _MESSAGES + b',"seed":' + b"9" * 5000 + b"}",
    "UTF-16": '{"model":"m","messages":[]}'.encode("utf-16"),
    "not JSON": b"\x00\x01\x02\xff",
    "an open string of escaped quotes": b'{"model":"' + b'\\"' * 200_000,
}


@pytest.fixture
def stored_id(client: httpx2.Client) -> str:
    return str(create(client, store=True).json()["id"])


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
@pytest.mark.parametrize("operation", ["create", "update"])
def test_routes_that_read_a_body_answer_400(
    server: LocalServer, raw_client: httpx2.Client, stored_id: str, body: bytes, operation: str
) -> None:
    path = "/chat/completions" if operation == "create" else f"/chat/completions/{stored_id}"
    response = raw_client.post(path, content=body, headers={"content-type": "application/json"})
    check_response(response)  # the API's error shape, strictly
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert _recorded_as_sent(server.last_request.body, body)
    assert server.store.get(stored_id)["metadata"] == {}  # nothing changed


@pytest.mark.parametrize("body", list(BODIES.values()), ids=list(BODIES))
@pytest.mark.parametrize("route", ["list", "get", "messages", "delete"])
def test_routes_that_ignore_the_body_still_answer(
    server: LocalServer, raw_client: httpx2.Client, stored_id: str, body: bytes, route: str
) -> None:
    method, path = {
        "list": ("GET", "/chat/completions"),
        "get": ("GET", f"/chat/completions/{stored_id}"),
        "messages": ("GET", f"/chat/completions/{stored_id}/messages"),
        "delete": ("DELETE", f"/chat/completions/{stored_id}"),
    }[route]
    response = raw_client.request(method, path, content=body, headers={"content-type": "application/json"})
    check_response(response)
    assert response.status_code == 200
    assert _recorded_as_sent(server.last_request.body, body)


def test_deep_but_reasonable_json_is_served(client: httpx2.Client) -> None:
    schema = b'{"type":"object","properties":{"a":' * 30 + b"{}" + b"}}" * 30
    body = (
        b'{"model":"m",' + _MESSAGES + b',"response_format":{"type":"json_schema",'
        b'"json_schema":{"name":"deep","schema":' + schema + b"}}}"
    )
    response = client.post("/chat/completions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200


def test_brackets_inside_strings_do_not_count_as_depth(client: httpx2.Client) -> None:
    assert create(client, "[" * 5000 + '\\"{' * 5000).status_code == 200
