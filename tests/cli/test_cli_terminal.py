"""What the command line does on a terminal (a pseudo-terminal here, so POSIX only, as the
tests of tests/processes that fork): chat's prompt, and the progress bar, which is drawn
only there."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess

from completionkit.testing import LocalServer, Reply

from .conftest import Cli


class Terminal:
    """A pseudo-terminal: what the child writes to it, read as it comes."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        self.seen = ""

    def read_until(self, text: str) -> str:
        """What the child wrote until ``text`` appeared (a minute at most: a safeguard)."""
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], 60)
            assert ready, f"{text!r} never came; the terminal shows {self.seen!r}"
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the child closed the terminal
                data = b""
            assert data, f"{text!r} never came; the terminal shows {self.seen!r}"
            self.seen += data.decode("utf-8", "replace")
        return self.seen

    def read_to_the_end(self) -> str:
        while True:
            ready, _, _ = select.select([self.master], [], [], 60)
            assert ready, f"the terminal was never closed; it shows {self.seen!r}"
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return self.seen
            if not data:
                return self.seen
            self.seen += data.decode("utf-8", "replace")

    def write(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> None:
        os.close(self.master)


def test_chat_on_a_terminal_prompts_for_each_line(cli: Cli, server: LocalServer) -> None:
    server.queue(Reply.text("Bonjour !"))
    terminal = Terminal()
    child = subprocess.Popen(
        [cli.script, "chat", "-m", "gpt-4o-mini"],
        stdin=terminal.slave,
        stdout=terminal.slave,
        stderr=terminal.slave,
        env=cli.environment({"TERM": "xterm"}),
        cwd=cli.cwd,
    )
    os.close(terminal.slave)
    try:
        assert "/reset" in terminal.read_until("you")  # the greeting says what it takes
        terminal.write("Hello in French\n")
        terminal.read_until("Bonjour !")
        terminal.write("/save chat.json\n")
        terminal.read_until("saved 2 messages")
        # (Not Ctrl-D, which the terminal itself takes for an end of input when it comes
        # before readline switches the terminal to its own mode: the test cannot tell when.)
        terminal.write("/exit\n")
        terminal.read_to_the_end()
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        terminal.close()
    assert json.loads((cli.cwd / "chat.json").read_text("utf-8")) == [
        {"role": "user", "content": "Hello in French"},
        {"role": "assistant", "content": "Bonjour !"},
    ]


def test_the_progress_bar_is_drawn_only_on_a_terminal(cli: Cli) -> None:
    requests = cli.cwd / "requests.jsonl"
    requests.write_text(
        "".join(
            json.dumps(
                {
                    "custom_id": f"q-{n}",
                    "body": {"model": "m", "messages": [{"role": "user", "content": "?"}]},
                }
            )
            + "\n"
            for n in range(3)
        ),
        "utf-8",
    )

    piped = cli("run", str(requests), "--journal", "piped.jsonl")
    assert piped.stderr.splitlines() == [
        line for line in piped.stderr.splitlines() if line.startswith("bulk: ")
    ]
    assert "3/3" not in piped.stderr

    terminal = Terminal()
    child = subprocess.Popen(
        [cli.script, "run", str(requests), "--journal", "terminal.jsonl"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal.slave,
        env=cli.environment({"TERM": "xterm"}),
        cwd=cli.cwd,
    )
    os.close(terminal.slave)
    try:
        shown = terminal.read_to_the_end()
        stdout, _ = child.communicate(timeout=60)
    finally:
        terminal.close()
    assert child.returncode == 0
    assert stdout == b""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)  # the terminal's colours and cursor moves
    assert "3/3" in text  # the bar's count
    assert "3 succeeded" in text
