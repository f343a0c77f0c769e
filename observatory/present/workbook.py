"""gptables' workbook, with each table written column by column instead of cell by cell.

gptables (the Analysis Function's accessible spreadsheet layout) builds a frame of one format dictionary per cell,
fills it through pandas ``apply`` and sizes every cell's text, for every table: about 0.2 s for a profile's
4,400 cells, a third of the pack's notebook time. Its formats are the same down each column of a table (the
heading row apart), so ``TableSheet`` works them out once per column and writes the same cells, formats, widths
and worksheet table, in the same order: the file is byte for byte what ``gptables.write_workbook`` writes (the
tests compare them). gptables' own checks and alignment rule are called or kept word for word; a table this
does not cover (extra formatting, rich text, links or lists in cells) goes through gptables' own writer.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from math import ceil

import gptables
import numpy as np
import pandas as pd
from gptables.core.wrappers import GPWorkbook, GPWorksheet
from xlsxwriter.utility import cell_autofit_width

BLANK = re.compile(r"^\s*$")
SYMBOLS_ONLY = re.compile(r"^[^a-zA-Z0-9]*$")
SHORTHAND = re.compile(r"\[[\w\s]+\]")  # "[c]", "[x]", "[note 1]": gptables does not count these as text


def _plain(cells: np.ndarray, headings: list) -> bool:
    """Every cell a plain text, number or gap (not a link, rich text or list, which gptables writes its own way),
    under distinct text headings none of which looks like a ``[note]``."""
    return (
        all(isinstance(v, (str, int, float, type(None))) for v in cells.ravel())
        and all(isinstance(h, str) and not SHORTHAND.search(h) for h in headings)
        and len(set(headings)) == len(headings)
    )


def _refuse_as_gptables(gptable: gptables.GPTable, texts: set[str]) -> None:
    """gptables' checks before it writes a table, with its words: whitespace cells become gaps; a table of nothing,
    an empty row or a cell of symbols alone is refused; a gap is warned about. ``texts``: the table's text cells
    (a number is never blank, nor symbols alone, so only they are searched)."""
    if any(BLANK.search(t) for t in texts):
        gptable.table = gptable.table.replace({r"^\s*$": None}, regex=True)
    empty = gptable.table.isna()
    name = gptable.table_name
    if empty.values.all():
        raise ValueError(
            f"""
            {name} contains only null or whitespace cells.
            Please provide alternative table containing data.
            """
        )
    if empty.all(axis=1).any():
        raise ValueError(
            f"""
            Empty or null row found in {name}.
            Please remove blank rows before passing data to GPTable.
            """
        )
    if empty.values.any():
        warnings.warn(
            f"""
            Empty or null cell found in {name}. The reason for
            missingness should be included in the `GPTable.instructions` attribute.
            There should only be one reason otherwise a shorthand should be
            provided in the `instructions` or `legend` attribute.
            Guidance on shorthand can be found at:
            https://analysisfunction.civilservice.gov.uk/policy-store/symbols-in-tables-definitions-and-help/
            """,
            stacklevel=4,
        )
    if any(SYMBOLS_ONLY.search(t) for t in texts if not BLANK.search(t)):
        raise ValueError(
            f"""
            Cell found in {name} containing only special characters,
            replace with alphanumeric characters before inputting to GPTable.
            Guidance on symbols in tables can be found at:
            https://analysisfunction.civilservice.gov.uk/policy-store/symbols-in-tables-definitions-and-help/
            """
        )


def _figures(column: list) -> bool | None:
    """Whether gptables reads a column as figures (right-aligned): every cell that is not a gap (or blank text) or a
    shorthand symbol is a number, or every one is true or false; None where its pandas inference is not this plain."""
    kinds = set()
    for v in column:
        if v is None or v != v or (isinstance(v, str) and (SHORTHAND.search(v) or BLANK.search(v))):
            continue
        kinds.add(bool if isinstance(v, bool) else str if isinstance(v, str) else float)
    if bool in kinds and float in kinds:
        return None
    return bool(kinds) and str not in kinds


class TableSheet(GPWorksheet):
    """A gptables worksheet whose table is written with one format per column."""

    def _write_table_elements(self, pos: list, gptable: gptables.GPTable, auto_width: bool) -> list:
        table = gptable.table
        headings = list(table.columns)
        cells = table.to_numpy(dtype=object)
        if gptable.additional_formatting or not _plain(cells, headings):
            return super()._write_table_elements(pos, gptable, auto_width)
        figures = [_figures(column) for column in cells.T.tolist()]
        if None in figures:
            return super()._write_table_elements(pos, gptable, auto_width)
        _refuse_as_gptables(gptable, {v for v in cells.ravel() if isinstance(v, str)})
        rows = gptable.table.to_numpy(dtype=object).tolist()

        theme = self.theme
        index_columns = list(gptable.index_columns.values())
        index_formats = [theme.index_1_format, theme.index_2_format, theme.index_3_format]
        heading_formats, data_formats = [], []
        for col in range(len(headings)):
            data = dict(theme.data_format) if col >= gptable.index_levels else {}
            for level, index_col in gptable.index_columns.items():
                if index_col == col:
                    data.update(index_formats[level - 1])
            heading_formats.append(dict(theme.column_heading_format))
            data_formats.append(data)
        # gptables' alignment: index columns and text left, figures right (the first column is text when no
        # column is an index)
        for col, figure in enumerate(figures):
            right = figure and col not in index_columns and not (col == 0 and not index_columns)
            align = {"align": "right" if right else "left"}
            heading_formats[col].update(align)
            data_formats[col].update(align)

        workbook = self._workbook
        first = gptable.data_range[0]
        heading_cells = [workbook.add_format(f) for f in heading_formats]
        for col, heading in enumerate(headings):
            self.write(first, col, heading, heading_cells[col])
        data_cells = [workbook.add_format(f) for f in data_formats]
        for r, row in enumerate(rows, start=first + 1):
            for col, value in enumerate(row):
                if value is None or value != value:  # a gap (None or NaN)
                    self._write_blank(r, col, None, data_cells[col])
                else:
                    self._write(r, col, value, data_cells[col])

        if auto_width:
            self._set_column_widths(
                [self._width(col, headings, rows, heading_formats[col], data_formats[col]) for col in range(len(headings))]
            )
        self.add_table(
            *gptable.data_range,
            {
                "header_row": True,
                "autofilter": False,
                "columns": [{"header": h, "header_format": c} for h, c in zip(headings, heading_cells, strict=True)],
                "style": None,
                "name": gptable.table_name,
            },
        )
        return [first + len(rows) + 1, 0]

    def _width(self, col: int, headings: list, rows: list[list], heading_format: dict, data_format: dict) -> int:
        """gptables' autofit width of a column: its widest line, scaled for font size, bold and capitals."""
        seen: dict = {}

        def width(value, fmt) -> int:
            line = self._get_longest_line(value)
            return ceil(cell_autofit_width(line) * self._get_scaling_factor(fmt, line))

        widest = width(headings[col], heading_format)
        for row in rows:
            value = row[col]
            try:
                w = seen[value]
            except KeyError:
                w = seen[value] = width(value, data_format)
            except TypeError:
                w = width(value, data_format)
            widest = max(widest, w)
        return widest


class Workbook(GPWorkbook):
    """A ``GPWorkbook`` whose worksheets are ``TableSheet``s."""

    def add_worksheet(self, name: str | None = None, gridlines: str = "hide_all") -> TableSheet:
        sheet = super(GPWorkbook, self).add_worksheet(name, TableSheet)
        sheet.theme = self.theme
        sheet._workbook = self
        sheet.hide_gridlines({"show_all": 0, "hide_printed": 1, "hide_all": 2}[gridlines])
        return sheet


def write(
    path: str,
    sheets: Mapping[str, gptables.GPTable],
    cover: gptables.Cover,
    notes_table: pd.DataFrame,
    contents_title: str = "Contents",
    options: Mapping | None = None,
) -> None:
    """``gptables.write_workbook(path, sheets, cover=..., notes_table=..., contentsheet_options={"title": ...})``."""
    wb = Workbook(path, options=dict(options or {}))
    wb.add_worksheet(cover.cover_label, gridlines="hide_all").write_cover(cover)
    contents = wb.make_table_of_contents(sheets, title=contents_title)
    wb._update_annotations(sheets)
    notes = wb.make_notesheet(notes_table)
    for label, table in {"Contents": contents, "Notes": notes, **sheets}.items():
        wb.add_worksheet(label, gridlines="hide_all").write_gptable(table, True, wb._annotations)
    wb.close()
