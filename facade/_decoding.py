"""Decoding JSON into the generated types, forward compatibly.

The fast path is msgspec's own decoder, which already ignores unknown fields and,
thanks to the overlay, accepts enum values the spec does not list yet.  What msgspec
cannot do is decode a tagged union member whose tag it does not know (a new kind of
tool call, say): it raises.  Only then does the slow path below run: it rebuilds the
value from plain JSON, strictly everywhere except that an unknown union member is kept
as the plain ``dict`` the server sent, so nothing is lost and nothing else is excused.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

__all__ = [
    "convert_lenient",
    "decode_json",
    "decode_plain_json",
    "decoder_for",
    "encode_json",
    "error_location",
]

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


def encode_json(value: object) -> bytes:
    """Encode a generated Struct (or plain JSON data) to JSON bytes; UNSET fields are left out."""
    return _encoder.encode(value)


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    # Building a decoder walks the whole type tree: once per type, not per call.
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = _decoders[type_] = msgspec.json.Decoder(type_)
    return decoder


def decode_json(data: bytes | str, type_: type[T], *, strict: bool = False) -> T:
    """Decode ``data`` into ``type_``, keeping union members of unknown kinds as dicts.

    With ``strict=True`` an unknown union member is an error too: that is how a
    server judges what a client sent, where "unknown" means "wrong".

    Raises ``msgspec.DecodeError`` (``msgspec.ValidationError`` for well-formed JSON
    of the wrong shape) as msgspec does, naming the path of the offending value.  That
    is the only exception it raises for any ``data``: the ``UnicodeDecodeError`` msgspec
    raises for invalid UTF-8 in a string, and the ``RecursionError`` of JSON nested too
    deep, become a ``msgspec.DecodeError`` too.
    """
    try:
        try:
            return typing.cast("T", _decoder(type_).decode(data))
        except msgspec.ValidationError as error:
            if strict:
                raise
            try:
                return typing.cast("T", _lenient(msgspec.json.decode(data), type_))
            except msgspec.ValidationError:
                raise error from None
    except (UnicodeDecodeError, RecursionError) as error:
        raise _malformed(error) from None


def decoder_for(type_: type[T]) -> Callable[[bytes], T]:
    """``decode_json`` for one type, made once for a loop that decodes many small bodies
    (a stream's chunks): msgspec's decoder is called straight away, and anything it
    refuses goes to ``decode_json``, which gives the same answer or error it always does."""
    fast = _decoder(type_).decode

    def decode(data: bytes) -> T:
        try:
            return typing.cast("T", fast(data))
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            pass  # decoded again below, for its lenient answer or its proper error
        return decode_json(data, type_)

    return decode


def _malformed(error: UnicodeDecodeError | RecursionError) -> msgspec.DecodeError:
    """What msgspec raises as other exceptions, as the ``DecodeError`` callers expect."""
    if isinstance(error, UnicodeDecodeError):
        return msgspec.DecodeError(f"JSON is malformed: invalid UTF-8 ({error.reason} at byte {error.start})")
    return msgspec.DecodeError("JSON is malformed: nested too deeply")


def decode_plain_json(data: bytes | str) -> object:
    """``data`` as plain JSON values; raises ``msgspec.DecodeError`` and nothing else,
    as ``decode_json`` does."""
    try:
        return msgspec.json.decode(data)
    except (UnicodeDecodeError, RecursionError) as error:
        raise _malformed(error) from None


_MISSING = re.compile(r"missing required field `([^`]+)`")


def error_location(error: msgspec.ValidationError) -> tuple[str, str]:
    """Where a msgspec validation error is, and what it says: ``("messages[1].role",
    "Invalid value 'wizard'")``.  The path has no ``$.``; a missing field is named in it;
    a map's keys (msgspec's ``[...]``, or "at `key` in" for a refused key) are left out,
    so the map itself is named."""
    message, _, at = str(error).replace(" - at `key` in `$", " - at `$").partition(" - at `$")
    path = at.rstrip("`").replace("[...]", "").lstrip(".")
    missing = _MISSING.search(message)
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    return path, message


def convert_lenient(value: object, type_: type[T]) -> T:
    """``value`` (plain JSON data) as ``type_``, as forward compatibly as ``decode_json``."""
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError:
        return typing.cast("T", _lenient(value, type_))


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    alias_type = getattr(typing, "TypeAliasType", None)  # Python 3.12+
    if alias_type is not None and isinstance(tp, alias_type):
        return _strip(tp.__value__)
    return tp


def _union_members(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(_strip(m) for m in typing.get_args(tp))
    return ()


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


@functools.cache
def _tagged(union: Any) -> tuple[str, dict[str, type[msgspec.Struct]]] | None:
    """The tag field and the members by tag, when ``union`` holds tagged Structs."""
    members: dict[str, type[msgspec.Struct]] = {}
    field: str | None = None
    for member in _union_members(union):
        if not _is_struct(member):
            continue
        config = member.__struct_config__
        if config.tag_field is None or config.tag is None:
            return None
        field = config.tag_field
        members[str(config.tag)] = member
    return (field, members) if field is not None else None


def _lenient(value: object, tp: Any) -> Any:
    tp = _strip(tp)
    try:
        return msgspec.convert(value, tp)
    except msgspec.ValidationError:
        if not isinstance(value, dict | list):
            raise
    if isinstance(value, dict):
        return _lenient_object(typing.cast("dict[str, Any]", value), tp)
    items = typing.cast("list[object]", value)
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp) or (Any,)
        return [_lenient(v, item) for v in items]
    return _lenient_union(items, tp)


def _lenient_object(value: dict[str, Any], tp: Any) -> Any:
    tagged = _tagged(tp) if _union_members(tp) else None
    if tagged is not None:
        tag_field, members = tagged
        tag = value.get(tag_field)
        if isinstance(tag, str):
            # The one leniency: a member of a kind this version does not know.
            member = members.get(tag)
            return value if member is None else _lenient(value, member)
    if _is_struct(tp):
        kwargs: dict[str, Any] = {}
        for field in msgspec.structs.fields(tp):
            if field.encode_name in value:
                kwargs[field.name] = _lenient(value[field.encode_name], field.type)
            elif field.required:
                raise msgspec.ValidationError(f"Object missing required field `{field.encode_name}`")
        return tp(**kwargs)
    if typing.get_origin(tp) is dict:
        _, item = typing.get_args(tp) or (str, Any)
        return {k: _lenient(v, item) for k, v in value.items()}
    return _lenient_union(value, tp)


def _lenient_union(value: object, tp: Any) -> Any:
    for member in _union_members(tp):
        if member is not type(None) and member is not msgspec.UnsetType:
            try:
                return _lenient(value, member)
            except msgspec.ValidationError:
                continue
    raise msgspec.ValidationError(f"Expected `{tp}`")
