# generated from spec/openapi.yaml by nox -s generate — do not edit
"""Endpoint descriptions of the chat-completions operations: what goes on the wire, no I/O."""

from __future__ import annotations

from typing import Any, Literal

from msgspec import UNSET, Struct, UnsetType

from ._endpoint import BodyRule, Endpoint, NoParameters, QueryParameter
from .models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionDeleted,
    ChatCompletionList,
    ChatCompletionMessageList,
    CreateChatCompletionRequest,
    ErrorResponse,
    Metadata,
    UpdateChatCompletionRequest,
)

__all__ = [
    "BodyRule",
    "DeleteChatCompletionPathParameters",
    "ENDPOINTS",
    "Endpoint",
    "GetChatCompletionMessagesPathParameters",
    "GetChatCompletionMessagesQuery",
    "GetChatCompletionPathParameters",
    "ListChatCompletionsQuery",
    "NoParameters",
    "QueryParameter",
    "UpdateChatCompletionPathParameters",
    "create_chat_completion",
    "delete_chat_completion",
    "get_chat_completion",
    "get_chat_completion_messages",
    "list_chat_completions",
    "update_chat_completion",
]


class ListChatCompletionsQuery(Struct, kw_only=True, frozen=True):
    """Query parameters of ``listChatCompletions``."""

    model: str | UnsetType = UNSET
    """The model used to generate the Chat Completions."""
    metadata: Metadata | UnsetType = UNSET
    """A list of metadata keys to filter the Chat Completions by. Example: `metadata[key1]=value1&metadata[key2]=value2`"""
    after: str | UnsetType = UNSET
    """Identifier for the last chat completion from the previous pagination request."""
    limit: int | UnsetType = UNSET
    """Number of Chat Completions to retrieve."""
    order: Literal["asc", "desc"] | UnsetType = UNSET
    """Sort order for Chat Completions by timestamp. Use `asc` for ascending order or `desc` for descending order. Defaults to `asc`."""


class GetChatCompletionPathParameters(Struct, kw_only=True, frozen=True):
    """Path parameters of ``getChatCompletion``."""

    completion_id: str
    """The ID of the chat completion to retrieve."""


class UpdateChatCompletionPathParameters(Struct, kw_only=True, frozen=True):
    """Path parameters of ``updateChatCompletion``."""

    completion_id: str
    """The ID of the chat completion to update."""


class DeleteChatCompletionPathParameters(Struct, kw_only=True, frozen=True):
    """Path parameters of ``deleteChatCompletion``."""

    completion_id: str
    """The ID of the chat completion to delete."""


class GetChatCompletionMessagesPathParameters(Struct, kw_only=True, frozen=True):
    """Path parameters of ``getChatCompletionMessages``."""

    completion_id: str
    """The ID of the chat completion to retrieve messages from."""


class GetChatCompletionMessagesQuery(Struct, kw_only=True, frozen=True):
    """Query parameters of ``getChatCompletionMessages``."""

    after: str | UnsetType = UNSET
    """Identifier for the last message from the previous pagination request."""
    limit: int | UnsetType = UNSET
    """Number of messages to retrieve."""
    order: Literal["asc", "desc"] | UnsetType = UNSET
    """Sort order for messages by timestamp. Use `asc` for ascending order or `desc` for descending order. Defaults to `asc`."""


create_chat_completion: Endpoint[
    NoParameters, NoParameters, CreateChatCompletionRequest, ChatCompletion, ChatCompletionChunk
] = Endpoint(
    operation_id="createChatCompletion",
    method="POST",
    path="/chat/completions",
    path_parameters=NoParameters,
    query=NoParameters,
    query_parameters=(),
    body=CreateChatCompletionRequest,
    response=ChatCompletion,
    stream_chunk=ChatCompletionChunk,
    error=ErrorResponse,
    body_rules=(
        BodyRule("top_logprobs", "logprobs", True),
        BodyRule("stream_options", "stream", True),
    ),
)
"""**Starting a new project?** We recommend trying [Responses](/docs/api-reference/responses) to take advantage of the latest OpenAI platform features. Compare [Chat Completions with Responses](/docs/guides/responses-vs-chat-completions?api-mode=responses). --- Creates a model response for the given chat conversation. Learn more in the [text generation](/docs/guides/text-generation), [vision](/docs/guides/vision), and [audio](/docs/guides/audio) guides. Parameter support can differ depending on the model used to generate the response, particularly for newer reasoning models. Parameters that are only supported for reasoning models are noted below. For the current state of unsupported parameters in reasoning models, [refer to the reasoning guide](/docs/guides/reasoning). Returns a chat completion object, or a streamed sequence of chat completion chunk objects if the request is streamed."""


list_chat_completions: Endpoint[NoParameters, ListChatCompletionsQuery, None, ChatCompletionList, None] = (
    Endpoint(
        operation_id="listChatCompletions",
        method="GET",
        path="/chat/completions",
        path_parameters=NoParameters,
        query=ListChatCompletionsQuery,
        query_parameters=(
            QueryParameter("model", "form", True),
            QueryParameter("metadata", "deepObject", True),
            QueryParameter("after", "form", True),
            QueryParameter("limit", "form", True),
            QueryParameter("order", "form", True),
        ),
        body=None,
        response=ChatCompletionList,
        stream_chunk=None,
        error=ErrorResponse,
    )
)
"""List stored Chat Completions. Only Chat Completions that have been stored with the `store` parameter set to `true` will be returned."""


get_chat_completion: Endpoint[GetChatCompletionPathParameters, NoParameters, None, ChatCompletion, None] = (
    Endpoint(
        operation_id="getChatCompletion",
        method="GET",
        path="/chat/completions/{completion_id}",
        path_parameters=GetChatCompletionPathParameters,
        query=NoParameters,
        query_parameters=(),
        body=None,
        response=ChatCompletion,
        stream_chunk=None,
        error=ErrorResponse,
    )
)
"""Get a stored chat completion. Only Chat Completions that have been created with the `store` parameter set to `true` will be returned."""


update_chat_completion: Endpoint[
    UpdateChatCompletionPathParameters, NoParameters, UpdateChatCompletionRequest, ChatCompletion, None
] = Endpoint(
    operation_id="updateChatCompletion",
    method="POST",
    path="/chat/completions/{completion_id}",
    path_parameters=UpdateChatCompletionPathParameters,
    query=NoParameters,
    query_parameters=(),
    body=UpdateChatCompletionRequest,
    response=ChatCompletion,
    stream_chunk=None,
    error=ErrorResponse,
)
"""Modify a stored chat completion. Only Chat Completions that have been created with the `store` parameter set to `true` can be modified. Currently, the only supported modification is to update the `metadata` field."""


delete_chat_completion: Endpoint[
    DeleteChatCompletionPathParameters, NoParameters, None, ChatCompletionDeleted, None
] = Endpoint(
    operation_id="deleteChatCompletion",
    method="DELETE",
    path="/chat/completions/{completion_id}",
    path_parameters=DeleteChatCompletionPathParameters,
    query=NoParameters,
    query_parameters=(),
    body=None,
    response=ChatCompletionDeleted,
    stream_chunk=None,
    error=ErrorResponse,
)
"""Delete a stored chat completion. Only Chat Completions that have been created with the `store` parameter set to `true` can be deleted."""


get_chat_completion_messages: Endpoint[
    GetChatCompletionMessagesPathParameters,
    GetChatCompletionMessagesQuery,
    None,
    ChatCompletionMessageList,
    None,
] = Endpoint(
    operation_id="getChatCompletionMessages",
    method="GET",
    path="/chat/completions/{completion_id}/messages",
    path_parameters=GetChatCompletionMessagesPathParameters,
    query=GetChatCompletionMessagesQuery,
    query_parameters=(
        QueryParameter("after", "form", True),
        QueryParameter("limit", "form", True),
        QueryParameter("order", "form", True),
    ),
    body=None,
    response=ChatCompletionMessageList,
    stream_chunk=None,
    error=ErrorResponse,
)
"""Get the messages in a stored chat completion. Only Chat Completions that have been created with the `store` parameter set to `true` will be returned."""


ENDPOINTS: tuple[Endpoint[Any, Any, Any, Any, Any], ...] = (
    create_chat_completion,
    list_chat_completions,
    get_chat_completion,
    update_chat_completion,
    delete_chat_completion,
    get_chat_completion_messages,
)
"""Every operation of the spec, in the order the spec cut lists them."""
