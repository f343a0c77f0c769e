"""Declared table checks, reported in the words of the metadata files.

A schema's check carries a stable code as its ``name`` and a reason template as its ``error``, with
``{field}`` and ``{value!r}`` filled in from the failing cell. :func:`check_rows` runs it through
:func:`observatory._core.tables.check_frame` and re-addresses each failure: the caller's ``where``
maps a frame position and column to the problem's row and the subject that opens its reason
("indicator smoking", "dataset mini-police").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import pandera.pandas as pa

from observatory._core.tables import check_frame
from observatory.errors import Report

POSITION = "_pos"
ABSENT = "\0absent"
"""A field the record does not have at all (as opposed to one given as empty)."""


def given(value: Any) -> bool:
    """A value that was written and is not empty: checks of allowed values leave the rest to the required-field check."""
    return not (
        value is None
        or value is ABSENT
        or value == ABSENT
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and pd.isna(value))
    )


def allowed(values: Iterable[str], code: str, field: str = "{field}") -> pa.Check:
    """A check that a given value is one of ``values``."""
    values = tuple(values)
    return pa.Check(
        lambda v: not given(v) or (isinstance(v, str) and v in values),
        element_wise=True,
        name=code,
        error=f"{field} {{value!r}} is not one of {', '.join(values)}",
    )


def rule(test: Callable[[Any], bool], code: str, error: str) -> pa.Check:
    """A check of one value: ``test(value)`` is true when the value is acceptable."""
    return pa.Check(test, element_wise=True, name=code, error=error)


def check_rows(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    file: str,
    where: Callable[[int, str | None], tuple[int | None, str]],
    report: Report,
) -> Report:
    """Validate ``frame`` (which carries its positions in ``_pos``) and add each failure to ``report``."""
    found = check_frame(frame, schema, file, row_column=POSITION)
    for p in found:
        if p.row is None:
            report.add(p.file, 1, p.column, p.reason, p.code)
            continue
        value = frame.loc[frame[POSITION] == p.row, p.column].iloc[0] if p.column in frame.columns else None
        row, subject = where(p.row, p.column)
        reason = p.reason.format(field=p.column, value=value)
        report.add(p.file, row, p.column, f"{subject}: {reason}" if subject else reason, p.code)
    return report
