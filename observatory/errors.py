"""Errors: every problem carries a stable code, a file, a row, a column and a reason, collected and shown at once.

Codes are short kebab-case names (``unknown-area``, ``count-exceeds-denominator``) that tests and callers
match on; the reason is the sentence a person reads. :func:`rows` is the one rendering of a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One problem in an input: where it is and why it is wrong. ``row`` is the 1-based line in the file."""

    file: str
    row: int | None
    column: str | None
    reason: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.reason}"


@dataclass
class Report:
    """A collection of problems; empty means valid."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, row: int | None, column: str | None, reason: str, code: str = "invalid") -> None:
        self.problems.append(Problem(str(file), None if row is None else int(row), column, reason, code))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def add_rows(
        self, file: str, rows: Iterable[int], column: str | None, reason: str, limit: int = 50, code: str = "invalid"
    ) -> None:
        """Add one problem per offending row, up to ``limit`` rows, then one summary line for the rest."""
        rows = list(rows)
        for r in rows[:limit]:
            self.add(file, r, column, reason, code)
        if len(rows) > limit:
            self.add(file, None, column, f"{reason} (and {len(rows) - limit} more rows)", code)

    @property
    def codes(self) -> set[str]:
        """The distinct problem codes in the report."""
        return {p.code for p in self.problems}

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:  # a report is truthy when it holds problems
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd  # here, not at the top: the command line imports this module before it needs pandas

        return pd.DataFrame([p.__dict__ for p in self.problems], columns=["code", "file", "row", "column", "reason"])

    def __str__(self) -> str:
        if not self.problems:
            return "no problems"
        lines = [f"{len(self.problems)} problem(s):"] + [f"  {p}" for p in self.problems]
        return "\n".join(lines)

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ValidationError(self)


class ValidationError(Exception):
    """Raised when an input fails validation; carries the full report."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(str(report))


def rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    """The report as display rows (file, row, column, code, reason): the one rendering every command prints."""
    return [(p.file, "" if p.row is None else str(p.row), p.column or "", p.code, p.reason) for p in report]


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
"""Exit codes of a build: all built, some outputs failed, bad input or usage (nothing built), another build running."""


class PackError(Exception):
    """A usage or configuration error: nothing was built."""

    exit_code = EXIT_USAGE


class PackLocked(PackError):
    """Another build of the same pack is running."""

    exit_code = EXIT_LOCKED
