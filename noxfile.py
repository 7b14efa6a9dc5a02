"""Every workflow of completionkit, as nox sessions.

nox                     lint, typecheck, package, check_generated, tests, tests_lowest, contract, fuzz,
                        docs (what CI runs; typecheck: on the package installed from its wheel;
                        package: the sdist and the wheel, checked by twine; tests_lowest: the
                        tests at every dependency's lower bound; docs: the documentation site,
                        built strictly)
nox -s regenerate -- UPSTREAM.yaml    cut spec/ from an upstream OpenAPI file, generate, check the
                                      facade against it, report what changed (spec/CHANGES.md)
nox -s generate         regenerate generated/ and facade/types.py from spec/openapi.yaml
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

import nox
from packaging.requirements import Requirement

nox.needs_version = ">=2025.2.9"  # dependency groups from pyproject.toml
nox.options.sessions = [
    "lint",
    "typecheck",
    "package",
    "check_generated",
    "tests",
    "tests_lowest",
    "contract",
    "fuzz",
    "docs",
]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PRISM_DIR = ROOT / "tests" / "prism"
# The extras the tests (and a regeneration's checks) install: all the package has.
EXTRAS = "testing,progress,cli,otel"
# Code we write and hold to the strictest standard; generated/ is checked by the
# type checkers (below) but not linted: its style is datamodel-codegen's (its runtime
# modules, _base.py and _endpoint.py, are linted where they are written, codegen/runtime/).
OUR_CODE = ["facade", "codegen", "tests", "bench", "docs/hooks", "noxfile.py"]


def _markdown_programs() -> dict[str, str]:
    """The Python examples of README.md and of every docs page that has some, each file as
    one module, by module name (tests/markdown_programs.py says how)."""
    path = ROOT / "tests" / "markdown_programs.py"
    spec = importlib.util.spec_from_file_location("markdown_programs", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    programs: dict[str, str] = {
        module.program_name(path): module.markdown_program(path) for path in module.markdown_files()
    }
    return programs


def _group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session
def regenerate(session: nox.Session) -> None:
    """Regenerate from the upstream file given after `--` (a path, or a file of
    ../shared/upstream/ by its name): cut spec/, generate, type-check the facade against the
    new code and run the tests that exercise it, then report what changed for users
    (printed, and written to spec/CHANGES.md). Fails when users would break."""
    if not session.posargs:
        session.error("name the upstream file: nox -s regenerate -- path/to/openapi.yaml")
    # The package from this checkout, so that the tests import what was just generated.
    session.install("-e", f".[{EXTRAS}]", *_group("test"))
    session.run("python", "-m", "codegen.regenerate", *session.posargs)


@nox.session
def generate(session: nox.Session) -> None:
    """Write generated/ and facade/types.py from spec/openapi.yaml (datamodel-codegen plus
    our stub generator)."""
    session.install(*_group("codegen"))
    session.run("python", "-m", "codegen.generate")


@nox.session
def check_generated(session: nox.Session) -> None:
    """Fail when spec/ is not what the upstream file + overlay give, or generated/ (or
    facade/types.py) not what spec/ gives.

    spec/upstream.yaml, the part of the upstream file the cut reads, is kept in the
    repository: spec/ is verified from it on every machine.  The upstream file itself, given
    after `--` or found where spec/provenance.json says it came from, is verified too
    whenever it is there: its sha256 must be the one recorded, and its cut must give the
    same spec/ and the same kept inputs.
    """
    session.install(*_group("codegen"))
    session.run("python", "-m", "codegen.check", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting of the code we write."""
    session.install(*_group("lint"))
    session.run("ruff", "check", *OUR_CODE)
    session.run("ruff", "format", "--check", *OUR_CODE)


# The only strict-mode rule datamodel-codegen's output breaks: an empty-list default is
# written `field(default_factory=list)`, a list of unknown items to pyright.
GENERATED_PYRIGHT_EXCEPTIONS = {"reportUnknownVariableType": False}


def _build(session: nox.Session, out: Path) -> tuple[Path, Path]:
    """``python -m build`` into ``out``: the sdist, then the wheel built from that sdist (so
    the sdist holds what the wheel needs); both paths."""
    session.install(*_group("package"))
    session.run("python", "-m", "build", "--outdir", str(out), str(ROOT), silent=True)
    (sdist,) = out.glob("completionkit-*.tar.gz")
    (wheel,) = out.glob("completionkit-*.whl")
    return sdist, wheel


def _fresh_venv(session: nox.Session, where: Path, *requirements: str) -> Path:
    """A new virtual environment at ``where``, holding ``requirements`` only; its python."""
    session.run("python", "-m", "venv", str(where))
    python = where / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    session.run(str(python), "-m", "pip", "install", "--quiet", *requirements, external=True)
    return python


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright on the package as a user has it: its wheel, built and
    installed into a fresh virtual environment, checked from a folder outside the checkout.

    - The package's own code: mypy --strict and pyright strict. generated/ is held to the
      same strictness as facade/, with one exception for pyright, in
      GENERATED_PYRIGHT_EXCEPTIONS.
    - Consumer code, which sees the package as an installed library (where a name a module
      does not export is an error): pyright basic, pyright strict and mypy --strict on a
      program per public module importing every name of its __all__
      (tests/typing/every_public_name.py), on tests/typing/test_consumer_*.py, and on the
      Python examples of README.md and the docs (tests/markdown_programs.py).
    """
    session.install(*_group("typecheck"))
    with tempfile.TemporaryDirectory(prefix="completionkit-typecheck-") as folder:
        tmp = Path(folder).resolve()
        _, wheel = _build(session, tmp / "dist")
        python = _fresh_venv(session, tmp / "venv", f"{wheel}[{EXTRAS}]", *_group("typecheck-consumers"))
        site = session.run(
            str(python),
            "-c",
            "import completionkit, os; print(os.path.dirname(completionkit.__file__))",
            silent=True,
            external=True,
        )
        assert isinstance(site, str)
        package = Path(site.strip())
        ours = [str(p) for p in sorted(package.rglob("*.py")) if "_generated" not in p.parts]
        consumers = tmp / "consumers"
        consumers.mkdir()
        session.run(
            str(python),
            str(ROOT / "tests" / "typing" / "every_public_name.py"),
            str(consumers),
            external=True,
        )
        # Consumer-style files that must pass; tests/typing/wrong_usage.py must not, and
        # tests/typing/test_wrong_usage.py checks that it does not.
        for path in sorted((ROOT / "tests" / "typing").glob("test_consumer_*.py")):
            shutil.copyfile(path, consumers / path.name)
        # The examples of the README and of the docs, as written there, are consumer code too.
        for name, program in _markdown_programs().items():
            (consumers / f"{name}.py").write_text(program, "utf-8")
        consumer_files = [str(p) for p in sorted(consumers.glob("*.py"))]
        strict = {"typeCheckingMode": "strict", "pythonVersion": "3.11"}
        pyright_configs = {
            "basic": {**strict, "typeCheckingMode": "basic"},
            "strict": strict,
            "generated": {**strict, **GENERATED_PYRIGHT_EXCEPTIONS},
        }
        for name, settings in pyright_configs.items():
            (tmp / f"{name}.json").write_text(json.dumps(settings))
        mypy = ["mypy", "--strict", "--python-executable", str(python)]
        pyright = ["pyright", "--pythonpath", str(python), "--project"]
        with session.chdir(tmp):
            session.run(*mypy, "--config-file", str(ROOT / "pyproject.toml"), "-p", "completionkit")
            session.run(*pyright, str(tmp / "strict.json"), *ours)
            session.run(*pyright, str(tmp / "generated.json"), str(package / "_generated"))
            session.run(*mypy, *consumer_files)
            session.run(*pyright, str(tmp / "basic.json"), *consumer_files)
            session.run(*pyright, str(tmp / "strict.json"), *consumer_files)


@nox.session
def package(session: nox.Session) -> None:
    """The sdist and the wheel, as an index takes them: ``python -m build`` (the wheel from
    the sdist), then ``twine check --strict`` on both (tests/test_packaging.py checks what
    they hold, and that the sdist installs and runs)."""
    with tempfile.TemporaryDirectory(prefix="completionkit-package-") as folder:
        sdist, wheel = _build(session, Path(folder))
        session.run("twine", "check", "--strict", str(sdist), str(wheel))


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


def _run_tests(session: nox.Session, pins: dict[str, Requirement] | None = None) -> None:
    """The test suite against the installed package (Prism installed with npm first); with
    ``pins``, its requirements are held to them, and the session fails unless exactly those
    versions are installed."""
    pins = pins or {}
    test = list(_group("test"))
    if "opentelemetry-api" in pins:
        # The SDK comes in the API's own version: the lowest API's SDK with the lowest API.
        lowest = pins["opentelemetry-api"].specifier
        test = [r for r in test if not r.startswith("opentelemetry-sdk")] + [f"opentelemetry-sdk{lowest}"]
    session.install(f".[{EXTRAS}]", *map(str, pins.values()), *test, *_group("spec"))
    if pins:
        _check_installed(session, pins)
    _install_prism(session)
    session.run("pytest", "--ignore=tests/contract", "--ignore=tests/docs", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, with the newest versions of the package's requirements."""
    _run_tests(session)


# Requirements whose lower bound cannot be installed beside the test tools: rich 13 (the
# cli extra's bound), because twine 7, which tests/test_packaging.py runs, needs rich 14.3.3.
# It is tested at the version the tools take; the cli's tests passed on rich 13.0.0 by hand.
_NOT_AT_LOWEST = frozenset({"rich"})


def _lower_bounds() -> dict[str, Requirement]:
    """Each runtime, `testing`, `cli` and `otel` requirement of pyproject.toml pinned to its lower bound
    (``msgspec>=0.22`` gives ``msgspec==0.22``), by name; those whose marker does not
    hold here (uvloop on Windows) are left out, as pip leaves them out."""
    project = PYPROJECT["project"]
    pins: dict[str, Requirement] = {}
    extras = project["optional-dependencies"]
    for text in [*project["dependencies"], *(r for name in ("testing", "cli", "otel") for r in extras[name])]:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        if requirement.name in _NOT_AT_LOWEST:
            continue
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if len(lower) != 1:
            raise ValueError(f"{text!r} has no single lower bound (>=) to test")
        pins[requirement.name] = Requirement(f"{requirement.name}=={lower[0]}")
    return pins


_INSTALLED_VERSIONS = (
    "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
)


def _check_installed(session: nox.Session, pins: dict[str, Requirement]) -> None:
    output = session.run_install("python", "-c", _INSTALLED_VERSIONS, *pins, silent=True)
    assert isinstance(output, str)
    installed: dict[str, str] = json.loads(output.strip().splitlines()[-1])
    wrong = {
        name: version
        for name, version in installed.items()
        if not pins[name].specifier.contains(version, prereleases=True)
    }
    if wrong:
        session.error(f"installed {wrong}, not the versions pinned: {', '.join(map(str, pins.values()))}")
    session.log(f"installed, as pinned: {', '.join(f'{n}=={v}' for n, v in installed.items())}")


@nox.session
def tests_lowest(session: nox.Session) -> None:
    """The test suite with every runtime and `testing` requirement at exactly the lower
    bound pyproject.toml declares: the oldest versions the package says it works with."""
    _run_tests(session, _lower_bounds())


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


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs.yml, docs/), with the API reference made from the
    installed package's docstrings: `mkdocs build --strict`, so that a broken link or
    cross-reference fails, then tests/docs (every public name has its reference entry).

    The site is built in the session's temporary directory, whose path the log shows.
    """
    session.install(".[testing,cli,otel]", *_group("docs"))
    site = Path(session.create_tmp()).resolve() / "site"
    quiet = {"NO_MKDOCS_2_WARNING": "1"}  # the Material theme's notice about its future
    session.run("mkdocs", "build", "--strict", "--site-dir", str(site), env=quiet)
    session.run("pytest", "tests/docs", *session.posargs, env={**quiet, "COMPLETIONKIT_DOCS_SITE": str(site)})
    session.log(f"the site is in {site}: python -m http.server -d {site}")
