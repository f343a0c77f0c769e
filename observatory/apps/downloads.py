"""The figures behind a view of the localities dashboard as a download: plain tables, CSV and XLSX.

Each table marks suppressed and missing cells in words and carries its source and licence on every row
(and, in a workbook, an ``attribution`` sheet). Used by a dashboard kernel only when a visitor downloads.
"""

from __future__ import annotations

import base64
import io

import pandas as pd

from observatory._core.spreadsheets import safe_frame

__all__ = ["DOWNLOAD_COLUMNS", "benchmark_rows", "data_uri", "decile_table", "pyramid_table", "view_table"]

DOWNLOAD_COLUMNS = {
    "area_code": "Area code",
    "area_name": "Area name",
    "locality_name": "Locality",
    "indicator": "Indicator",
    "period": "Period",
    "unit": "Unit",
    "value": "Value",
    "lower95": "Lower 95% limit",
    "upper95": "Upper 95% limit",
    "vs_county_text": "Compared with county",
    "vs_england_text": "Compared with England",
    "trend_text": "Recent trend",
    "status": "Status",
}


def view_table(frame: pd.DataFrame, indicator: str, period: str, unit: str) -> pd.DataFrame:
    """The figures behind a map (a ``map_frame``) as a plain table, suppressed and missing cells marked in words."""
    t = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    sup = t["suppressed"].fillna(False).astype(bool)
    t = t.assign(
        indicator=indicator,
        period=period,
        unit=unit,
        status=["suppressed [c]" if s else "no data [x]" if pd.isna(v) else "" for v, s in zip(t["value"], sup)],
    )
    for col in ("value", "lower95", "upper95"):
        t[col] = t[col].where(~sup)
    out = t[[c for c in DOWNLOAD_COLUMNS if c in t.columns]].rename(columns=DOWNLOAD_COLUMNS)
    return safe_frame(out.reset_index(drop=True))


def benchmark_rows(values: dict[str, float], indicator: str, period: str, unit: str) -> pd.DataFrame:
    """The county's and England's values (name → value) as rows of a ``view_table``: the lines of a comparison."""
    rows = [
        {"Area name": name, "Indicator": indicator, "Period": period, "Unit": unit, "Value": value}
        | {"Status": "" if pd.notna(value) else "no data [x]"}
        for name, value in values.items()
    ]
    return safe_frame(pd.DataFrame(rows))


def decile_table(view, sii: dict | None, deciles_of: str = "county") -> pd.DataFrame:
    """An indicator by deprivation decile (an ``IndicatorView`` of ``view_data.decile_values``) and its slope index of
    inequality, as a plain table: one row per decile, then the SII with its interval (national deciles named so)."""
    d, sii = view.frame, sii or {}
    national = " (national)" if deciles_of == "national" else ""
    deciles = pd.DataFrame(
        {
            "Deprivation decile (1 = most deprived)": d["decile"].astype(int).astype(str) + national,
            "Indicator": view.title,
            "Period": view.period,
            "Unit": view.unit,
            "Value": d["value"],
            "Lower 95% limit": d["lower95"],
            "Upper 95% limit": d["upper95"],
            "Population": d["population"],
            "Status": ["" if pd.notna(v) else "suppressed or no data [x]" for v in d["value"]],
        }
    )
    slope = {
        "Deprivation decile (1 = most deprived)": f"Slope index of inequality{national} (most minus least deprived)",
        "Indicator": view.title,
        "Period": view.period,
        "Unit": view.unit,
        "Value": sii.get("value"),
        "Lower 95% limit": sii.get("lower95"),
        "Upper 95% limit": sii.get("upper95"),
        "Status": "" if pd.notna(sii.get("value")) else "not available [x]",
    }
    return safe_frame(pd.concat([deciles, pd.DataFrame([slope])], ignore_index=True))


def pyramid_table(population: pd.DataFrame, area: str, county: str) -> pd.DataFrame:
    """A population pyramid's figures: each sex and age band's share (%) of all people in the area and the county."""
    p = population[population["sex"].isin(["Male", "Female"])]
    start = pd.to_numeric(p["age"].astype(str).str.extract(r"(\d+)")[0], errors="coerce")
    p = p.assign(_start=start).sort_values(["sex", "_start"], kind="stable")
    shares = {c: p[c] / p[c].sum() * 100 for c in ("area", "county")}
    return safe_frame(
        pd.DataFrame(
            {
                "Sex": p["sex"],
                "Age": p["age"],
                f"{area}: % of all people": shares["area"].round(2),
                f"{county}: % of all people": shares["county"].round(2),
            }
        ).reset_index(drop=True)
    )


def data_uri(frame: pd.DataFrame, source: str, attribution: pd.DataFrame, kind: str) -> str:
    """A ``data:`` address of the table as CSV (a "Source and licence" column on every row) or XLSX
    (that column, and an ``attribution`` sheet)."""
    table = safe_frame(frame.assign(**{"Source and licence": source}))
    if kind == "csv":
        body = table.to_csv(index=False).encode("utf-8-sig")
        return "data:text/csv;charset=utf-8;base64," + base64.b64encode(body).decode("ascii")
    if kind != "xlsx":
        raise ValueError(f"kind must be csv or xlsx, not {kind!r}")
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        table.to_excel(xw, sheet_name="data", index=False)
        safe_frame(attribution).to_excel(xw, sheet_name="attribution", index=False)
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return f"data:{mime};base64," + base64.b64encode(buf.getvalue()).decode("ascii")
