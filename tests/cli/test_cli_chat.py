"""``completionkit chat``: a conversation over piped lines, its commands, Ctrl-C; run as the
installed console script."""

from __future__ import annotations

import json
import signal

from completionkit.testing import Fault, LocalServer, Reply

from .conftest import Cli, hold_the_next_answer, wait_until_held


def test_each_line_is_sent_with_the_history_and_answered_on_stdout(cli: Cli, server: LocalServer) -> None:
    server.queue(Reply.text("Nice to meet you, Ada!"), Reply.text("Your name is Ada."))

    done = cli(
        "chat", "-m", "gpt-4o-mini", "--system", "Be brief.", input="My name is Ada.\n\nWhat is my name?\n"
    )

    assert done.stdout == "Nice to meet you, Ada!\nYour name is Ada.\n"
    first, second = (request.body for request in server.requests)
    assert first["stream"] is True
    assert second["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Nice to meet you, Ada!"},
        {"role": "user", "content": "What is my name?"},
    ]


def test_reset_save_and_exit(cli: Cli, server: LocalServer) -> None:
    server.queue(Reply.text("One."), Reply.text("Two."), Reply.text("Three."))
    lines = ["First", "Second", "/reset", "Third", "/save saved.json", "/exit", "never sent"]

    done = cli("chat", "-m", "gpt-4o-mini", "-s", "Count.", input="\n".join(lines) + "\n")

    assert done.stdout == "One.\nTwo.\nThree.\n"
    assert len(server.requests) == 3
    # After /reset only the system message is left of the history.
    assert server.requests[2].body["messages"] == [
        {"role": "system", "content": "Count."},
        {"role": "user", "content": "Third"},
    ]
    saved = json.loads((cli.cwd / "saved.json").read_text("utf-8"))
    assert saved == [
        {"role": "system", "content": "Count."},
        {"role": "user", "content": "Third"},
        {"role": "assistant", "content": "Three."},
    ]
    assert "saved.json" in done.stderr


def test_end_of_input_ends_the_conversation(cli: Cli, server: LocalServer) -> None:
    done = cli("chat", "-m", "gpt-4o-mini", input="")

    assert done.stdout == ""
    assert server.requests == []


def test_piped_an_unknown_command_or_an_api_error_ends_it(cli: Cli, server: LocalServer) -> None:
    unknown = cli("chat", "-m", "gpt-4o-mini", input="/frobnicate\nHello\n", code=2)
    assert "/frobnicate" in unknown.stderr
    assert server.requests == []

    server.inject(Fault.http_error(400))
    failed = cli("chat", "-m", "gpt-4o-mini", input="Hello\nNever sent\n", code=1)
    assert "BadRequestError" in failed.stderr
    assert len(server.requests) == 1


def test_ctrl_c_during_an_answer_stops_that_answer_only(fresh_cli: Cli) -> None:
    server = fresh_cli.server
    hold_the_next_answer(server)
    child = fresh_cli.popen("chat", "-m", "gpt-4o-mini", "-s", "Be brief.")
    assert child.stdin is not None
    child.stdin.write("A question whose answer never comes\n")
    child.stdin.flush()
    wait_until_held(server)

    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate("/save after.json\n", timeout=60)

    assert child.returncode == 0, stderr
    assert stdout == ""
    assert "answer stopped" in stderr
    # Neither the question nor an answer joined the history.
    saved = json.loads((fresh_cli.cwd / "after.json").read_text("utf-8"))
    assert saved == [{"role": "system", "content": "Be brief."}]


def test_ctrl_c_at_the_prompt_exits_130(cli: Cli, server: LocalServer) -> None:
    child = cli.popen("chat", "-m", "gpt-4o-mini")
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write("Hello\n")
    child.stdin.flush()
    # The answer's line ends outside the answer's Ctrl-C handling: from then on, Ctrl-C is
    # the prompt's.
    assert child.stdout.readline() == "Hello\n"

    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)

    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr
