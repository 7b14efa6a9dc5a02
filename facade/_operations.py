"""What each method of ``client.chat.completions`` means, without I/O.

Each ``prepare_*`` function checks a method's arguments and turns them into a ``Call``
(which endpoint, with which path, query, body and options); each ``*_result`` function
turns the decoded answer into what the method returns.  ``OpenAI`` and ``AsyncOpenAI``
call these and only add the sending, so no method is written twice.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import httpx2
import msgspec

from ._adapt import Adaptation, adapt
from ._answers import decode, says_no_such_completion
from ._config import ClientConfig, RequestOptions, check_flag, unexpected_keyword
from ._decoding import error_location
from ._exceptions import InvalidRequestError, NotFoundError, OpenAIError
from ._generated import endpoints
from ._generated.endpoints import Endpoint
from ._generated.models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionDeleted,
    ChatCompletionList,
    ChatCompletionMessageList,
    ChatCompletionStreamOptions,
    CreateChatCompletionRequest,
    UpdateChatCompletionRequest,
)
from ._generated.models import ChatCompletionStoreMessage as StoredMessage
from ._generated.params import (
    ChatCompletionStreamOptionsParam,
    CreateChatCompletionParams,
    GetChatCompletionMessagesQueryParams,
    ListChatCompletionsQueryParams,
)
from ._messages import message_payloads
from ._request import check_id, check_path_id, unsendable
from ._results import ChatCompletionOutcome, ChatCompletionResult, P, PageData, listed_results

if TYPE_CHECKING:
    from ._generated.params import (
        ChatCompletionToolUnionParam,
        CreateChatCompletionRequestResponseFormatParam,
    )
    from ._tools import Tool

__all__ = [
    "RAISE",
    "Call",
    "ChatCompletionStreamParameters",
    "ChatCompletionsListParameters",
    "ChatCompletionsParameters",
    "CompletionMessagesListParameters",
    "CreateCall",
    "OnData",
    "OnTerminate",
    "PageData",
    "StoredMessage",
    "create_result",
    "prepare_create",
    "prepare_delete",
    "prepare_list",
    "prepare_messages_list",
    "prepare_retrieve",
    "prepare_update",
]

T = TypeVar("T")
R = TypeVar("R")
QueryT = TypeVar("QueryT", bound=msgspec.Struct)
TextT = TypeVar("TextT", bound=str | None)

OnData = Callable[[ChatCompletionChunk], object]
"""Called with each chunk of a stream, as it arrives (4D's ``onData``)."""
OnTerminate = Callable[[ChatCompletionOutcome[Any]], object]
"""Called once a stream ends, with its outcome: the result or the errors (4D's ``onTerminate``)."""


class ChatCompletionStreamParameters(CreateChatCompletionParams, RequestOptions, Generic[P], total=False):
    """Everything ``stream`` takes besides the messages, as one typed mapping: every
    field of the request schema (generated, so a regeneration updates it), the per-call
    options, and the stream's own settings."""

    response_format: type[P] | CreateChatCompletionRequestResponseFormatParam
    """A Python type (a msgspec Struct, a dataclass, a TypedDict): the answer is asked for
    as JSON of that type's schema, in strict mode, and ``result.choice.parsed`` is an
    instance of it.  Or one of the API's formats, sent as it is."""
    tools: Sequence[ChatCompletionToolUnionParam | Tool[Any] | Callable[..., Any]]
    """The API's tool objects, or Python functions and ``tool(...)``s, described from
    their signatures and docstrings."""

    stream_options: ChatCompletionStreamOptionsParam | ChatCompletionStreamOptions | None
    """The API's stream settings: ``{"include_usage": True}`` adds a last chunk with the usage."""
    on_data: OnData | None
    """Called with each chunk as it arrives."""
    on_terminate: OnTerminate | None
    """Called once at the end, with the result or the errors."""


class ChatCompletionsParameters(ChatCompletionStreamParameters[P], total=False):
    """Everything ``create`` takes besides the messages, as one typed mapping.

    Every field of the request schema and the per-call options, as 4D AI Kit's
    ``OpenAIChatCompletionsParameters`` carries both:

        create(messages, ChatCompletionsParameters(model="gpt-4o-mini", temperature=0.2))

    ``stream=True`` has the answer streamed: ``on_data`` sees each chunk and ``create``
    returns the whole result at the end, as in 4D.  To read the chunks yourself, call
    ``stream`` instead.
    """

    stream: bool
    """True: the answer is streamed to ``on_data``, and the whole result returned at the end."""


_OPTION_NAMES = frozenset(RequestOptions.__annotations__)
_STREAM_NAMES = frozenset({"stream_options", "on_data", "on_terminate"})
_API_NAMES = frozenset(CreateChatCompletionParams.__annotations__) | {"response_format", "tools"}
# What create() refuses among its parameters, and why.
_NOT_PARAMETERS = {
    "messages": "the conversation is create()'s first argument (or messages=), not one of its parameters",
    "throw": "create() raises its errors; try_create() returns them in outcome.errors (4D's throw: False)",
}
# The keywords of the methods that take more than the request's parameters: a misspelt
# keyword may have meant one of them.
_OWN_KEYWORDS = {
    "run_tools": frozenset({"max_rounds", "on_tool_call"}),
    "conversation": frozenset({"system", "max_messages", "max_rounds", "on_tool_call"}),
}


class _Raise:
    """``Call.when_not_found`` for methods that raise NotFoundError."""


RAISE = _Raise()


class Call(NamedTuple, Generic[T, R]):
    """One request to make (the endpoint stub and what fills it), and what to make of
    the decoded answer.

    This module's records are NamedTuples, not frozen dataclasses: one is made for every
    call, four times as fast, and defining one costs a cold start a fifth as much."""

    endpoint: Endpoint[Any, Any, Any, T, Any]
    options: RequestOptions
    interpret: Callable[[T, httpx2.Response], R]
    path: msgspec.Struct | None = None
    query: msgspec.Struct | None = None
    body: msgspec.Struct | None = None
    when_not_found: R | _Raise = RAISE
    """What the method returns for a 404 instead of raising (``delete``: False)."""
    config: ClientConfig | None = None
    """The configuration it is sent with, when not the client's own: a ``provider:model``
    call's provider's."""
    adaptations: tuple[Adaptation, ...] = ()
    """What was changed in the request for its provider, for the client to log."""

    def finish(self, response: httpx2.Response) -> R:
        """What the method returns for a successful answer."""
        return self.interpret(decode(self.endpoint.response, response), response)

    def not_found(self, error: NotFoundError) -> R:
        """What the method returns for a 404: its ``when_not_found`` when the API says that
        completion does not exist; any other 404 (a wrong route, a proxy) raises."""
        if isinstance(self.when_not_found, _Raise) or not says_no_such_completion(error):
            raise error
        return self.when_not_found


class CreateCall(NamedTuple):
    """A create request, and how its answer is to be given back."""

    call: Call[ChatCompletion, ChatCompletionResult[Any]]
    stream: bool
    on_data: OnData | None
    on_terminate: OnTerminate | None
    parse: type[Any] | None
    """The type the answer is parsed into (``response_format=Weather``), if any."""

    def terminated(self, error: OpenAIError) -> None:
        """Tell ``on_terminate`` that the request failed before the stream began."""
        if self.on_terminate is not None:
            self.on_terminate(ChatCompletionOutcome.failed(error))


def _mapping(name: str, value: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestError(name, f"expected a mapping, got {type(value).__name__}")
    return typing.cast("Mapping[str, Any]", value)


def _field_error(error: msgspec.ValidationError) -> InvalidRequestError:
    path, message = error_location(error)
    return InvalidRequestError(path or "body", message)


def _convert(value: Mapping[str, Any], type_: type[T]) -> T:
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as error:
        raise _field_error(error) from None
    except (RecursionError, UnicodeEncodeError, OverflowError, ValueError, TypeError):
        pass  # a value msgspec cannot even look at: a lone surrogate, a structure too deep
    raise InvalidRequestError(
        unsendable(value.items()),
        "cannot be sent: it holds a lone surrogate, a value of no JSON type, or nests too deeply",
    )


@functools.lru_cache(maxsize=128)  # bounded: a program that varies its fields freely
def _request_of(names: frozenset[str]) -> type[msgspec.Struct]:
    """A stand-in for ``CreateChatCompletionRequest`` with only the fields ``names`` (as
    the API spells them), of the same types, that a request giving those fields is
    checked against.

    Why: msgspec learns every field type of a Struct at its first conversion, and most of
    the request's fields (tools, audio, prediction, ...) reach types that a call which
    does not set them never needs: a program's first create spent more than a third of
    its time learning them.  A call sets only a few fields, and a program few different
    sets, so a stand-in is made once for each set.  Errors read as before: the paths
    (``messages[2].role``) and the messages are msgspec's for the same types.
    """
    request = CreateChatCompletionRequest
    # The classes' own annotations, not msgspec.structs.fields(), which would resolve all
    # the types; the request inherits some of its fields (allOf in the spec).
    types: dict[str, Any] = {}
    for cls in reversed(request.__mro__):
        types.update(inspect.get_annotations(cls))
    attributes = dict(zip(request.__struct_encode_fields__, request.__struct_fields__, strict=True))
    kept = sorted(attributes[name] for name in names)
    return msgspec.defstruct(
        request.__name__,
        [(attribute, types[attribute]) for attribute in kept],
        rename={attribute: name for name, attribute in attributes.items() if attribute in kept},
        module=request.__module__,  # where msgspec resolves the names in the types
    )


def _check_rules(endpoint: Endpoint[Any, Any, Any, Any, Any], body: msgspec.Struct) -> None:
    """Refuse a body that breaks a rule across its fields that the spec states
    (``top_logprobs`` needs ``logprobs``: true), as the server would."""
    if not endpoint.body_rules:
        return
    attributes = dict(zip(type(body).__struct_encode_fields__, type(body).__struct_fields__, strict=True))
    for rule in endpoint.body_rules:
        if rule.broken_by(lambda name: getattr(body, attributes[name], None)):
            raise InvalidRequestError(rule.field, rule.message)


def _callback(name: str, value: object) -> Any:
    if value is not None and not callable(value):
        raise InvalidRequestError(name, f"expected a function, got {type(value).__name__}")
    return value


def prepare_create(
    config: ClientConfig,
    messages: object,
    parameters: object,
    params: Mapping[str, Any],
    *,
    stream: bool = False,
    method: str = "create",
) -> CreateCall:
    """Check everything ``create``, ``try_create`` or (``stream=True``) ``stream`` was
    given, before anything is sent; an error names the parameter and ``method`` (the
    method the caller called: ``conversation`` for the parameters it keeps)."""
    options: dict[str, Any] = {}
    streaming: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    given = typing.cast("dict[object, Any]", {**_mapping("parameters", parameters), **params})
    for name, value in given.items():
        if not isinstance(name, str):  # a mapping may have any keys
            raise unexpected_keyword(name, _API_NAMES, method)
        if name in _NOT_PARAMETERS:
            raise InvalidRequestError(name, _NOT_PARAMETERS[name])
        if name in _OPTION_NAMES:
            options[name] = value
        elif name in _STREAM_NAMES:
            streaming[name] = value
        elif name == "stream" and not stream:
            # The spec's stream is a boolean or null, null (as absent) meaning not streamed.
            stream = value is not None and check_flag("stream", value)
        elif name in _API_NAMES:
            fields[name] = value
        else:
            known = _API_NAMES | _OPTION_NAMES | _STREAM_NAMES | frozenset(() if stream else ("stream",))
            raise unexpected_keyword(name, known | _OWN_KEYWORDS.get(method, frozenset()), method)
    if "model" not in fields:
        raise InvalidRequestError("model", f"{method}() needs a model, such as model='gpt-4o-mini'")
    target = config
    if isinstance(fields["model"], str):  # else the request's check names it
        target, fields["model"] = config.for_model(fields["model"])
    if stream:
        fields["stream"] = True
        if streaming.get("stream_options") is not None:
            fields["stream_options"] = streaming["stream_options"]
    else:
        for name in sorted(streaming):
            if streaming[name] is not None:
                raise InvalidRequestError(name, "only a streamed create (stream=True) takes it")
    parse: type[Any] | None = None
    if fields.get("response_format") is not None and _is_python_type(fields["response_format"]):
        from ._schema import response_format_for  # only calls that ask for a type pay for it

        parse = fields["response_format"]
        fields["response_format"] = response_format_for(parse)
    tools: object = fields.get("tools")
    if isinstance(tools, Sequence) and not isinstance(tools, str | bytes):  # else the check names it
        fields["tools"] = _tool_definitions(typing.cast("Sequence[object]", tools))
    fields["messages"] = message_payloads(messages)
    body = CreateChatCompletionRequest(
        **msgspec.structs.asdict(_convert(fields, _request_of(frozenset(fields))))
    )
    _check_rules(endpoints.create_chat_completion, body)
    # Once checked as the caller gave it: an error names the field the caller set.
    adaptations = adapt(body, target.provider, strict=target.strict_params)
    return CreateCall(
        call=Call(
            endpoints.create_chat_completion,
            typing.cast("RequestOptions", options),
            _interpret(parse),
            body=body,
            config=None if target is config else target,
            adaptations=adaptations,
        ),
        stream=stream,
        on_data=_callback("on_data", streaming.get("on_data")),
        on_terminate=_callback("on_terminate", streaming.get("on_terminate")),
        parse=parse,
    )


def _is_python_type(value: object) -> bool:
    """Whether a ``response_format`` is a type to parse into (a class, or a generic alias
    such as ``list[Weather]``, which the schema then refuses by name) rather than one of
    the API's formats, a dict or a generated Struct sent as it is."""
    return isinstance(value, type) or typing.get_origin(value) is not None


def _tool_definitions(tools: Sequence[object]) -> list[object]:
    """The API's tool objects for ``tools``: functions and ``tool(...)``s described, the
    rest (dicts, generated Structs) left for the request's own check."""
    from ._tools import describable, tool  # only calls that pass tools pay for it

    return [tool(typing.cast("Callable[..., Any]", t)).definition() if describable(t) else t for t in tools]


def _completion(completion: ChatCompletion, response: httpx2.Response) -> ChatCompletionResult[Any]:
    return ChatCompletionResult(completion, response.headers, raw_body=response.content)


def _parsed_completion(
    parse: type[Any],
) -> Callable[[ChatCompletion, httpx2.Response], ChatCompletionResult[Any]]:
    def interpret(completion: ChatCompletion, response: httpx2.Response) -> ChatCompletionResult[Any]:
        return ChatCompletionResult(completion, response.headers, raw_body=response.content, parse=parse)

    return interpret


def _interpret(
    parse: type[Any] | None,
) -> Callable[[ChatCompletion, httpx2.Response], ChatCompletionResult[Any]]:
    return _completion if parse is None else _parsed_completion(parse)


def create_result(response: httpx2.Response, parse: type[Any] | None = None) -> ChatCompletionResult[Any]:
    """What ``create`` returns for its successful answer ``response`` (parsed into ``parse``,
    as with ``response_format=parse``), or the error it raises for it: how the answers of
    a bulk run's journal, or of a Batch API output file, come back as results."""
    return _interpret(parse)(decode(endpoints.create_chat_completion.response, response), response)


Completion = ChatCompletion


def prepare_retrieve(
    completion_id: str, options: RequestOptions
) -> Call[Completion, ChatCompletionResult[Any]]:
    check_path_id("completion_id", completion_id)
    path = endpoints.GetChatCompletionPathParameters(completion_id=completion_id)
    return Call(endpoints.get_chat_completion, options, _completion, path=path)


def prepare_update(
    completion_id: str, metadata: Mapping[str, str] | None, options: RequestOptions
) -> Call[Completion, ChatCompletionResult[Any]]:
    check_path_id("completion_id", completion_id)
    path = endpoints.UpdateChatCompletionPathParameters(completion_id=completion_id)
    given = None if metadata is None else dict(_mapping("metadata", metadata))
    body = _convert({"metadata": given}, UpdateChatCompletionRequest)
    return Call(endpoints.update_chat_completion, options, _completion, path=path, body=body)


def _deleted(deleted: ChatCompletionDeleted, response: httpx2.Response) -> bool:
    return deleted.deleted


def prepare_delete(completion_id: str, options: RequestOptions) -> Call[ChatCompletionDeleted, bool]:
    """Delete answers True when the completion was deleted and False when there was none."""
    check_path_id("completion_id", completion_id)
    path = endpoints.DeleteChatCompletionPathParameters(completion_id=completion_id)
    return Call(endpoints.delete_chat_completion, options, _deleted, path=path, when_not_found=False)


class ChatCompletionsListParameters(ListChatCompletionsQueryParams, RequestOptions, total=False):
    """What ``list`` takes: the query parameters of the operation (generated from the spec)
    and the per-call options."""


class CompletionMessagesListParameters(GetChatCompletionMessagesQueryParams, RequestOptions, total=False):
    """What ``messages.list`` takes: the operation's query parameters and the per-call options."""


def _query_and_options(
    method: str, endpoint: Endpoint[Any, QueryT, Any, Any, Any], params: Mapping[str, Any]
) -> tuple[QueryT, RequestOptions]:
    """The query (checked against the stub's query Struct) and the per-call options in
    ``params``; a name that is neither raises, naming it."""
    fields = frozenset(f.encode_name for f in msgspec.structs.fields(endpoint.query))
    query: dict[str, Any] = {}
    options: dict[str, Any] = {}
    value: object
    for name, value in _mapping("parameters", params).items():
        if name in _OPTION_NAMES:
            options[name] = value
        elif name in fields:
            if value is not None:
                # A mapping (metadata) is copied: the caller's object is not kept.
                query[name] = (
                    dict(typing.cast("Mapping[str, object]", value)) if isinstance(value, Mapping) else value
                )
        else:
            raise unexpected_keyword(name, fields | _OPTION_NAMES, method)
    return _convert(query, endpoint.query), typing.cast("RequestOptions", options)


def prepare_list(
    params: Mapping[str, Any], *, after: str | None
) -> Call[ChatCompletionList, PageData[ChatCompletionResult]]:
    """One page of ``list``: its keywords, and where the page starts."""
    endpoint = endpoints.list_chat_completions
    if after is not None:
        check_id("after", after)
    query, options = _query_and_options("list", endpoint, {**params, "after": after})
    return Call(endpoint, options, _page, query=query)


def prepare_messages_list(
    completion_id: str, params: Mapping[str, Any], *, after: str | None
) -> Call[ChatCompletionMessageList, PageData[StoredMessage]]:
    """One page of ``messages.list``."""
    endpoint = endpoints.get_chat_completion_messages
    check_path_id("completion_id", completion_id)
    path = endpoints.GetChatCompletionMessagesPathParameters(completion_id=completion_id)
    if after is not None:
        check_id("after", after)
    query, options = _query_and_options("messages.list", endpoint, {**params, "after": after})
    return Call(endpoint, options, _page, path=path, query=query)


@typing.overload
def _page(listed: ChatCompletionList, response: httpx2.Response) -> PageData[ChatCompletionResult]: ...
@typing.overload
def _page(listed: ChatCompletionMessageList, response: httpx2.Response) -> PageData[StoredMessage]: ...
def _page(listed: ChatCompletionList | ChatCompletionMessageList, response: httpx2.Response) -> PageData[Any]:
    if isinstance(listed, ChatCompletionList):
        # A listed completion is what retrieve() gives for it: one completion, one shape.
        _share_strings(listed.data)
        return PageData(
            listed_results(listed.data, response), listed.has_more, listed.first_id, listed.last_id
        )
    return PageData(listed.data, listed.has_more, listed.first_id, listed.last_id)


def _share_strings(completions: list[Completion]) -> None:
    """Have the completions of a page share the strings they all repeat.

    Each string decoded is an object of its own, and every stored completion repeats the
    same few (``"chat.completion"``, its model, ``"assistant"``, ``"stop"``...): a quarter
    of the memory a listed completion takes, and a list is often kept whole."""
    shared: dict[object, Any] = {}

    def share(text: TextT) -> TextT:
        kept: TextT = shared.setdefault(text, text)
        return kept

    for completion in completions:
        completion.object = share(completion.object)
        completion.model = share(completion.model)
        completion.service_tier = share(completion.service_tier)
        completion.system_fingerprint = share(completion.system_fingerprint)
        for choice in completion.choices:
            choice.finish_reason = share(choice.finish_reason)
            choice.message.role = share(choice.message.role)
