"""The console script itself: its commands, its exit codes, ``serve`` and ``demo``, and what
it says without the cli extra."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from completionkit import OpenAI, __version__
from completionkit.testing import ServerControl

from ..command_line_server import command_line_server
from .conftest import API_KEY, Cli, hold_the_next_answer, installed_script, wait_until_held


def test_help_lists_every_command(cli: Cli) -> None:
    done = cli("--help")

    for command in ("ask", "chat", "run", "serve", "demo"):
        assert command in done.stdout
    assert cli("--version").stdout == f"completionkit {__version__}\n"


def test_an_unknown_command_or_option_is_a_usage_error(cli: Cli) -> None:
    assert cli("frobnicate", code=2).stdout == ""
    assert cli("ask", "--frobnicate", code=2).stdout == ""


def test_ctrl_c_while_an_answer_is_awaited_exits_130(fresh_cli: Cli) -> None:
    server = fresh_cli.server
    hold_the_next_answer(server)
    child = fresh_cli.popen("ask", "-m", "gpt-4o-mini", "A question whose answer never comes")
    assert child.stdin is not None
    child.stdin.close()
    wait_until_held(server)

    child.send_signal(signal.SIGINT)
    child.wait(timeout=60)
    assert child.stdout is not None
    assert child.stderr is not None
    stdout, stderr = child.stdout.read(), child.stderr.read()
    child.stdout.close()
    child.stderr.close()

    assert child.returncode == 130, stderr
    assert stdout == ""
    assert "interrupted" in stderr
    assert "Traceback" not in stderr


def _without(module: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """The console script's function, run where ``module`` cannot be imported."""
    program = (
        f"import sys; sys.modules[{module!r}] = None; sys.argv = ['completionkit', *{list(argv)!r}]; "
        "from completionkit._cli import main; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )


def test_without_the_cli_extra_it_says_what_to_install() -> None:
    for module in ("typer", "rich"):
        done = _without(module, "--help")
        assert done.returncode == 2
        assert "pip install 'completionkit[cli]'" in done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""


def test_serve_and_demo_without_the_testing_extra_say_what_to_install() -> None:
    for command in ("serve", "demo"):
        done = _without("uvicorn", command)
        assert done.returncode == 2, done.stderr
        assert "pip install 'completionkit[testing]'" in done.stderr
        assert "Traceback" not in done.stderr


def test_serve_runs_the_local_server_with_its_options(cli: Cli) -> None:
    store = cli.cwd / "store.sqlite"
    with command_line_server(
        "--api-key", "sk-served", "--db", str(store), command=(installed_script(), "serve")
    ) as url:
        env = {"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "sk-served"}
        done = cli("ask", "-m", "gpt-4o-mini", "Hello from the served server", env=env)
        assert done.stdout == "Hello from the served server\n"
        with ServerControl(url) as control:
            assert control.last_request.body["model"] == "gpt-4o-mini"
        # The key it was given is the one it wants.
        cli("ask", "-m", "gpt-4o-mini", "Hello", env={**env, "OPENAI_API_KEY": API_KEY}, code=1)
        with OpenAI(base_url=url, api_key="sk-served") as client:
            client.chat.completions.create(
                [{"role": "user", "content": "Keep me"}], model="gpt-4o-mini", store=True
            )
    # --db: the store outlives the server.
    with (
        command_line_server("--db", str(store), command=(installed_script(), "serve")) as url,
        OpenAI(base_url=url, api_key="sk-any") as client,
    ):
        assert [c.choice.text for c in client.chat.completions.list()] == ["Keep me"]


def test_serve_takes_a_provider_profile_and_refuses_a_bad_option(cli: Cli) -> None:
    child = subprocess.Popen(
        [installed_script(), "serve", "--port", "0", "--profile", "groq"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert "(as groq) listening on http://127.0.0.1:" in child.stdout.readline()
    finally:
        child.terminate()
        child.communicate(timeout=60)

    done = cli("serve", "--port", "not-a-port", code=2)
    assert "completionkit serve" in done.stderr


def test_serve_stops_on_ctrl_c_with_exit_code_130() -> None:
    child = subprocess.Popen(
        [installed_script(), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    # Once it says it listens, the server's own handling of Ctrl-C is in place.
    assert "listening on http://127.0.0.1:" in child.stdout.readline()

    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)

    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr


def test_demo_runs_as_a_command_and_as_python_m_completionkit(cli: Cli) -> None:
    as_command = cli("demo")
    assert as_command.stdout.rstrip().endswith("Done.")

    as_module = subprocess.run(
        [sys.executable, "-m", "completionkit", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert as_module.stdout.rstrip().endswith("Done.")


def test_json_on_stdout_and_nothing_else(cli: Cli) -> None:
    done = cli("ask", "-m", "gpt-4o-mini", "--schema", '{"type": "object"}', "Hi")

    json.loads(done.stdout)
    assert done.stderr == ""
