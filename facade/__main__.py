"""``python -m completionkit demo``: a conversation with the embedded local server, step by step."""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any, Literal

import msgspec

from ._client import OpenAI
from ._generated.models import ChatCompletionMessageToolCall
from ._messages import Message, MessageLike

__all__ = ["demo", "main"]


def _step(number: int, title: str, *lines: str) -> None:
    print(f"\n{number}. {title}")
    for line in lines:
        print(textwrap.indent(line, "   "))


def demo() -> None:
    """Create, continue, retrieve, update, list, read the messages, delete and stream, then a
    structured output and a tool loop, on a local server."""
    try:
        from .testing import LocalServer, Reply
    except ImportError:
        sys.exit("The demo runs the embedded server, which needs: pip install 'completionkit[testing]'")

    with LocalServer() as server, OpenAI(api_key="sk-local-demo", base_url=server.url) as client:
        print(
            f"completionkit demo: a local OpenAI-compatible server at {server.url} (no API key, no network)"
        )
        completions = client.chat.completions
        greeting, question = "Hello, how are you?", "What is the capital of France?"
        messages: list[MessageLike] = [
            Message.system("You are a helpful assistant."),
            {"role": "user", "content": greeting},
        ]
        server.queue(
            Reply.text("I'm well, thank you! How can I help?"), Reply.text("Paris is the capital of France.")
        )

        first = completions.create(messages, model="gpt-4o-mini", store=True, metadata={"topic": "greeting"})
        tokens = first.usage.total_tokens if first.usage else "?"
        _step(
            1,
            "create",
            f"user:      {greeting}",
            f"assistant: {first.choice.text}",
            f"id={first.id}  tokens={tokens}  request_id={first.request_id}",
        )

        messages.append(first.choice.message)
        messages.append(Message.user(question))
        second = completions.create(
            messages, model="gpt-4o-mini", store=True, metadata={"topic": "geography"}
        )
        _step(
            2,
            "append the reply, create again",
            f"user:      {question}",
            f"assistant: {second.choice.text}",
            f"the conversation now has {len(messages)} messages",
        )

        stored = completions.retrieve(first.id)
        _step(3, "retrieve", f"{stored.id}: model={stored.model} metadata={stored.metadata}")

        updated = completions.update(first.id, {"topic": "greeting", "reviewed": "yes"})
        _step(4, "update metadata", f"{updated.id}: metadata={updated.metadata}")

        found = [c.id for c in completions.list(metadata={"reviewed": "yes"})]
        _step(5, "list filtered by metadata[reviewed]=yes", *(f"- {i}" for i in found))

        page = completions.messages.list(second.id)
        _step(6, "messages of the second completion", *(f"- {m.role}: {m.content}" for m in page))

        _step(7, "delete", f"delete({first.id}) -> {completions.delete(first.id)}")
        _step(8, "delete again", f"delete({first.id}) -> {completions.delete(first.id)}")

        messages.append(Message.user("Stream this answer, please."))
        with completions.stream(messages, model="gpt-4o-mini") as stream:
            pieces = list(stream.text_deltas())
        _step(
            9, "stream", f"{len(pieces)} pieces: {'|'.join(pieces)}", f"final: {stream.final().choice.text}"
        )

        report = completions.create(
            [Message.user("What is the weather in Paris?")], model="gpt-4o-mini", response_format=Weather
        )
        _step(
            10,
            "structured output: response_format=Weather (a msgspec Struct)",
            f"sent: {_format_sent(server.last_request.body)}",
            f"parsed: {report.choice.parsed!r}",
        )

        run = completions.run_tools(
            [Message.user("What is the weather in Paris? Use get_weather.")],
            model="gpt-4o-mini",
            tools=[get_weather],
        )
        _step(
            11,
            "tools: run_tools(..., tools=[get_weather])",
            *(f"{_said(m)}" for m in run.messages),
            f"{run.rounds} requests",
        )
        print("\nDone.")


class Weather(msgspec.Struct):
    """The weather in a city."""

    city: str
    temperature: float
    conditions: Literal["sunny", "cloudy", "rainy"]


def get_weather(city: str) -> Weather:
    """The current weather in a city.

    Args:
        city: The city's name.
    """
    return Weather(city=city, temperature=21.5, conditions="sunny")


def _format_sent(body: Any) -> str:
    """What the request (the server's record of it: JSON) said of the answer's format."""
    schema = body["response_format"]["json_schema"]
    return f"json_schema {schema['name']!r}, strict={schema['strict']}"


def _said(message: MessageLike) -> str:
    """One line of a conversation, for the demo's output."""
    if not isinstance(message, Message):
        return str(message)
    if message.tool_calls:
        calls = ", ".join(
            f"{c.function.name}({c.function.arguments})"
            if isinstance(c, ChatCompletionMessageToolCall)
            else repr(c)  # a custom tool's call, or one of a kind the demo does not know
            for c in message.tool_calls
        )
        return f"{message.role}: calls {calls}"
    return f"{message.role}: {message.text}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m completionkit")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="walk a conversation through every method against the embedded server")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo()


if __name__ == "__main__":
    main()
