"""``completionkit get``, ``update``, ``delete``, ``list`` and ``messages``: the installed
console script, in a process of its own, against stored completions of the local server."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from completionkit.testing import LocalServer

from .conftest import Cli

BASE = 1_750_000_000


def answer(text: str) -> dict[str, Any]:
    return {
        "index": 0,
        "message": {"role": "assistant", "content": text, "refusal": None},
        "finish_reason": "stop",
        "logprobs": None,
    }


def store(server: LocalServer, count: int) -> list[dict[str, Any]]:
    """``count`` completions, chatcmpl-0 first: two models, metadata ``n`` and ``even``."""
    return [
        server.store_completion(
            {
                "id": f"chatcmpl-{i}",
                "created": BASE + i * 60,
                "model": "gpt-4o" if i % 2 else "gpt-4o-mini",
                "choices": [answer(f"Answer number {i}")],
            },
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": f"Question {i}"}],
            metadata={"n": str(i), "even": "yes" if i % 2 == 0 else "no"},
        )
        for i in range(count)
    ]


def lines(stdout: str) -> list[Any]:
    return [json.loads(line) for line in stdout.splitlines()]


def utc(timestamp: int) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


# --- get --------------------------------------------------------------------------------


def test_get_prints_the_completion_as_json(cli: Cli, server: LocalServer) -> None:
    stored = store(server, 2)
    done = cli("get", "chatcmpl-1")
    assert json.loads(done.stdout) == stored[1]
    assert done.stdout.startswith("{\n")  # indented, for a person
    assert done.stderr == ""


def test_get_as_a_json_line(cli: Cli, server: LocalServer) -> None:
    stored = store(server, 1)
    done = cli("get", "chatcmpl-0", "--format", "jsonl")
    assert done.stdout.count("\n") == 1
    assert lines(done.stdout) == [stored[0]]


def test_get_as_a_table(cli: Cli, server: LocalServer) -> None:
    store(server, 2)
    table = cli("get", "chatcmpl-1", "-f", "table").stdout
    for cell in ("chatcmpl-1", utc(BASE + 60), "gpt-4o", "n=1, even=no", "Answer number 1"):
        assert cell in table


def test_get_of_an_unknown_id_is_an_api_error(cli: Cli, server: LocalServer) -> None:
    done = cli("get", "chatcmpl-missing", code=1)
    assert done.stdout == ""
    assert "NotFoundError" in done.stderr


def test_a_key_the_server_refuses_is_an_api_error(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    done = cli("get", "chatcmpl-0", env={"OPENAI_API_KEY": "sk-wrong"}, code=1)
    assert "AuthenticationError" in done.stderr
    assert "sk-wrong" not in done.stderr


# --- update -------------------------------------------------------------------------------


def test_update_replaces_the_metadata(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    done = cli("update", "chatcmpl-0", "--metadata", "topic=geography", "--metadata", "reviewed=a=b")
    assert json.loads(done.stdout)["metadata"] == {"topic": "geography", "reviewed": "a=b"}
    assert server.store.get("chatcmpl-0")["metadata"] == {"topic": "geography", "reviewed": "a=b"}


def test_update_with_merge_keeps_the_other_pairs(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    done = cli(
        "update", "chatcmpl-0", "--metadata", "even=maybe", "--metadata", "new=1", "--merge", "-f", "jsonl"
    )
    assert lines(done.stdout)[0]["metadata"] == {"n": "0", "even": "maybe", "new": "1"}


def test_update_with_a_json_object(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    done = cli("update", "chatcmpl-0", "--metadata-json", '{"a": "1", "b": "x=y"}')
    assert json.loads(done.stdout)["metadata"] == {"a": "1", "b": "x=y"}


@pytest.mark.parametrize("given", ["null", "{}"])
def test_update_with_null_or_an_empty_object_clears_the_metadata(
    cli: Cli, server: LocalServer, given: str
) -> None:
    store(server, 1)
    cli("update", "chatcmpl-0", "--metadata-json", given)
    assert not server.store.get("chatcmpl-0")["metadata"]


def test_update_as_a_table(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    assert "k=v" in cli("update", "chatcmpl-0", "--metadata", "k=v", "--format", "table").stdout


@pytest.mark.parametrize(
    "args",
    [
        [],  # nothing to set
        ["--metadata", "no-pair"],
        ["--metadata", "=value"],
        ["--metadata", "a=1", "--metadata", "a=2"],
        ["--metadata", "a=1", "--metadata-json", "{}"],
        ["--metadata-json", "[1, 2]"],
        ["--metadata-json", '{"a": 1}'],
        ["--metadata-json", "{"],
    ],
)
def test_update_refuses_metadata_it_cannot_read_and_sends_nothing(
    cli: Cli, server: LocalServer, args: list[str]
) -> None:
    store(server, 1)
    done = cli("update", "chatcmpl-0", *args, code=2)
    assert done.stdout == ""
    assert server.requests == []
    assert server.store.get("chatcmpl-0")["metadata"] == {"n": "0", "even": "yes"}


def test_update_of_metadata_beyond_the_api_limits_is_a_usage_error(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    pairs = [arg for i in range(17) for arg in ("--metadata", f"k{i}=v")]
    done = cli("update", "chatcmpl-0", *pairs, code=2)
    assert "InvalidRequestError" in done.stderr
    assert server.requests == []


def test_update_of_an_unknown_id_is_an_api_error(cli: Cli, server: LocalServer) -> None:
    assert "NotFoundError" in cli("update", "chatcmpl-missing", "--metadata", "a=b", code=1).stderr


# --- delete ID --------------------------------------------------------------------------------


def test_delete_deletes_one(cli: Cli, server: LocalServer) -> None:
    store(server, 2)
    done = cli("delete", "chatcmpl-0")
    assert json.loads(done.stdout) == {
        "id": "chatcmpl-0",
        "object": "chat.completion.deleted",
        "deleted": True,
    }
    assert server.store.get("chatcmpl-0") is None
    assert server.store.get("chatcmpl-1") is not None


@pytest.mark.parametrize("format", ["jsonl", "table"])
def test_delete_in_the_other_formats(cli: Cli, server: LocalServer, format: str) -> None:
    store(server, 1)
    done = cli("delete", "chatcmpl-0", "--format", format)
    assert "chatcmpl-0" in done.stdout
    assert done.stdout.count("\n") == 1 if format == "jsonl" else "true" in done.stdout


def test_delete_of_an_unknown_id_fails(cli: Cli, server: LocalServer) -> None:
    done = cli("delete", "chatcmpl-missing", code=1)
    assert done.stdout == ""
    assert "chatcmpl-missing" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["chatcmpl-0", "--where"],
        ["chatcmpl-0", "--yes"],
        ["chatcmpl-0", "--dry-run"],
        ["chatcmpl-0", "--model", "gpt-4o"],
        ["--model", "gpt-4o"],  # filters without --where
    ],
)
def test_delete_refuses_a_mix_it_cannot_read(cli: Cli, server: LocalServer, args: list[str]) -> None:
    store(server, 1)
    cli("delete", *args, code=2)
    assert server.requests == []
    assert server.store.count() == 1


# --- list -------------------------------------------------------------------------------------


def test_list_shows_a_table_of_the_first_page(cli: Cli, server: LocalServer) -> None:
    store(server, 25)
    table = cli("list").stdout
    for column in ("id", "created (UTC)", "model", "metadata", "answer"):
        assert column in table
    rows = [line for line in table.splitlines() if "chatcmpl-" in line]
    assert len(rows) == 20  # the API's page
    first = rows[0]
    for cell in ("chatcmpl-0 ", utc(BASE), "gpt-4o-mini", "n=0, even=yes", "Answer number 0"):
        assert cell in first


def test_list_as_json_is_an_array_of_completions(cli: Cli, server: LocalServer) -> None:
    stored = store(server, 3)
    assert json.loads(cli("list", "--format", "json").stdout) == stored


def test_list_as_json_lines(cli: Cli, server: LocalServer) -> None:
    stored = store(server, 3)
    assert lines(cli("list", "--format", "jsonl").stdout) == stored


def test_list_with_limit_order_and_after(cli: Cli, server: LocalServer) -> None:
    store(server, 10)
    newest = lines(cli("list", "-f", "jsonl", "--limit", "3", "--order", "desc").stdout)
    assert [c["id"] for c in newest] == ["chatcmpl-9", "chatcmpl-8", "chatcmpl-7"]
    after = lines(cli("list", "-f", "jsonl", "--limit", "2", "--after", "chatcmpl-4").stdout)
    assert [c["id"] for c in after] == ["chatcmpl-5", "chatcmpl-6"]


def test_list_filters_by_model_and_metadata(cli: Cli, server: LocalServer) -> None:
    store(server, 10)
    listed = lines(cli("list", "-f", "jsonl", "--model", "gpt-4o", "--metadata", "n=3").stdout)
    assert [c["id"] for c in listed] == ["chatcmpl-3"]
    listed = lines(cli("list", "-f", "jsonl", "--metadata", "even=yes", "--metadata", "n=4").stdout)
    assert [c["id"] for c in listed] == ["chatcmpl-4"]
    assert lines(cli("list", "-f", "jsonl", "--model", "gpt-4o", "--metadata", "even=yes").stdout) == []


def test_list_all_goes_through_every_page(cli: Cli, server: LocalServer) -> None:
    stored = store(server, 23)
    listed = lines(cli("list", "--all", "--limit", "5", "-f", "jsonl").stdout)
    assert listed == stored
    pages = [r for r in server.requests if r.operation_id == "listChatCompletions"]
    assert len(pages) == 5


def test_list_all_as_a_table(cli: Cli, server: LocalServer) -> None:
    store(server, 7)
    table = cli("list", "--all", "--limit", "2", "--order", "desc").stdout
    assert [line.split()[1] for line in table.splitlines() if "chatcmpl-" in line] == [
        f"chatcmpl-{i}" for i in range(6, -1, -1)
    ]


def test_list_table_shows_the_start_of_tool_calls_and_long_answers(cli: Cli, server: LocalServer) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    calling = {
        "index": 0,
        "message": {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]},
        "finish_reason": "tool_calls",
        "logprobs": None,
    }
    server.store_completion({"id": "chatcmpl-tools", "choices": [calling]})
    server.store_completion({"id": "chatcmpl-long", "choices": [answer("word " * 100)]})
    table = cli("list").stdout
    assert "(calls get_weather)" in table
    assert "word " * 10 in table
    assert "word " * 20 not in table


@pytest.mark.parametrize(
    "args", [["--order", "sideways"], ["--limit", "-1"], ["--metadata", "nope"], ["--all", "--limit", "0"]]
)
def test_list_refuses_options_it_cannot_read(cli: Cli, server: LocalServer, args: list[str]) -> None:
    cli("list", *args, code=2)
    assert server.requests == []


def test_an_unreachable_server_is_an_api_error(cli: Cli, server: LocalServer) -> None:
    done = cli("list", "--base-url", "http://127.0.0.1:9/v1", code=1)
    assert "APIConnectionError" in done.stderr


def test_the_base_url_option_comes_before_the_environment(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    done = cli(
        "list", "-f", "jsonl", "--base-url", server.url, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    )
    assert [c["id"] for c in lines(done.stdout)] == ["chatcmpl-0"]


# --- messages ----------------------------------------------------------------------------------


TOOL_CALL = {"id": "call_9", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}


def store_conversation(server: LocalServer) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = [
        {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": "What is this?", "name": "ada"},
        {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        {"role": "tool", "content": "a cat", "tool_call_id": "call_9"},
    ]
    server.store_completion({"id": "chatcmpl-conv"}, sent)
    return sent


def test_messages_as_json_keep_every_field_the_server_stored(cli: Cli, server: LocalServer) -> None:
    store_conversation(server)
    listed = json.loads(cli("messages", "chatcmpl-conv", "--format", "json").stdout)
    assert listed == server.store.messages("chatcmpl-conv", limit=100).items
    assert listed[1]["name"] == "ada"
    assert listed[2]["tool_calls"] == [TOOL_CALL]
    assert listed[3]["tool_call_id"] == "call_9"


def test_messages_as_json_lines(cli: Cli, server: LocalServer) -> None:
    sent = store_conversation(server)
    listed = lines(cli("messages", "chatcmpl-conv", "-f", "jsonl").stdout)
    assert [m["role"] for m in listed] == [m["role"] for m in sent]


def test_messages_as_a_table(cli: Cli, server: LocalServer) -> None:
    store_conversation(server)
    table = cli("messages", "chatcmpl-conv").stdout
    rows = [line for line in table.splitlines() if "chatcmpl-conv-" in line]
    assert len(rows) == 4
    assert "developer" in rows[0]
    assert "Answer in French." in rows[0]
    assert "calls lookup" in rows[2]
    assert "answers call_9" in rows[3]


def test_a_table_shows_brackets_in_the_data_as_they_are(cli: Cli, server: LocalServer) -> None:
    # rich would read "[...]" as its markup: data must not be.
    server.store_completion({"id": "chatcmpl-b"}, [{"role": "user", "content": "[1, 2] [/x] [bold]y[/bold]"}])
    table = cli("messages", "chatcmpl-b").stdout
    assert "[1, 2] [/x] [bold]y[/bold]" in table


def test_messages_of_every_page(cli: Cli, server: LocalServer) -> None:
    sent = [{"role": "user", "content": f"message {i}"} for i in range(250)]
    server.store_completion({"id": "chatcmpl-long"}, sent)
    listed = lines(cli("messages", "chatcmpl-long", "-f", "jsonl").stdout)
    assert [m["content"] for m in listed] == [m["content"] for m in sent]


def test_messages_of_an_unknown_id_is_an_api_error(cli: Cli, server: LocalServer) -> None:
    assert "NotFoundError" in cli("messages", "chatcmpl-missing", code=1).stderr
