"""Message: the 4D OpenAIMessage, in Python."""

from __future__ import annotations

from typing import Any

import pytest

from completionkit import InvalidRequestError, Message
from completionkit._config import ClientConfig
from completionkit._generated.models import ChatCompletionUserMessage
from completionkit._operations import prepare_create

CONFIG = ClientConfig.from_arguments(
    api_key="k",
    base_url=None,
    organization=None,
    project=None,
    timeout=None,
    max_retries=0,
    default_headers=None,
    environ={},
)


def request_messages(messages: Any) -> list[Any]:
    """The messages of the request create() would send (raising as create() does)."""
    body = prepare_create(CONFIG, messages, None, {"model": "m"}).call.body
    assert body is not None
    return list(body.messages)  # type: ignore[attr-defined]


def test_one_constructor_per_role() -> None:
    assert Message.system("s").to_dict() == {"role": "system", "content": "s"}
    assert Message.developer("d", name="n").to_dict() == {"role": "developer", "content": "d", "name": "n"}
    assert Message.user("u").to_dict() == {"role": "user", "content": "u"}
    assert Message.assistant("a").to_dict() == {"role": "assistant", "content": "a"}
    assert Message.tool("r", tool_call_id="c1").to_dict() == {
        "role": "tool",
        "content": "r",
        "tool_call_id": "c1",
    }
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert Message.assistant(tool_calls=calls).to_dict() == {"role": "assistant", "tool_calls": calls}


def test_text_reads_and_writes_the_text_part() -> None:
    message = Message.user("hello")
    assert message.text == "hello"
    message.text = "bye"
    assert message.content == "bye"
    message.add_image_url("https://example.com/cat.png", detail="low")
    assert message.text == "bye"
    message.text = "what is this?"
    assert message.content == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
    ]


def test_add_image_url_and_file_id_make_parts() -> None:
    message = Message.user("look").add_image_url("data:image/png;base64,AAAA").add_file_id("file-123")
    assert message.content == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "auto"}},
        {"type": "file", "file": {"file_id": "file-123"}},
    ]
    assert Message.user("").add_file_id("f").content == [{"type": "file", "file": {"file_id": "f"}}]
    assert Message.user([]).text is None


def test_messages_compare_by_content() -> None:
    assert Message.user("a") == Message.user("a")
    assert Message.user("a") != Message.system("a")
    assert "Message('user'" in repr(Message.user("a"))


def test_to_dict_is_a_copy() -> None:
    message = Message.user("x").add_file_id("f")
    copied = message.to_dict()
    copied["content"].append("mutated")
    assert len(message.content or []) == 2


@pytest.mark.parametrize(
    "message",
    [Message.user("hi"), {"role": "user", "content": "hi"}, ChatCompletionUserMessage(content="hi")],
    ids=["Message", "dict", "Struct"],
)
def test_three_ways_to_write_a_message(message: Any) -> None:
    (converted,) = request_messages([message])
    assert converted == ChatCompletionUserMessage(content="hi")


def test_an_unknown_role_names_its_index() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        request_messages([Message.user("ok"), Message("wizard", "x")])  # type: ignore[arg-type]
    assert raised.value.param == "messages[1].role"
    assert raised.value.message.startswith("messages[1].role: ")


def test_a_wrong_part_names_its_path() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        request_messages([{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}])
    assert raised.value.param == "messages[0].content[0].image_url.url"
