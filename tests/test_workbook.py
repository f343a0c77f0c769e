"""The downloads' workbook writer against gptables itself: the same bytes, the same refusals.

``present.workbook`` writes each table column by column instead of gptables' cell by cell; every workbook a
pack publishes must still be the file ``gptables.write_workbook`` writes from the same tables, cover and notes.
Each case builds its parts twice (gptables changes the tables it is given) and compares every part of the two
files but the creation time.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile

import gptables
import numpy as np
import pandas as pd
import pytest

from observatory.present import spreadsheets, workbook

PUB = spreadsheets.Publication("Demo observatory", "The demo team", dt.date(2026, 10, 1), dt.date(2027, 1, 1), "2026Q3")


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def by_gptables(sheets: dict[str, pd.DataFrame]) -> bytes:
    tables, cover, notes = spreadsheets.workbook_parts("Test", sheets, PUB, "Demo source", ["A note."])
    out = io.BytesIO()
    gptables.write_workbook(out, tables, cover=cover, notes_table=notes, contentsheet_options={"title": "Contents"})
    return out.getvalue()


def by_observatory(sheets: dict[str, pd.DataFrame]) -> bytes:
    tables, cover, notes = spreadsheets.workbook_parts("Test", sheets, PUB, "Demo source", ["A note."])
    out = io.BytesIO()
    workbook.write(out, tables, cover, notes)
    return out.getvalue()


def assert_same(sheets: dict[str, pd.DataFrame]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, got = parts(by_gptables(sheets)), parts(by_observatory(sheets))
    assert sorted(got) == sorted(expected)
    differing = [name for name in expected if got[name] != expected[name]]
    assert not differing, f"parts differ from gptables' workbook: {differing}"


FIGURES = pd.DataFrame(
    {
        "area_code": ["ZL01", "ZL02", "ZL03", "ZL04"],
        "area_name": ["Alpha North", "Beta [east]", "GAMMA", "Delta,\nsouth"],
        "value": [12.5, np.nan, 3.0, 1e-05],
        "count": [10, 20, 30, 40],
        "suppressed": [False, True, False, False],
        "note": ["", "see notes", None, "x"],
    }
)


def test_a_real_profile_download_is_the_workbook_gptables_writes(demo_store):
    """The demo pack's download of one locality: data, attributions and notes, as a partner opens it."""
    from observatory import open_profile

    cfg, store = demo_store
    profile = open_profile(cfg, "ZL01", "2025Q3", "public", str(store.path))
    frame = profile.download_frame()
    attribution = profile.shared.attribution(profile.datasets())
    assert len(frame) > 50
    assert_same({"data": frame, "attribution": attribution})


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(FIGURES, id="figures, gaps, flags and text"),
        pytest.param(FIGURES[["value", "area_name"]], id="a figure column first"),
        pytest.param(pd.DataFrame({"a": ["x", "y"], "b": [np.nan, np.nan]}), id="a column of gaps only"),
        pytest.param(pd.DataFrame({"a": ["x", "y"], "b": [1, "two"]}), id="figures mixed with text"),
        pytest.param(pd.DataFrame({"a": ["x", "y"], "b": [True, 2]}), id="flags mixed with figures"),
        pytest.param(pd.DataFrame({"a": ["x", "y"], "b": ["https://example.org/a", "[link](https://e.org)"]}), id="links"),
        pytest.param(pd.DataFrame({"rate [note 1]": [1.0, 2.0], "b": ["x", "y"]}), id="a heading with a note mark"),
        pytest.param(pd.DataFrame({"a": ["x", "   "], "b": [1.0, 2.0]}), id="a blank text cell"),
        pytest.param(pd.DataFrame(), id="nothing this quarter"),
    ],
)
def test_a_table_is_written_as_gptables_writes_it(frame):
    assert_same({"data": frame, "other": FIGURES.head(2)})


@pytest.mark.parametrize(
    "table, reason",
    [
        (pd.DataFrame({"a": [None, None], "b": [None, None]}), "contains only null"),
        (pd.DataFrame({"a": ["x", None], "b": [1.0, None]}), "Empty or null row"),
        (pd.DataFrame({"a": ["x", "--"], "b": [1.0, 2.0]}), "only special characters"),
    ],
)
def test_a_table_gptables_refuses_is_refused_with_its_words(table, reason):
    """``workbook_parts`` never makes these (gaps become [x]); a table given straight to the writer still is refused."""

    def attempt(write) -> str:
        gp = gptables.GPTable(table=table.copy(), table_name="t_bad", title="Bad", instructions="I", source="S")
        cover = gptables.Cover(title="T", intro=["i"], about=["a"], contact=["c"])
        notes = pd.DataFrame({"Note number": ["note 1"], "Note text": ["A note."]})
        with warnings.catch_warnings(), pytest.raises(ValueError) as raised:
            warnings.simplefilter("ignore")
            write(io.BytesIO(), {"bad": gp}, cover, notes)
        return str(raised.value)

    ours = attempt(workbook.write)
    theirs = attempt(lambda out, t, c, n: gptables.write_workbook(out, t, cover=c, notes_table=n))
    assert reason in ours
    assert ours == theirs


def _symbols_cell_by_cell(frame: pd.DataFrame) -> pd.DataFrame:
    """The rule ``with_symbols`` follows, written out column by column (as it was first written)."""
    import re

    from observatory._core.spreadsheets import safe_frame

    out = safe_frame(frame).astype(object)
    hidden = frame["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in frame.columns else None
    columns = {}
    for i, col in enumerate(frame.columns):
        cells = out.iloc[:, i].to_numpy(dtype=object, copy=True)
        figures = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(figures) and not pd.api.types.is_bool_dtype(figures):
            empty = figures.isna().to_numpy()
            confidential = empty & hidden if hidden is not None and col in spreadsheets.FIGURES else np.zeros(len(cells), bool)
            cells[confidential] = spreadsheets.CONFIDENTIAL
            cells[empty & ~confidential] = spreadsheets.NOT_AVAILABLE
        blank = pd.isna(cells) | np.array([isinstance(v, str) and v == "" for v in cells], dtype=bool)
        cells[blank] = spreadsheets.NOT_APPLICABLE
        symbols = np.array([isinstance(v, str) and bool(v) and not re.search(r"\w", v) for v in cells], dtype=bool)
        cells[symbols] = spreadsheets.NOT_AVAILABLE
        columns[i] = cells
    result = pd.DataFrame(columns, index=out.index).astype(object)
    result.columns = out.columns
    return result


EDGE_FRAMES = {
    "figures": FIGURES,
    "gaps everywhere": pd.DataFrame({"value": [np.nan, np.nan], "lower95": [np.nan, 1.0], "suppressed": [True, None]}),
    "nullable and boolean": pd.DataFrame(
        {
            "count": pd.array([1, None, 3], dtype="Int64"),
            "share": pd.array([0.5, None, 0.25], dtype="Float64"),
            "flag": [True, False, True],
            "maybe": pd.array([True, None, False], dtype="boolean"),
        }
    ),
    "text of every kind": pd.DataFrame(
        {
            "name": ["=SUM(A1)", "–", "*", "", None],
            "mixed": [1, "two", np.nan, "+3", "-"],
            "python": pd.array(["a", None, "=b", "", "…"], dtype=pd.StringDtype("python")),
            "arrow": pd.array(["a", None, "=b", "", "…"], dtype=pd.StringDtype("pyarrow")),
        }
    ),
    "dates and a formula heading": pd.DataFrame(
        {"=when": pd.to_datetime(["2026-01-01", None]), "period": ["2025/26", "Q3"], "value": [1.5, np.nan]}
    ),
    "duplicate headings": pd.DataFrame([[1.0, "x"], [np.nan, ""]], columns=["value", "value"]),
    "no rows": FIGURES.iloc[:0],
    "odd index": FIGURES.set_index(pd.Index([7, 3, 9, 1])),
}


@pytest.mark.parametrize("frame", EDGE_FRAMES.values(), ids=EDGE_FRAMES.keys())
def test_symbols_are_those_the_rule_gives_cell_by_cell(frame):
    pd.testing.assert_frame_equal(spreadsheets.with_symbols(frame), _symbols_cell_by_cell(frame))


def test_a_real_download_gets_the_symbols_the_rule_gives(demo_store):
    import observatory as obs

    cfg, store = demo_store
    profile = obs.open_profile(cfg, "ZL07", "2025Q3", "public", str(store.path))
    report = obs.open_exception_page(cfg, "2025Q3", "board", "partners", str(store.path)).report
    frames = [profile.download_frame(), report.download_frame(), *report.download_sheets().values()]
    for frame in frames:
        pd.testing.assert_frame_equal(spreadsheets.with_symbols(frame), _symbols_cell_by_cell(frame))
