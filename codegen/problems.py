"""What a regeneration finds: a problem stops it, a note is advice.

Every stage (reading the upstream file, the cut, the overlay, naming, the checks of the
facade) reports what it finds as values of these two kinds instead of raising at the
first one, so that one run tells the maintainer everything that needs a decision, in a
report (codegen.regenerate) rather than a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CodegenError", "Note", "Problem"]


@dataclass(frozen=True)
class Problem:
    """Something that stops the regeneration until a maintainer decides.

    ``where`` names the thing at fault (``overlay action 7``, ``upstream``,
    ``facade/_results.py:195``), ``message`` says what is wrong in one sentence, and
    ``details`` are the lines a reader needs to decide (the target, the action's why,
    what was found instead, what to do).  Not part of the rendering: ``subject``.
    """

    where: str
    message: str
    details: tuple[str, ...] = ()
    subject: str = ""
    """What the finding is about, for a program to match: an overlay action's transform
    name or target pointer; empty where nothing needs matching."""

    def lines(self) -> list[str]:
        """The problem as a Markdown list item."""
        return [f"- **{self.where}**: {self.message}", *(f"  - {detail}" for detail in self.details)]

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class Note(Problem):
    """Advice that does not stop the regeneration (an overlay action this upstream does
    not need, say)."""


class CodegenError(ValueError):
    """One or more problems; the message lists every one of them."""

    def __init__(self, problems: list[Problem], notes: list[Note] | None = None) -> None:
        self.problems = list(problems)
        self.notes = list(notes or [])
        super().__init__("\n".join(str(problem) for problem in self.problems))
