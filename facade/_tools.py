"""Tools from Python functions: ``tool(get_weather)`` is what the model is told it may
call, and what runs the call it asks for.

A tool is described by its function alone, so the description cannot drift from the
code: the parameters' types (through msgspec, so a Struct, dataclass, TypedDict,
Literal, Enum, list or ``X | None`` works) make the strict JSON schema of the arguments,
and the docstring gives the tool's description (its first paragraph) and each
parameter's (Google ``Args:``, Sphinx ``:param x:`` or NumPy ``Parameters`` style).

Running a call never raises for what the model or the function did: the arguments are
decoded into the parameters' types, the function is called, and its return value
becomes the tool message's content -- or, when the arguments do not fit, the function
raises or its value cannot be encoded, a short ``Error: ...`` text the model can act
on.  The content is the return value as JSON (``msgspec.json.encode``), except a
``str``, which is sent as it is; a function that returns None gives ``null``.

Decisions:

- a parameter with a default is required and nullable in the schema (strict mode wants
  every property written); null means the default.  (A parameter typed ``X | None``
  whose default is not None therefore cannot be given None by the model.)
- positional-only parameters are allowed: the model names them like any other, and
  they are passed by position;
- bound methods describe their parameters after ``self``; a ``functools.partial``
  describes the parameters left to fill, without those it binds by keyword; a callable
  object is described by its ``__call__``;
- refused, with ``InvalidRequestError`` (``param`` is ``tools.<name>``, or the field a
  schema refusal names): a parameter with no annotation, ``*args`` and ``**kwargs``, a
  type strict mode cannot express, annotations that do not resolve, a class, and a name
  the API refuses (``^[a-zA-Z0-9_-]{1,64}$``, a lambda's ``<lambda>`` among them: name
  it with ``tool(fn, name=...)``).
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
import typing
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar, overload

import msgspec

from ._decoding import decode_json
from ._exceptions import InvalidRequestError
from ._schema import strict_schema_at

__all__ = ["BoundCall", "Tool", "describable", "tool"]

R = TypeVar("R")

_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ERROR_DETAIL = 500
"""At most this many characters of an exception's message go to the model."""
_SHOWN_DEFAULT = 80
"""A default written longer than this is not shown in the parameter's description."""
_EMPTY = inspect.Parameter.empty


class _Parameter:
    __slots__ = ("default", "name", "positional")

    def __init__(self, name: str, *, positional: bool, default: object) -> None:
        self.name = name
        self.positional = positional
        """Positional-only: passed by position, not by name."""
        self.default = default
        """``inspect.Parameter.empty`` for a parameter without one."""


class BoundCall(Generic[R]):
    """One call of a tool, its arguments decoded and bound: ``call()`` makes it."""

    __slots__ = ("args", "kwargs", "tool")

    def __init__(self, tool: Tool[R], args: tuple[object, ...], kwargs: dict[str, object]) -> None:
        self.tool = tool
        self.args = args
        self.kwargs = kwargs

    def call(self) -> R | Awaitable[R]:
        """Call the function (an async one returns its awaitable)."""
        return self.tool.function(*self.args, **self.kwargs)

    def __repr__(self) -> str:
        return f"BoundCall({self.tool.name}, args={self.args!r}, kwargs={self.kwargs!r})"


class Tool(Generic[R]):
    """A function the model may call; made by ``tool()``.

    ``definition()`` is the tool as the API takes it; ``run(arguments)`` (``arun`` for
    async functions, or in async code) runs one call and returns the tool message's
    content.  ``prepare``, ``result_content`` and ``error_content`` are the steps of a
    run, for a caller that runs the call itself.
    """

    __slots__ = ("_arguments", "_parameters", "description", "function", "is_async", "name", "parameters")

    def __init__(
        self,
        function: Callable[..., R | Awaitable[R]],
        *,
        name: str,
        description: str | None,
        parameters: dict[str, Any],
        arguments: type[msgspec.Struct],
        signature: tuple[_Parameter, ...],
        is_async: bool,
    ) -> None:
        self.function = function
        """The function the tool runs."""
        self.name = name
        """The name the model calls the tool by (the function's, unless ``name=`` said otherwise)."""
        self.description = description
        """What the model is told the tool does: the docstring's first paragraph, or ``description=``."""
        self.parameters = parameters
        """The strict JSON schema of the arguments object."""
        self.is_async = is_async
        """The function returns an awaitable (an ``async def``): only ``arun`` runs it."""
        self._arguments = arguments
        self._parameters = signature

    def __repr__(self) -> str:
        return f"<Tool {self.name}{' (async)' if self.is_async else ''}>"

    def definition(self) -> dict[str, Any]:
        """``{"type": "function", "function": {"name", "description"?, "parameters",
        "strict": True}}``, the caller's own copy."""
        function: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            function["description"] = self.description
        function["parameters"] = copy.deepcopy(self.parameters)
        function["strict"] = True
        return {"type": "function", "function": function}

    # --- one call: decode, call, encode ------------------------------------------------

    def prepare(self, arguments: str | bytes) -> BoundCall[R] | str:
        """The call the model asked for, its JSON ``arguments`` decoded into the parameters'
        types; or, when they do not decode, the error text for the tool message."""
        if not arguments.strip():
            arguments = "{}"  # how some servers write a call without arguments
        try:
            decoded = decode_json(arguments, self._arguments, strict=True)
        except msgspec.ValidationError as error:
            return f"Error: the arguments do not fit {self.name}'s parameters: {error}"
        except msgspec.DecodeError as error:
            return f"Error: the arguments of {self.name} are not valid JSON: {error}"
        args: list[object] = []
        kwargs: dict[str, object] = {}
        for parameter in self._parameters:
            value = getattr(decoded, parameter.name)
            if value is None and parameter.default is not _EMPTY:
                value = parameter.default
            if parameter.positional:
                args.append(value)
            else:
                kwargs[parameter.name] = value
        return BoundCall(self, tuple(args), kwargs)

    def run(self, arguments: str | bytes) -> str:
        """Run one call of a synchronous tool: the tool message's content.

        Raises ``InvalidRequestError`` for an async tool, which only ``arun`` can await.
        """
        if self.is_async:
            raise InvalidRequestError(
                f"tools.{self.name}",
                f"{self.name} is an async function: run it with arun() (as AsyncOpenAI does)",
            )
        call = self.prepare(arguments)
        if isinstance(call, str):
            return call
        try:
            result = call.call()
        except Exception as error:
            return self.error_content(error)
        if inspect.isawaitable(result):
            # An async callable not marked as one: it cannot be waited for here.
            if inspect.iscoroutine(result):
                result.close()
            return f"Error: {self.name} returned an awaitable, which only arun() can wait for"
        return self.result_content(result)

    async def arun(self, arguments: str | bytes) -> str:
        """Run one call, awaiting an async function: the tool message's content."""
        call = self.prepare(arguments)
        if isinstance(call, str):
            return call
        try:
            result: object = call.call()
            if inspect.isawaitable(result):
                result = await result
        except Exception as error:
            return self.error_content(error)
        return self.result_content(result)

    def result_content(self, value: object) -> str:
        """The tool message's content for a return value: a ``str`` as it is, anything
        else as JSON (None is ``null``); an error text for a value JSON cannot hold."""
        if isinstance(value, str):
            text = str.__str__(value)
        else:
            try:
                text = msgspec.json.encode(value).decode()
            except Exception as error:
                return f"Error: {self.name} returned a value that cannot be encoded as JSON: {_detail(error)}"
        try:
            text.encode()
        except UnicodeEncodeError:  # lone surrogates: no request could carry them
            text = text.encode(errors="replace").decode()
        return text

    def error_content(self, error: BaseException) -> str:
        """The tool message's content for an exception the function raised: its type and
        message, on one line, never a traceback."""
        detail = _detail(error)
        kind = type(error).__name__
        return f"Error: {self.name} raised {kind}" + (f": {detail}" if detail else "")


def _detail(error: BaseException) -> str:
    try:
        text = " ".join(str(error).split())
    except Exception:  # a __str__ that fails
        return ""
    return text if len(text) <= _ERROR_DETAIL else text[: _ERROR_DETAIL - 3] + "..."


# --- tool() -----------------------------------------------------------------------------


def describable(value: object) -> bool:
    """Whether ``tool(value)`` makes a tool of it: a ``Tool``, or something called like a
    function (a function, a method, a partial, a callable object) -- not a class, whose
    call makes an instance, and not the API's own tool objects (dicts, Structs)."""
    return isinstance(value, Tool) or (callable(value) and not isinstance(value, type))


@overload
def tool(function: Tool[R], *, name: str | None = None, description: str | None = None) -> Tool[R]: ...
@overload
def tool(
    function: Callable[..., Awaitable[R]], *, name: str | None = None, description: str | None = None
) -> Tool[R]: ...
@overload
def tool(
    function: Callable[..., R], *, name: str | None = None, description: str | None = None
) -> Tool[R]: ...
def tool(function: Any, *, name: str | None = None, description: str | None = None) -> Tool[Any]:
    """The tool for ``function``, described by its signature and docstring.

    ``name`` defaults to the function's ``__name__``, ``description`` to the first
    paragraph of its docstring.  A ``Tool`` is returned as it is (so a list of tools may
    mix functions and tools), or described again under a new ``name``/``description``.

    Raises ``InvalidRequestError`` for a function that cannot be described strictly.
    """
    if isinstance(function, Tool):
        existing = typing.cast("Tool[object]", function)
        if name is None and description is None:
            return existing
        name = existing.name if name is None else name
        description = existing.description if description is None else description
        function = existing.function
    if not describable(function):
        raise InvalidRequestError(
            f"tools.{name}" if name else "tools",
            f"{function!r} is not a function: a tool is a function (or a method), called with "
            "the arguments the model gives",
        )
    return _describe(function, name, description)


def _describe(function: Callable[..., Any], name: str | None, description: str | None) -> Tool[Any]:
    target, bound = _unwrap(function)
    tool_name = name if name is not None else _default_name(target)
    if not _NAME.fullmatch(tool_name):
        raise InvalidRequestError(
            f"tools.{tool_name}", _refused_name(function, tool_name, given=name is not None)
        )
    where = f"tools.{tool_name}"
    described = target if inspect.isroutine(target) else type(target).__call__
    try:
        signature = inspect.signature(function)
        hints = typing.get_type_hints(described, include_extras=True)
    except Exception as error:  # NameError: an annotation that names nothing in reach
        raise InvalidRequestError(
            where,
            f"the annotations of {tool_name} cannot be read ({type(error).__name__}: {error}): "
            "define the types they name where the function's module can see them",
        ) from None
    # The function's own docstring: inspect.getdoc would take one from a base class.
    doc = described.__doc__
    if doc is None and not inspect.isroutine(target):
        doc = type(target).__doc__  # a callable object: its class's docstring
    summary, parameter_docs = _docstring(doc)
    parameters: list[_Parameter] = []
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for parameter in signature.parameters.values():
        if parameter.name in bound:
            continue  # given by the partial; the model does not see it
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            stars = "*" if parameter.kind is parameter.VAR_POSITIONAL else "**"
            raise InvalidRequestError(
                where,
                f"{tool_name} takes {stars}{parameter.name}: the model fills in named parameters "
                "only; name each one, with its type",
            )
        if parameter.name not in hints:
            raise InvalidRequestError(
                where,
                f"parameter {parameter.name!r} of {tool_name} has no type annotation: tools are "
                "described from their annotations",
            )
        field_type: Any = hints[parameter.name]
        has_default = parameter.default is not _EMPTY
        if has_default:
            field_type = field_type | None  # written by the model, null for the default
        text = _parameter_description(parameter_docs.get(parameter.name), parameter.default)
        if text is not None:
            field_type = Annotated[field_type, msgspec.Meta(description=text)]
        fields.append((parameter.name, field_type, None) if has_default else (parameter.name, field_type))
        parameters.append(
            _Parameter(
                parameter.name,
                positional=parameter.kind is parameter.POSITIONAL_ONLY,
                default=parameter.default,
            )
        )
    try:
        arguments = msgspec.defstruct(tool_name, fields, kw_only=True, forbid_unknown_fields=True)
    except Exception as error:  # a parameter name msgspec cannot hold (`__x`)
        raise InvalidRequestError(
            where,
            f"the parameters of {tool_name} cannot be decoded into a msgspec Struct "
            f"({type(error).__name__}: {error}): rename them",
        ) from None
    schema = strict_schema_at(arguments, where)
    schema.pop("title", None)  # the name of our own Struct, not the user's
    return Tool(
        function,
        name=tool_name,
        description=description if description is not None else summary,
        parameters=schema,
        arguments=arguments,
        signature=tuple(parameters),
        is_async=_is_async(target),
    )


def _unwrap(function: Callable[..., Any]) -> tuple[Callable[..., Any], set[str]]:
    """The function under any ``functools.partial``, and the names those bind by keyword."""
    bound: set[str] = set()
    while isinstance(function, functools.partial):
        partial = typing.cast("functools.partial[object]", function)
        bound.update(partial.keywords)
        function = partial.func
    return function, bound


_NAME_RULE = "1 to 64 letters, digits, '_' or '-'"


def _refused_name(function: Callable[..., Any], name: str, *, given: bool) -> str:
    """Why ``name`` cannot be a tool's, and what to do instead (``given``: it was passed as ``name=``)."""
    if given:
        return f"{name!r} is not a name the API takes for a tool: pass a name= of {_NAME_RULE}"
    if name == "<lambda>":
        if inspect.signature(function).parameters:
            # Naming it would only lead to the next refusal: a lambda's parameters have no types.
            return (
                "a lambda has no name the model can call it by, nor types for its parameters: "
                'define the function with def, its parameters annotated (tool(fn, name="...") '
                "names a lambda that takes none)"
            )
        return f'a lambda has no name the model can call it by: use tool(fn, name="...") ({_NAME_RULE})'
    return f'{name!r} is not a name the API takes for a tool ({_NAME_RULE}): use tool(fn, name="...")'


def _default_name(target: Callable[..., Any]) -> str:
    name = getattr(target, "__name__", None)
    return name if isinstance(name, str) else type(target).__name__


def _is_async(target: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(target):
        return True
    # A callable object: is its __call__ async?
    return not inspect.isroutine(target) and inspect.iscoroutinefunction(type(target).__call__)


def _parameter_description(text: str | None, default: object) -> str | None:
    """The docstring's words for a parameter, and what null stands for when it has a
    default that is not None."""
    if default is _EMPTY or default is None:
        return text
    note = "null for the default"
    try:
        shown = msgspec.json.encode(default).decode()
    except Exception:
        shown = ""
    if shown and len(shown) <= _SHOWN_DEFAULT:
        note = f"{note}: {shown}"
    return f"{text} ({note})" if text else note


# --- docstrings ---------------------------------------------------------------------------

_GOOGLE_SECTION = re.compile(r"(?:Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments)\s*:")
_GOOGLE_ENTRY = re.compile(r"\**(\w+)\s*(?:\(.*?\))?\s*:(.*)")
_SPHINX_FIELD = re.compile(r":(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:]*\s)?\**(\w+)\s*:(.*)")
_NUMPY_SECTION = ("Parameters", "Other Parameters")
_NUMPY_RULE = re.compile(r"-{3,}")
_NUMPY_ENTRY = re.compile(r"(\w+(?:\s*,\s*\w+)*)\s*(?::.*)?")


def _docstring(doc: str | None) -> tuple[str | None, dict[str, str]]:
    """The first paragraph of a docstring, and the description of each parameter it
    documents (Google, Sphinx or NumPy style), each on one line."""
    if not doc:
        return None, {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip() or line.startswith(":") or _section_at(lines, i):
            break
        summary.append(line.strip())
    parameters: dict[str, str] = {}
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        indent = _indent(lines[i])
        if _GOOGLE_SECTION.fullmatch(stripped):
            i = _google(lines, i + 1, indent, parameters)
        elif stripped in _NUMPY_SECTION and _rule_at(lines, i + 1):
            i = _numpy(lines, i + 2, indent, parameters)
        elif _SPHINX_FIELD.fullmatch(stripped):
            i = _sphinx(lines, i, parameters)
        else:
            i += 1
    return " ".join(summary) or None, parameters


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _rule_at(lines: list[str], i: int) -> bool:
    return i < len(lines) and bool(_NUMPY_RULE.fullmatch(lines[i].strip()))


def _section_at(lines: list[str], i: int) -> bool:
    """A Google (``Returns:``) or NumPy (a title over dashes) section starts at line i."""
    stripped = lines[i].strip()
    return _rule_at(lines, i + 1) or bool(re.fullmatch(r"[A-Z][A-Za-z ]*:", stripped))


def _keep(parameters: dict[str, str], names: list[str], words: list[str]) -> None:
    text = " ".join(" ".join(words).split())
    for name in names:
        if text:
            parameters.setdefault(name, text)


def _google(lines: list[str], i: int, section_indent: int, parameters: dict[str, str]) -> int:
    """``name (type): text`` entries, indented under the header, each continued by the
    lines indented further."""
    entry_indent: int | None = None
    names: list[str] = []
    words: list[str] = []
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped:
            indent = _indent(lines[i])
            if indent <= section_indent:
                break
            entry_indent = indent if entry_indent is None else entry_indent
            entry = _GOOGLE_ENTRY.fullmatch(stripped) if indent == entry_indent else None
            if entry:
                _keep(parameters, names, words)
                names, words = [entry[1]], [entry[2]]
            else:
                words.append(stripped)
        i += 1
    _keep(parameters, names, words)
    return i


def _sphinx(lines: list[str], i: int, parameters: dict[str, str]) -> int:
    """``:param name: text`` (or ``:param type name: text``), continued by the lines
    indented further."""
    field = _SPHINX_FIELD.fullmatch(lines[i].strip())
    assert field is not None
    indent = _indent(lines[i])
    words = [field[2]]
    i += 1
    while i < len(lines) and lines[i].strip() and _indent(lines[i]) > indent:
        words.append(lines[i].strip())
        i += 1
    _keep(parameters, [field[1]], words)
    return i


def _numpy(lines: list[str], i: int, section_indent: int, parameters: dict[str, str]) -> int:
    """``name : type`` entries at the header's indentation, described by the lines
    indented under them, up to the next section."""
    names: list[str] = []
    words: list[str] = []
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped and _rule_at(lines, i + 1):
            break  # the title of the next section
        if stripped:
            indent = _indent(lines[i])
            if indent < section_indent:
                break
            if indent == section_indent:
                _keep(parameters, names, words)
                entry = _NUMPY_ENTRY.fullmatch(stripped)
                names = re.split(r"\s*,\s*", entry[1]) if entry else []
                words = []
            else:
                words.append(stripped)
        i += 1
    _keep(parameters, names, words)
    return i
