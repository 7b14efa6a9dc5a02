"""Prism, the validating mock server of spec/openapi.yaml, as a context manager for tests.

nox installs Prism (`npm ci --prefix tests/prism`); the PRISM variable may name another
binary.  Prism validates every request against the spec and answers 422 (naming what is
wrong in an ``sl-violations`` header) to one that does not pass.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL_PRISM = ROOT / "tests" / "prism" / "node_modules" / ".bin" / "prism"
STARTUP_SECONDS = 60


def _prism_binary() -> str:
    found = os.environ.get("PRISM") or (str(LOCAL_PRISM) if LOCAL_PRISM.exists() else shutil.which("prism"))
    if not found:
        pytest.fail("Prism is not installed: run `npm ci --prefix tests/prism` (nox -s tests does it)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_prism() -> Iterator[str]:
    """Prism mocking spec/openapi.yaml on 127.0.0.1; yields its base URL."""
    port = _free_port()
    command = [
        _prism_binary(),
        "mock",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        str(ROOT / "spec" / "openapi.yaml"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        # Prism says when it listens; wait for that line rather than for a while.
        while True:
            try:
                line = lines.get(timeout=STARTUP_SECONDS)
            except queue.Empty:
                pytest.fail("Prism did not start:\n" + "".join(seen))
            seen.append(line)
            if "is listening on" in line:
                break
            if process.poll() is not None:
                pytest.fail("Prism exited:\n" + "".join(seen))
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)  # the pipe is at its end once Prism has exited
        stdout.close()
