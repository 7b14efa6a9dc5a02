"""How the local server judges a request before it serves it: the body by the operation's
generated request type (strictly), the query converted into its generated query type,
and the body's rules across fields that the endpoint stub carries (``top_logprobs``
needs ``logprobs``).  All of it comes from spec/, so the server refuses what the client
refuses before sending, and nothing more: metadata's limits are the generated
``Metadata`` type's, a page's ``limit`` has no bound.  Each refusal is a 400
``HTTPError`` naming the field.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._decoding import decode_json, error_location
from .._generated.endpoints import Endpoint
from .._generated.models import Metadata
from ._http import HTTPError, Json, Scope, load_json, query_pairs

__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "check_body_rules",
    "page_limit",
    "request_body",
    "request_query",
    "validate_metadata",
]

DEFAULT_PAGE_LIMIT = 20
"""A page's ``limit`` when none is given (the spec's default)."""


def _param_of(error: msgspec.ValidationError) -> str | None:
    """The request field a msgspec error names (``messages[0].role``), for ``param``."""
    return error_location(error)[0] or None


def request_body(endpoint: Endpoint[Any, Any, Any, Any, Any], body: bytes) -> Any:
    """``body`` decoded into the operation's request type, or the 400 that says why not."""
    assert endpoint.body is not None
    if not body:
        raise HTTPError(400, "The request needs a JSON body.")
    load_json(body)  # bytes and depth no parser can take are a 400, not a crash
    try:
        return decode_json(body, endpoint.body, strict=True)
    except msgspec.ValidationError as error:
        raise HTTPError(400, f"Invalid request body: {error}", param=_param_of(error)) from None
    except (msgspec.DecodeError, ValueError, RecursionError):
        raise HTTPError(400, "We could not parse the JSON body of your request.") from None


def request_query(endpoint: Endpoint[Any, Any, Any, Any, Any], scope: Scope) -> Any:
    """The request's query converted into the operation's query type, or the 400 that says why not."""
    pairs = query_pairs(scope)
    values: dict[str, Any] = {}
    for parameter in endpoint.query_parameters:
        if parameter.style == "deepObject":
            prefix = f"{parameter.name}["
            found = {k[len(prefix) : -1]: v for k, v in pairs if k.startswith(prefix) and k.endswith("]")}
            if found:
                values[parameter.name] = found
        else:
            given = [v for k, v in pairs if k == parameter.name]
            if given:
                values[parameter.name] = given[-1]
    try:
        # strict=False: query values are text, "20" is the integer 20 here.
        return msgspec.convert(values, endpoint.query, strict=False)
    except msgspec.ValidationError as error:
        raise HTTPError(400, f"Invalid query parameter: {error}", param=_param_of(error)) from None


def page_limit(query: Any) -> int:
    """How many items a page of a list asks for (``limit``, 20 unless given).  The spec
    bounds it nowhere: 0 or less asks for none, and the store caps nothing else."""
    return DEFAULT_PAGE_LIMIT if query.limit is msgspec.UNSET else int(query.limit)


def check_body_rules(endpoint: Endpoint[Any, Any, Any, Any, Any], request: Json) -> None:
    """Refuse a body (as JSON) that breaks one of the rules across its fields that the
    endpoint stub carries (spec/'s ``dependentSchemas``), as the client does before sending."""
    for rule in endpoint.body_rules:
        if rule.broken_by(request.get):
            raise HTTPError(400, f"{rule.message}.", param=rule.field)


def validate_metadata(metadata: Json) -> dict[str, str]:
    """The metadata of a request (empty when it has none), held to the generated
    ``Metadata`` type: the limits spec/ states (16 pairs, keys of 64 characters, values
    of 512), which the client checks too."""
    try:
        checked = msgspec.convert(metadata, Metadata | None, strict=True)
    except msgspec.ValidationError as error:
        raise HTTPError(400, f"Invalid metadata: {error}", param="metadata") from None
    return dict(checked or {})
