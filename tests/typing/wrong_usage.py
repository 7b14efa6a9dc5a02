"""Wrong uses of the client: mypy --strict and pyright strict must reject each line
marked with an error comment, and nothing else (checked by test_wrong_usage.py; never run)."""

from __future__ import annotations

import httpx2
import msgspec

from completionkit import AsyncOpenAI, ChatCompletionsParameters, Message, MessageLike, OpenAI, tool


class Weather(msgspec.Struct):
    temperature: float


def untyped(city) -> None:  # error: a tool is described from its annotations: every parameter needs one
    pass


def wrong(client: OpenAI) -> None:
    messages: list[MessageLike] = [Message.user("Hi")]
    completions = client.chat.completions
    completions.create(messages, model="m", temprature=0.5)  # error: misspelt keyword
    completions.create(messages, model="m", temperature="hot")  # error: wrong type
    completions.create(messages, model="m", max_tokens="10")  # error: wrong type
    completions.create(messages, model="m", max_retries="3")  # error: wrong option type
    completions.create(messages, model="m", reasoning_effort="extreme")  # error: not a reasoning effort
    completions.create(messages, model="m", throw=False)  # error: create raises; try_create returns errors
    completions.create([{"role": "wizard", "content": "x"}], model="m")  # error: unknown role
    completions.create([{"role": "user", "contnet": "x"}], model="m")  # error: misspelt message key
    completions.create([{"role": "tool", "content": "x"}], model="m")  # error: tool_call_id is required
    completions.create([{"role": "user", "content": 5}], model="m")  # error: content is text or parts
    completions.create(messages, model="m", tools=[{"type": "function"}])  # error: function is required
    misspelt = {"type": "function", "function": {"nam": "f"}}
    completions.create(messages, model="m", tools=[misspelt])  # error: not a tool (a misspelt key)
    completions.create(messages, model="m", response_format={"type": "json_objekt"})  # error: no such format
    completions.create(messages, model="m", tool_choice={"type": "function"})  # error: function is required
    ChatCompletionsParameters(model="m", temprature=1)  # error: misspelt key
    Message("wizard", "Hi")  # error: wrong role literal
    Message.user(42)  # error: wrong content type
    result = completions.create(messages, model="m")
    text: str = result.choice.text  # error: the text may be None (a tool call)
    result.choices.text  # error: a list has no text
    outcome = completions.try_create(messages, model="m")
    outcome.choice.text  # error: try_create's choice may be None
    for _chunk in completions.create(messages, model="m", stream=True):  # error: a result, not a stream
        pass
    count: str = completions.delete("id")  # error: delete returns a bool
    completions.retrieve("id").completion.metadata = 5  # error: metadata is a map of strings
    completions.update("id", {"k": 1})  # error: metadata values are strings
    completions.list(order="sideways")  # error: order is asc or desc
    completions.messages.list("id", limit="ten")  # error: limit is an int
    streamed: str = completions.stream(messages, model="m").final()  # error: a result, not a str
    completions.stream(messages, model="m", stream=True)  # error: stream() streams, it takes no stream=
    parsed = completions.create(messages, model="m", response_format=Weather).choice.parsed
    parsed.temperature  # error: parsed is None for a refusal
    label: str = completions.create([], model="m", response_format=Weather).choice.parsed  # error: a Weather
    completions.create(messages, model="m", response_format=Weather(20.0))  # error: the type, not an instance
    completions.run_tools(messages, model="m", tools=[tool(untyped)], max_rounds="3")  # error: an int
    client.chat.conversation(model="m", max_messages="10")  # error: max_messages is an int
    # The messages by keyword, as openai users write them: the keywords are checked all the same.
    completions.create(messages=messages, model="m", temprature=0.5)  # error: misspelt keyword
    completions.create(model="m", messages=messages, temperature="hot")  # error: wrong type
    completions.create(model="m", messages=[{"role": "wizard", "content": "x"}])  # error: unknown role
    completions.create(model="m")  # error: no messages
    completions.create(messages, messages=messages, model="m")  # error: the messages twice
    completions.try_create(messages=messages, modle="m")  # error: misspelt keyword
    completions.stream(messages=messages, model="m", stream=True)  # error: stream() takes no stream=
    completions.run_tools(messages=messages, model="m", tools=[tool(untyped)], max_round=3)  # error: misspelt
    client.chat.conversation(system=5, model="m")  # error: the system message is a str
    client.chat.conversation(model="m", systen="Be brief.")  # error: misspelt keyword
    client.with_options(max_retries="3")  # error: an int
    client.with_options(timout=3)  # error: misspelt keyword
    client.with_options(http_client=httpx2.AsyncClient())  # error: OpenAI takes an httpx2.Client
    print(text, streamed, count, label)


async def wrong_async(client: AsyncOpenAI) -> None:
    with client.chat.completions.stream([Message.user("Hi")], model="m"):  # error: async with, not with
        pass
    client.with_options(http_client=httpx2.Client())  # error: AsyncOpenAI takes an httpx2.AsyncClient
