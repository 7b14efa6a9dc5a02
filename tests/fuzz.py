"""`nox -s fuzz`: schemathesis drives the local server from spec/openapi.yaml.

    python tests/fuzz.py [MAX_EXAMPLES]

Every operation of the spec, with generated valid and invalid requests; each answer
must not be a server error and must conform to the spec (status code, content type and
body). The server runs in this process on 127.0.0.1; nothing leaves the machine. CI runs
it with a bounded number of examples (the default); a longer run takes a larger number.

The server starts with completions stored, and schemathesis draws most `completion_id`s
from them: a made-up id only ever reaches the 404 of get, update, delete and the message
list, never the code behind it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from completionkit import OpenAI
from completionkit.testing import LocalServer

SPEC = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Deletes use some of them up; the rest keep get, update and the message list reaching
# stored completions to the end of a run.
STORED = 50
# The rest of the time schemathesis makes an id up, and the 404 is tested too.
STORED_ID_PROBABILITY = 0.8


def stored_ids(url: str, api_key: str) -> list[str]:
    with OpenAI(api_key=api_key, base_url=url) as client:
        return [
            client.chat.completions.create(
                [{"role": "user", "content": f"fuzz {i}"}], model="gpt-4o-mini", store=True
            ).id
            for i in range(STORED)
        ]


def config(ids: list[str]) -> str:
    """schemathesis.toml: a dictionary of the stored ids, bound to the path parameter
    (TOML strings are JSON strings for these plain ids)."""
    return (
        "[dictionaries.stored]\n"
        f"values = [{', '.join(json.dumps(i) for i in ids)}]\n\n"
        "[parameters]\n"
        f'"path.completion_id" = {{ dictionary = "stored", probability = {STORED_ID_PROBABILITY} }}\n\n'
        # The spec has examples for one operation only: the others' example cases are made
        # of their defaults and generated values, rather than skipped.
        "[phases.examples]\n"
        "fill-missing = true\n"
    )


def main(argv: list[str]) -> int:
    examples = argv[0] if argv else "25"
    with LocalServer(api_key="sk-fuzz") as server, tempfile.TemporaryDirectory() as folder:
        settings = Path(folder) / "schemathesis.toml"
        settings.write_text(config(stored_ids(server.url, "sk-fuzz")), encoding="utf-8")
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(settings),
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
