"""Deterministic instances of JSON schemas: what the local model answers under a schema.

``instance(schema, name)`` gives a value valid against ``schema`` (draft 2020-12, and
the draft 4 to 7 spellings of the same keywords), the same value for the same schema
every time.  Values are mildly meaningful: a string takes the words of its property
name (``"city"`` gives ``"example city"``), a number is 1 or 1.5 when nothing bounds it.

Every property is given, not only the required ones; an ``anyOf``/``oneOf`` takes its
first branch that is not ``null``.  Recursion stays finite: below a few ``$ref`` levels
the generator turns shallow (a ``null`` branch when there is one, a branch without a
``$ref`` otherwise, the required properties only, the fewest items allowed).

What it does not honour, and may then give an invalid value for: ``not`` (a property
that may be left out is, when its schema says ``not``),
``if``/``then``/``else``, ``dependentSchemas``, ``patternProperties``, ``propertyNames``,
``uniqueItems`` over items that cannot differ, ``oneOf`` branches that overlap (the
instance may match more than one), and regular expressions outside the shapes the small
generator below knows (literals, ``.``, classes, ``\\d``/``\\w``/``\\s``, groups,
``|`` and the quantifiers): a string that still does not match is given as it is.
Sizes are capped (``MAX_ITEMS`` items, ``MAX_LENGTH`` characters), so a schema asking
for more gets a value that falls short of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, cast

__all__ = ["MAX_ITEMS", "MAX_LENGTH", "as_array", "as_object", "instance"]

Json = Any

MAX_ITEMS = 64
MAX_LENGTH = 4096
_REF_SHALLOW = 2
"""Below this many ``$ref`` levels, the generator turns shallow."""
_REF_GIVE_UP = 16
_DEPTH_GIVE_UP = 64
_BUDGET = 5000
"""Values generated for one schema before the generator turns shallow everywhere."""

_FORMATS: dict[str, tuple[str, ...]] = {
    "date-time": ("2024-01-01T12:00:00Z", "2024-01-02T12:00:00Z", "2024-01-03T12:00:00Z"),
    "date": ("2024-01-01", "2024-01-02", "2024-01-03"),
    "time": ("12:00:00Z", "12:30:00Z", "13:00:00Z"),
    "duration": ("P1D", "PT1H", "P1W"),
    "email": ("user@example.com", "user2@example.com", "user3@example.com"),
    "idn-email": ("user@example.com", "user2@example.com", "user3@example.com"),
    "hostname": ("example.com", "example.org", "example.net"),
    "idn-hostname": ("example.com", "example.org", "example.net"),
    "ipv4": ("192.0.2.1", "192.0.2.2", "192.0.2.3"),
    "ipv6": ("2001:db8::1", "2001:db8::2", "2001:db8::3"),
    "uuid": (
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
    ),
    "uri": ("https://example.com/", "https://example.com/2", "https://example.com/3"),
    "iri": ("https://example.com/", "https://example.com/2", "https://example.com/3"),
    "uri-reference": ("https://example.com/", "/2", "/3"),
    "iri-reference": ("https://example.com/", "/2", "/3"),
    "uri-template": ("https://example.com/{id}", "https://example.com/{name}", "/{id}"),
    "json-pointer": ("/example", "/example/0", "/example/1"),
    "relative-json-pointer": ("0", "1", "2"),
    "regex": ("^example$", "^example 2$", "^example 3$"),
}

_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


def instance(schema: Json, name: str = "value") -> Json:
    """A value valid against ``schema``; ``name`` (a property name, say) shapes its strings."""
    return _Generator(schema).value(schema, name, variant=0, refs=0, depth=0)


def as_object(value: Json) -> dict[str, Json] | None:
    """``value`` as a JSON object, or None."""
    return cast("dict[str, Json]", value) if isinstance(value, dict) else None


def as_array(value: Json) -> list[Json] | None:
    """``value`` as a JSON array, or None."""
    # Through object: to mypy a list of Any already, to pyright a list of Unknown.
    return cast("list[Json]", cast(object, value)) if isinstance(value, list) else None


def _int(value: Json) -> int | None:
    """A keyword's non-negative integer, None when it is anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value.is_integer():
        return max(int(value), 0)
    return None


def _number(value: Json) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _types(schema: dict[str, Json]) -> list[str] | None:
    given = schema.get("type")
    if isinstance(given, str):
        return [given] if given in _TYPES else None
    listed = as_array(given)
    if listed is not None:
        found = [t for t in listed if isinstance(t, str) and t in _TYPES]
        return list(dict.fromkeys(found)) or None
    return None


def _has_type(value: Json, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def _negated(schema: Json) -> bool:
    return isinstance(schema, dict) and "not" in schema


def _words(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    words = re.split(r"[\s_\-.]+", spaced.strip())
    return " ".join(w.lower() for w in words if w) or "value"


def _singular(name: str) -> str:
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        return name[:-1]
    return name


_MIN_KEYS = ("minimum", "minLength", "minItems", "minProperties", "minContains")
_MAX_KEYS = ("maximum", "maxLength", "maxItems", "maxProperties", "maxContains")


def _merge(base: dict[str, Json], other: dict[str, Json]) -> dict[str, Json]:
    """The schema both ``base`` and ``other`` describe, as near as one schema can say it."""
    out = dict(base)
    for key, value in other.items():
        if key not in out:
            out[key] = value
            continue
        mine = out[key]
        my_dict, their_dict, my_list, their_list = (
            as_object(mine),
            as_object(value),
            as_array(mine),
            as_array(value),
        )
        low, high = _number(mine), _number(value)
        if key == "properties" and my_dict is not None and their_dict is not None:
            merged = dict(my_dict)
            for prop, schema in their_dict.items():
                merged[prop] = {"allOf": [merged[prop], schema]} if prop in merged else schema
            out[key] = merged
        elif key == "required" and my_list is not None and their_list is not None:
            out[key] = list(dict.fromkeys(r for r in [*my_list, *their_list] if isinstance(r, str)))
        elif key == "type":
            ours, theirs = _types(out), _types(other)
            if ours is not None and theirs is not None:
                both = [t for t in ours if t in theirs or (t == "integer" and "number" in theirs)]
                both += [t for t in theirs if t == "integer" and "number" in ours and t not in both]
                out[key] = both or ours
            elif theirs is not None:
                out[key] = theirs
        elif key == "enum" and my_list is not None and their_list is not None:
            common = [v for v in my_list if v in their_list]
            out[key] = common or my_list
        elif key in _MIN_KEYS and low is not None and high is not None:
            out[key] = max(low, high)
        elif key in _MAX_KEYS and low is not None and high is not None:
            out[key] = min(low, high)
        elif key in ("allOf", "anyOf", "oneOf") and my_list is not None and their_list is not None:
            # Two choices to make: the second waits in an allOf of its own.
            if key == "allOf":
                out[key] = [*my_list, *their_list]
            else:
                rest = as_array(out.get("allOf")) or []
                out["allOf"] = [*rest, {key: their_list}]
    return out


class _Generator:
    def __init__(self, root: Json) -> None:
        self.root = root
        self.made = 0

    # -- combinators -----------------------------------------------------------------

    def _target(self, ref: str) -> Json:
        if not ref.startswith("#"):
            return {}
        node: Json = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            mapping, items = as_object(node), as_array(node)
            if mapping is not None and part in mapping:
                node = mapping[part]
            elif items is not None and part.isdigit() and int(part) < len(items):
                node = items[int(part)]
            else:
                return {}
        return node

    def _flatten(self, schema: Json, refs: int, shallow: bool) -> tuple[dict[str, Json] | bool, int]:
        """``schema`` with its ``$ref``, ``allOf``, ``anyOf`` and ``oneOf`` resolved."""
        for _ in range(256):
            if isinstance(schema, bool):
                return schema, refs
            current = as_object(schema)
            if current is None:
                return {}, refs
            ref = current.get("$ref")
            if isinstance(ref, str):
                refs += 1
                shallow = shallow or refs > _REF_SHALLOW
                target = self._target(ref)
                rest = {k: v for k, v in current.items() if k != "$ref"}
                if isinstance(target, bool):
                    schema = target if target is False or not rest else rest
                else:
                    schema = _merge(as_object(target) or {}, rest)
                continue
            if "$ref" in current:
                schema = {k: v for k, v in current.items() if k != "$ref"}
                continue
            if "allOf" in current:
                merged = {k: v for k, v in current.items() if k != "allOf"}
                for part in as_array(current["allOf"]) or []:
                    if part is False:
                        return False, refs
                    merged = _merge(merged, as_object(part) or {})
                schema = merged
                continue
            key = "anyOf" if "anyOf" in current else "oneOf" if "oneOf" in current else None
            if key is not None:
                rest = {k: v for k, v in current.items() if k != key}
                branch = self._branch(current[key], shallow)
                chosen = as_object(branch)
                if branch is None:
                    schema = rest
                elif chosen is not None:
                    schema = _merge(rest, chosen)
                else:
                    schema = rest if branch else False
                continue
            return current, refs
        return {}, refs

    def _branch(self, branches: Json, shallow: bool) -> Json:
        listed = as_array(branches)
        if not listed:
            return None
        options = [b for b in listed if b is not False]
        if not options:
            return False

        def is_null(branch: Json) -> bool:
            schema = as_object(branch)
            return schema is not None and (
                _types(schema) == ["null"]
                or ("const" in schema and schema["const"] is None)
                or schema.get("enum") == [None]
            )

        if shallow:
            for branch in options:
                if is_null(branch):
                    return branch
            for branch in options:
                if "$ref" not in str(branch):
                    return branch
            return options[0]
        for branch in options:
            if not is_null(branch):
                return branch
        return options[0]

    # -- values ----------------------------------------------------------------------

    def value(self, schema: Json, name: str, *, variant: int, refs: int, depth: int) -> Json:
        self.made += 1
        shallow = refs > _REF_SHALLOW or self.made > _BUDGET
        flat, refs = self._flatten(schema, refs, shallow)
        shallow = shallow or refs > _REF_SHALLOW
        if flat is False or refs > _REF_GIVE_UP or depth > _DEPTH_GIVE_UP:
            return None
        if flat is True:
            flat = {}
        if "const" in flat:
            return flat["const"]
        types = _types(flat)
        enum = as_array(flat.get("enum"))
        if enum:
            fitting = [v for v in enum if types is None or any(_has_type(v, t) for t in types)] or enum
            if shallow and None in fitting:
                return None
            return fitting[variant % len(fitting)]
        kind = self._kind(flat, types, shallow)
        if kind == "object":
            return self._object(flat, name, variant=variant, refs=refs, depth=depth + 1, shallow=shallow)
        if kind == "array":
            return self._array(flat, name, variant=variant, refs=refs, depth=depth + 1, shallow=shallow)
        if kind in ("integer", "number"):
            return _numeric(flat, kind == "integer", variant)
        if kind == "boolean":
            return variant % 2 == 0
        if kind == "null":
            return None
        return _string(flat, name, variant)

    def _kind(self, schema: dict[str, Json], types: list[str] | None, shallow: bool) -> str:
        if types is not None:
            if shallow and "null" in types:
                return "null"
            return next((t for t in types if t != "null"), types[0])
        keys = schema.keys()
        if keys & {"properties", "required", "additionalProperties", "minProperties", "maxProperties"}:
            return "object"
        if keys & {"items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"}:
            return "array"
        if keys & {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
            return "number"
        return "string"

    def _object(
        self, schema: dict[str, Json], name: str, *, variant: int, refs: int, depth: int, shallow: bool
    ) -> Json:
        properties = as_object(schema.get("properties")) or {}
        required = [r for r in as_array(schema.get("required")) or [] if isinstance(r, str)]
        extra = schema.get("additionalProperties", {})
        # A property that may be left out is, when it may not be given (``false``) or its
        # schema says ``not`` (which this generator does not honour).
        names = [
            n
            for n in properties
            if n in required or (not shallow and properties[n] is not False and not _negated(properties[n]))
        ]
        names += [n for n in required if n not in properties and n not in names]
        low = _int(schema.get("minProperties")) or 0
        high = _int(schema.get("maxProperties"))
        if high is not None and len(names) > high:
            kept = [n for n in names if n in required]
            names = kept + [n for n in names if n not in required][: max(high - len(kept), 0)]
        out: dict[str, Json] = {}
        for key in names:
            sub = properties.get(key, extra if extra is not False else {})
            out[key] = self.value(sub, key, variant=variant, refs=refs, depth=depth)
        count = 0
        while len(out) < min(low, MAX_ITEMS) and extra is not False:
            count += 1
            key = f"{_singular(name)}_{count}"
            if key not in out and key not in properties:
                out[key] = self.value(extra, key, variant=variant, refs=refs, depth=depth)
        return out

    def _array(
        self, schema: dict[str, Json], name: str, *, variant: int, refs: int, depth: int, shallow: bool
    ) -> Json:
        item_name = _singular(name)
        items = schema.get("items", {})
        prefix = schema.get("prefixItems")
        if as_array(items) is not None:  # draft 4 to 2019-09: a list of items is the prefix
            prefix, items = items, schema.get("additionalItems", {})
        prefixes = as_array(prefix) or []
        low = min(_int(schema.get("minItems")) or 0, MAX_ITEMS)
        high = _int(schema.get("maxItems"))
        high = MAX_ITEMS if high is None else min(high, MAX_ITEMS)
        wanted = low if shallow else max(low, len(prefixes), 1)
        count = min(wanted, high) if items is not False else min(wanted, high, len(prefixes))
        contains = schema.get("contains")
        out: list[Json] = []
        for index in range(count):
            if index < len(prefixes):
                sub = prefixes[index]
            elif index == len(prefixes) and contains is not None:
                sub = {"allOf": [items, contains]}
            else:
                sub = items
            out.append(self.value(sub, item_name, variant=variant + index, refs=refs, depth=depth))
        return out


def _numeric(schema: dict[str, Json], integer: bool, variant: int) -> int | float:
    """A number fitting ``schema``'s bounds and ``multipleOf``; 0 for bounds past floats."""
    try:
        value = _fitting_number(schema, integer, variant)
    except (OverflowError, ZeroDivisionError, ValueError):
        return 0
    return value if math.isfinite(value) else 0


def _fitting_number(schema: dict[str, Json], integer: bool, variant: int) -> int | float:
    low, low_open = _number(schema.get("minimum")), False
    high, high_open = _number(schema.get("maximum")), False
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if exclusive_low is True and low is not None:  # draft 4
        low_open = True
    elif (bound := _number(exclusive_low)) is not None and (low is None or bound >= low):
        low, low_open = bound, True
    if exclusive_high is True and high is not None:
        high_open = True
    elif (bound := _number(exclusive_high)) is not None and (high is None or bound <= high):
        high, high_open = bound, True
    step = _number(schema.get("multipleOf"))
    if step is not None and step <= 0:
        step = None

    def fits(value: float) -> bool:
        if low is not None and (value < low or (low_open and value == low)):
            return False
        if high is not None and (value > high or (high_open and value == high)):
            return False
        if integer and not float(value).is_integer():
            return False
        if step is not None:
            if isinstance(step, float) or isinstance(value, float):
                quotient = value / step
                return math.isfinite(quotient) and quotient.is_integer()
            return value % step == 0
        return True

    target: float = (1 if integer else 1.5) + variant
    if low is not None and (target < low or (low_open and target == low)):
        target = low + 1 if high is None or low + 1 < high else (low + high) / 2 if low_open else low
    if high is not None and (target > high or (high_open and target == high)):
        target = high - 1 if low is None or high - 1 > low else (low + high) / 2 if high_open else high
    if integer:
        target = math.ceil(target) if low is not None and target < low + 1 else math.floor(target)
    candidates: list[float] = []
    if step is not None:
        base = math.floor(target / step) if math.isfinite(target / step) else 0
        for offset in range(64):
            for k in (base + offset, base - offset):
                candidates.append(k * step if isinstance(step, float) else int(k) * step)
    else:
        whole = math.floor(target) if math.isfinite(target) else 0
        candidates.extend([target, whole, whole + 1, whole - 1])
    for candidate in candidates:
        if fits(candidate):
            return int(candidate) if integer else candidate
    return int(target) if integer else target


def _string(schema: dict[str, Json], name: str, variant: int) -> str:
    low = min(_int(schema.get("minLength")) or 0, MAX_LENGTH)
    high = _int(schema.get("maxLength"))
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        found = _matching(pattern, low, high)
        if found is not None:
            return found
    examples = _FORMATS.get(schema.get("format") or "") if isinstance(schema.get("format"), str) else None
    if examples:
        text = examples[variant % len(examples)]
        if variant >= len(examples):
            text = f"{text}{variant}" if schema.get("format") in ("uri", "iri", "json-pointer") else text
    else:
        text = f"example {_words(name)}" + (f" {variant + 1}" if variant else "")
    if len(text) < low:
        text += "x" * (low - len(text))
    if high is not None and len(text) > high:
        text = text[-high:] if variant and high else text[:high]
    return text


# -- strings for a regular expression ------------------------------------------------


class _UnsupportedError(Exception):
    pass


_Node = tuple[Any, ...]


class _Regex:
    """A small parser of the regular expressions JSON schemas use, into a tree of nodes."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.at = 0

    def parse(self) -> _Node:
        node = self._alternation()
        if self.at != len(self.text):
            raise _UnsupportedError
        return node

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _alternation(self) -> _Node:
        branches = [self._sequence()]
        while self._peek() == "|":
            self.at += 1
            branches.append(self._sequence())
        return ("alt", branches)

    def _sequence(self) -> _Node:
        items: list[_Node] = []
        while self._peek() not in ("", "|", ")"):
            atom = self._atom()
            items.append(self._quantified(atom))
        return ("seq", items)

    def _quantified(self, atom: _Node) -> _Node:
        char = self._peek()
        low, high = 1, 1
        if char == "?":
            low, high = 0, 1
        elif char == "*":
            low, high = 0, -1
        elif char == "+":
            low, high = 1, -1
        elif char == "{":
            match = re.compile(r"\{(\d+)(,(\d*))?\}").match(self.text, self.at)
            if match is None:
                raise _UnsupportedError
            low = int(match.group(1))
            high = low if match.group(2) is None else int(match.group(3)) if match.group(3) else -1
            self.at = match.end() - 1
        else:
            return atom
        self.at += 1
        if self._peek() in ("?", "+"):  # lazy or possessive: the same strings
            self.at += 1
        if low > MAX_LENGTH:
            raise _UnsupportedError
        return ("rep", atom, low, high)

    def _atom(self) -> _Node:
        char = self._peek()
        self.at += 1
        if char == "(":
            if self.text.startswith("?:", self.at):
                self.at += 2
            elif self.text.startswith("?P<", self.at) or (
                self.text.startswith("?<", self.at) and self.text[self.at + 2 : self.at + 3] not in ("=", "!")
            ):
                self.at = self.text.index(">", self.at) + 1
            elif self._peek() == "?":
                raise _UnsupportedError  # look-arounds, flags, back-references by name
            inner = self._alternation()
            if self._peek() != ")":
                raise _UnsupportedError
            self.at += 1
            return inner
        if char == "[":
            return ("lit", self._class())
        if char == ".":
            return ("lit", "a")
        if char == "^":
            return ("start",)
        if char == "$":
            return ("end",)
        if char == "\\":
            return ("lit", self._escape(in_class=False))
        if char in ("*", "+", "?", "{", ")"):
            raise _UnsupportedError
        return ("lit", char)

    def _escape(self, *, in_class: bool) -> str:
        char = self._peek()
        self.at += 1
        if char in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[char][0]
        simple = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}
        if char in simple:
            return simple[char]
        if char == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", self.text[self.at : self.at + 4]):
            self.at += 4
            return chr(int(self.text[self.at - 4 : self.at], 16))
        if char.isalnum() or char == "":
            if in_class and char == "b":
                return "\b"
            raise _UnsupportedError  # \b, back-references, classes we do not know
        return char

    def _class(self) -> str:
        negated = self._peek() == "^"
        if negated:
            self.at += 1
        # One character each, a range as "a-z", a class escape as its letter after "\\".
        members: list[str] = []
        first = True
        while True:
            char = self._peek()
            if char == "":
                raise _UnsupportedError
            if char == "]" and not first:
                self.at += 1
                break
            first = False
            self.at += 1
            if char == "\\":
                escaped = self.text[self.at : self.at + 1]
                if escaped in _CLASS_ESCAPES:
                    self.at += 1
                    members.append("\\" + escaped)
                    continue
                char = self._escape(in_class=True)
            if self._peek() == "-" and self.text[self.at + 1 : self.at + 2] not in ("]", ""):
                self.at += 1
                end = self._peek()
                self.at += 1
                if end == "\\":
                    end = self._escape(in_class=True)
                members.append(f"{char}-{end}")
            else:
                members.append(char)
        if not negated:
            if not members:
                raise _UnsupportedError
            member = members[0]
            return _CLASS_ESCAPES[member[1]][0] if member.startswith("\\") and len(member) == 2 else member[0]
        for candidate in "ax0A_-. Z9@":
            if not any(_in_member(candidate, m) for m in members):
                return candidate
        raise _UnsupportedError


_CLASS_ESCAPES: dict[str, tuple[str, Callable[[str], bool]]] = {
    "d": ("1", str.isdigit),
    "w": ("a", lambda c: c.isalnum() or c == "_"),
    "s": (" ", str.isspace),
    "D": ("a", lambda c: not c.isdigit()),
    "W": ("-", lambda c: not (c.isalnum() or c == "_")),
    "S": ("a", lambda c: not c.isspace()),
}


def _in_member(char: str, member: str) -> bool:
    if len(member) == 2 and member.startswith("\\"):
        return _CLASS_ESCAPES[member[1]][1](char)
    if len(member) == 3 and member[1] == "-":
        return member[0] <= char <= member[2]
    return char == member


def _size(node: _Node, extra: int) -> int:
    """The length of ``_render(node, extra)``, without building it."""
    kind = node[0]
    if kind == "lit":
        return len(str(node[1]))
    if kind in ("start", "end"):
        return 0
    if kind == "seq":
        return sum(_size(n, extra) for n in node[1])
    if kind == "alt":
        return _size(node[1][0], extra)
    _, atom, low, high = node
    count: int = low + extra if high == -1 else min(high, low + extra)
    return _size(atom, extra) * count


def _render(node: _Node, extra: int) -> str:
    kind = node[0]
    if kind == "lit":
        return str(node[1])
    if kind in ("start", "end"):
        return ""
    if kind == "seq":
        return "".join(_render(n, extra) for n in node[1])
    if kind == "alt":
        return _render(node[1][0], extra)
    _, atom, low, high = node
    count: int = low + extra if high == -1 else min(high, low + extra)
    return _render(atom, extra) * count


def _matching(pattern: str, low: int, high: int | None) -> str | None:
    """A string of ``low`` to ``high`` characters ``pattern`` matches (searched), or None."""
    try:
        compiled = re.compile(pattern)
        tree = _Regex(pattern).parse()
    except (re.error, _UnsupportedError, ValueError, IndexError, RecursionError, OverflowError):
        return None
    for extra in (*range(17), 24, 32, 48, 64, 128, 256, 512, 1024):
        if _size(tree, extra) > MAX_LENGTH:
            break
        text = _render(tree, extra)
        for candidate in (text, text + "x" * max(low - len(text), 0)):
            fits = len(candidate) >= low and (high is None or len(candidate) <= high)
            if fits and compiled.search(candidate):
                return candidate
    return None
