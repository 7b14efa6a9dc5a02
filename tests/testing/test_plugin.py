"""completionkit's pytest plugin: loaded from the installed package's entry point, one
server for the session reset before each test, clients on it; and nothing of the server
imported until a fixture asks for it (the plugin loads where the `testing` extra is not)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from completionkit import OpenAI
from completionkit.testing import LocalServer

pytest_plugins = ["pytester"]

SESSION = """
import asyncio

import pytest

from completionkit.testing import Fault, Reply

PORTS = []
HELLO = [{"role": "user", "content": "Hi"}]


def test_one_leaves_everything_behind(completionkit_server, completionkit_client):
    PORTS.append(completionkit_server.port)
    completionkit_server.queue(Reply.text("for a stream"), only="stream")
    completionkit_server.inject(Fault.http_error(503), times=5, operation="deleteChatCompletion")
    completionkit_server.store_completion({"id": "chatcmpl-left"}, HELLO)
    completionkit_client.chat.completions.create(HELLO, model="m")
    assert completionkit_server.requests


def test_two_fails_with_a_reply_queued(completionkit_server):
    PORTS.append(completionkit_server.port)
    completionkit_server.queue(Reply.replay(b"data: [DONE]\\n\\n"))
    raise AssertionError("this test fails, leaving its reply queued")


def test_three_finds_a_server_as_new(completionkit_server, completionkit_client):
    PORTS.append(completionkit_server.port)
    assert completionkit_server.queued_replies == 0
    assert completionkit_server.pending_faults == 0
    assert completionkit_server.requests == []
    assert completionkit_server.store.count() == 0
    assert completionkit_client.chat.completions.create(HELLO, model="m").choice.text == "Hi"
    assert completionkit_client.chat.completions.delete("chatcmpl-left") is False


def test_four_runs_the_async_client_in_two_loops(completionkit_server, completionkit_async_client):
    PORTS.append(completionkit_server.port)

    async def ask(text):
        answer = await completionkit_async_client.chat.completions.create(
            [{"role": "user", "content": text}], model="m"
        )
        return answer.choice.text

    assert asyncio.run(ask("first loop")) == "first loop"
    assert asyncio.run(ask("second loop")) == "second loop"
    assert len(completionkit_server.requests) == 2


def test_five_one_server_for_the_session():
    assert len(PORTS) == 4
    assert len(set(PORTS)) == 1
"""


def test_the_fixtures_in_a_session_of_their_own(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_session=SESSION)
    # A process of its own: the plugin comes from the installed package's entry point,
    # as in any project that installs completionkit.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*test_two_fails_with_a_reply_queued*"])


def test_pytest_lists_the_fixtures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "*completionkit_server*",
            "*The session's local server*reset for this test*",
            "*completionkit_client*",
            "*completionkit_async_client*",
        ]
    )


def test_without_the_testing_extra_the_fixture_says_what_to_install(pytester: pytest.Pytester) -> None:
    # As if uvicorn were not installed: any import of it fails.
    pytester.makeconftest("import sys\n\nsys.modules['uvicorn'] = None\n")
    pytester.makepyfile(
        test_no_extra="def test_uses_the_server(completionkit_server):\n    pass\n",
        test_no_server="def test_needs_nothing():\n    pass\n",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*needs the testing extra: pip install 'completionkit?testing?'*"])


def test_loading_the_plugin_imports_nothing_of_the_server() -> None:
    program = (
        "import sys\n"
        "import completionkit._pytest_plugin\n"
        "server = ('uvicorn', 'completionkit.testing', 'httptools', 'uvloop')\n"
        "loaded = [m for m in server if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=60)


def test_this_suite_loads_the_plugin_from_the_entry_point(request: pytest.FixtureRequest) -> None:
    plugin = request.config.pluginmanager.get_plugin("completionkit")
    assert plugin is not None
    assert plugin.__name__ == "completionkit._pytest_plugin"


def test_the_session_server_is_reset_for_each_test(
    completionkit_server: LocalServer, completionkit_client: OpenAI
) -> None:
    # Whatever the tests before left (this suite uses the same server everywhere).
    assert completionkit_server.queued_replies == 0
    assert completionkit_server.requests == []
    assert completionkit_client.base_url == completionkit_server.url
