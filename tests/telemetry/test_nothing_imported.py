"""Without OpenTelemetry, or with it installed but not set up, a program's calls import
nothing of it (and, without hooks, not even the module that would record them).

Each program runs in a fresh interpreter: this test session has set up OpenTelemetry."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from completionkit.testing import LocalServer

# An import hook that refuses OpenTelemetry, as an interpreter without it would.
BLOCKER = """
import importlib.abc
import sys


class NoOpenTelemetry(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoOpenTelemetry())
"""

CALLS = """
import sys

import completionkit

with completionkit.OpenAI(api_key="sk-local", base_url=sys.argv[1]) as client:
    client.chat.completions.create([{"role": "user", "content": "Hi"}], model="m")
    with client.chat.completions.stream([{"role": "user", "content": "Hi"}], model="m") as stream:
        stream.final()
    client.chat.completions.delete("chatcmpl-none")
"""

HOOKED_CALL = """
with completionkit.OpenAI(api_key="sk-local", base_url=sys.argv[1], on_request=print) as client:
    client.chat.completions.create([{"role": "user", "content": "Hi"}], model="m")
"""

NOTHING_IMPORTED = """
assert not [name for name in sys.modules if name.startswith("opentelemetry")], sorted(sys.modules)
"""


def _run(program: str, server: LocalServer) -> str:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(program), server.url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_without_opentelemetry_nothing_of_it_is_imported(server: LocalServer) -> None:
    program = (
        BLOCKER
        + CALLS
        # Without hooks, not even the module that would call them.
        + "assert 'completionkit._telemetry' not in sys.modules\n"
        + HOOKED_CALL
        + NOTHING_IMPORTED
    )
    assert _run(program, server).startswith("RequestEvent(method='POST'")


def test_with_opentelemetry_installed_but_not_set_up_nothing_of_it_is_imported(server: LocalServer) -> None:
    program = (
        "import importlib.util\n"
        "assert importlib.util.find_spec('opentelemetry') is not None  # installed, in this environment\n"
        + CALLS
        + HOOKED_CALL
        + NOTHING_IMPORTED
    )
    assert _run(program, server).startswith("RequestEvent(method='POST'")


def test_with_the_api_imported_but_no_provider_set_no_span_is_made(server: LocalServer) -> None:
    program = """
import sys

from opentelemetry import metrics, trace

import completionkit
from completionkit._telemetry import watch

with completionkit.OpenAI(api_key="sk-local", base_url=sys.argv[1]) as client:
    client.chat.completions.create([{"role": "user", "content": "Hi"}], model="m")
    # The API's proxies stand in until a provider is set: a call is not watched.
    messages = [{"role": "user", "content": "Hi"}]
    prepared = completionkit._operations.prepare_create(client._config, messages, None, {"model": "m"})
    assert watch(client._config, prepared.call, False) is None
assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
print("ok")
"""
    assert _run(program, server) == "ok\n"
