"""Localities: the configuration's named groups of small areas (or wards), read and checked against the geography."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from observatory._core.vocab import AreaType
from observatory.errors import Report, ValidationError

if TYPE_CHECKING:  # annotations only: areas imports this module
    from observatory.geo.areas import Geography

LOCALITY_COLUMNS = [
    "locality_code",
    "locality_name",
    "district_code",
    "district_name",
    "area_type",
    "area_code",
    "area_name",
    "source",
]


def read_csv_text(path: Path) -> pd.DataFrame:
    """A small configuration CSV as text (no NA conversion), BOM tolerated."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def one_problem(file: Path | str, row: int | None, column: str | None, reason: str, code: str = "invalid") -> Report:
    r = Report()
    r.add(Path(file).name, row, column, reason, code)
    return r


def read_localities(path: Path | str) -> pd.DataFrame:
    """Read a locality definition CSV (columns in ``LOCALITY_COLUMNS``)."""
    path = Path(path)
    try:
        frame = read_csv_text(path)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise ValidationError(
            one_problem(path, None, None, f"cannot read the file as a UTF-8 CSV table: {e}", "unreadable-file")
        ) from None
    missing = [c for c in ("locality_code", "locality_name", "district_code", "area_code") if c not in frame.columns]
    if missing:
        raise ValidationError(
            one_problem(path, 1, missing[0], f"missing required column(s): {', '.join(missing)}", "missing-column")
        )
    for c in LOCALITY_COLUMNS:
        if c not in frame.columns:
            frame[c] = "lsoa" if c == "area_type" else ""
    frame["line"] = range(2, len(frame) + 2)
    return frame


def expand_localities(frame: pd.DataFrame, geo: Geography) -> pd.DataFrame:
    """One row per small area: ward rows are expanded to the ward's small areas."""
    rows = frame[frame["area_code"] != ""]
    sa = rows[rows["area_type"] != AreaType.WARD.value].assign(small_area_code=lambda d: d["area_code"])
    wards = rows[rows["area_type"] == AreaType.WARD.value]
    if len(wards):
        w = wards.merge(geo.ward_lookup, left_on="area_code", right_on="ward_code")
        sa = pd.concat([sa, w.assign(small_area_code=w["small_area_code"])], ignore_index=True)
    return sa[
        ["small_area_code", "locality_code", "locality_name", "district_code", "district_name", "source", "line"]
    ].reset_index(drop=True)


def validate_localities(frame: pd.DataFrame, geo: Geography, file: str = "localities.csv") -> Report:
    """Check a locality definition against the geography; every failure is named."""
    report = Report()
    known_sa = set(geo.small_areas["area_code"])
    known_wards = set(geo.wards["area_code"]) if len(geo.wards) else set()
    names = geo.small_areas.set_index("area_code")["area_name"]

    empty = frame[frame["area_code"] == ""]
    for r in empty.itertuples():
        if not ((frame["locality_code"] == r.locality_code) & (frame["area_code"] != "")).any():
            report.add(
                file, r.line, "area_code", f"locality {r.locality_code} '{r.locality_name}' is empty: it has no small areas"
            )
    rows = frame[frame["area_code"] != ""]
    for r in rows.itertuples():
        known = known_wards if r.area_type == AreaType.WARD.value else known_sa
        if r.area_code not in known:
            kind = "ward" if r.area_type == AreaType.WARD.value else f"{geo.small_area_type} {geo.vintage}"
            report.add(file, r.line, "area_code", f"unknown {kind} code {r.area_code!r}: not in the boundaries")
    if report:
        return report
    expanded = expand_localities(frame, geo)
    dup = expanded[expanded.duplicated("small_area_code", keep=False)]
    for code, g in dup.groupby("small_area_code"):
        report.add(
            file,
            int(g["line"].iloc[1]),
            "area_code",
            f"small area {code} ({names.get(code, '')}) is assigned more than once: to {', '.join(g['locality_code'].unique())} (rows {', '.join(map(str, g['line']))})",
        )
    for code in sorted(known_sa - set(expanded["small_area_code"])):
        report.add(file, None, "area_code", f"small area {code} ({names.get(code, '')}) is not assigned to any locality")
    dl = geo.district_lookup.set_index("small_area_code")["district_code"]
    expanded = expanded.assign(actual_district=expanded["small_area_code"].map(dl))
    for loc, g in expanded.groupby("locality_code"):
        actual = sorted(set(g["actual_district"].dropna()))
        declared = sorted(set(g["district_code"]))
        found = []
        if len(actual) > 1:
            found.append(("locality_code", f"locality {loc} crosses districts: its small areas lie in {', '.join(actual)}"))
        elif actual and declared != actual:
            lie = f"its small areas lie in {actual[0]}"
            found.append(("district_code", f"locality {loc} is declared in {', '.join(declared)} but {lie}"))
        if len(declared) > 1:
            found.append(("district_code", f"locality {loc} is declared in more than one district: {', '.join(declared)}"))
        for column, reason in found:
            report.add(file, int(g["line"].iloc[0]), column, reason)
    return report
