"""mypy --strict and pyright strict reject every wrong use in wrong_usage.py, and only
those; and their messages name the keyword a caller got wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..typecheckers import marked_lines, mypy, pyright

COUNT = 49  # the lines marked in wrong_usage.py: a guard against a broken marker

WRONG = Path(__file__).with_name("wrong_usage.py")


def test_the_file_marks_wrong_uses() -> None:
    assert len(marked_lines(WRONG.read_text("utf-8"))) == COUNT


@pytest.mark.parametrize("checker", [mypy, pyright], ids=["mypy", "pyright"])
def test_each_checker_rejects_each_marked_line(checker: Any, tmp_path: Path) -> None:
    errors, output = checker([WRONG], tmp_path)
    assert errors[WRONG] == marked_lines(WRONG.read_text("utf-8")), output


@pytest.mark.parametrize(
    ("call", "keyword"),
    [
        ('max_tokens="10"', "max_tokens"),
        ("temprature=0.5", "temprature"),
        ('reasoning_effort="extreme"', "reasoning_effort"),
        ('model="m", stream="yes"', "stream"),
    ],
)
def test_both_checkers_name_a_mistyped_or_misspelt_keyword(tmp_path: Path, call: str, keyword: str) -> None:
    model = "" if "model=" in call else 'model="gpt-4o-mini", '
    messages = '[{"role": "user", "content": "Hi"}]'
    # The messages first, by keyword, and by keyword after the rest: each call is named.
    forms = [
        f"{messages}, {model}{call}",
        f"messages={messages}, {model}{call}",
        f"{model}{call}, messages={messages}",
    ]
    consumer = tmp_path / "consumer.py"
    consumer.write_text(
        "from completionkit import OpenAI\n\n"
        "def use(client: OpenAI) -> None:\n"
        + "".join(f"    client.chat.completions.create({form})\n" for form in forms),
        "utf-8",
    )
    calls = {4, 5, 6}
    mypy_lines, mypy_output = mypy([consumer], tmp_path)
    errors = [line for line in mypy_output.splitlines() if ": error:" in line]
    assert mypy_lines[consumer] == calls, mypy_output
    assert all(keyword in line for line in errors), mypy_output
    assert len(mypy_output.splitlines()) < 30, mypy_output
    pyright_lines, pyright_output = pyright([consumer], tmp_path)
    reported = [d["message"] for d in json.loads(pyright_output)]
    assert pyright_lines[consumer] == calls, pyright_output
    assert all(keyword in message for message in reported), reported
