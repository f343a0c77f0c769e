"""Validation reports: every problem with a file, a row, a column and a reason, collected and shown at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One problem in an input: where it is and why it is wrong. ``row`` is the 1-based line in the file."""

    file: str
    row: int | None
    column: str | None
    reason: str

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

    def add(self, file: str, row: int | None, column: str | None, reason: str) -> None:
        self.problems.append(Problem(str(file), None if row is None else int(row), column, reason))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def add_rows(self, file: str, rows: Iterable[int], column: str | None, reason: str, limit: int = 50) -> None:
        """Add one problem per offending row, up to ``limit`` rows, then one summary line for the rest."""
        rows = list(rows)
        for r in rows[:limit]:
            self.add(file, r, column, reason)
        if len(rows) > limit:
            self.add(file, None, column, f"{reason} (and {len(rows) - limit} more rows)")

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
        return pd.DataFrame([p.__dict__ for p in self.problems], columns=["file", "row", "column", "reason"])

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
