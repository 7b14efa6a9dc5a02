"""`nox -s regenerate`: real upstream versions in, a report of what changed for users out.

The upstream files are OpenAI's published openapi.yaml at four points of its history,
kept as the part the cut reads (tests/fixtures/upstream/, made by `python -m codegen.cut
UPSTREAM --inputs-only`); each run regenerates a copy of the project in a temporary
folder, and the facade is type-checked against what it generates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from codegen import check
from codegen import regenerate as regeneration
from codegen.changes import Changes, Field, FieldChange
from codegen.document import dump_yaml, load_yaml, mappings
from codegen.generate import listed_names

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "upstream"
NEWEST = ROOT / "spec" / "upstream.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what a regeneration reads and writes: spec/, generated/ and facade/."""
    for folder in ("spec", "generated", "facade"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _spec(project: Path) -> str:
    return (project / "spec" / "openapi.yaml").read_text("utf-8")


def test_the_upstream_spec_was_cut_from_changes_nothing(project: Path) -> None:
    outcome = regeneration.regenerate(NEWEST, project, checks="typecheck")
    assert outcome.exit_code == 0, outcome.report
    assert "**No change users would notice.**" in outcome.report
    assert "## Problems" not in outcome.report
    for name in ("spec/openapi.yaml", "spec/provenance.json", "spec/upstream.yaml", "generated/models.py"):
        assert (project / name).read_bytes() == (ROOT / name).read_bytes(), name
    assert (project / "spec" / "CHANGES.md").read_text("utf-8") == outcome.report


def test_an_older_upstream_names_what_users_lose_and_where_the_facade_used_it(project: Path) -> None:
    # 2026-07-31: three weeks older than spec/; the response had no `metadata` yet.
    outcome = regeneration.regenerate(FIXTURES / "2026-07-31.yaml", project, checks="typecheck")
    report = outcome.report
    assert outcome.exit_code == 1
    breaking = report.split("## Breaking", 1)[1].split("\n## ", 1)[0]
    for lost in ("`ChatCompletion.metadata`", "`CompletionUsageCompletionTokensDetails.text_tokens`"):
        assert lost in breaking
    problems = report.split("## Problems", 1)[1].split("\n## ", 1)[0]
    # The facade's dependency on the removed field, named with the upstream change and mypy's line.
    assert "facade/_results.py:" in problems
    assert "uses `ChatCompletion.metadata`, a field this upstream removed" in problems
    assert 'mypy: "ChatCompletion" has no attribute "metadata"' in problems
    # Breaking first: the sections come in the order a maintainer decides in.
    assert report.index("## Breaking") < report.index("## Problems") < report.index("## Added")
    # The regenerated files are there to review and mend against.
    assert (
        "metadata"
        not in load_yaml(_spec(project))["components"]["schemas"]["CreateChatCompletionResponse"][
            "properties"
        ]
    )
    assert (project / "spec" / "CHANGES.md").read_text("utf-8") == report
    # The sample report of the README and of the guide is this one, as it stands.
    for page in (ROOT / "README.md", ROOT / "docs" / "guide" / "regenerating.md"):
        shown = _sample_report(page.read_text("utf-8"))
        assert shown[0] == "# What the regeneration changes for users"
        assert shown[3:] == report.splitlines()[3:], page.name


def _sample_report(page: str) -> list[str]:
    """The lines of the ```text block of ``page`` that shows a report."""
    block = page.split("```text\n# What the regeneration", 1)[1].split("\n```\n", 1)[0]
    return ("# What the regeneration" + block).splitlines()


def test_an_upstream_before_a_feature_names_every_public_name_users_lose(project: Path) -> None:
    # 2026-05-13: before moderation and prompt-cache options.
    outcome = regeneration.regenerate(FIXTURES / "2026-05-13.yaml", project, checks="none")
    assert outcome.exit_code == 1
    breaking = outcome.report.split("## Breaking", 1)[1].split("\n## ", 1)[0].splitlines()
    for name in ("Moderation", "ModerationParam", "PromptCacheOptions", "PromptCacheOptionsParam"):
        assert f"- Removed name `{name}`" in breaking
    removed = "- Removed field `CreateChatCompletionRequest.prompt_cache_options`"
    assert f"{removed}: `PromptCacheOptions | UnsetType = …`" in breaking
    # Nothing users lose goes unsaid: every name facade/types.py had and no longer has.
    before = set(listed_names((ROOT / "facade" / "types.py").read_text("utf-8")))
    after = set(listed_names((project / "facade" / "types.py").read_text("utf-8")))
    assert {line.split("`")[1] for line in breaking if line.startswith("- Removed name")} == before - after


def test_every_problem_of_the_overlay_in_one_run(project: Path) -> None:
    # 2025-04-29: other shapes in several places the overlay patches.
    before = _spec(project)
    outcome = regeneration.regenerate(FIXTURES / "2025-04-29.yaml", project, checks="none")
    report = outcome.report
    assert outcome.exit_code == 1
    assert "**Nothing was regenerated:" in report
    problems = report.split("## Problems", 1)[1].split("\n## ", 1)[0]
    items = [line for line in problems.splitlines() if line.startswith("- **overlay action ")]
    assert len(items) >= 2, problems
    # Each names its number, its target, its why and what it found there instead.
    assert "  - why: " in problems
    assert "at `/components/schemas/" in problems
    assert "Traceback" not in report
    # A mend of upstream this file does not need is advice, never applied to another shape.
    assert "## Advice" in report
    assert _spec(project) == before


def test_an_upstream_without_the_operations(project: Path) -> None:
    # 2024-06-24: before stored completions; it also redefines YAML anchors (legal YAML).
    outcome = regeneration.regenerate(FIXTURES / "2024-06-24.yaml", project, checks="none")
    assert outcome.exit_code == 1
    for missing in (
        "listChatCompletions",
        "getChatCompletion",
        "updateChatCompletion",
        "deleteChatCompletion",
        "getChatCompletionMessages",
    ):
        assert missing in outcome.report


def _renamed(schema: str, to: str) -> bytes:
    """spec/upstream.yaml with one component renamed, as upstream sometimes does."""
    document = load_yaml(NEWEST.read_bytes())
    schemas = document["components"]["schemas"]
    document["components"]["schemas"] = {to if k == schema else k: v for k, v in schemas.items()}
    for node in mappings(document):
        if node.get("$ref") == f"#/components/schemas/{schema}":
            node["$ref"] = f"#/components/schemas/{to}"
    return dump_yaml(document).encode()


def test_a_schema_renamed_upstream_fails_instead_of_renaming_a_public_type(project: Path) -> None:
    upstream = project / "renamed.yaml"
    upstream.write_bytes(_renamed("ChatCompletionTokenLogprob", "TokenLogprob"))
    before = (project / "generated" / "models.py").read_bytes()
    outcome = regeneration.regenerate(upstream, project, checks="none")
    assert outcome.exit_code == 1
    assert "**Nothing was regenerated:" in outcome.report
    assert "`TokenLogprob`" in outcome.report
    assert "`ChatCompletionTokenLogprob`" in outcome.report
    assert (project / "generated" / "models.py").read_bytes() == before


def test_the_names_before_are_heads(project: Path) -> None:
    # A maintainer who runs it again after a failed attempt still compares with the last
    # version committed, not with what the failed attempt left in the tree.
    git = [shutil.which("git") or "git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "before"], check=True)
    assert regeneration.regenerate(FIXTURES / "2026-07-31.yaml", project, checks="none").exit_code == 1
    again = regeneration.regenerate(FIXTURES / "2026-07-31.yaml", project, checks="none")
    assert again.exit_code == 1
    assert "Removed field `ChatCompletion.metadata`" in again.report


def test_the_command_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = regeneration.main([str(NEWEST), "--root", str(project), "--checks", "none"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("# ")
    assert "spec/CHANGES.md" in err
    assert regeneration.main(["no-such-upstream.yaml", "--root", str(project)]) == 2
    assert "no upstream file 'no-such-upstream.yaml'" in capsys.readouterr().err


def test_failing_tests_are_named_in_the_report(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "def test_fine():\n    pass\n\n\ndef test_broken():\n    assert 1 == 2, 'the answer changed'\n",
        "utf-8",
    )
    env_before = dict(os.environ)
    problems = regeneration.failing_tests(tmp_path, ("tests/test_x.py",))
    assert os.environ == env_before
    assert [p.where for p in problems] == ["test tests.test_x::test_broken"]
    assert problems[0].message == "fails against the new code"
    assert "the answer changed" in problems[0].details[0]


def test_a_failing_test_is_tied_to_the_upstream_change_it_meets(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_y.py").write_text(
        "class ChatCompletion:\n    pass\n\n\n"
        "def test_reads_metadata():\n    assert ChatCompletion().metadata  # type: ignore[attr-defined]\n",
        "utf-8",
    )
    removed = FieldChange("ChatCompletion", "metadata", Field("dict[str, str] | None", True), None)
    problems = regeneration.failing_tests(
        tmp_path, ("tests/test_y.py",), changed=Changes(removed_fields=(removed,))
    )
    assert [p.message for p in problems] == ["uses `ChatCompletion.metadata`, a field this upstream removed"]
    assert "'ChatCompletion' object has no attribute 'metadata'" in problems[0].details[0]


def test_check_generated_refuses_an_upstream_file_spec_was_not_cut_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check.main([str(FIXTURES / "2026-07-31.yaml")]) == 1
    assert "is not the file spec/ was cut from" in capsys.readouterr().err
    assert check.main([str(FIXTURES / "no-such-file.yaml")]) == 1
    assert "no upstream file" in capsys.readouterr().err
