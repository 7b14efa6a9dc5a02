# generated from spec/openapi.yaml by nox -s generate — do not edit
"""What an endpoint description holds: the types ``endpoints.py`` describes each operation with.

The client builds every request from an ``Endpoint`` and the embedded server routes by
it, so a path, a parameter's style or a type is written down once, in the stub
generated from the spec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Literal, TypeVar

from msgspec import UNSET, Struct, json

from .models import ErrorResponse

__all__ = ["BodyRule", "Endpoint", "NoParameters", "QueryParameter"]

PathT = TypeVar("PathT", bound=Struct)
QueryT = TypeVar("QueryT", bound=Struct)
BodyT = TypeVar("BodyT")
ResponseT = TypeVar("ResponseT")
ChunkT = TypeVar("ChunkT")


class NoParameters(Struct, frozen=True):
    """The path or query parameters of an operation that has none."""


class QueryParameter(Struct, frozen=True):
    """How one query parameter goes on the wire (OpenAPI ``style`` and ``explode``).

    ``style`` lists only the styles the client serialises: ``form`` (a scalar; a list
    repeated, ``a=1&a=2``, or joined by commas, ``a=1,2``, when ``explode`` is false)
    and ``deepObject`` (a map, ``a[k]=v``). codegen.query refuses any other style, and
    any style on a type it does not fit, when the stubs are generated.
    """

    name: str
    style: Literal["form", "deepObject"] = "form"
    explode: bool = True


class BodyRule(Struct, frozen=True):
    """A rule across two fields of a request body, which the body's type cannot hold:
    ``field``, given and not null, needs ``needs`` to be ``value``.  The spec states it
    as a combination the body's schema refuses (``not: {anyOf: [...]}``, which
    codegen.stubs reads); the client checks it before sending and the local server
    before answering, with one message.
    """

    field: str
    """The field that needs another, as the API spells it (``top_logprobs``)."""
    needs: str
    """The field it needs (``logprobs``)."""
    value: bool | int | float | str
    """The value that field must have (``True``)."""

    def broken_by(self, value_of: Callable[[str], object]) -> bool:
        """Whether a body breaks the rule; ``value_of(name)`` is the body's value of the
        field the API calls ``name``, None or ``UNSET`` when it is not given."""
        given = value_of(self.field)
        if given is None or given is UNSET:
            return False
        needed = value_of(self.needs)
        # `1 == True` in Python, not in JSON: the type must match too.
        return not (type(needed) is type(self.value) and needed == self.value)

    @property
    def message(self) -> str:
        """What an error says of a body that breaks it."""
        return f"{self.field} is only allowed when {self.needs} is {json.encode(self.value).decode()}"


class Endpoint(Struct, Generic[PathT, QueryT, BodyT, ResponseT, ChunkT], frozen=True):
    """One operation of the API, as the spec describes it."""

    operation_id: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    """The path template, relative to the base URL, with ``{name}`` placeholders."""
    path_parameters: type[PathT]
    query: type[QueryT]
    query_parameters: tuple[QueryParameter, ...]
    body: type[BodyT] | None
    response: type[ResponseT]
    stream_chunk: type[ChunkT] | None
    """The type of one server-sent event's data when the operation streams."""
    error: type[ErrorResponse]
    body_rules: tuple[BodyRule, ...] = ()
    """The rules across the fields of the body that its type cannot hold."""
