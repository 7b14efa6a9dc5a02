"""Building a request from an endpoint stub: every query style the generator lets through."""

from __future__ import annotations

import urllib.parse

import msgspec

from completionkit._generated.endpoints import Endpoint, NoParameters, QueryParameter
from completionkit._generated.models import ChatCompletionList, ErrorResponse
from completionkit._request import build_request

from .test_messages import CONFIG


class Query(msgspec.Struct, omit_defaults=True):
    ids: list[str] | None = None
    tags: list[str] | None = None
    metadata: dict[str, str] | None = None
    flag: bool | None = None


ENDPOINT: Endpoint[NoParameters, Query, None, ChatCompletionList, None] = Endpoint(
    operation_id="listThings",
    method="GET",
    path="/things",
    path_parameters=NoParameters,
    query=Query,
    query_parameters=(
        QueryParameter(name="ids", style="form", explode=True),
        QueryParameter(name="tags", style="form", explode=False),
        QueryParameter(name="metadata", style="deepObject", explode=True),
        QueryParameter(name="flag"),
    ),
    body=None,
    response=ChatCompletionList,
    stream_chunk=None,
    error=ErrorResponse,
)


def test_each_query_style_is_serialised_as_the_stub_says() -> None:
    query = Query(ids=["a", "b"], tags=["x", "y"], metadata={"k": "v", "n": "1"}, flag=True)
    spec = build_request(CONFIG, ENDPOINT, query=query)
    pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(str(spec.url)).query)
    assert pairs == [
        ("ids", "a"),
        ("ids", "b"),
        ("tags", "x,y"),
        ("metadata[k]", "v"),
        ("metadata[n]", "1"),
        ("flag", "true"),
    ]
    assert spec.content is None
