"""The calls as openai users write them: the messages by keyword, in any order, beside the
positional and 4D forms, for create, try_create, stream and run_tools, through both
clients; a conversation's system message by keyword; and errors that name the method
that was called."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from completionkit import AsyncOpenAI, InvalidRequestError, OpenAI
from completionkit.testing import LocalServer

from .conftest import USER

TOOL_USER = [{"role": "user", "content": "Use get_weather for Paris."}]


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


# Each way of passing the messages and the model, as a function of (method, messages).
FORMS: dict[str, Callable[[Any, Any], Any]] = {
    "positional": lambda method, messages: method(messages, model="m"),
    "keyword": lambda method, messages: method(messages=messages, model="m"),
    "keyword, model first": lambda method, messages: method(model="m", messages=messages),
    "4D's mapping": lambda method, messages: method(messages, {"model": "m"}),
}


def _text(result: Any) -> str | None:
    """The answer's text, from what create, try_create or run_tools returned."""
    result = getattr(result, "result", result)  # an outcome's or a tool run's result
    return result.choice.text  # type: ignore[no-any-return]


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("method", ["create", "try_create"])
def test_create_and_try_create_take_the_messages_either_way(
    server: LocalServer, client: OpenAI, form: str, method: str
) -> None:
    result = FORMS[form](getattr(client.chat.completions, method), USER)
    assert _text(result) == "Hello there"
    assert server.last_request.body["messages"] == USER
    assert server.last_request.body["model"] == "m"


@pytest.mark.parametrize("form", sorted(FORMS))
def test_stream_takes_the_messages_either_way(server: LocalServer, client: OpenAI, form: str) -> None:
    with FORMS[form](client.chat.completions.stream, USER) as stream:
        assert stream.final().choice.text == "Hello there"
    assert server.last_request.body["messages"] == USER
    assert server.last_request.body["stream"] is True


@pytest.mark.parametrize("form", sorted(FORMS))
def test_run_tools_takes_the_messages_either_way(server: LocalServer, client: OpenAI, form: str) -> None:
    def run_tools(*args: Any, **kwargs: Any) -> Any:
        return client.chat.completions.run_tools(*args, **kwargs, tools=[get_weather])

    run = FORMS[form](run_tools, TOOL_USER)
    assert run.rounds == 2
    assert run.messages[0] == TOOL_USER[0]
    assert server.requests[0].body["messages"] == TOOL_USER
    assert server.last_request.body["messages"][-1]["content"].startswith("sunny in ")


@pytest.mark.parametrize("form", sorted(FORMS))
def test_the_async_client_takes_the_messages_either_way(server: LocalServer, form: str) -> None:
    async def run() -> list[str | None]:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            completions = client.chat.completions
            texts = [_text(await FORMS[form](completions.create, USER))]
            texts.append(_text(await FORMS[form](completions.try_create, USER)))
            async with FORMS[form](completions.stream, USER) as stream:
                texts.append((await stream.final()).choice.text)

            def run_tools(*args: Any, **kwargs: Any) -> Any:
                return completions.run_tools(*args, **kwargs, tools=[get_weather])

            texts.append(_text(await FORMS[form](run_tools, TOOL_USER)))
            return texts

    texts = asyncio.run(run())
    assert texts[:3] == ["Hello there"] * 3
    assert "sunny in " in str(texts[3])
    assert [r.body["messages"][0] for r in server.requests] == [USER[0]] * 3 + [TOOL_USER[0]] * 2


@pytest.mark.parametrize("method", ["create", "try_create", "stream", "run_tools"])
def test_no_messages_at_all_is_a_type_error_naming_them(
    server: LocalServer, client: OpenAI, method: str
) -> None:
    with pytest.raises(TypeError) as raised:
        getattr(client.chat.completions, method)(model="m")
    assert "'messages'" in str(raised.value)
    with pytest.raises(TypeError) as twice:
        getattr(client.chat.completions, method)(USER, messages=USER, model="m")
    assert "'messages'" in str(twice.value)
    assert server.requests == []


def test_the_async_client_without_messages_is_a_type_error_naming_them(server: LocalServer) -> None:
    async def run() -> list[TypeError]:
        errors: list[TypeError] = []
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            for method in ("create", "try_create", "stream", "run_tools"):
                try:
                    getattr(client.chat.completions, method)(model="m")  # raises before any awaiting
                except TypeError as error:
                    errors.append(error)
        return errors

    errors = asyncio.run(run())
    assert len(errors) == 4
    assert all("'messages'" in str(error) for error in errors)
    assert server.requests == []


@pytest.mark.parametrize("method", ["create", "try_create", "stream", "run_tools"])
def test_a_misspelt_keyword_is_named_with_the_method_called(
    server: LocalServer, client: OpenAI, method: str
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        getattr(client.chat.completions, method)(
            messages=TOOL_USER, model="m", tools=[get_weather], temprature=0.5
        )
    assert raised.value.param == "temprature"
    assert raised.value.message == (
        f"temprature: {method}() got an unexpected keyword argument (did you mean 'temperature'?)"
    )
    assert server.requests == []


def test_messages_in_the_parameters_mapping_say_where_they_go(server: LocalServer, client: OpenAI) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.completions.create(USER, {"model": "m", "messages": USER})  # type: ignore[typeddict-unknown-key]
    assert raised.value.param == "messages"
    assert "messages=" in raised.value.message
    assert server.requests == []


# --- conversations -----------------------------------------------------------------------------


@pytest.mark.parametrize("by_keyword", [False, True], ids=["positional", "keyword"])
def test_a_conversation_takes_its_system_message_either_way(
    server: LocalServer, client: OpenAI, by_keyword: bool
) -> None:
    if by_keyword:
        conversation = client.chat.conversation(system="Be brief.", model="m")
    else:
        conversation = client.chat.conversation("Be brief.", model="m")
    assert conversation.ask("Hi").choice.text == "Hi"
    assert server.last_request.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


def test_an_async_conversation_takes_its_system_message_by_keyword(server: LocalServer) -> None:
    async def run() -> str | None:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            conversation = client.chat.conversation(model="m", system="Be brief.")
            return (await conversation.ask("Hi")).choice.text

    assert asyncio.run(run()) == "Hi"
    assert server.last_request.body["messages"][0] == {"role": "system", "content": "Be brief."}


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        (
            {"model": "m", "systen": "Be brief."},
            "systen",
            "conversation() got an unexpected keyword argument (did you mean 'system'?)",
        ),
        (
            {"modle": "m"},
            "modle",
            "conversation() got an unexpected keyword argument (did you mean 'model'?)",
        ),
        ({"temperature": 0.5}, "model", "conversation() needs a model, such as model='gpt-4o-mini'"),
    ],
)
def test_a_conversation_names_itself_in_its_errors_when_it_is_made(
    server: LocalServer, client: OpenAI, params: dict[str, Any], param: str, message: str
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.chat.conversation(**params)
    assert raised.value.param == param
    assert raised.value.message == f"{param}: {message}"
    assert server.requests == []


def test_an_async_conversation_checks_its_parameters_when_it_is_made(server: LocalServer) -> None:
    async def run() -> None:
        async with AsyncOpenAI(api_key="k", base_url=server.url) as client:
            client.chat.conversation(model="m", temperature="warm")  # type: ignore[typeddict-item]

    with pytest.raises(InvalidRequestError) as raised:
        asyncio.run(run())
    assert raised.value.param == "temperature"
    assert server.requests == []


@pytest.mark.parametrize("keyword", [False, True], ids=["positional", "metadata="])
def test_update_takes_the_metadata_either_way(server: LocalServer, client: OpenAI, keyword: bool) -> None:
    stored = client.chat.completions.create(USER, model="m", store=True)
    metadata = {"topic": "greeting"}
    if keyword:
        updated = client.chat.completions.update(stored.id, metadata=metadata)
    else:
        updated = client.chat.completions.update(stored.id, metadata)
    assert updated.metadata == metadata
    assert server.last_request.body == {"metadata": metadata}


def test_the_async_update_takes_the_metadata_by_keyword(server: LocalServer) -> None:
    async def main() -> dict[str, str] | None:
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url) as client:
            stored = await client.chat.completions.create(USER, model="m", store=True)
            return (await client.chat.completions.update(stored.id, metadata={"k": "v"})).metadata

    assert asyncio.run(main()) == {"k": "v"}
