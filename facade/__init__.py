"""completionkit: a typed, fast client for the OpenAI Chat Completions API.

from completionkit import OpenAI, Message

with OpenAI() as client:
    result = client.chat.completions.create([Message.user("Hello!")], model="gpt-4o-mini")
    print(result.choice.text if result.choice else result.errors)
"""

from ._client import ChatCompletionsParameters, CreateOptions, OpenAI, StoredMessage
from ._core import RequestOptions
from ._decoding import decode_json, encode_json
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    MissingAPIKeyError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._generated.models import (
    ChatCompletionDeleted,
    ChatCompletionList,
    ChatCompletionMessageList,
    ChatCompletionResponseMessage,
    CompletionUsage,
    CreateChatCompletionRequest,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
)
from ._generated.params import RequestMessageRole
from ._messages import ImageDetail, Message, MessageLike
from ._results import ChatCompletionResult, Choice, Page, RateLimit
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletionDeleted",
    "ChatCompletionList",
    "ChatCompletionMessageList",
    "ChatCompletionResponseMessage",
    "ChatCompletionResult",
    "ChatCompletionsParameters",
    "Choice",
    "CompletionUsage",
    "ConflictError",
    "CreateChatCompletionRequest",
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "CreateOptions",
    "ImageDetail",
    "InternalServerError",
    "InvalidRequestError",
    "Message",
    "MessageLike",
    "MissingAPIKeyError",
    "NotFoundError",
    "OpenAI",
    "OpenAIError",
    "Page",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RequestMessageRole",
    "RequestOptions",
    "StoredMessage",
    "UnprocessableEntityError",
    "__version__",
    "decode_json",
    "encode_json",
]
