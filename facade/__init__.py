"""completionkit: a typed, fast client for the OpenAI Chat Completions API."""

from ._decoding import decode_json, encode_json
from ._generated.models import (
    ChatCompletionDeleted,
    ChatCompletionList,
    ChatCompletionMessageList,
    CreateChatCompletionRequest,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
)
from ._version import __version__

__all__ = [
    "ChatCompletionDeleted",
    "ChatCompletionList",
    "ChatCompletionMessageList",
    "CreateChatCompletionRequest",
    "CreateChatCompletionResponse",
    "CreateChatCompletionStreamResponse",
    "__version__",
    "decode_json",
    "encode_json",
]
