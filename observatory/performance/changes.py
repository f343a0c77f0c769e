"""What changed since last quarter's pack: new, resolved and still-open exceptions, and the exception tables
(CSV and XLSX) a pack publishes and the next quarter reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from observatory._core.files import write_atomic
from observatory._core.spreadsheets import safe_frame
from observatory.performance.levels import level_slug

KEY = ["rule", "indicator_id", "area_code"]


def diff_exceptions(current: pd.DataFrame, previous: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What changed since last quarter, keyed by (rule, indicator, area): (new, resolved, still open).

    ``new`` and ``still_open`` are rows of ``current``; ``resolved`` rows of ``previous``. No previous quarter:
    everything is new.
    """
    if previous is None or previous.empty:
        return current.reset_index(drop=True), current.iloc[0:0].copy(), current.iloc[0:0].copy()
    k = lambda f: pd.MultiIndex.from_frame(f[KEY].astype(str))
    cur, prev = k(current), k(previous)
    new = current[~cur.isin(prev)].reset_index(drop=True)
    still = current[cur.isin(prev)].reset_index(drop=True)
    resolved = previous[~prev.isin(cur)].drop_duplicates(KEY).reset_index(drop=True)
    return new, resolved, still


def read_exceptions(path: Path | str) -> pd.DataFrame:
    """An exception table written by :func:`write_exceptions` (CSV or XLSX)."""
    path = Path(path)
    frame = (
        pd.read_excel(path, sheet_name="exceptions", dtype=str)
        if path.suffix == ".xlsx"
        else pd.read_csv(path, dtype=str, keep_default_na=False)
    )
    missing = [c for c in KEY if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not an exception table (no {', '.join(missing)} column)")
    return frame.fillna("")


def find_previous(previous: Path | str, level: str) -> Path | None:
    """The previous quarter's exception table for ``level``: the file itself, or in a pack folder (``downloads/``,
    a file its ``manifest.json`` lists, or anywhere below it). None when the folder has none."""
    p = Path(previous)
    if p.is_file():
        return p
    name = f"exceptions-{level_slug(level)}.csv"
    listed: list[Path] = []
    try:  # a pack's manifest lists every file it holds
        files = json.loads((p / "manifest.json").read_text(encoding="utf-8")).get("files", {})
        listed = [p / rel for rel in files if Path(rel).name == name]
    except (OSError, ValueError, AttributeError):
        pass
    for candidate in [p / "downloads" / name, *listed, p / name, *sorted(p.rglob(name))]:
        if candidate.is_file():
            return candidate
    return None


def write_exceptions(
    frame: pd.DataFrame, folder: Path | str, level: str, extra: dict[str, pd.DataFrame] | None = None
) -> list[Path]:
    """``exceptions-<level>.csv`` and ``.xlsx`` (the exceptions sheet first, then any ``extra`` sheets).

    Every cell a spreadsheet would run as a formula is neutralised; each file is written whole or not at all.
    """
    folder = Path(folder)
    stem = f"exceptions-{level_slug(level)}"
    csv, xlsx = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    sheets = {"exceptions": frame, **(extra or {})}

    def workbook(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, sheet in sheets.items():
                safe_frame(sheet).to_excel(xw, sheet_name=name[:31], index=False)

    write_atomic(csv, safe_frame(frame).to_csv(index=False))
    write_atomic(xlsx, workbook)
    return [csv, xlsx]
