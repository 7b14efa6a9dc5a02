"""Prism, a validating mock server, compiles the request schemas of spec/openapi.yaml.

Validators silently stop validating a body whose schema they cannot compile, so each
test sends a request that only a compiled schema can refuse.  nox installs Prism
(`npm ci --prefix tests/prism`); the PRISM variable may name another binary.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from ..prism_server import running_prism


@pytest.fixture(scope="module")
def prism() -> Iterator[httpx2.Client]:
    with (
        running_prism() as url,
        httpx2.Client(base_url=url, headers={"Authorization": "Bearer sk-test"}) as client,
    ):
        yield client


def _messages(response: httpx2.Response) -> list[str]:
    # The spec declares an error body for every operation, so Prism answers with that
    # and lists what it found wrong in a header.
    return [v["message"] for v in json.loads(response.headers.get("sl-violations", "[]"))]


VALID = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}


def test_valid_create_is_accepted(prism: httpx2.Client) -> None:
    assert prism.post("/chat/completions", json=VALID).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "gpt-4o"}, "must have required property 'messages'"),
        ({**VALID, "temperature": 5}, "temperature must be <= 2"),
        ({**VALID, "messages": [{"role": "wizard", "content": "x"}]}, "messages"),
        ({**VALID, "n": "two"}, "n must be"),
        ({**VALID, "stream_options": {"include_usage": "yes"}}, "include_usage"),
    ],
)
def test_invalid_create_gets_422(prism: httpx2.Client, body: dict[str, Any], expected: str) -> None:
    response = prism.post("/chat/completions", json=body)
    assert response.status_code == 422
    assert any(expected in m for m in _messages(response)), _messages(response)


def test_update_requires_string_metadata(prism: httpx2.Client) -> None:
    assert prism.post("/chat/completions/c1", json={"metadata": {"k": "v"}}).status_code == 200
    assert prism.post("/chat/completions/c1", json={"metadata": {"k": 1}}).status_code == 422
    assert prism.post("/chat/completions/c1", json={}).status_code == 422


def test_list_takes_a_deep_object_metadata_filter(prism: httpx2.Client) -> None:
    assert prism.get("/chat/completions", params={"metadata[topic]": "x", "limit": 2}).status_code == 200
    assert prism.get("/chat/completions", params={"order": "sideways"}).status_code == 422
