"""Every Python example of README.md runs, as written, against the local server.

(Its types are checked by `nox -s typecheck`, from the same program: tests/readme.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from completionkit.testing import LocalServer

from .readme import readme_program


def test_the_readme_examples_run_against_the_local_server(tmp_path: Path) -> None:
    program = tmp_path / "readme_examples.py"
    program.write_text(readme_program(), encoding="utf-8")
    with LocalServer(api_key="sk-local-readme") as server:
        env = {**os.environ, "OPENAI_API_KEY": "sk-local-readme", "OPENAI_BASE_URL": server.url}
        completed = subprocess.run(
            [sys.executable, "-W", "error", str(program)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
        served = len(server.requests)
    assert completed.returncode == 0, completed.stderr
    assert served >= 10  # every example talked to the server
