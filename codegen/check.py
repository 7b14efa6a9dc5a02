"""Verify that spec/ and generated/ are what their inputs give (``nox -s check_generated``).

    python -m codegen.check [UPSTREAM]

spec/ is cut again from spec/upstream.yaml, the part of the upstream file the cut reads,
kept in the repository: so spec/ is verified on every machine, with or without the
upstream file.  That file itself (UPSTREAM: a path or a name in ../shared/upstream/; by
default where spec/provenance.json says it came from) is verified too whenever it is
there: its sha256 must be the one recorded, and its cut must give the same spec/ and the
same kept inputs.  generated/ and facade/types.py are generated again from spec/ and
compared.  Each check fails loudly; none is skipped in silence.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from codegen import cut, generate
from codegen.regenerate import PROJECT, resolve_upstream

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.check", description=__doc__.splitlines()[0])
    parser.add_argument("upstream", nargs="?", help="the upstream file (default: the one spec/ records)")
    args = parser.parse_args(argv)
    provenance = json.loads((PROJECT / "spec" / "provenance.json").read_text("utf-8"))
    recorded = provenance["upstream"]
    failed = cut.main([str(PROJECT / provenance["inputs"]), "--check"]) != 0
    try:
        upstream: Path | None = resolve_upstream(args.upstream or str(PROJECT / recorded["source"]))
    except FileNotFoundError as error:
        if args.upstream:
            print(f"check: {error}", file=sys.stderr)
            return 1
        upstream = None
        print(
            f"{recorded['source']} is not on this machine: spec/ was verified from {provenance['inputs']}, "
            f"which records its sha256 {recorded['sha256']}"
        )
    if upstream is not None:
        digest = hashlib.sha256(upstream.read_bytes()).hexdigest()
        if digest != recorded["sha256"]:
            print(f"check: {upstream} is not the file spec/ was cut from: sha256 {digest}", file=sys.stderr)
            failed = True
        else:
            failed = cut.main([str(upstream), "--check"]) != 0 or failed
            print(f"spec/ is the cut of {upstream} (sha256 {digest})")
    failed = generate.main(["--check"]) != 0 or failed
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
