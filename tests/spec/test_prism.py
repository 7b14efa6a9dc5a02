"""Prism, a validating mock server, compiles the request schemas of spec/openapi.yaml.

Validators silently stop validating a body whose schema they cannot compile, so each
test sends a request that only a compiled schema can refuse.  nox installs Prism
(`npm ci --prefix tests/prism`); the PRISM variable may name another binary.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="module")
def prism() -> Iterator[httpx.Client]:
    port = _free_port()
    process = subprocess.Popen(
        [
            _prism_binary(),
            "mock",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            str(ROOT / "spec" / "openapi.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
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
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer sk-test"}
        ) as client:
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)  # the pipe is at its end once Prism has exited
        stdout.close()


def _messages(response: httpx.Response) -> list[str]:
    # The spec declares an error body for every operation, so Prism answers with that
    # and lists what it found wrong in a header.
    return [v["message"] for v in json.loads(response.headers.get("sl-violations", "[]"))]


VALID = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}


def test_valid_create_is_accepted(prism: httpx.Client) -> None:
    assert prism.post("/chat/completions", json=VALID).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "gpt-4o"}, "must have required property 'messages'"),
        ({**VALID, "temperature": 5}, "temperature must be <= 2"),
        ({**VALID, "messages": [{"role": "wizard", "content": "x"}]}, "messages"),
        ({**VALID, "n": "two"}, "n must be"),
        ({**VALID, "stream_options": {"include_usage": "yes"}}, "include_usage"),
    ],
)
def test_invalid_create_gets_422(prism: httpx.Client, body: dict[str, Any], expected: str) -> None:
    response = prism.post("/chat/completions", json=body)
    assert response.status_code == 422
    assert any(expected in m for m in _messages(response)), _messages(response)


def test_update_requires_string_metadata(prism: httpx.Client) -> None:
    assert prism.post("/chat/completions/c1", json={"metadata": {"k": "v"}}).status_code == 200
    assert prism.post("/chat/completions/c1", json={"metadata": {"k": 1}}).status_code == 422
    assert prism.post("/chat/completions/c1", json={}).status_code == 422


def test_list_takes_a_deep_object_metadata_filter(prism: httpx.Client) -> None:
    assert prism.get("/chat/completions", params={"metadata[topic]": "x", "limit": 2}).status_code == 200
    assert prism.get("/chat/completions", params={"order": "sideways"}).status_code == 422
