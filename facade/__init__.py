"""completionkit: a typed, fast client for the OpenAI Chat Completions API.

from completionkit import OpenAI, Message

with OpenAI() as client:
    result = client.chat.completions.create([Message.user("Hello!")], model="gpt-4o-mini")
    print(result.choice.text)

Every model and request TypedDict is in ``completionkit.types``.
"""

from typing import TYPE_CHECKING, Any

from ._client import Conversation, OpenAI
from ._config import ClientOptions, RequestOptions
from ._decoding import decode_json, encode_json
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APIStreamIncompleteError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BulkStoppedError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    MissingAPIKeyError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    ProvidersFileError,
    RateLimitError,
    StructuredOutputError,
    ToolLoopError,
    UnprocessableEntityError,
)
from ._generated.models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionDeleted,
    ChatCompletionList,
    ChatCompletionMessage,
    ChatCompletionMessageList,
    CompletionUsage,
    CreateChatCompletionRequest,
)
from ._generated.params import ChatCompletionRole
from ._messages import ImageDetail, Message, MessageLike
from ._operations import (
    ChatCompletionsParameters,
    ChatCompletionStreamParameters,
    OnData,
    OnTerminate,
    StoredMessage,
)
from ._providers import Provider, ProviderProfile
from ._results import (
    AsyncPage,
    AsyncPages,
    ChatCompletionOutcome,
    ChatCompletionResult,
    Choice,
    Page,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncConversation, AsyncOpenAI
    from ._hooks import OnRequest, OnResponse, OnRetry, RequestEvent, ResponseEvent, RetryEvent
    from ._probe import ProbeCheck, ProbeReport, probe
    from ._provider_file import Providers
    from ._rate_limit import RateLimit
    from ._streaming import AsyncChatCompletionStream, AsyncChatCompletionStreamManager, ChatCompletionStream
    from ._tool_loop import OnToolCall, ToolCallRequest, ToolRun
    from ._tools import Tool, tool

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APIStreamIncompleteError",
    "APITimeoutError",
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "AsyncConversation",
    "AsyncOpenAI",
    "AsyncPage",
    "AsyncPages",
    "AuthenticationError",
    "BadRequestError",
    "BulkStoppedError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionDeleted",
    "ChatCompletionList",
    "ChatCompletionMessage",
    "ChatCompletionMessageList",
    "ChatCompletionOutcome",
    "ChatCompletionResult",
    "ChatCompletionRole",
    "ChatCompletionStream",
    "ChatCompletionStreamParameters",
    "ChatCompletionsParameters",
    "Choice",
    "ClientOptions",
    "CompletionUsage",
    "ConflictError",
    "Conversation",
    "CreateChatCompletionRequest",
    "ImageDetail",
    "InternalServerError",
    "InvalidRequestError",
    "Message",
    "MessageLike",
    "MissingAPIKeyError",
    "NotFoundError",
    "OnData",
    "OnRequest",
    "OnResponse",
    "OnRetry",
    "OnTerminate",
    "OnToolCall",
    "OpenAI",
    "OpenAIError",
    "Page",
    "PermissionDeniedError",
    "ProbeCheck",
    "ProbeReport",
    "Provider",
    "ProviderProfile",
    "Providers",
    "ProvidersFileError",
    "RateLimit",
    "RateLimitError",
    "RequestEvent",
    "RequestOptions",
    "ResponseEvent",
    "RetryEvent",
    "StoredMessage",
    "StructuredOutputError",
    "Tool",
    "ToolCallRequest",
    "ToolLoopError",
    "ToolRun",
    "UnprocessableEntityError",
    "__version__",
    "decode_json",
    "encode_json",
    "probe",
    "tool",
]


# Streaming, asyncio, the rate limits, tools and hooks load on first use: a cold start
# that needs none of them skips them.
_LAZY = {
    "OnRequest": "._hooks",
    "OnResponse": "._hooks",
    "OnRetry": "._hooks",
    "RequestEvent": "._hooks",
    "ResponseEvent": "._hooks",
    "RetryEvent": "._hooks",
    "AsyncChatCompletionStream": "._streaming",
    "AsyncChatCompletionStreamManager": "._streaming",
    "AsyncConversation": "._async_client",
    "AsyncOpenAI": "._async_client",
    "OnToolCall": "._tool_loop",
    "Tool": "._tools",
    "ToolCallRequest": "._tool_loop",
    "ToolRun": "._tool_loop",
    "ChatCompletionStream": "._streaming",
    "ProbeCheck": "._probe",
    "ProbeReport": "._probe",
    "Providers": "._provider_file",
    "RateLimit": "._rate_limit",
    "probe": "._probe",
    "tool": "._tools",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
