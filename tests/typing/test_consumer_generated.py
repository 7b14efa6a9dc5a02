"""Consumer-style code against the generated types: mypy --strict and pyright strict
must accept it as it is (nox -s typecheck).  It also runs, as a test."""

from __future__ import annotations

from typing import assert_type

from completionkit import (
    ChatCompletion,
    CreateChatCompletionRequest,
    decode_json,
    encode_json,
)
from completionkit._generated.endpoints import create_chat_completion, list_chat_completions
from completionkit._generated.models import (
    ChatCompletionMessage,
    ChatCompletionSystemMessage,
    ChatCompletionUserMessage,
)

RESPONSE = (
    b'{"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": '
    b'[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi"}}]}'
)


def test_consumer_code_type_checks_and_runs() -> None:
    request = CreateChatCompletionRequest(
        model="gpt-4o",
        messages=[
            ChatCompletionSystemMessage(content="Be brief."),
            ChatCompletionUserMessage(content="Hello"),
        ],
        temperature=0.2,
    )
    assert_type(encode_json(request), bytes)
    completion = decode_json(RESPONSE, create_chat_completion.response)
    assert_type(completion, ChatCompletion)
    message = completion.choices[0].message
    assert_type(message, ChatCompletionMessage)
    assert message.content == "Hi"
    assert list_chat_completions.method == "GET"
