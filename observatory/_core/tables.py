"""Declarative table checks with pandera, reported as problems with a file, row, column and code.

A schema's checks are run lazily (every failure collected); each failure case becomes one
:class:`observatory.errors.Problem`. Rows are the file's own 1-based lines when the frame carries them
in ``row_column`` (the adapters' ``_row``), otherwise the frame's position plus ``header_rows`` + 1.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from observatory.errors import Report


def check_frame(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    file: str,
    *,
    row_column: str | None = "_row",
    header_rows: int = 1,
    report: Report | None = None,
) -> Report:
    """Validate ``frame`` against ``schema``; every failure case is added to ``report`` (a new one by default).

    A check's ``name`` is its problem code and its ``error`` the reason (``pa.Check(..., name="unknown-theme",
    error="theme is not one of ...")``); schema-level failures (a missing column) get ``missing-column``.
    """
    report = report if report is not None else Report()
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as e:
        for case in e.failure_cases.itertuples(index=False):
            column = None if pd.isna(case.column) else str(case.column)
            index = getattr(case, "index", None)
            row = _row(frame, index, row_column, header_rows)
            code, reason = _describe(schema, case, column)
            report.add(file, row, column, reason, code)
    return report


def _row(frame: pd.DataFrame, index, row_column: str | None, header_rows: int) -> int | None:
    if index is None or pd.isna(index):
        return None
    if row_column and row_column in frame.columns and index in frame.index:
        return int(frame.at[index, row_column])
    return int(frame.index.get_loc(index)) + header_rows + 1


def _describe(schema: pa.DataFrameSchema, case, column: str | None) -> tuple[str, str]:
    check = str(case.check)
    if case.schema_context == "DataFrameSchema" and "column_in_dataframe" in check:
        return "missing-column", f"required column {case.failure_case!r} is missing"
    found = schema.columns.get(column) if column else None
    for c in found.checks if found is not None else []:
        if check in (c.name, c.error, str(c)):
            return (c.name or "invalid"), (c.error or f"{case.failure_case!r} fails {check}")
    if check.startswith("not_nullable"):
        return "missing-value", "a value is required"
    if check.startswith("dtype") or check.startswith("coerce_dtype"):
        return "bad-type", f"{case.failure_case!r} is not of type {check.split('(')[-1].rstrip(')')}"
    return "invalid", f"{case.failure_case!r} fails {check}"
