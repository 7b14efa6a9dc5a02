"""Building a request from an endpoint stub: the URL from its path template and its
query parameters' styles, the headers, and the body encoded from its Struct."""

from __future__ import annotations

import itertools
import re
import typing
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import httpx2
import msgspec

from ._config import USER_AGENT, ClientConfig, RequestOptions, check_options, check_text, shown
from ._decoding import encode_json
from ._exceptions import InvalidRequestError
from ._generated.endpoints import Endpoint, NoParameters

__all__ = [
    "MAX_JSON_DEPTH",
    "RequestSpec",
    "build_request",
    "check_id",
    "check_path_id",
    "conceal",
    "unsendable",
]

MAX_JSON_DEPTH = 128
"""How deep a body's arrays and objects may nest to be sent.  Not a rule of the API
(spec/ cannot state one, and the API documents none): JSON implementations may limit
nesting (RFC 8259, section 9), and Python's encoder stops near its recursion limit,
which moves with the caller's stack and with whatever raised it.  A fixed bound, which
the local server keeps too, makes "cannot be sent" the same on every call."""
# Compiled by `re` when first used, not at import: only a body of many brackets needs it.
_JSON_STRING = rb'"(?:[^"\\]|\\.)*"'
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")

CONCEALED = "Bearer **********"
"""What a sent request's key header reads instead of the key (``api-key``'s without "Bearer")."""

# What encoding a body can raise for a value it cannot encode: an object of no JSON
# type, a lone surrogate, a structure nested too deeply, an integer out of range.
_ENCODING_ERRORS = (
    msgspec.EncodeError,
    UnicodeEncodeError,
    RecursionError,
    OverflowError,
    ValueError,
    TypeError,
)


def check_id(name: str, value: object) -> str:
    """An id (or cursor) as it can be sent: a string that UTF-8 encodes.  The spec sets
    no other bound (a blank or unknown id is the server's to answer, and a URL too
    long to send is refused when it is built)."""
    if not isinstance(value, str):
        raise InvalidRequestError(name, f"expected a string id, got {type(value).__name__}")
    check_text(name, value)
    return value


def check_path_id(name: str, value: object) -> str:
    """An id that goes in the path: as ``check_id``, and not empty, which would make the
    path another operation's (``/chat/completions/`` instead of one completion's)."""
    text = check_id(name, value)
    if not text:
        raise InvalidRequestError(name, "an empty id would make the path another operation's")
    return text


def _segment(name: str, value: object) -> str:
    # One path segment, whatever the id holds: "/" and "?" included.
    return urllib.parse.quote(check_path_id(name, value), safe="")


def _text(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        check_text(name, value)
        return value
    try:
        return str(value)
    except ValueError:  # an integer of more than 4,300 digits
        raise InvalidRequestError(name, "a number too large to send") from None


def conceal(request: httpx2.Request, header: str | None = "Authorization") -> None:
    """Hide the key of a request that has been sent: it stays reachable from the response
    and from a transport error (``error.request``, kept as the ``__cause__`` of ours), and
    must not be read there.  Each attempt sends a request of its own, so none is sent
    concealed.  ``header`` (the spec's ``key_header``) is the one the key went in, so it is
    overwritten without looking first (a lookup costs more than the write)."""
    if header == "Authorization":
        request.headers["Authorization"] = CONCEALED
    elif header is not None:
        request.headers[header] = CONCEALED.removeprefix("Bearer ")


def detach(response: httpx2.Response) -> httpx2.Response:
    """A response read in full, let go of its connection's stream: that stream keeps the
    transport's own copy of the request (and so of the key) for as long as the response
    lives, in an error's ``response`` say."""
    if response.is_closed and response.is_stream_consumed:
        response.stream = httpx2.ByteStream(response.content)
    return response


def _query_pairs(endpoint: Endpoint[Any, Any, Any, Any, Any], query: msgspec.Struct) -> list[tuple[str, str]]:
    """The query string's pairs, each parameter in the style its stub gives (the
    generator refuses a style this does not serialise)."""
    values: dict[str, object] = msgspec.to_builtins(query)
    pairs: list[tuple[str, str]] = []
    for parameter in endpoint.query_parameters:
        name = parameter.name
        value = values.get(name)
        if value is None:
            continue
        if parameter.style == "deepObject" and isinstance(value, dict):
            members = typing.cast("dict[str, object]", value)
            pairs.extend((_text(name, f"{name}[{k}]"), _text(name, v)) for k, v in members.items())
        elif isinstance(value, list):
            items = [_text(name, v) for v in typing.cast("list[object]", value)]
            if parameter.explode:
                pairs.extend((name, v) for v in items)
            else:
                pairs.append((name, ",".join(items)))
        else:
            pairs.append((name, _text(name, value)))
    return pairs


def _url(base: str, pairs: list[tuple[str, str]], names: list[str], segments: dict[str, str]) -> httpx2.URL:
    """The URL with its query, parsed: httpx2 takes it as it is instead of parsing it
    again.  One httpx2 would refuse (too long) names its longest part's parameter: a
    pair's (``names[i]`` is the parameter of ``pairs[i]``) or a path parameter's
    (``segments``, each by name)."""
    url = base + ("?" + urllib.parse.urlencode(pairs) if pairs else "")
    try:
        return httpx2.URL(url)
    except httpx2.InvalidURL as error:
        lengths = [(len(k) + len(v), name) for (k, v), name in zip(pairs, names, strict=True)]
        lengths += [(len(segment), name) for name, segment in segments.items()]
        name = max(lengths)[1] if lengths else "base_url"
        raise InvalidRequestError(name, f"the request's URL cannot be sent ({error})") from None


def _json_depth(content: bytes) -> int:
    """How deep the arrays and objects of JSON ``content`` nest (brackets in strings do not count)."""
    if content.count(b"[") + content.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # too few brackets to nest too deeply: the common case, at C speed
    brackets = re.sub(_JSON_STRING, b'""', content, flags=re.DOTALL).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(1 if b in b"[{" else -1 for b in brackets), default=0)


def _encodes(value: object) -> bool:
    """Whether ``value`` can be sent as JSON: it encodes, and does not nest too deeply."""
    try:
        return _json_depth(encode_json(value)) <= MAX_JSON_DEPTH
    except _ENCODING_ERRORS:
        return False


def unsendable(fields: Iterable[tuple[str, object]]) -> str:
    """The name of the first field whose value cannot be sent as JSON, or "body"."""
    return next((name for name, value in fields if not _encodes(value)), "body")


def _encode(body: msgspec.Struct, extra: Mapping[str, object] | None) -> bytes:
    """The JSON body; a value that cannot be encoded, or nests deeper than MAX_JSON_DEPTH,
    names its field (or its key of ``extra_body``)."""
    try:
        content = encode_json({**msgspec.to_builtins(body), **extra} if extra else body)
    except _ENCODING_ERRORS:
        content = None
    if content is not None and _json_depth(content) <= MAX_JSON_DEPTH:
        return content
    # Find the field at fault, one at a time: only a refused body pays for it.
    fields = [(f.encode_name, getattr(body, f.name)) for f in msgspec.structs.fields(body)]
    given = [(name, value) for name, value in fields if value is not msgspec.UNSET]
    given.extend((f"extra_body[{shown(key)}]", value) for key, value in (extra or {}).items())
    raise InvalidRequestError(
        unsendable(given),
        "cannot be sent as JSON: it holds a value of no JSON type, a lone surrogate, an integer "
        f"out of range, or nests deeper than {MAX_JSON_DEPTH} levels",
    )


class RequestSpec(typing.NamedTuple):
    """Everything a request is made of; the shell hands it to its client's
    ``build_request``, so that a caller's own client adds its headers and settings.

    A NamedTuple, not a frozen dataclass: one is made for every call, and a frozen
    dataclass takes four times as long to make."""

    method: str
    url: httpx2.URL
    headers: dict[str, str]
    content: bytes | None
    timeout: float | httpx2.Timeout | None
    max_retries: int
    key_header: str | None = "Authorization"
    """The header the key goes in, to conceal once sent; None: no key is sent."""

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
        path_values = {f.encode_name: getattr(path, f.name) for f in msgspec.structs.fields(path)}
    segments = {name: _segment(name, value) for name, value in path_values.items()}
    url_path = endpoint.path.format(**segments)
    pairs = _query_pairs(endpoint, query) if query is not None else []
    names = [k.partition("[")[0] for k, _ in pairs]
    if config.provider.query:  # Azure's api-version: before the caller's, which may override it
        given = {k for k, _ in pairs} | set(options.get("extra_query", {}))
        pairs.extend((k, v) for k, v in config.provider.query.items() if k not in given)
        names.extend("base_url" for k in config.provider.query if k not in given)
    extra_query = options.get("extra_query", {})
    pairs.extend((k, _text("extra_query", v)) for k, v in extra_query.items())
    names.extend("extra_query" for _ in extra_query)
    fixed = not pairs and not path_values  # the same URL every time: parsed once a client
    url = config.routes.get(url_path) if fixed else None
    if url is None:
        url = _url(config.base_url + url_path, pairs, names, segments)
        if fixed:
            config.routes[url_path] = url

    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    key, key_header = config.api_key, config.key_header
    if key is not None and key_header is not None:
        headers[key_header] = f"Bearer {key.reveal()}" if key_header == "Authorization" else key.reveal()
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
        content = _encode(body, extra)
        headers["Content-Type"] = "application/json"
    return RequestSpec(
        method=endpoint.method,
        url=url,
        headers=headers,
        content=content,
        timeout=options.get("timeout", config.timeout),
        max_retries=options.get("max_retries", config.max_retries),
        key_header=key_header,
    )
