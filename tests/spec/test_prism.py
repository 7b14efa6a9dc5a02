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


def _violations(response: httpx2.Response) -> list[tuple[str, str]]:
    """Where and by which schema keyword Prism found the request wrong: the spec declares an
    error body for every operation, so Prism answers with that and lists the violations in a
    header.  Their messages are Prism's own words, not checked."""
    return [
        (".".join(v["location"]), v["code"]) for v in json.loads(response.headers.get("sl-violations", "[]"))
    ]


VALID = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}


def test_valid_create_is_accepted(prism: httpx2.Client) -> None:
    assert prism.post("/chat/completions", json=VALID).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "gpt-4o"}, ("request.body", "required")),
        ({**VALID, "temperature": 5}, ("request.body.temperature", "maximum")),
        (
            {**VALID, "messages": [{"role": "wizard", "content": "x"}]},
            ("request.body.messages.0.role", "enum"),
        ),
        ({**VALID, "n": "two"}, ("request.body.n", "type")),
        (
            {**VALID, "stream_options": {"include_usage": "yes"}},
            ("request.body.stream_options.include_usage", "type"),
        ),
        # What spec/overlay.yaml writes down from upstream's descriptions.
        (
            {**VALID, "metadata": {f"k{i}": "v" for i in range(17)}},
            ("request.body.metadata", "maxProperties"),
        ),
        ({**VALID, "metadata": {"k" * 65: "v"}}, ("request.body.metadata", "propertyNames")),
        ({**VALID, "top_logprobs": 2}, ("request.body", "not")),
        ({**VALID, "stream_options": {"include_usage": True}}, ("request.body", "not")),
    ],
)
def test_invalid_create_gets_422(
    prism: httpx2.Client, body: dict[str, Any], expected: tuple[str, str]
) -> None:
    response = prism.post("/chat/completions", json=body)
    assert response.status_code == 422
    assert expected in _violations(response), _violations(response)


def test_what_the_rules_allow_is_accepted(prism: httpx2.Client) -> None:
    for fields in ({"top_logprobs": 2, "logprobs": True}, {"top_logprobs": None}, {"stream_options": None}):
        assert prism.post("/chat/completions", json={**VALID, **fields}).status_code == 200, fields


def test_update_requires_string_metadata(prism: httpx2.Client) -> None:
    assert prism.post("/chat/completions/c1", json={"metadata": {"k": "v"}}).status_code == 200
    assert prism.post("/chat/completions/c1", json={"metadata": {"k": 1}}).status_code == 422
    assert prism.post("/chat/completions/c1", json={}).status_code == 422


def test_list_takes_a_deep_object_metadata_filter(prism: httpx2.Client) -> None:
    assert prism.get("/chat/completions", params={"metadata[topic]": "x", "limit": 2}).status_code == 200
    assert prism.get("/chat/completions", params={"order": "sideways"}).status_code == 422
