"""Building a request from an endpoint stub: the URL from its path template and its
query parameters' styles, the headers, and the body encoded from its Struct."""

from __future__ import annotations

import dataclasses
import typing
import urllib.parse
from typing import Any

import httpx2
import msgspec

from ._config import USER_AGENT, ClientConfig, RequestOptions, check_options
from ._decoding import encode_json
from ._exceptions import InvalidRequestError
from ._generated.endpoints import Endpoint, NoParameters

__all__ = ["RequestSpec", "build_request"]


def _segment(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError(name, f"expected a string id, got {type(value).__name__}")
    if not value.strip():
        raise InvalidRequestError(name, "an id must not be empty or blank")
    # One path segment, whatever the id holds: "/" and "?" included.
    return urllib.parse.quote(value, safe="")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_pairs(endpoint: Endpoint[Any, Any, Any, Any, Any], query: msgspec.Struct) -> list[tuple[str, str]]:
    """The query string's pairs, each parameter in the style its stub gives (the
    generator refuses a style this does not serialise)."""
    values: dict[str, object] = msgspec.to_builtins(query)
    pairs: list[tuple[str, str]] = []
    for parameter in endpoint.query_parameters:
        value = values.get(parameter.name)
        if value is None:
            continue
        if parameter.style == "deepObject" and isinstance(value, dict):
            members = typing.cast("dict[str, object]", value)
            pairs.extend((f"{parameter.name}[{k}]", _text(v)) for k, v in members.items())
        elif isinstance(value, list):
            items = [_text(v) for v in typing.cast("list[object]", value)]
            if parameter.explode:
                pairs.extend((parameter.name, v) for v in items)
            else:
                pairs.append((parameter.name, ",".join(items)))
        else:
            pairs.append((parameter.name, _text(value)))
    return pairs


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    """Everything a request is made of; the shell hands it to its client's
    ``build_request``, so that a caller's own client adds its headers and settings."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    timeout: float | httpx2.Timeout | None
    max_retries: int

    def build(self, http: httpx2.Client | httpx2.AsyncClient) -> httpx2.Request:
        """The request, built by the client that sends it (its own headers and settings added)."""
        return http.build_request(
            self.method, self.url, headers=self.headers, content=self.content, timeout=self.timeout
        )


def build_request(
    config: ClientConfig,
    endpoint: Endpoint[Any, Any, Any, Any, Any],
    *,
    path: msgspec.Struct | None = None,
    query: msgspec.Struct | None = None,
    body: msgspec.Struct | None = None,
    options: RequestOptions | None = None,
) -> RequestSpec:
    """The request for ``endpoint``: URL from the stub's path template, query in the
    stub's styles, the body encoded from its Struct (unset fields left out)."""
    options = options or {}
    check_options(options)
    path_values: dict[str, object] = {}
    if path is not None and not isinstance(path, NoParameters):
        path_values = msgspec.to_builtins(path)
    url_path = endpoint.path.format(**{name: _segment(name, value) for name, value in path_values.items()})
    pairs = _query_pairs(endpoint, query) if query is not None else []
    pairs.extend((str(k), str(v)) for k, v in options.get("extra_query", {}).items())
    url = config.base_url + url_path
    if pairs:
        url += "?" + urllib.parse.urlencode(pairs)

    headers = {
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
        "Authorization": f"Bearer {config.api_key.reveal()}",
    }
    if config.organization:
        headers["OpenAI-Organization"] = config.organization
    if config.project:
        headers["OpenAI-Project"] = config.project
    headers.update(config.default_headers)
    headers.update(options.get("extra_headers", {}))

    content: bytes | None = None
    extra = options.get("extra_body")
    if endpoint.body is None and extra:
        # Dropping it would hide a mistake: the caller meant those keys to reach the server.
        raise InvalidRequestError(
            "extra_body", f"{endpoint.method} {endpoint.path} has no body to merge extra_body into"
        )
    if body is not None:
        content = encode_json({**msgspec.to_builtins(body), **extra} if extra else body)
        headers["Content-Type"] = "application/json"
    return RequestSpec(
        method=endpoint.method,
        url=url,
        headers=headers,
        content=content,
        timeout=options.get("timeout", config.timeout),
        max_retries=options.get("max_retries", config.max_retries),
    )
