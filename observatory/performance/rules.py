"""The three exception rules, one function each, each row saying why in plain words with the figures.

Only what is off track appears ("zero-based"): :func:`off_track` (a target missed or forecast to be missed),
:func:`red_red` (significantly worse than the benchmark and worsening) and :func:`gap_widening` (the gap to the
county widened significantly on the worse side).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory._core.numbers import format_number
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.performance.forecasts import MIN_POINTS
from observatory.stats.compare import HIGH, LOW, normalise_polarity
from observatory.stats.gap import gap_trend
from observatory.stats.trend import POINTS

RULES = {
    "off_track": "Off track against target",
    "red_red": "Significantly worse than the benchmark and worsening",
    "gap_widening": "Gap to the county widening",
}
EXCEPTION_COLUMNS = [
    "level",
    "rule",
    "rule_title",
    "theme_group",
    "theme_title",
    "indicator_id",
    "indicator",
    "area_code",
    "area_name",
    "area_type",
    "district_code",
    "period",
    "value",
    "lower95",
    "upper95",
    "benchmark",
    "benchmark_value",
    "trend_judgement",
    "target_value",
    "target_period",
    "forecast",
    "forecast_lower",
    "forecast_upper",
    "status",
    "owner",
    "why",
]
AREA_TYPES = ("county", "district", "locality")
_NUMERIC = ("value", "lower95", "upper95", "benchmark_value", "target_value", "forecast", "forecast_lower", "forecast_upper")


def with_unit(value, unit: str) -> str:
    """A value with its unit, as people read it: 12.3%, 45.6 per 1,000, 329 (score); decimals by magnitude."""
    unit = str(unit or "")
    text = format_number(value, decimals=None, unit=unit)
    if text == format_number(None) or not unit.startswith("per "):
        return text
    return f"{text} {unit}"


def interval(lower, upper, unit: str) -> str:
    """`` (95% CI a to b)``, or nothing when either limit is missing."""
    if pd.isna(lower) or pd.isna(upper):
        return ""
    return f" (95% CI {with_unit(lower, unit)} to {with_unit(upper, unit)})"


def _latest(profiles: pd.DataFrame) -> pd.DataFrame:
    """The latest row with a value of each indicator in each county, district and locality."""
    p = profiles[profiles["area_type"].isin(AREA_TYPES) & profiles["value"].notna()]
    return p.sort_values("period_sort").drop_duplicates(["indicator_id", "area_code"], keep="last")


def _comparable(profiles: pd.DataFrame) -> pd.DataFrame:
    """Rows whose value can be set against the county's: not counts, which grow with the size of the area."""
    if "value_type" not in profiles.columns:
        return profiles
    return profiles[profiles["value_type"].astype(str) != "count"]


def _exceptions(frame: pd.DataFrame, rule: str, why: list[str], **columns) -> pd.DataFrame:
    """Rows of the exception table for ``rule`` from rows of a profile-like frame."""
    f = frame.reset_index(drop=True)
    get = lambda c, default="": f[c] if c in f.columns else pd.Series([default] * len(f), dtype=object)
    theme = columns.pop("theme_group", get("theme"))
    out = pd.DataFrame(
        {
            "level": "",
            "rule": rule,
            "rule_title": RULES[rule],
            "theme_group": theme,
            "theme_title": pd.Series(theme).map({t.value: THEME_TITLES[t] for t in Theme}).fillna(""),
            "indicator_id": f["indicator_id"],
            "indicator": get("title"),
            "area_code": f["area_code"],
            "area_name": get("area_name"),
            "area_type": f["area_type"],
            "district_code": get("district_code"),
            "period": get("period"),
            "value": get("value", np.nan),
            "lower95": get("lower95", np.nan),
            "upper95": get("upper95", np.nan),
            "benchmark": "",
            "benchmark_value": np.nan,
            "trend_judgement": get("trend_judgement"),
            "target_value": np.nan,
            "target_period": "",
            "forecast": np.nan,
            "forecast_lower": np.nan,
            "forecast_upper": np.nan,
            "status": "",
            "owner": "",
            "why": why,
        }
    )
    for c, v in columns.items():
        out[c] = v.to_numpy() if isinstance(v, pd.Series) else v
    return out[EXCEPTION_COLUMNS]


def empty_exceptions() -> pd.DataFrame:
    """An exception table with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=float if c in _NUMERIC else object) for c in EXCEPTION_COLUMNS})


def off_track(assessed: pd.DataFrame) -> pd.DataFrame:
    """Rule 1: a target whose forecast misses it beyond the prediction interval, or an observed value that missed it."""
    a = assessed[assessed["status"].isin(["off track", "missed"])].reset_index(drop=True)
    if a.empty:
        return empty_exceptions()
    why = []
    for r in a.itertuples():
        unit = getattr(r, "unit", "")
        goal = f"the target of {r.bound} {with_unit(r.target_value, unit)} for {r.target_period}"
        if r.status == "missed":
            why.append(f"{with_unit(r.observed_value, unit)} in {r.observed_period} missed {goal}.")
            continue
        trend = getattr(r, "trend_judgement", "")
        why.append(
            f"Forecast {with_unit(r.forecast, unit)} for {r.target_period} (95% prediction interval "
            f"{with_unit(r.forecast_lower, unit)} to {with_unit(r.forecast_upper, unit)}, {r.method} on {r.n_points} periods "
            f"from {r.first_period}) misses {goal}; latest {with_unit(r.latest_value, unit)} in {r.last_period}"
            f"{interval(r.latest_lower95, r.latest_upper95, unit)}"
            + (f", recent trend {trend}" if trend and trend not in ("nan", "cannot be calculated") else "")
            + "."
        )
    frame = a.assign(
        period=np.where(a["status"] == "missed", a["observed_period"], a["last_period"]),
        value=np.where(a["status"] == "missed", a["observed_value"], a["latest_value"]),
        lower95=np.where(a["status"] == "missed", np.nan, a["latest_lower95"]),
        upper95=np.where(a["status"] == "missed", np.nan, a["latest_upper95"]),
    )
    return _exceptions(
        frame,
        "off_track",
        why,
        theme_group=a["theme_group"],
        target_value=a["target_value"],
        target_period=a["target_period"],
        forecast=a["forecast"],
        forecast_lower=a["forecast_lower"],
        forecast_upper=a["forecast_upper"],
        status=a["status"].astype(str),
        owner=a["owner"],
    )


def red_red(profiles: pd.DataFrame, county_name: str = "the county") -> pd.DataFrame:
    """Rule 2: significantly worse than the benchmark (the county; England for the county itself) and worsening.

    Counts are left out: a district's count is not comparable with the county's."""
    latest = _latest(_comparable(profiles))
    is_county = latest["area_type"] == "county"
    versus = np.where(is_county, latest["vs_england"].astype(str), latest["vs_county"].astype(str))
    hit = latest[(versus == "worse") & (latest["trend_judgement"].astype(str) == "worsening")].reset_index(drop=True)
    if hit.empty:
        return empty_exceptions()
    county = (hit["area_type"] == "county").to_numpy()
    bench_value = np.where(county, hit["england_value"], hit["county_value"]).astype(float)
    bench = np.where(county, "England", county_name)
    why = [
        f"{with_unit(r.value, r.unit)} in {r.period}{interval(r.lower95, r.upper95, r.unit)} is significantly worse than "
        f"{b} ({with_unit(bv, r.unit)}), and the recent trend is worsening."
        for r, b, bv in zip(hit.itertuples(), bench, bench_value)
    ]
    return _exceptions(hit, "red_red", why, benchmark=pd.Series(bench), benchmark_value=pd.Series(bench_value))


def gap_widening(
    profiles: pd.DataFrame, county_name: str = "the county", *, points: int = POINTS, min_points: int = MIN_POINTS
) -> pd.DataFrame:
    """Rule 3: a district's or locality's gap to the county widened significantly on the worse side.

    The gap series is value - county value over the last ``points`` periods; its limits are the area's limits less
    the county value (the county's own uncertainty is small and ignored). The test is :func:`stats.gap.gap_trend`:
    weighted least squares with chi-squared > 9.5495 (99.8%, as the trend markers) where every point has limits,
    ordinary least squares against Student's t otherwise, and the slope must keep its sign when each point is left
    out. Only a gap on the worse side by polarity (a locality worse than the county and drifting further away)
    is an exception; indicators with no judgement, and counts, are not judged.
    """
    profiles = _comparable(profiles)
    p = profiles[
        profiles["area_type"].isin(("district", "locality")) & profiles["value"].notna() & profiles["county_value"].notna()
    ].copy()
    p = p[p["polarity"].astype(str) != "no_judgement"]
    if p.empty:
        return empty_exceptions()
    p["gap"] = p["value"] - p["county_value"]
    p["gap_lower"] = p["lower95"] - p["county_value"]
    p["gap_upper"] = p["upper95"] - p["county_value"]
    has_limits = np.isfinite(p["gap_lower"]) & np.isfinite(p["gap_upper"]) & (p["gap_upper"] > p["gap_lower"])
    series_limits = has_limits.groupby([p["indicator_id"], p["area_code"]]).transform("all")
    parts = []
    for weighted, part in p.groupby(series_limits.to_numpy()):
        t = gap_trend(
            part,
            value_col="gap",
            lower_col="gap_lower" if weighted else None,
            upper_col="gap_upper" if weighted else None,
            group_by=("indicator_id", "area_code"),
            points=points,
            min_points=min_points,
        )
        parts.append(t)
    trends = pd.concat(parts, ignore_index=True)
    trends = trends[trends["gap_trend"].astype(str) == "widening"]
    latest = p.sort_values("period_sort").groupby(["indicator_id", "area_code"]).tail(points)
    ends = latest.groupby(["indicator_id", "area_code"]).agg(first_gap=("gap", "first"), first_gap_period=("period", "first"))
    trends = trends.rename(columns={"slope": "gap_slope", "statistic": "gap_statistic", "method": "gap_method"})
    hit = (
        _latest(p)
        .merge(
            trends[["indicator_id", "area_code", "gap_slope", "gap_statistic", "gap_method"]], on=["indicator_id", "area_code"]
        )
        .merge(ends.reset_index(), on=["indicator_id", "area_code"])
    )
    pol = normalise_polarity(hit["polarity"].astype(str).to_numpy(), len(hit))
    worse = np.where(pol == LOW, hit["gap"] > 0, np.where(pol == HIGH, hit["gap"] < 0, False))
    hit = hit[worse].reset_index(drop=True)
    if hit.empty:
        return empty_exceptions()
    why = [
        f"The gap to {county_name} went from {r.first_gap:+,.1f} in {r.first_gap_period} to {r.gap:+,.1f} in {r.period} "
        f"({'weighted' if str(r.gap_method).startswith('weighted') else 'ordinary'} least squares, significant at 99.8%); "
        f"{with_unit(r.value, r.unit)}{interval(r.lower95, r.upper95, r.unit)} against {with_unit(r.county_value, r.unit)} for the county."
        for r in hit.itertuples()
    ]
    return _exceptions(hit, "gap_widening", why, benchmark=county_name, benchmark_value=hit["county_value"])


def find_exceptions(profiles: pd.DataFrame, assessed: pd.DataFrame | None = None, county_name: str | None = None) -> pd.DataFrame:
    """Every exception (one row per rule, indicator and area) in the county, its districts and localities."""
    if county_name is None:
        c = profiles.loc[profiles["area_type"] == "county", "area_name"] if "area_name" in profiles else pd.Series(dtype=str)
        county_name = str(c.iloc[0]) if len(c) else "the county"
    parts = [
        off_track(assessed) if assessed is not None and len(assessed) else empty_exceptions(),
        red_red(profiles, county_name),
        gap_widening(profiles, county_name),
    ]
    parts = [x for x in parts if len(x)]
    if not parts:
        return empty_exceptions()
    out = pd.concat(parts, ignore_index=True)
    out["owner"] = out["owner"].where(out["owner"].fillna("") != "", out["theme_title"] + " theme group")
    order = {"county": 0, "district": 1, "locality": 2}
    out = out.assign(_o=out["area_type"].map(order)).sort_values(["theme_group", "indicator_id", "_o", "area_code", "rule"])
    return out.drop(columns="_o").reset_index(drop=True)
