"""Summary measures shown in the profile and the overview: the IoD local summary measures, and life expectancy at
birth by sex with the gap between the most and least deprived localities (markup in ``summary_measures``)."""

from __future__ import annotations

import pandas as pd

from observatory._core.digests import digest_files
from observatory._core.numbers import format_number
from observatory.present.templating import Markup, render_macro
from observatory.present.view_data import SharedData
from observatory.profiles.deprivation import deprivation_summary
from observatory.profiles.life_expectancy import deprivation_gap, life_expectancy_at_birth, life_expectancy_settings
from observatory.store import Store

IOD_COLUMNS = {
    "average_score": ("Average score", 1, 1),
    "average_rank": ("Average rank", 0, 1),
    "proportion_most_deprived_10": ("LSOAs in the most deprived 10% nationally", 1, 100),
    "extent": ("Extent", 1, 100),
    "local_concentration": ("Local concentration", 0, 1),
}
DEFINITIONS = [
    ("Average score", "The population-weighted average of the combined scores for the LSOAs in the area."),
    (
        "Average rank",
        "The population-weighted average of the combined ranks for the LSOAs in the area, the most deprived LSOA "
        "counted highest (so a higher average rank is more deprived, as MHCLG publish it).",
    ),
    (
        "LSOAs in the most deprived 10% nationally",
        "The proportion of the area's LSOAs that are in the most deprived 10 per cent of LSOAs in England.",
    ),
    (
        "Extent",
        "The proportion of the area's population living in the most deprived LSOAs in England: all of those in the "
        "most deprived 10 per cent, and a share falling from 1 to 0 of those between 10 and 30 per cent.",
    ),
    (
        "Local concentration",
        "The population-weighted average of the ranks of the area's most deprived LSOAs that contain exactly "
        "10 per cent of its population (higher is more deprived).",
    ),
]
LEVEL_ORDER = {"locality": 0, "district": 1, "county": 2}


def _store(report) -> Store:
    return Store(report.store or report.config.store_dir())


def deprivation_for(report, shared: SharedData | None = None) -> pd.DataFrame:
    """A profile's or overview's IoD summary measures (empty unless its audience may see the IoD dataset); with
    ``shared``, computed once for every page of the same inputs and IoD source files."""
    store = _store(report)
    # read from the configured IoD files, which neither the profile table's digest nor the shared data's key covers
    iod = digest_files(sorted(str(spec.file) for spec in report.config.sources if spec.adapter == "deprivation"))

    def make() -> pd.DataFrame:
        return report.profiles.derived(
            f"deprivation-{iod[:16]}", lambda: deprivation_summary(report.config, store, report.profiles.geography)
        )

    summary = make() if shared is None else shared.once(("deprivation summary", str(store.path), iod), make)
    if summary.empty or summary["dataset"].iloc[0] not in report.allowed_datasets:
        return pd.DataFrame()
    return summary


def life_expectancy_for(report, shared: SharedData | None = None) -> pd.DataFrame:
    """A profile's or overview's life expectancy at birth (empty unless its audience may see the deaths); with
    ``shared``, computed once for every page of the same inputs."""
    deaths, _ = life_expectancy_settings(report.config)
    p = report.profiles.profiles

    def supplying() -> frozenset[str]:
        return frozenset(p.loc[p["indicator_id"] == deaths, "dataset"])

    if not (supplying() if shared is None else shared.once(("datasets of", deaths), supplying)) & set(report.allowed_datasets):
        return pd.DataFrame()
    store = _store(report)

    def make() -> pd.DataFrame:
        return report.profiles.derived(
            "life-expectancy", lambda: life_expectancy_at_birth(report.config, store, report.profiles.geography)
        )

    return make() if shared is None else shared.once(("life expectancy", str(store.path)), make)


def locality_scores(summary: pd.DataFrame) -> pd.Series | None:
    """Each locality's IMD average score (higher is more deprived), to rank the localities by."""
    if summary.empty:
        return None
    loc = summary[summary["area_type"] == "locality"]
    return loc.set_index("area_code")["average_score"].dropna()


def _measure(v, decimals: int, scale: float) -> str:
    return format_number(v * scale, decimals, "%" if scale == 100 else "")


def deprivation_table(summary: pd.DataFrame, areas: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """Columns and rows of figures for people: one row per area (``areas`` in that order, else all, by level)."""
    s = summary if areas is None else summary.set_index("area_code").loc[areas].reset_index()
    if areas is None:
        s = s.sort_values("area_type", key=lambda t: t.map(LEVEL_ORDER), kind="stable")
    rows = [[r["area_name"], *(_measure(r[c], d, k) for c, (_, d, k) in IOD_COLUMNS.items())] for r in s.to_dict("records")]
    return ["Area", *(title for title, _, _ in IOD_COLUMNS.values())], rows


def deprivation_section(summary: pd.DataFrame, place: str, areas: list[str] | None = None) -> Markup:
    """The five measures for ``areas`` (or every area) as a captioned table with MHCLG's definitions."""
    if summary.empty:
        return render_macro("summary_measures.html.j2", "deprivation", "Deprivation: summary measures", "", [], [], [], "", [])
    columns, rows = deprivation_table(summary, areas)
    edition = summary["edition"].iloc[0]
    caption = f"{place}: Index of Multiple Deprivation {edition}, local summary measures"
    notes = [f"{r.area_name}: {r.note}." for r in summary.itertuples() if r.note and (areas is None or r.area_code in areas)]
    weighting = str(summary["weighting"].iloc[0])
    return render_macro(
        "summary_measures.html.j2",
        "deprivation",
        "Deprivation: summary measures",
        caption,
        columns,
        rows,
        DEFINITIONS,
        weighting,
        notes,
    )


LE_COLUMNS = ["Area", "Sex", "Life expectancy at birth (years)", "Lower 95%", "Upper 95%", "Note"]
GAP_COLUMNS = ["Sex", "Most deprived locality", "Years", "Least deprived locality", "Years", "Gap (years)", "95% interval"]
METHOD = (
    "Abridged life table (Chiang II) with Silcocks' variance, as PHEindicatormethods' phe_life_expectancy; "
    "five-year age bands from 0-4 to 90+, deaths and populations summed over {period}. A value whose 95% interval is "
    "wider than 20 years is not shown."
)


def _le_row(r: dict) -> list[str]:
    figures = [format_number(r[c], 1) for c in ("value", "lower95", "upper95")]
    return [r["area_name"], r["sex"], *figures, r["note"] or ""]


def life_expectancy_section(
    le: pd.DataFrame, place: str, areas: list[str] | None = None, scores: pd.Series | None = None
) -> Markup:
    """Life expectancy at birth by sex for ``areas`` (or every area), and, given each locality's deprivation
    ``scores``, the gap between the most and least deprived localities."""
    empty = ("", [], [], "", "", [], [])
    if le.empty:
        return render_macro("summary_measures.html.j2", "life_expectancy", "Life expectancy at birth", *empty)
    shown = le if areas is None else le[le["area_code"].isin(areas)]
    order = {c: i for i, c in enumerate(areas)} if areas else None
    key = shown["area_code"].map(order) if order else shown["area_type"].map(LEVEL_ORDER)
    shown = shown.assign(_k=key).sort_values(["_k", "area_name", "sex"], kind="stable")
    period = str(le["period"].iloc[0])
    rows = [_le_row(r) for r in shown.to_dict("records")]
    gap_rows = []
    if scores is not None:
        for g in deprivation_gap(le, scores).to_dict("records"):
            interval = f"{format_number(g['lower95'], 1)} to {format_number(g['upper95'], 1)}"
            most, least = format_number(g["most_deprived_value"], 1), format_number(g["least_deprived_value"], 1)
            gap_rows.append(
                [g["sex"], g["most_deprived"], most, g["least_deprived"], least, format_number(g["gap"], 1), interval]
            )
    return render_macro(
        "summary_measures.html.j2",
        "life_expectancy",
        "Life expectancy at birth",
        f"{place}: life expectancy at birth by sex, {period}",
        LE_COLUMNS,
        rows,
        METHOD.format(period=period),
        f"The gap in life expectancy between the most and least deprived localities (by the IMD average score), {period}",
        GAP_COLUMNS,
        gap_rows,
    )
