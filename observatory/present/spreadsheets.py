"""The ONE writer of published downloads: CSV with a CSVW metadata file, and XLSX to the Analysis Function's guidance.

A workbook (gptables' layout, written by ``present.workbook``) has a cover sheet (title, source, contact, release and next release), a contents
sheet, a notes sheet and one table per sheet with a single header row. Empty cells are never left in a table's
figures: ``[c]`` marks a value withheld to protect confidentiality and ``[x]`` one that is not available.
A CSV keeps those cells empty (the files are read back by software); its ``<name>.csv-metadata.json``
(W3C CSVW, a table group) names every column with its datatype, says what an empty cell means, and carries the
licence. Every frame passes through ``safe_frame`` first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import gptables
import numpy as np
import pandas as pd

from observatory._core.files import write_atomic
from observatory._core.spreadsheets import safe_frame
from observatory.config import Config
from observatory.metadata.catalogue import attribution_frame
from observatory.present import workbook

CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE = "[c]", "[x]", "[z]"
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"
SYMBOL_NOTES = (
    f"{CONFIDENTIAL}: confidential: withheld because it is a small count, or a figure from which a small "
    "count could be recovered (in the CSV these cells are empty and the row's suppressed column is true).",
    f"{NOT_AVAILABLE}: not available: no figure exists for this cell (in the CSV these cells are empty).",
    f"{NOT_APPLICABLE}: not applicable: the cell has no value for this row (in the CSV these cells are empty).",
)
FIGURES = {"numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998"}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, kept within the target month (31 January + 1 month = 28 or 29 February)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


@dataclass(frozen=True)
class Publication:
    """What every download and page of a pack says about itself."""

    publisher: str
    contact: str
    released: dt.date
    next_release: dt.date
    quarter: str = ""

    @property
    def released_text(self) -> str:
        return f"{self.released.day} {self.released:%B %Y}"

    @property
    def next_release_text(self) -> str:
        return f"{self.next_release.day} {self.next_release:%B %Y} (planned; packs are published quarterly)"


def contact_of(config: Config) -> str:
    """The configuration's contact (``contact:`` in config.yaml: text, or a name and email), else the observatory's."""
    given = config.raw.get("contact")
    if isinstance(given, Mapping):
        return " ".join(str(given[k]) for k in ("name", "email") if given.get(k))
    return str(given) if given else f"The {config.county['name']} observatory team"


def publication(config: Config, quarter: str = "", released: dt.date | None = None) -> Publication:
    """The release facts of a pack built today (or on ``released``): the next pack follows a quarter later."""
    day = released or dt.date.today()
    return Publication(config.label, contact_of(config), day, add_months(day, 3), quarter)


def _datatype(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_integer_dtype(s):
        return "integer"
    if pd.api.types.is_numeric_dtype(s):
        return "number"
    return "string"


def csvw_metadata(
    frame: pd.DataFrame, csv_name: str, title: str, licences: list[tuple[str, str]], pub: Publication, notes: list[str] = ()
) -> dict:
    """The CSVW table-group description of one CSV: columns with titles and datatypes, the empty-cell rule, licence."""
    columns = [
        {"name": re.sub(r"\W", "_", str(c)) or f"column_{i}", "titles": str(c), "datatype": _datatype(frame[c]), "null": ""}
        for i, c in enumerate(frame.columns)
    ]
    licence = [{"@id": url, "dc:title": name} if url else {"dc:title": name} for name, url in licences]
    table = {
        "url": csv_name,
        "dc:title": title,
        "dc:publisher": pub.publisher,
        "dc:issued": pub.released.isoformat(),
        "dc:license": licence,
        "notes": [{"dc:description": n} for n in [*notes, *SYMBOL_NOTES]],
        "tableSchema": {"columns": columns},
        "dialect": {"header": True, "encoding": "utf-8"},
    }
    return {"@context": CSVW_CONTEXT, "dc:title": title, "dc:publisher": pub.publisher, "tables": [table]}


def write_csv(
    frame: pd.DataFrame, path: Path | str, title: str, licences: list[tuple[str, str]], pub: Publication, notes: list[str] = ()
) -> list[Path]:
    """``path`` (the frame as CSV, formula-safe, empty cells left empty) and its ``.csv-metadata.json``."""
    path = Path(path)
    frame = safe_frame(frame)
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    return [path, write_csvw(frame, path, title, pub, licences, notes)]


OGL = ("Open Government Licence v3.0", "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")


def write_csvw(
    frame: pd.DataFrame,
    csv_path: Path | str,
    title: str,
    pub: Publication,
    licences: list[tuple[str, str]] = (OGL,),
    notes: list[str] = (),
) -> Path:
    """The ``.csv-metadata.json`` of a CSV already written from ``frame`` (the catalogue's export)."""
    csv_path = Path(csv_path)
    meta = csvw_metadata(safe_frame(frame), csv_path.name, title, list(licences), pub, list(notes))
    return write_atomic(
        csv_path.with_name(csv_path.name + "-metadata.json"), json.dumps(meta, indent=1, ensure_ascii=False) + "\n"
    )


def with_symbols(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for a workbook: empty figures as ``[c]`` where the row is suppressed, ``[x]`` elsewhere; blank
    cells ``[z]`` (nothing applies) and cells of symbols alone ``[x]`` (gptables refuses "–" or "*")."""
    safe = safe_frame(frame)
    cells = safe.to_numpy(dtype=object).copy()  # one array of every cell: a workbook's tables are small, and
    empty = pd.isna(cells)  # column-by-column pandas selections cost more than the cells themselves
    hidden = frame["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in frame.columns else None
    for i, (col, dtype) in enumerate(zip(frame.columns, frame.dtypes)):
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            confidential = empty[:, i] & hidden if hidden is not None and col in FIGURES else np.zeros(len(cells), bool)
            cells[confidential, i] = CONFIDENTIAL
            cells[empty[:, i] & ~confidential, i] = NOT_AVAILABLE
    flat, gaps = cells.reshape(-1), empty.reshape(-1)  # a figure's gap is text ("[c]", "[x]") by now
    for j, v in enumerate(flat):
        if isinstance(v, str):
            if v == "":
                flat[j] = NOT_APPLICABLE
            elif _WORD.search(v) is None:
                flat[j] = NOT_AVAILABLE
        elif gaps[j]:
            flat[j] = NOT_APPLICABLE  # a gap in a text column: nothing applies here
    return pd.DataFrame(cells, index=safe.index, columns=safe.columns, dtype=object)


_WORD = re.compile(r"\w")


def _table_name(name: str) -> str:
    return "t_" + re.sub(r"\W", "_", name)


def workbook_parts(
    title: str, sheets: Mapping[str, pd.DataFrame], pub: Publication, source: str, notes: list[str] = ()
) -> tuple[dict[str, gptables.GPTable], gptables.Cover, pd.DataFrame]:
    """The tables (sheet name → ``GPTable``), cover and notes table of a download's workbook."""
    tables = {}
    for name, frame in sheets.items():
        label = name.replace("_", " ")
        frame = frame if len(frame.columns) and len(frame) else pd.DataFrame({"note": [f"No {label} this quarter."]})
        tables[name[:31]] = gptables.GPTable(
            table=with_symbols(frame).reset_index(drop=True),
            table_name=_table_name(name),
            title=f"{title}: {label}",
            instructions="This worksheet contains one table. Some cells refer to notes, which can be found on the "
            "notes worksheet.",
            source=f"Source: {source}",
        )
    note_rows = [*notes, *SYMBOL_NOTES]
    notes_table = pd.DataFrame({"Note number": [f"note {i}" for i in range(1, len(note_rows) + 1)], "Note text": note_rows})
    cover = gptables.Cover(
        title=title,
        intro=[f"Published by {pub.publisher}."],
        about=[f"Source: {source}", f"Released: {pub.released_text}", f"Next release: {pub.next_release_text}"],
        contact=[f"Contact: {pub.contact}"],
    )
    return tables, cover, notes_table


def write_workbook(
    path: Path | str, title: str, sheets: Mapping[str, pd.DataFrame], pub: Publication, source: str, notes: list[str] = ()
) -> Path:
    """An XLSX with cover, contents and notes sheets, then one table per sheet (``sheets``: name → frame)."""
    tables, cover, notes_table = workbook_parts(title, sheets, pub, source, notes)

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():  # notes apply to the whole workbook, not to one cell: gptables' advice
            warnings.filterwarnings("ignore", message="The following notes are not referenced")
            # gptables' layout, tables written column by column; each sheet's XML kept in memory: 11% faster
            workbook.write(str(tmp), tables, cover, notes_table, options={"in_memory": True})

    return write_atomic(path, write)


def write_tables(
    frame: pd.DataFrame,
    folder: Path | str,
    stem: str,
    config: Config,
    datasets: set[str],
    *,
    title: str = "",
    sheets: Mapping[str, pd.DataFrame] | None = None,
    quarter: str = "",
    notes: list[str] = (),
    sheet: str = "data",
    attribution: pd.DataFrame | None = None,
) -> list[Path]:
    """A download: ``<stem>.csv`` with its CSVW metadata beside it, ``<stem>.xlsx`` (``frame`` as the ``sheet`` sheet,
    then any ``sheets``, then the attributions) and ``<stem>-attribution.csv``; returns the CSV, XLSX and attribution CSV.
    ``attribution``: the datasets' ``attribution_frame`` when the caller has it already.

    In the workbook each table's header row comes after its title, instructions and source (read it with
    ``pd.read_excel(path, sheet_name=..., header=3)``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pub = publication(config, quarter)
    title = title or f"{config.label}: {stem.replace('-', ' ')}"
    attribution = attribution_frame(config, datasets) if attribution is None else attribution
    licences = sorted({(r.licence, r.licence_url) for r in attribution.itertuples()})
    source = "; ".join(dict.fromkeys(attribution["partner"])) or config.label
    csv = write_csv(frame, folder / f"{stem}.csv", title, licences, pub, list(notes))[0]
    all_sheets = {sheet: frame, **(sheets or {}), "attribution": attribution}
    xlsx = write_workbook(folder / f"{stem}.xlsx", title, all_sheets, pub, source, list(notes))
    statements = safe_frame(attribution)  # as metadata.catalogue.write_attributions writes them
    return [csv, xlsx, write_atomic(folder / f"{stem}-attribution.csv", lambda tmp: statements.to_csv(tmp, index=False))]
