"""The local server started as a user starts it, ``python -m completionkit.testing``, in a
process of its own: for the tests of its command line, and for those that fork (a process
that forks must not be running the server's threads)."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence

__all__ = ["command_line_server"]


@contextlib.contextmanager
def command_line_server(
    *arguments: str, command: Sequence[str] = (sys.executable, "-m", "completionkit.testing")
) -> Iterator[str]:
    """``python -m completionkit.testing --port 0 ARGUMENTS`` (or ``command``, which
    takes the same arguments: ``completionkit serve``): its base URL
    (``http://127.0.0.1:PORT/v1``) once it listens, until the block ends."""
    process = subprocess.Popen(
        [*command, "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # A thread reads, so that a server that never says it listens fails the test in a
    # minute instead of hanging it.
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True)
    reader.start()
    try:
        line = lines.get(timeout=60)
        assert "listening on http://127.0.0.1:" in line, line
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)
        process.stdout.close()
