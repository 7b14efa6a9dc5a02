"""The command line's tests run the installed console script, as a user runs it, in a
process of its own, against a local server of this process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from completionkit import OpenAI
from completionkit.testing import Fault, LocalServer

API_KEY = "sk-cli-test"
"""The key the server wants, and the one the command line is given (OPENAI_API_KEY)."""


def installed_script() -> str:
    """The ``completionkit`` console script of the environment running the tests."""
    script = shutil.which("completionkit", path=str(Path(sys.executable).parent))
    assert script is not None, f"no completionkit script next to {sys.executable}: pip install -e '.[cli]'"
    return script


class Cli:
    """Runs ``completionkit ARGS`` against ``server`` (OPENAI_BASE_URL, OPENAI_API_KEY)."""

    def __init__(self, server: LocalServer, cwd: Path) -> None:
        self.script = installed_script()
        self.server = server
        self.cwd = cwd
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("OPENAI_", "COMPLETIONKIT_", "GROQ_", "AZURE_"))
        }
        self.env: dict[str, str] = {
            **inherited,
            "OPENAI_BASE_URL": server.url,
            "OPENAI_API_KEY": API_KEY,
            # Wide enough that no table or message is wrapped; not a terminal all the same.
            "COLUMNS": "200",
            "PYTHONUNBUFFERED": "1",
        }

    def environment(self, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The environment the script runs in; a None value removes a variable."""
        merged = dict(self.env)
        for name, value in (env or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return merged

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: Mapping[str, str | None] | None = None,
        code: int | None = 0,
    ) -> subprocess.CompletedProcess[str]:
        """``completionkit ARGS`` run to its end; its exit code must be ``code`` (None: any)."""
        done = subprocess.run(
            [self.script, *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=self.environment(env),
            cwd=self.cwd,
            timeout=120,
            check=False,
        )
        if code is not None:
            assert done.returncode == code, (
                f"exit {done.returncode}, wanted {code}\nstdout: {done.stdout}\nstderr: {done.stderr}"
            )
        return done

    def popen(self, *args: str, env: Mapping[str, str | None] | None = None) -> subprocess.Popen[str]:
        """``completionkit ARGS`` started, its stdin, stdout and stderr pipes."""
        return subprocess.Popen(
            [self.script, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environment(env),
            cwd=self.cwd,
        )


@pytest.fixture(scope="module")
def module_server() -> Iterator[LocalServer]:
    with LocalServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def server(module_server: LocalServer) -> LocalServer:
    """The local server, empty (store, queues, faults, requests) for each test."""
    module_server.reset()
    return module_server


@pytest.fixture
def cli(server: LocalServer, tmp_path: Path) -> Cli:
    """``cli("ask", "Hello")``: the console script against ``server``, in ``tmp_path``."""
    return Cli(server, tmp_path)


def hold_the_next_answer(server: LocalServer) -> None:
    """The next create request is held (ten minutes, or until its client leaves);
    ``wait_until_held`` returns once it is.  ``server`` must be a fresh one: a request of
    an earlier test still in flight would count as the one awaited."""
    server.inject(Fault(gather=2, delay=600), operation="createChatCompletion")
    server.inject(Fault.gathering(2), operation="listChatCompletions")


def wait_until_held(server: LocalServer) -> None:
    """Return once the create request ``hold_the_next_answer`` awaits is in the server:
    a list request that the server answers only when two requests are in flight at once,
    this one and that one.  No sleep, no polling."""
    with OpenAI(base_url=server.url, api_key=API_KEY, max_retries=0) as client:
        client.chat.completions.list()


@pytest.fixture
def fresh_cli(tmp_path: Path) -> Iterator[Cli]:
    """``cli`` against a server of its own, started for the test (nothing else in flight)."""
    with LocalServer(api_key=API_KEY) as server:
        yield Cli(server, tmp_path)
