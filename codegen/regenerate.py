"""Regenerate from an upstream OpenAPI file and tell the maintainer what changed for users.

    python -m codegen.regenerate UPSTREAM [--root DIR] [--checks all|typecheck|none]

``nox -s regenerate -- UPSTREAM`` runs this.  UPSTREAM is a path, or the name of a file in
``../shared/upstream/`` (``openapi-2026-07-31.yaml``, or without ``.yaml``).  In one run:

1. the cut (codegen.cut): every overlay action that no longer applies, every operation
   upstream lacks and YAML the parser refuses is a problem, all of them reported together;
2. the generation (codegen.generate), whose names are held to the version before, as
   HEAD has it (``check_names``): a schema present before and after keeps its public name;
3. what changed for users (codegen.changes): names, fields, operations, breaking first;
4. the checks: the hand-written facade type-checked (mypy --strict) against the new
   generated code, each error tied to the upstream change it comes from, and the tests
   that exercise the generated code.

The report is printed and written to ``spec/CHANGES.md``.  spec/ and generated/ are
written unless the cut or the names fail (then nothing is written but the report), so
that the maintainer can look at the diff and mend the facade.  The exit status is 1 when
users would break (a removed or renamed public name, a removed field or operation, a
failing check) or anything stopped the run, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from codegen import changes as api
from codegen import generate as generator
from codegen.cut import cut, source_name
from codegen.document import load_yaml
from codegen.overlay import RETIRE
from codegen.problems import CodegenError, Note, Problem

__all__ = [
    "CHECKS",
    "TESTS",
    "Regeneration",
    "facade_problems",
    "failing_tests",
    "main",
    "regenerate",
    "resolve_upstream",
]

PROJECT = Path(__file__).resolve().parent.parent
# Where the project's developers and CI keep published upstream files.
UPSTREAM_DIR = PROJECT.parent / "shared" / "upstream"
REPORT = "spec/CHANGES.md"
_GIT = shutil.which("git") or "git"
CHECKS = ("all", "typecheck", "none")
# The tests that exercise what the generator makes: the types and endpoint stubs, the
# client over them end to end, decoding, the public names.  The rest of the suite (the
# CLI, bulk jobs, processes, the docs) runs in `nox -s tests` before anything lands.
TESTS = (
    "tests/generated",
    "tests/client",
    "tests/test_decoding.py",
    "tests/test_public_api.py",
    "tests/test_openai_names.py",
)
# The files whose version before a regeneration says what users had.
_BEFORE = ("spec/openapi.yaml", "spec/provenance.json", api.MODELS, api.TYPES)


def resolve_upstream(argument: str) -> Path:
    """The file ``argument`` names: a path, or a file of ../shared/upstream/ by its name."""
    path = Path(argument)
    if path.is_file():
        return path
    for candidate in (UPSTREAM_DIR / argument, UPSTREAM_DIR / f"{argument}.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no upstream file {argument!r}, neither as a path nor in {UPSTREAM_DIR}")


def _before(root: Path) -> dict[str, str]:
    """spec/ and the generated files as HEAD has them: what users have now.  HEAD, not the
    working tree, so that running again after a failed regeneration still compares with
    the last version committed.  Outside a git checkout, the files in the tree."""
    files: dict[str, str] = {}
    for name in _BEFORE:
        shown = subprocess.run(
            [_GIT, "-C", str(root), "show", f"HEAD:{name}"], capture_output=True, text=True, check=False
        )
        if shown.returncode == 0:
            files[name] = shown.stdout
        elif (root / name).is_file():
            files[name] = (root / name).read_text("utf-8")
    return files


@dataclass
class Regeneration:
    """What a run found: the report's parts and the exit status."""

    source: str
    report: str
    exit_code: int


def _applied_before(before: dict[str, str]) -> dict[str, bool]:
    """Whether each overlay action of the cut before changed something, by its transform
    name or its target."""
    if "spec/provenance.json" not in before:
        return {}
    entries = json.loads(before["spec/provenance.json"]).get("overlay", [])
    return {
        entry.get("transform") or entry.get("target", ""): bool(entry.get("changes", 1))
        and "skipped" not in entry
        for entry in entries
    }


def _advice(notes: list[Note], before: dict[str, str]) -> list[Note]:
    """The cut's notes, told with what the cut before did with the same action: one it
    needed stays (the new upstream lacking the defect does not make the mend wrong while an
    older file may still be cut); one nothing needs any more can be retired."""
    applied = _applied_before(before)
    told: list[Note] = []
    for note in notes:
        if note.subject not in applied:
            told.append(note)
            continue
        advice = (
            "the cut before needed it: keep it while an upstream you cut from may have the defect"
            if applied[note.subject]
            else "the cut before did not need it either: it can be retired"
        )
        details = tuple(d for d in note.details if d != RETIRE)
        told.append(Note(note.where, note.message, (*details, advice), note.subject))
    return told


def regenerate(upstream: Path, root: Path = PROJECT, *, checks: str = "all") -> Regeneration:
    """Cut, generate, compare and check; write spec/, generated/ and the report under ``root``."""
    source = source_name(upstream)
    before = _before(root)
    old = (
        api.snapshot(load_yaml(before["spec/openapi.yaml"]), before)
        if "spec/openapi.yaml" in before
        else None
    )
    overlay = load_yaml((root / "spec" / "overlay.yaml").read_bytes())
    try:
        result = cut(upstream.read_bytes(), overlay, upstream_name=source)
    except CodegenError as error:
        return _finish(root, source, None, error.problems, _advice(error.notes, before))
    notes = _advice(result.notes, before)
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "openapi.yaml"
        spec.write_text(result.spec_text, "utf-8")
        try:
            files = generator.generate(spec)
        except (ValueError, RuntimeError) as error:
            problem = Problem("generation", "the generator refuses the new spec", (str(error),))
            return _finish(root, source, None, [problem], notes)
    new = api.snapshot(result.document, files)
    naming = api.check_names(old, new) if old is not None else []
    if naming:
        return _finish(root, source, None, naming, notes)
    for name, text in {
        "spec/openapi.yaml": result.spec_text,
        "spec/provenance.json": result.provenance_text,
        "spec/upstream.yaml": result.inputs_text,
        **files,
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    for stray in sorted((root / generator.GENERATED).glob("*.py")):
        if f"{generator.GENERATED}/{stray.name}" not in files:
            stray.unlink()
    changed = api.compare(old, new) if old is not None else api.compare(new, new)
    problems: list[Problem] = []
    if checks in ("all", "typecheck"):
        problems += facade_problems(root, files, changed)
    if checks == "all":
        problems += failing_tests(root, changed=changed)
    return _finish(root, source, changed, problems, notes)


def _finish(
    root: Path, source: str, changed: api.Changes | None, problems: list[Problem], notes: list[Note]
) -> Regeneration:
    report = api.render(changed or api.Changes(), problems, notes, source=source, stopped=changed is None)
    (root / REPORT).write_text(report, "utf-8")
    breaking = changed is not None and changed.breaking
    return Regeneration(source, report, 1 if problems or breaking or changed is None else 0)


# --- the facade against the new generated code -------------------------------------

_MYPY_LINE = re.compile(
    r"^completionkit/(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[[a-z-]+\])?$"
)
# A name as a type checker or an exception quotes it: "ChatCompletion", 'metadata'.
_QUOTED = re.compile(r"[\"']([A-Za-z_][A-Za-z0-9_.]*)[\"']")


def _package_tree(root: Path, files: dict[str, str], into: Path) -> Path:
    """The package as it installs (facade/ as completionkit, generated/ as its _generated),
    with the new generated files: what users would import."""
    package = into / "completionkit"
    shutil.copytree(root / "facade", package, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in files.items():
        generated = name.removeprefix(f"{generator.GENERATED}/")
        target = package / ("_generated/" + generated if generated != name else name.removeprefix("facade/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    return package


def facade_problems(root: Path, files: dict[str, str], changed: api.Changes) -> list[Problem]:
    """mypy --strict on the package with the new generated code; each error in facade/ with
    the upstream change it comes from, where one explains it."""
    with tempfile.TemporaryDirectory() as folder:
        _package_tree(root, files, Path(folder))
        completed = subprocess.run(
            [
                sys.executable, "-m", "mypy", "--strict", "--python-version", "3.11",
                "--no-error-summary", "--show-error-codes", "--no-color-output",
                "--cache-dir", str(Path(folder) / ".mypy_cache"), "-p", "completionkit",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
    # One problem per line of the facade: the upstream change that explains any of its
    # errors, and every error mypy gives there.
    errors: dict[str, list[str]] = {}
    for line in completed.stdout.splitlines():
        match = _MYPY_LINE.match(line)
        if match is None:
            continue
        path = match["path"]
        where = (
            f"generated/{path.removeprefix('_generated/')}"
            if path.startswith("_generated/")
            else f"facade/{path}"
        )
        errors.setdefault(f"{where}:{match['line']}", []).append(match["message"])
    problems: list[Problem] = []
    for where, messages in errors.items():
        causes = [c for c in (_cause(changed, _QUOTED.findall(m)) for m in messages) if c is not None]
        message = f"uses {causes[0]}" if causes else "does not type-check against the new code"
        problems.append(Problem(where, message, tuple(f"mypy: {m}" for m in messages)))
    if completed.returncode != 0 and not problems:
        problems.append(
            Problem("typecheck", "mypy did not run", (completed.stderr.strip() or completed.stdout.strip(),))
        )
    return problems


def _cause(changed: api.Changes, quoted: list[str]) -> str | None:
    """The upstream change a type checker's message is about, from the names it quotes
    (``"ChatCompletion" has no attribute "metadata"``), or None."""
    words = set(quoted)
    renamed = {r.old: r.new for r in changed.renamed}
    for name in quoted:
        if name in changed.removed_names:
            return f"`{name}`, a name this upstream removed"
        if name in renamed:
            return f"`{name}`, a name that is now `{renamed[name]}`"
        if name in changed.removed_operations:
            return f"the operation `{name}`, which this upstream removed"
    for kind, found in (
        ("a field this upstream removed", changed.removed_fields),
        ("a field whose type changed", changed.retyped_fields),
    ):
        # The owner may be quoted as part of a union (`Item "None" of "ChatCompletion | None"`):
        # the field's name alone decides, the owners it had are listed.
        owners = sorted({c.owner for c in found if c.name in words and c.owner in words}) or sorted(
            {c.owner for c in found if c.name in words}
        )
        if owners:
            field_name = next(c.name for c in found if c.name in words and c.owner in owners)
            return f"{' / '.join(f'`{o}.{field_name}`' for o in owners)}, {kind}"
    return None


def failing_tests(
    root: Path, tests: tuple[str, ...] = TESTS, *, changed: api.Changes | None = None
) -> list[Problem]:
    """``tests`` (by default those that exercise the generated code) run in ``root``; each
    failure named, with the first line of its message and the upstream change it comes
    from where its message names one (``'ChatCompletion' object has no attribute
    'metadata'``)."""
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *tests],
            cwd=root,
            check=False,
        )
        if not junit.is_file():
            return [Problem("tests", "pytest wrote no results")]
        suite = ElementTree.parse(junit).getroot()  # noqa: S314 - written by our own pytest run
    problems: list[Problem] = []
    for case in suite.iter("testcase"):
        for failure in [*case.findall("failure"), *case.findall("error")]:
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            first = (failure.get("message") or "").strip().splitlines()[:1]
            cause = _cause(changed, _QUOTED.findall(first[0])) if changed is not None and first else None
            problems.append(
                Problem(
                    f"test {name}", f"uses {cause}" if cause else "fails against the new code", tuple(first)
                )
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("upstream", help="a path, or the name of a file in ../shared/upstream/")
    parser.add_argument("--root", type=Path, default=PROJECT, help="the project folder (default: this one)")
    parser.add_argument(
        "--checks",
        choices=CHECKS,
        default="all",
        help="run mypy on the facade and the tests (all), one, or none",
    )
    args = parser.parse_args(argv)
    try:
        upstream = resolve_upstream(args.upstream)
    except FileNotFoundError as error:
        print(f"regenerate: {error}", file=sys.stderr)
        return 2
    outcome = regenerate(upstream, args.root, checks=args.checks)
    print(outcome.report)
    print(f"(written to {args.root / REPORT})", file=sys.stderr)
    return outcome.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
