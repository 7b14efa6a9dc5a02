"""Wrong uses of the client: mypy --strict and pyright strict must reject each line
marked with an error comment, and nothing else (checked by test_wrong_usage.py; never run)."""

from __future__ import annotations

from completionkit import ChatCompletionsParameters, Message, OpenAI


def wrong(client: OpenAI) -> None:
    messages = [Message.user("Hi")]
    completions = client.chat.completions
    completions.create(messages, model="m", temprature=0.5)  # error: misspelt keyword
    completions.create(messages, model="m", temperature="hot")  # error: wrong type
    completions.create(messages, model="m", max_retries="3")  # error: wrong option type
    completions.create(messages, model="m", reasoning_effort="extreme")  # error: not a reasoning effort
    ChatCompletionsParameters(model="m", temprature=1)  # error: misspelt key
    Message("wizard", "Hi")  # error: wrong role literal
    Message.user(42)  # error: wrong content type
    result = completions.create(messages, model="m")
    text: str = result.choice.text  # error: the choice and its text may be None
    result.choices.text  # error: a list has no text
    count: str = completions.delete("id")  # error: delete returns a bool
    completions.retrieve("id").metadata = 5  # error: metadata is a map of strings
    completions.update("id", {"k": 1})  # error: metadata values are strings
    completions.list(order="sideways")  # error: order is asc or desc
    completions.messages.list("id", limit="ten")  # error: limit is an int
    streamed: str = completions.create(messages, model="m", stream=True).final()  # error: a result, not a str
    completions.create(messages, model="m", on_data=print)  # error: callbacks need stream=True
    print(text, streamed)
