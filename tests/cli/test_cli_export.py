"""``completionkit export`` and ``completionkit delete --where``: the installed console
script, in a process of its own, against up to 1,000 completions stored on the local
server; and the parsing of their filters (in this process, with hypothesis)."""

from __future__ import annotations

import datetime
import json
import os
import pty
import stat
import subprocess
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from completionkit.testing import Fault, LocalServer

from .conftest import Cli

with warnings.catch_warnings():
    # typer before 0.17 (the cli extra's lower bound is 0.15) imports names that click 8.2
    # and later deprecate; the command line itself runs without warnings as errors.
    warnings.simplefilter("ignore", DeprecationWarning)
    from completionkit._cli._export import (
        Filters,
        atomic_output,
        parse_metadata,
        parse_metadata_pair,
        parse_time,
    )

# --- the stored completions ----------------------------------------------------------------

COUNT = 1000
CALL = {
    "id": "call_7",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}


def created(i: int, now: int) -> int:
    """Not in the order of storing: a window on ``created`` picks completions here and there.
    Half past an hour: a bound on the hour, or a whole number of days ago, is never hit."""
    return now - ((i * 7919) % COUNT) * 3600 - 1800


@pytest.fixture
def now() -> int:
    """The completions are created in the hours before this: a time ago (--since 10d) then
    selects a known part of them, for half an hour (see ``created``)."""
    return int(time.time())


def model(i: int) -> str:
    return "gpt-4o" if i % 3 == 0 else "gpt-4o-mini"


def metadata(i: int) -> dict[str, str]:
    return {"batch": str(i % 4), "split": "train" if i % 10 < 8 else "test"}


def conversation(i: int) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """The messages sent, the answer, and the fine-tuning example they make (written out
    here, not derived by the code under test)."""
    question = f"Question {i}?"
    kind = i % 5
    if kind == 0:
        sent = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": question}]
        example = sent
    elif kind == 1:  # a developer message, and a user with a name
        sent = [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": question, "name": "ada"},
        ]
        example = [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": question, "name": "ada"},
        ]
    elif kind == 2:  # a tool round before the answer
        sent = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "content": "18 degrees", "tool_call_id": "call_7"},
        ]
        example = [
            {"role": "user", "content": question},
            {"role": "assistant", "tool_calls": [CALL]},
            {"role": "tool", "content": "18 degrees", "tool_call_id": "call_7"},
        ]
    elif kind == 3:  # content in parts, an image among them
        parts = [{"type": "text", "text": question}, IMAGE]
        sent = [{"role": "user", "content": parts}]
        example = [{"role": "user", "content": parts}]
    else:
        sent = [{"role": "user", "content": question}]
        example = sent
    if i % 7 == 0:  # the answer is a tool call
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [CALL],
        }
        reply: dict[str, Any] = {"role": "assistant", "tool_calls": [CALL]}
    else:
        message = {"role": "assistant", "content": f"Answer {i}.", "refusal": None}
        reply = {"role": "assistant", "content": f"Answer {i}."}
    finish = "tool_calls" if "tool_calls" in message else "stop"
    choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
    return sent, choice, [*example, reply]


def store(server: LocalServer, count: int = COUNT, *, start: int = 0, now: int = 1_750_000_000) -> None:
    for i in range(start, start + count):
        sent, choice, _ = conversation(i)
        completion = {
            "id": f"chatcmpl-{i:04d}",
            "created": created(i, now),
            "model": model(i),
            "choices": [choice],
        }
        server.store_completion(completion, sent, metadata=metadata(i))


def example(i: int) -> dict[str, Any]:
    return {"messages": conversation(i)[2]}


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def utc(timestamp: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC)


def iso(timestamp: int, offset_hours: int = 0) -> str:
    return utc(timestamp).astimezone(datetime.timezone(datetime.timedelta(hours=offset_hours))).isoformat()


def deletions(server: LocalServer) -> int:
    return sum(1 for r in server.requests if r.operation_id == "deleteChatCompletion")


# --- export ------------------------------------------------------------------------------------


def test_an_export_of_1000_completions_in_the_fine_tuning_format(cli: Cli, server: LocalServer) -> None:
    store(server)
    done = cli("export", "-o", "train.jsonl")
    assert done.stdout == ""
    assert "Exported 1000 stored completions to train.jsonl." in done.stderr
    exported = lines((cli.cwd / "train.jsonl").read_text(encoding="utf-8"))
    assert len(exported) == COUNT
    for i, line in enumerate(exported):
        assert line == example(i), i
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["train.jsonl"]


def test_an_export_of_1000_completions_as_stored(cli: Cli, server: LocalServer) -> None:
    store(server)
    exported = lines(cli("export", "--raw").stdout)
    assert len(exported) == COUNT
    for i, line in enumerate(exported):
        completion_id = f"chatcmpl-{i:04d}"
        stored_messages = server.store.messages(completion_id, limit=100)
        assert stored_messages is not None
        assert line == {**server.store.get(completion_id), "messages": stored_messages.items}, i
        assert all("id" in m for m in line["messages"])  # as stored: ids included


def window(now: int) -> tuple[int, int]:
    """A since and an until that select some of the completions."""
    return created(0, now) - 300 * 3600, created(0, now) + 100 * 3600


def day(timestamp: int) -> datetime.date:
    return utc(timestamp).date()


Args = Callable[[int], list[str]]
Wanted = Callable[[int, int], bool]
FILTERS: list[tuple[Args, Wanted]] = [
    (lambda now: ["--model", "gpt-4o"], lambda i, now: model(i) == "gpt-4o"),
    (
        lambda now: ["--metadata", "batch=2", "--metadata", "split=train"],
        lambda i, now: metadata(i) == {"batch": "2", "split": "train"},
    ),
    (
        lambda now: ["--since", iso(window(now)[0], 2), "--until", iso(window(now)[1], -5)],
        lambda i, now: window(now)[0] <= created(i, now) < window(now)[1],
    ),
    # A date: its midnight, UTC.
    (
        lambda now: ["--until", day(now - 20 * 86400).isoformat()],
        lambda i, now: day(created(i, now)) < day(now - 20 * 86400),
    ),
    (lambda now: ["--since", "10d"], lambda i, now: created(i, now) >= now - 10 * 86400),
    (
        lambda now: ["--since", "1w3d12h", "--until", "2d"],
        lambda i, now: now - 10.5 * 86400 <= created(i, now) < now - 2 * 86400,
    ),
    (
        lambda now: [
            *("--model", "gpt-4o-mini", "--metadata", "split=test"),
            *("--since", iso(window(now)[0]), "--until", iso(window(now)[1])),
        ],
        lambda i, now: (
            model(i) == "gpt-4o-mini"
            and metadata(i)["split"] == "test"
            and window(now)[0] <= created(i, now) < window(now)[1]
        ),
    ),
]


@pytest.mark.parametrize(("args", "wanted"), FILTERS)
def test_an_export_takes_the_completions_the_filters_match(
    cli: Cli, server: LocalServer, now: int, args: Args, wanted: Wanted
) -> None:
    store(server, now=now)
    expected = [example(i) for i in range(COUNT) if wanted(i, now)]
    assert 0 < len(expected) < COUNT  # the filter selects, for the test to mean something
    exported = lines(cli("export", *args(now)).stdout)
    assert exported == expected


def test_the_model_and_metadata_filters_are_sent_to_the_api(cli: Cli, server: LocalServer) -> None:
    store(server, 20)
    cli("export", "--model", "gpt-4o", "--metadata", "batch=1")
    listed = [r for r in server.requests if r.operation_id == "listChatCompletions"]
    assert ("model", "gpt-4o") in listed[0].query
    assert ("metadata[batch]", "1") in listed[0].query
    # Only the completions that match have their messages read.
    reads = [r for r in server.requests if r.operation_id == "getChatCompletionMessages"]
    assert len(reads) == sum(1 for i in range(20) if model(i) == "gpt-4o" and i % 4 == 1)


def test_an_export_that_matches_nothing_writes_an_empty_file(cli: Cli, server: LocalServer) -> None:
    store(server, 5)
    done = cli("export", "--model", "no-such-model", "-o", "empty.jsonl")
    assert (cli.cwd / "empty.jsonl").read_bytes() == b""
    assert "Exported 0 stored completions" in done.stderr


def test_an_export_replaces_a_file_whole(cli: Cli, server: LocalServer) -> None:
    store(server, 3)
    (cli.cwd / "out.jsonl").write_text("an older export\n", encoding="utf-8")
    cli("export", "-o", "out.jsonl")
    assert lines((cli.cwd / "out.jsonl").read_text(encoding="utf-8")) == [example(i) for i in range(3)]


def test_an_export_to_a_dash_goes_to_stdout(cli: Cli, server: LocalServer) -> None:
    store(server, 3)
    assert lines(cli("export", "-o", "-").stdout) == [example(i) for i in range(3)]
    assert list(cli.cwd.iterdir()) == []


def test_a_failing_export_leaves_the_file_as_it_was(cli: Cli, server: LocalServer) -> None:
    store(server, 30)
    (cli.cwd / "out.jsonl").write_text("an older export\n", encoding="utf-8")
    # Every read of messages meets a dropped connection, its retries too.
    server.inject(Fault.dropped(), times=1000, operation="getChatCompletionMessages")
    done = cli("export", "-o", "out.jsonl", code=1)
    assert "APIConnectionError" in done.stderr
    assert (cli.cwd / "out.jsonl").read_text(encoding="utf-8") == "an older export\n"
    assert [p.name for p in cli.cwd.iterdir()] == ["out.jsonl"]  # no temporary file left


def test_an_export_that_fails_half_way_leaves_no_file(cli: Cli, server: LocalServer) -> None:
    store(server, 250)
    # A completion whose stored messages the client cannot read (not what the spec says a
    # message is): the export fails there, after 250 completions were written.
    server.store.add(
        {
            "id": "chatcmpl-broken",
            "model": "gpt-4o",
            "created": 1_750_000_000,
            "object": "chat.completion",
            "choices": [],
        },
        {},
        [{"id": "chatcmpl-broken-0", "role": 5, "content": 7}],
    )
    store(server, 50, start=250)
    done = cli("export", "-o", "out.jsonl", code=1)
    assert "APIResponseValidationError" in done.stderr
    reads = [r for r in server.requests if r.operation_id == "getChatCompletionMessages"]
    assert len(reads) > 250
    assert list(cli.cwd.iterdir()) == []


def test_an_export_into_a_folder_that_does_not_exist_fails(cli: Cli, server: LocalServer) -> None:
    store(server, 1)
    done = cli("export", "-o", "missing/out.jsonl", code=1)
    assert "missing" in done.stderr
    assert list(cli.cwd.iterdir()) == []


def test_a_completion_without_an_answer_is_left_out_of_the_fine_tuning_format(
    cli: Cli, server: LocalServer
) -> None:
    store(server, 2)
    refusal = {"role": "assistant", "content": None, "refusal": "I cannot help with that."}
    choice = {"index": 0, "message": refusal, "finish_reason": "stop", "logprobs": None}
    server.store_completion(
        {"id": "chatcmpl-refused", "choices": [choice]}, [{"role": "user", "content": "Hm?"}]
    )
    done = cli("export")
    assert lines(done.stdout) == [example(0), example(1)]
    assert "Exported 2 stored completions." in done.stderr
    assert "Left out 1 stored completion whose answer" in done.stderr
    # As stored, it is there.
    assert [c["id"] for c in lines(cli("export", "--raw").stdout)][-1] == "chatcmpl-refused"


def no_such_completion() -> Fault:
    """The API's 404 for a completion it does not have (any more)."""
    error = {
        "message": "No chat completion found.",
        "type": "invalid_request_error",
        "param": "completion_id",
        "code": "not_found",
    }
    return Fault(status=404, body=json.dumps({"error": error}).encode())


def test_a_completion_deleted_while_the_export_runs_is_left_out(cli: Cli, server: LocalServer) -> None:
    store(server, 5)
    # Listed, then gone when its messages are read: the API's 404 for the first two.
    server.inject(no_such_completion(), times=2, operation="getChatCompletionMessages")
    done = cli("export", "--concurrency", "1")
    assert lines(done.stdout) == [example(i) for i in (2, 3, 4)]
    assert "Left out 2 stored completions deleted while the export read them." in done.stderr


def test_a_404_that_is_not_the_apis_word_fails_the_export(cli: Cli, server: LocalServer) -> None:
    store(server, 3)
    # A proxy's or a server's 404 for a route it does not have: nothing says the completion is gone.
    server.inject(Fault(status=404, body=b"<html>Not Found</html>"), operation="getChatCompletionMessages")
    done = cli("export", "-o", "out.jsonl", code=1)
    assert "NotFoundError" in done.stderr
    assert list(cli.cwd.iterdir()) == []


def test_an_export_with_one_worker_keeps_the_order(cli: Cli, server: LocalServer) -> None:
    store(server, 40)
    assert lines(cli("export", "--concurrency", "1").stdout) == [example(i) for i in range(40)]


def test_an_export_draws_progress_only_on_a_terminal(cli: Cli, server: LocalServer) -> None:
    store(server, 120)
    done = cli("export", "-o", "out.jsonl")
    assert done.stderr == "Exported 120 stored completions to out.jsonl.\n"

    # stderr a terminal: the bar is drawn there, and nothing of it goes to the file or stdout.
    controller, terminal = pty.openpty()
    drawn = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other side closed: the process ended
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        process = subprocess.run(
            [cli.script, "export", "-o", "bar.jsonl"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=cli.environment({"TERM": "xterm-256color"}),
            cwd=cli.cwd,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        reader.join(timeout=60)
        os.close(controller)
    assert process.returncode == 0, bytes(drawn)
    assert process.stdout == b""
    assert b"Exporting" in drawn
    assert b"120" in drawn
    assert lines((cli.cwd / "bar.jsonl").read_text(encoding="utf-8")) == [example(i) for i in range(120)]


@pytest.mark.parametrize(
    "args",
    [
        ["--metadata", "batch"],
        ["--since", "yesterday"],
        ["--until", "7 days"],
        ["--since", "2025-05-02", "--until", "2025-05-01"],
        ["--concurrency", "0"],
    ],
)
def test_an_export_refuses_filters_it_cannot_read(cli: Cli, server: LocalServer, args: list[str]) -> None:
    done = cli("export", "-o", "out.jsonl", *args, code=2)
    assert done.stdout == ""
    assert server.requests == []
    assert list(cli.cwd.iterdir()) == []


# --- delete --where ----------------------------------------------------------------------------


def test_a_dry_run_counts_and_shows_a_sample_and_deletes_nothing(
    cli: Cli, server: LocalServer, now: int
) -> None:
    store(server, now=now)
    since = window(now)[0]
    matching = [i for i in range(COUNT) if metadata(i)["split"] == "test" and created(i, now) >= since]
    done = cli("delete", "--where", "--metadata", "split=test", "--since", iso(since), "--dry-run")
    assert json.loads(done.stdout) == {
        "matched": len(matching),
        "sample": [
            {"id": f"chatcmpl-{i:04d}", "model": model(i), "created": created(i, now)} for i in matching[:5]
        ],
    }
    assert server.store.count() == COUNT
    assert deletions(server) == 0


def test_a_dry_run_as_a_table_and_as_a_json_line(cli: Cli, server: LocalServer) -> None:
    store(server, 30)
    table = cli("delete", "--where", "--model", "gpt-4o", "--dry-run", "--format", "table").stdout
    assert "10 stored completions match; the first 5" in table
    assert [line.split()[1] for line in table.splitlines() if "chatcmpl-" in line] == [
        f"chatcmpl-{i:04d}" for i in (0, 3, 6, 9, 12)
    ]
    line = cli("delete", "--where", "--model", "gpt-4o", "--dry-run", "-f", "jsonl").stdout
    assert line.count("\n") == 1
    assert json.loads(line)["matched"] == 10
    assert server.store.count() == 30


def test_a_dry_run_needs_no_confirmation(cli: Cli, server: LocalServer) -> None:
    store(server, 3)
    assert json.loads(cli("delete", "--where", "--dry-run").stdout)["matched"] == 3


def test_delete_where_with_yes_deletes_what_matches_and_nothing_else(
    cli: Cli, server: LocalServer, now: int
) -> None:
    store(server, now=now)
    until = window(now)[1]
    doomed = {f"chatcmpl-{i:04d}" for i in range(COUNT) if model(i) == "gpt-4o" and created(i, now) < until}
    done = cli("delete", "--where", "--model", "gpt-4o", "--until", iso(until), "--yes")
    assert json.loads(done.stdout) == {"deleted": len(doomed), "already_gone": 0, "failed": 0}
    assert f"Deleted {len(doomed)} stored completions." in done.stderr
    kept = {f"chatcmpl-{i:04d}" for i in range(COUNT)} - doomed
    assert {c["id"] for c in server.store.list_completions(limit=COUNT).items} == kept
    assert deletions(server) == len(doomed)


def test_delete_where_without_filters_deletes_every_completion(cli: Cli, server: LocalServer) -> None:
    store(server, 12)
    done = cli("delete", "--where", "-y", "-f", "table")
    assert "12" in done.stdout
    assert server.store.count() == 0


def test_delete_where_without_yes_and_without_a_terminal_refuses(cli: Cli, server: LocalServer) -> None:
    store(server, 10)
    done = cli("delete", "--where", "--model", "gpt-4o", input="y\n", code=2)
    assert "--yes" in done.stderr
    assert done.stdout == ""
    assert server.requests == []  # refused before anything was sent
    assert server.store.count() == 10


def test_delete_where_that_matches_nothing(cli: Cli, server: LocalServer) -> None:
    store(server, 5)
    done = cli("delete", "--where", "--model", "no-such-model", "--yes")
    assert json.loads(done.stdout) == {"deleted": 0, "already_gone": 0, "failed": 0}
    assert "nothing to delete" in done.stderr
    assert server.store.count() == 5


def test_delete_where_counts_completions_already_gone(cli: Cli, server: LocalServer) -> None:
    store(server, 6)
    # Deleted by someone else between the listing and their deletion: the API's 404.
    server.inject(no_such_completion(), times=2, operation="deleteChatCompletion")
    done = cli("delete", "--where", "--yes", "--concurrency", "1")
    assert json.loads(done.stdout) == {"deleted": 4, "already_gone": 2, "failed": 0}
    assert "4 stored completions; 2 already gone" in done.stderr


def test_delete_where_reports_the_deletions_that_failed(cli: Cli, server: LocalServer) -> None:
    store(server, 5)
    server.inject(Fault.http_error(400), times=2, operation="deleteChatCompletion")
    done = cli("delete", "--where", "--yes", "--concurrency", "1", code=1)
    assert json.loads(done.stdout) == {"deleted": 3, "already_gone": 0, "failed": 2}
    assert done.stderr.count("Not deleted: chatcmpl-") == 2
    assert "BadRequestError" in done.stderr
    assert server.store.count() == 2


def run_on_a_terminal(cli: Cli, answer: bytes, *args: str) -> tuple[subprocess.CompletedProcess[str], bytes]:
    """``completionkit ARGS`` with stdin a terminal, ``answer`` typed into it; what it
    echoed there."""
    controller, terminal = pty.openpty()
    os.write(controller, answer)
    echoed = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                return
            if not chunk:
                return
            echoed.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        done = subprocess.run(
            [cli.script, *args],
            stdin=terminal,
            capture_output=True,
            text=True,
            env=cli.env,
            cwd=cli.cwd,
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        reader.join(timeout=60)
        os.close(controller)
    return done, bytes(echoed)


def test_delete_where_asks_on_a_terminal_and_yes_deletes(cli: Cli, server: LocalServer) -> None:
    store(server, 9)
    done, _ = run_on_a_terminal(cli, b"y\n", "delete", "--where", "--model", "gpt-4o")
    assert done.returncode == 0, done.stderr
    # The question, with the first of the completions it is about, on stderr.
    assert "Delete these 3 stored completions? [y/N]" in done.stderr
    assert "chatcmpl-0000" in done.stderr
    assert done.stdout.startswith("{")  # the question is all on stderr
    assert json.loads(done.stdout) == {"deleted": 3, "already_gone": 0, "failed": 0}
    assert server.store.count() == 6


def test_delete_where_asks_on_a_terminal_and_no_deletes_nothing(cli: Cli, server: LocalServer) -> None:
    store(server, 9)
    done, _ = run_on_a_terminal(cli, b"n\n", "delete", "--where")
    assert done.returncode == 0, done.stderr
    assert "Delete every stored completion (9)? [y/N]" in done.stderr
    assert "Nothing deleted." in done.stderr
    assert done.stdout == ""
    assert server.store.count() == 9
    assert deletions(server) == 0


@pytest.mark.parametrize(
    "args", [["--since", "soon"], ["--metadata", "=x"], ["--until", "1d", "--since", "1h"]]
)
def test_delete_where_refuses_filters_it_cannot_read(cli: Cli, server: LocalServer, args: list[str]) -> None:
    store(server, 2)
    cli("delete", "--where", "--yes", *args, code=2)
    assert server.requests == []


# --- the output file, in this process -------------------------------------------------------


def test_atomic_output_leaves_nothing_when_interrupted(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"before\n")

    def interrupted() -> None:
        with atomic_output(target) as file:
            file.write(b"half of it")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_bytes() == b"before\n"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_output_makes_a_file_as_open_would(tmp_path: Path) -> None:
    with atomic_output(tmp_path / "out.jsonl") as file:
        file.write(b"line\n")
    (tmp_path / "plain").write_bytes(b"")
    assert (tmp_path / "out.jsonl").read_bytes() == b"line\n"
    mode = stat.S_IMODE((tmp_path / "out.jsonl").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "plain"]


# --- the filters' parsing (in this process: hypothesis runs each property many times) ---------

NOW_UTC = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)

keys = st.text(min_size=1).filter(lambda key: "=" not in key)


@given(key=keys, value=st.text())
def test_a_metadata_pair_is_split_at_its_first_equals_sign(key: str, value: str) -> None:
    assert parse_metadata_pair(f"{key}={value}") == (key, value)


@given(text=st.text().filter(lambda text: "=" not in text))
def test_a_metadata_pair_without_equals_sign_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="key=value"):
        parse_metadata_pair(text)


@given(value=st.text())
def test_a_metadata_pair_without_key_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="no key"):
        parse_metadata_pair(f"={value}")


@given(pairs=st.dictionaries(keys, st.text(), max_size=5), repeat=st.booleans())
def test_metadata_pairs_make_one_mapping(pairs: dict[str, str], repeat: bool) -> None:
    given_pairs = [f"{key}={value}" for key, value in pairs.items()]
    # The same pair twice is the same filter.
    assert parse_metadata(given_pairs + given_pairs if repeat else given_pairs) == pairs


@given(key=keys, values=st.lists(st.text(), min_size=2, max_size=2, unique=True))
def test_one_key_with_two_values_is_refused(key: str, values: list[str]) -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_metadata([f"{key}={value}" for value in values])


@given(
    local=st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(9999, 12, 30)),
    minutes=st.integers(-(24 * 60 - 1), 24 * 60 - 1),
)
def test_an_iso_time_with_an_offset_is_that_moment(local: datetime.datetime, minutes: int) -> None:
    # Fixed offsets: a zone's local time in a daylight-saving gap names no moment at all.
    moment = local.replace(tzinfo=datetime.timezone(datetime.timedelta(minutes=minutes)))
    parsed = parse_time(moment.isoformat(), now=NOW_UTC)
    assert parsed == moment
    assert parsed.utcoffset() == moment.utcoffset()


@given(moment=st.datetimes(min_value=datetime.datetime(1970, 1, 2)))
def test_an_iso_time_without_an_offset_is_utc(moment: datetime.datetime) -> None:
    assert parse_time(moment.isoformat(), now=NOW_UTC) == moment.replace(tzinfo=datetime.UTC)


@given(day=st.dates(min_value=datetime.date(1970, 1, 2)))
def test_an_iso_date_is_its_midnight_in_utc(day: datetime.date) -> None:
    midnight = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)
    assert parse_time(day.isoformat(), now=NOW_UTC) == midnight


def test_an_iso_time_may_end_in_z() -> None:
    moment = datetime.datetime(2025, 5, 1, 10, 30, tzinfo=datetime.UTC)
    assert parse_time("2025-05-01T10:30:00Z", now=NOW_UTC) == moment


UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@given(parts=st.lists(st.tuples(st.integers(0, 1000), st.sampled_from("wdhms")), min_size=1, max_size=4))
def test_a_time_ago_counts_back_from_now(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{count}{unit}" for count, unit in parts)
    seconds = sum(count * UNIT_SECONDS[unit] for count, unit in parts)
    assert parse_time(f" {text} ", now=NOW_UTC) == NOW_UTC - datetime.timedelta(seconds=seconds)


@given(text=st.text())
def test_any_text_is_a_moment_or_a_value_error(text: str) -> None:
    try:
        parsed = parse_time(text, now=NOW_UTC)
    except ValueError:
        return
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("text", ["", "yesterday", "7", "d7", "7 days", "7y", "2025-13-01", "-7d", "7D"])
def test_what_is_no_moment_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="neither"):
        parse_time(text, now=NOW_UTC)


def test_a_time_ago_too_far_back_is_refused() -> None:
    with pytest.raises(ValueError, match="too far back"):
        parse_time("99999999999w", now=NOW_UTC)


timestamps = st.integers(0, 2**35)


@given(created=timestamps, since=st.none() | timestamps, until=st.none() | timestamps)
def test_the_window_includes_since_and_leaves_out_until(
    created: int, since: int | None, until: int | None
) -> None:
    assume(since is None or until is None or since < until)
    filters = Filters(
        since=None if since is None else utc(since),
        until=None if until is None else utc(until),
    )
    inside = (since is None or since <= created) and (until is None or created < until)
    assert filters.matches(created) == inside


def test_a_window_that_ends_where_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        Filters(since=NOW_UTC, until=NOW_UTC)


@given(model=st.none() | st.text(min_size=1), pairs=st.dictionaries(keys, st.text(), max_size=3))
def test_the_api_gets_the_model_and_metadata_filters(model: str | None, pairs: dict[str, str]) -> None:
    params = Filters(model=model, metadata=pairs).list_params()
    assert params.get("model") == model
    assert params.get("metadata", {}) == pairs
