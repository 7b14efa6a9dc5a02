"""`nox -s fuzz`: schemathesis drives the local server from spec/openapi.yaml.

    python tests/fuzz.py [MAX_EXAMPLES]

Every operation of the spec, with generated valid and invalid requests; each answer
must not be a server error and must conform to the spec (status code, content type and
body). The server runs in this process on 127.0.0.1; nothing leaves the machine. CI runs
it with a bounded number of examples (the default); a longer run takes a larger number.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from completionkit.testing import LocalServer

SPEC = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def main(argv: list[str]) -> int:
    examples = argv[0] if argv else "25"
    with LocalServer(api_key="sk-fuzz") as server:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                str(SPEC),
                "--url",
                server.url,
                "--checks",
                CHECKS,
                "--max-examples",
                examples,
                "--header",
                "Authorization: Bearer sk-fuzz",
                "--generation-deterministic",
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--no-color",
            ],
            check=False,
        )
    return completed.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
