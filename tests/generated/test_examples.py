"""Every example the spec carries decodes into its type and encodes back losslessly."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from codegen.cut import HTTP_METHODS, load_yaml
from codegen.naming import schema_names
from completionkit import decode_json, encode_json
from completionkit._generated import endpoints, models
from completionkit._generated.models import ChatCompletionChunk

ROOT = Path(__file__).resolve().parents[2]

SPEC = load_yaml((ROOT / "spec" / "openapi.yaml").read_bytes())
ENDPOINTS = {e.operation_id: e for e in endpoints.ENDPOINTS}
# The model of each spec schema, by the schema's name (codegen/naming.py may give it the SDK's).
MODEL_NAMES = schema_names(SPEC)


def _json_documents(text: str) -> list[Any]:
    """One JSON document, or the chunks of a streaming example (blank-line separated, '...' elided)."""
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(part) for part in re.split(r"\n\s*\n", text) if part.strip().startswith("{")]


def _operation_examples() -> Iterator[Any]:
    for item in SPEC["paths"].values():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            examples = operation["x-oaiMeta"]["examples"]
            for index, example in enumerate(examples if isinstance(examples, list) else [examples]):
                yield pytest.param(operation["operationId"], example, id=f"{operation['operationId']}-{index}")


def _component_examples() -> Iterator[Any]:
    for name, schema in SPEC["components"]["schemas"].items():
        example = (schema.get("x-oaiMeta") or {}).get("example")
        if example:
            yield pytest.param(name, example, id=name)


def _subset(sent: Any, original: Any) -> bool:
    """True when everything in ``sent`` is in ``original`` with the same value."""
    if isinstance(sent, dict):
        return isinstance(original, dict) and all(k in original and _subset(v, original[k]) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(original, list) and len(sent) == len(original) and all(map(_subset, sent, original))
    return bool(sent == original)


def _round_trip(document: Any, type_: Any) -> None:
    raw = json.dumps(document).encode()
    decoded = decode_json(raw, type_)
    encoded = encode_json(decoded)
    # Nothing invented on the way back, and every known field survives it.
    assert _subset(msgspec.json.decode(encoded), document)
    assert decode_json(encoded, type_) == decoded


def test_the_spec_has_examples_to_check() -> None:
    assert len(list(_operation_examples())) == 10
    assert len(list(_component_examples())) >= 3


@pytest.mark.parametrize(("operation_id", "example"), list(_operation_examples()))
def test_response_example_decodes_and_round_trips(operation_id: str, example: Any) -> None:
    endpoint = ENDPOINTS[operation_id]
    documents = _json_documents(example["response"])
    type_ = endpoint.response if len(documents) == 1 else endpoint.stream_chunk
    assert type_ is not None
    for document in documents:
        _round_trip(document, type_)


@pytest.mark.parametrize(("name", "example"), list(_component_examples()))
def test_component_example_decodes_and_round_trips(name: str, example: str) -> None:
    documents = _json_documents(example)
    assert documents
    for document in documents:
        _round_trip(document, getattr(models, MODEL_NAMES[name]))


@pytest.mark.parametrize(("operation_id", "example"), list(_operation_examples()))
def test_request_example_decodes_into_the_body_type(operation_id: str, example: Any) -> None:
    endpoint = ENDPOINTS[operation_id]
    curl = example["request"]["curl"] if isinstance(example["request"], dict) else example["request"]
    body = re.search(r"-d '(.*?)'", curl, re.S)
    if endpoint.body is None:
        assert body is None
        return
    assert body is not None, "an operation with a body has a curl example with -d"
    # Requests are judged strictly: what a server would refuse must fail here too.
    decoded = decode_json(body.group(1), endpoint.body, strict=True)
    assert _subset(msgspec.json.decode(encode_json(decoded)), json.loads(body.group(1)))


def test_streaming_example_chunks_decode() -> None:
    example = next(e for e in SPEC["paths"]["/chat/completions"]["post"]["x-oaiMeta"]["examples"] if e["title"] == "Streaming")
    chunks = [decode_json(json.dumps(d), ChatCompletionChunk) for d in _json_documents(example["response"])]
    assert chunks[0].choices[0].delta.role == "assistant"
