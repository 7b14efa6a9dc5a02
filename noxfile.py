"""Every workflow of completionkit, as nox sessions.

nox                     lint, typecheck, check_generated, tests, contract, fuzz (what CI runs)
nox -s update_spec -- UPSTREAM.yaml   cut spec/ from an upstream OpenAPI file
nox -s generate         regenerate generated/ from spec/openapi.yaml
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"  # dependency groups from pyproject.toml
nox.options.sessions = ["lint", "typecheck", "check_generated", "tests", "contract", "fuzz"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
# Where the project's developers and CI keep the upstream OpenAPI files.
UPSTREAM_DIR = ROOT.parent / "shared" / "upstream"
PRISM_DIR = ROOT / "tests" / "prism"
# Code we write and hold to the strictest standard; generated/ is checked by the
# type checkers (below) but not linted: its style is datamodel-codegen's (its runtime
# modules, _base.py and _endpoint.py, are linted where they are written, codegen/runtime/).
OUR_CODE = ["facade", "codegen", "tests", "bench", "noxfile.py"]


def _readme_program() -> str:
    """README.md's Python examples as one module (tests/readme.py says how)."""
    spec = importlib.util.spec_from_file_location("readme", ROOT / "tests" / "readme.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    program: str = module.readme_program()
    return program


def _group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session
def update_spec(session: nox.Session) -> None:
    """Cut spec/ from the upstream file given after `--`, applying spec/overlay.yaml."""
    if not session.posargs:
        session.error("name the upstream file: nox -s update_spec -- path/to/openapi.yaml")
    session.install(*_group("codegen"))
    session.run("python", "-m", "codegen.cut", *session.posargs)
    session.log("now run `nox -s generate` and review `git diff spec/ generated/`")


@nox.session
def generate(session: nox.Session) -> None:
    """Write generated/ from spec/openapi.yaml (datamodel-codegen plus our stub generator)."""
    session.install(*_group("codegen"))
    session.run("python", "-m", "codegen.generate")


@nox.session
def check_generated(session: nox.Session) -> None:
    """Fail when spec/ is not what upstream + overlay give, or generated/ not what spec/ gives.

    The upstream file is the one spec/provenance.json names, looked up beside the
    project (../shared/upstream/), or given after `--`.
    """
    provenance = json.loads((ROOT / "spec" / "provenance.json").read_text("utf-8"))
    upstream = Path(session.posargs[0]) if session.posargs else UPSTREAM_DIR / provenance["upstream"]["file"]
    if not upstream.is_file():
        session.error(
            f"no upstream file at {upstream}: pass it after `--` (sha256 {provenance['upstream']['sha256']})"
        )
    session.install(*_group("codegen"))
    session.run("python", "-m", "codegen.cut", str(upstream), "--check")
    session.run("python", "-m", "codegen.generate", "--check")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting of the code we write."""
    session.install(*_group("lint"))
    session.run("ruff", "check", *OUR_CODE)
    session.run("ruff", "format", "--check", *OUR_CODE)


# The only strict-mode rule datamodel-codegen's output breaks: an empty-list default is
# written `field(default_factory=list)`, a list of unknown items to pyright.
GENERATED_PYRIGHT_EXCEPTIONS = {"reportUnknownVariableType": False}


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright strict, on the installed package and on consumer-style code.

    The package is installed (not editable) so both checkers see it exactly as a user
    does. generated/ is held to the same strictness as facade/ (mypy --strict passes on
    it as it is), with one exception for pyright, in GENERATED_PYRIGHT_EXCEPTIONS.
    """
    session.install(".[testing]", *_group("typecheck"))
    site = session.run(
        "python",
        "-c",
        "import completionkit, os; print(os.path.dirname(completionkit.__file__))",
        silent=True,
    )
    assert isinstance(site, str)
    package = Path(site.strip())
    ours = [str(p) for p in sorted(package.rglob("*.py")) if "_generated" not in p.parts]
    # Consumer-style files that must pass; tests/typing/wrong_usage.py must not, and
    # tests/typing/test_wrong_usage.py checks that it does not.
    consumers = [str(p) for p in sorted((ROOT / "tests" / "typing").glob("test_consumer_*.py"))]
    tmp = Path(session.create_tmp()).resolve()
    # The README's examples, as written there, are consumer code too.
    readme = tmp / "readme_examples.py"
    readme.write_text(_readme_program(), "utf-8")
    consumers.append(str(readme))
    strict = {"typeCheckingMode": "strict", "pythonVersion": "3.11"}
    (tmp / "strict.json").write_text(json.dumps(strict))
    (tmp / "generated.json").write_text(json.dumps({**strict, **GENERATED_PYRIGHT_EXCEPTIONS}))
    # Run from outside the checkout so that `facade/` is not mistaken for a package.
    with session.chdir(tmp):
        session.run("mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"), "-p", "completionkit")
        session.run("mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"), *consumers)
        session.run("pyright", "--project", str(tmp / "strict.json"), *ours, *consumers)
        session.run("pyright", "--project", str(tmp / "generated.json"), str(package / "_generated"))


@nox.session
def bench(session: nox.Session) -> None:
    """completionkit against the latest official openai package, side by side; writes
    BENCHMARKS.md and its chart, bench/benchmarks.svg (`-- N` for N rounds, 7 by default).

    openai and matplotlib (for the chart) are installed here only, never in the package's
    own dependencies. Not part of the default sessions: nothing that gates a change
    depends on timing.
    """
    session.install(".[testing]", "openai", "matplotlib")
    session.run(
        "python", "bench/run.py", env={"BENCH_ROUNDS": session.posargs[0] if session.posargs else "7"}
    )


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: a conversation through every method, against the embedded server."""
    session.install(".[testing]")
    session.run("python", "-m", "completionkit", "demo")


def _install_prism(session: nox.Session) -> None:
    session.run("npm", "ci", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, against the installed package; installs Prism with npm first."""
    session.install(".[testing]", *_group("test"), *_group("spec"))
    _install_prism(session)
    session.run("pytest", "--ignore=tests/contract", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """schemathesis drives the local server from spec/openapi.yaml: no server error, and
    every answer conforms to the spec. A bounded run by default (CI); `-- N` for N examples
    an operation."""
    session.install(".[testing]", *_group("fuzz"))
    session.run("python", "tests/fuzz.py", *session.posargs)


@nox.session
def contract(session: nox.Session) -> None:
    """The client against Prism on spec/openapi.yaml: every method, every parameter set."""
    session.install(".", *_group("test"))
    _install_prism(session)
    session.run("pytest", "tests/contract", *session.posargs)
