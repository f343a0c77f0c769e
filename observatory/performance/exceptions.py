"""Performance: targets, forecasts and the quarterly zero-based exception report, with spend against need and risks.

The partnership steers performance at three levels (the county-wide board, the six theme groups, the district
partnerships) and reports to each quarterly "on a zero-based exception basis": only what is off track appears.

- Targets are data (``targets.csv`` in the configuration folder), validated like every other input.
- :func:`forecast` fits a straight line to each series' recent points by weighted least squares (weights 1/SE²
  from the 95% limits; ordinary least squares where a series has no limits) and gives a prediction interval at the
  target period; :func:`assess_targets` classifies each target on track, at risk or off track.
- Three exception rules, one function each: :func:`off_track`, :func:`red_red` and :func:`gap_widening`.
- :func:`diff_exceptions` says what is new, resolved and still open since last quarter.
- :func:`need_index` and :func:`spend_against_need` compare funding shares with shares of need.
- :class:`ExceptionReport` assembles one governance level's report for one audience; the notebook displays it.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from observatory._core.resources import notebook
from observatory._core.settings import data_dir
from observatory.config import Config, load_config
from observatory._core.vocab import THEME_TITLES, Theme
from observatory.stats.compare import HIGH, LOW, normalise_polarity
from observatory.stats.gap import gap_trend
from observatory.stats.trend import CHI2_CRITICAL, POINTS, last_points, weights_from_limits
from observatory.errors import Report

TARGET_COLUMNS = ["indicator_id", "area_code", "area_type", "target_value", "target_period", "direction",
                  "theme_group", "owner", "note"]
TARGET_AREA_TYPES = ("county", "district", "locality")
NOTEBOOK = notebook("exception_report")
DIRECTIONS = ("increase", "decrease", "maintain")
STATUSES = ("on track", "at risk", "off track", "met", "missed", "not enough data")
ALLOCATION_COLUMNS = ["area_code", "area_type", "period", "amount", "fund"]
RISK_COLUMNS = ["id", "title", "theme", "owner", "likelihood", "impact", "score", "mitigation", "linked_indicator"]
MIN_POINTS = 4
LEVEL = 0.95
NEED_TOLERANCE = 0.10
HIGH_RISK = 15
RULES = {
    "off_track": "Off track against target",
    "red_red": "Significantly worse than the benchmark and worsening",
    "gap_widening": "Gap to the county widening",
}
EXCEPTION_COLUMNS = ["level", "rule", "rule_title", "theme_group", "theme_title", "indicator_id", "indicator",
                     "area_code", "area_name", "area_type", "district_code", "period", "value", "lower95", "upper95",
                     "benchmark", "benchmark_value", "trend_judgement", "target_value", "target_period", "forecast",
                     "forecast_lower", "forecast_upper", "status", "owner", "why"]
KEY = ["rule", "indicator_id", "area_code"]
AREA_TYPES = ("county", "district", "locality")


# --------------------------------------------------------------------------- formatting

def _num(v) -> str:
    if v is None or pd.isna(v) or not np.isfinite(float(v)):
        return "–"
    v = float(v)
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.1f}" if abs(v) >= 1 or v == 0 else f"{v:.2f}"


def _u(v, unit: str) -> str:
    """A value with its unit, as people read it: 12.3%, 45.6 per 1,000, 329 (score)."""
    s = _num(v)
    if s == "–":
        return s
    unit = str(unit or "")
    if unit == "%":
        return s + "%"
    if unit.startswith("per "):
        return f"{s} {unit}"
    return s


def _ci(lo, hi, unit: str) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return ""
    return f" (95% CI {_u(lo, unit)} to {_u(hi, unit)})"


# --------------------------------------------------------------------------- inputs: targets, allocations, risks

def _config_file(cfg: Config, key: str, default: str) -> Path:
    return cfg.local_path((cfg.raw.get("performance") or {}).get(key, default))


def targets_file(cfg: Config) -> Path:
    return _config_file(cfg, "targets", "targets.csv")


def allocations_file(cfg: Config) -> Path:
    return _config_file(cfg, "allocations", "allocations.csv")


def risks_file(cfg: Config) -> Path:
    return _config_file(cfg, "risks", "risks.csv")


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _number(text: str) -> float | None:
    try:
        v = float(str(text).replace(",", "").strip())
    except ValueError:
        return None
    return v if np.isfinite(v) else None


def _area_types(geography) -> dict[tuple[str, str], str]:
    """(code, type) → name, for every area of the geography."""
    a = geography.areas
    return {(c, t): n for c, t, n in zip(a["code"], a["type"], a["name"])}


def _period_sort(label: str) -> int | None:
    from observatory.ingest.adapters._common import period_sort_key

    return period_sort_key(label)


def validate_targets(frame: pd.DataFrame, geography, indicators: pd.DataFrame, file: str = "targets.csv") -> Report:
    """Every problem in a target table: unknown indicator or area, area of another type, bad direction, theme
    group, number or period, ``maintain`` without a polarity, and the same target set twice."""
    report = Report()
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        report.add(file, 1, missing[0], f"missing required column(s): {', '.join(missing)}")
        return report
    areas = _area_types(geography)
    themes = {t.value for t in Theme}
    seen: dict[tuple[str, str, str], int] = {}
    for line, r in enumerate(frame.to_dict("records"), start=2):
        ind, code, kind = r["indicator_id"].strip(), r["area_code"].strip(), r["area_type"].strip()
        if ind not in indicators.index:
            report.add(file, line, "indicator_id", f"indicator {ind!r} does not exist in the indicator metadata")
        if kind not in TARGET_AREA_TYPES:
            report.add(file, line, "area_type", f"area type {kind!r} is not one of {', '.join(TARGET_AREA_TYPES)}")
        elif (code, kind) not in areas:
            other = sorted(t for (c, t) in areas if c == code)
            reason = (f"area {code!r} is a {other[0]}, not a {kind}" if other
                      else f"area {code!r} is not a {kind} of this geography")
            report.add(file, line, "area_code", reason)
        if _number(r["target_value"]) is None:
            report.add(file, line, "target_value", f"target value {r['target_value']!r} is not a number")
        if r["direction"].strip() not in DIRECTIONS:
            report.add(file, line, "direction", f"direction {r['direction']!r} is not one of {', '.join(DIRECTIONS)}")
        elif r["direction"].strip() == "maintain" and ind in indicators.index \
                and indicators.loc[ind, "polarity"] == "no_judgement":
            report.add(file, line, "direction", f"'maintain' needs an indicator with a polarity; {ind} has no judgement: "
                                               "use increase (at least) or decrease (at most)")
        sort_text = str(r.get("target_period_sort", "")).strip()
        if sort_text:
            if not sort_text.isdigit():
                report.add(file, line, "target_period_sort", f"target period sort {sort_text!r} is not an integer such as 20260000")
        elif not r["target_period"].strip() or _period_sort(r["target_period"]) is None:
            report.add(file, line, "target_period", f"target period {r['target_period']!r} holds no year (e.g. 2026/27)")
        group = r["theme_group"].strip()
        if group and group not in themes:
            report.add(file, line, "theme_group", f"theme group {group!r} is not one of {', '.join(sorted(themes))}")
        flag = str(r.get("illustrative", "")).strip().lower()
        if flag not in ("", "true", "false", "yes", "no", "1", "0"):
            report.add(file, line, "illustrative", f"illustrative {flag!r} is not true or false")
        key = (ind, code, r["target_period"].strip())
        if key in seen:
            report.add(file, line, "target_period", f"a target for {ind} in {code} for {key[2]} is already set on row {seen[key]}")
        seen.setdefault(key, line)
    return report


def read_targets(cfg: Config, path: Path | str | None = None, geography=None, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """The configuration's targets, validated (every problem reported at once); empty when it has none.

    Columns as in the file plus ``target_period_sort`` (from the label when not given), ``target_value`` as a
    number, ``theme_group`` defaulting to the indicator's theme and ``illustrative`` (bool).
    """
    from observatory.geo.areas import Geography
    from observatory.metadata.indicators import read_indicators

    path = Path(path) if path else targets_file(cfg)
    if not path.exists():
        return pd.DataFrame(columns=TARGET_COLUMNS + ["target_period_sort", "illustrative"])
    frame = _read_csv(path)
    indicators = indicators if indicators is not None else read_indicators(cfg.indicators_file)
    geography = geography or Geography(cfg)
    validate_targets(frame, geography, indicators, path.name).raise_if_problems()
    out = frame.copy()
    for c in TARGET_COLUMNS:
        out[c] = out[c].str.strip()
    out["target_value"] = out["target_value"].map(_number).astype(float)
    given = out["target_period_sort"].str.strip() if "target_period_sort" in out else pd.Series("", index=out.index)
    out["target_period_sort"] = [int(g) if g else _period_sort(p) for g, p in zip(given, out["target_period"])]
    out["target_period_sort"] = out["target_period_sort"].astype("int64")
    out["theme_group"] = out["theme_group"].where(out["theme_group"] != "", out["indicator_id"].map(indicators["theme"]))
    flag = out["illustrative"] if "illustrative" in out else pd.Series("", index=out.index)
    out["illustrative"] = flag.str.strip().str.lower().isin(["true", "yes", "1"]).astype(bool)
    return out.reset_index(drop=True)


def read_allocations(cfg: Config, path: Path | str | None = None, geography=None) -> pd.DataFrame:
    """Funding allocated to districts and localities (like the area-based grant); empty when there is none."""
    from observatory.geo.areas import Geography

    path = Path(path) if path else allocations_file(cfg)
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=float if c == "amount" else str) for c in ALLOCATION_COLUMNS})
    frame = _read_csv(path)
    report = Report()
    missing = [c for c in ALLOCATION_COLUMNS if c not in frame.columns]
    if missing:
        report.add(path.name, 1, missing[0], f"missing required column(s): {', '.join(missing)}")
        report.raise_if_problems()
    areas = _area_types(geography or Geography(cfg))
    for line, r in enumerate(frame.to_dict("records"), start=2):
        if r["area_type"] not in ("district", "locality"):
            report.add(path.name, line, "area_type", f"area type {r['area_type']!r} is not district or locality")
        elif (r["area_code"], r["area_type"]) not in areas:
            report.add(path.name, line, "area_code", f"area {r['area_code']!r} is not a {r['area_type']} of this geography")
        v = _number(r["amount"])
        if v is None or v < 0:
            report.add(path.name, line, "amount", f"amount {r['amount']!r} is not a number of pounds at or above zero")
        if not r["period"].strip():
            report.add(path.name, line, "period", "period is empty")
        if not r["fund"].strip():
            report.add(path.name, line, "fund", "fund is empty")
    report.raise_if_problems()
    out = frame.copy()
    out["amount"] = out["amount"].map(_number).astype(float)
    out["period_sort"] = out["period"].map(_period_sort).astype("Int64")
    return out


def read_risks(cfg: Config, path: Path | str | None = None, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """The partnership's risk register: likelihood and impact 1-5, score = likelihood × impact; empty when none."""
    from observatory.metadata.indicators import read_indicators

    path = Path(path) if path else risks_file(cfg)
    if not path.exists():
        return pd.DataFrame(columns=RISK_COLUMNS)
    frame = _read_csv(path)
    report = Report()
    missing = [c for c in RISK_COLUMNS if c not in frame.columns]
    if missing:
        report.add(path.name, 1, missing[0], f"missing required column(s): {', '.join(missing)}")
        report.raise_if_problems()
    indicators = indicators if indicators is not None else read_indicators(cfg.indicators_file)
    themes = {t.value for t in Theme}
    scores = []
    for line, r in enumerate(frame.to_dict("records"), start=2):
        li, im = (r[c].strip() for c in ("likelihood", "impact"))
        ok = True
        for c, v in (("likelihood", li), ("impact", im)):
            if v not in {"1", "2", "3", "4", "5"}:
                report.add(path.name, line, c, f"risk {r['id']}: {c} {v!r} is not a whole number from 1 to 5")
                ok = False
        score = int(li) * int(im) if ok else None
        if r["score"].strip() and ok and r["score"].strip() != str(score):
            report.add(path.name, line, "score", f"risk {r['id']}: score {r['score']!r} is not likelihood × impact = {score}")
        scores.append(score)
        if r["theme"] not in themes:
            report.add(path.name, line, "theme", f"risk {r['id']}: theme {r['theme']!r} is not one of the six themes")
        if r["linked_indicator"].strip() and r["linked_indicator"].strip() not in indicators.index:
            report.add(path.name, line, "linked_indicator", f"risk {r['id']}: indicator {r['linked_indicator']!r} does not exist")
    dup = frame["id"][frame["id"].duplicated()]
    for i in dup.index:
        report.add(path.name, int(i) + 2, "id", f"risk id {frame.loc[i, 'id']!r} is used twice")
    report.raise_if_problems()
    out = frame.copy()
    out["likelihood"] = out["likelihood"].astype(int)
    out["impact"] = out["impact"].astype(int)
    out["score"] = pd.Series(scores, index=out.index).astype(int)
    return out.sort_values(["score", "id"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------- forecasts

def period_years(period_sort, labels=None) -> np.ndarray:
    """Fingertips-style period sort keys (YYYYMMDD-ish) as decimal years: 20190000 → 2019.0, 20240700 → 2024.5.

    The sort key of "2024 Q3" is 20240300, like March's: with ``labels``, a label naming a quarter is read as one
    (2024 Q3 → 2024.5).
    """
    s = np.asarray(period_sort, dtype=float)
    part = np.floor(s / 100) % 100
    step = np.full(s.shape, 1 / 12)
    if labels is not None:
        quarter = pd.Series(np.asarray(labels, dtype=object).ravel()).astype(str).str.contains(r"\bQ[1-4]\b", case=False)
        step = np.where(quarter.to_numpy().reshape(s.shape), 0.25, step)
    return np.floor(s / 10000) + np.maximum(part - 1, 0) * step


def forecast(series: pd.DataFrame, at: pd.DataFrame, *, keys: Sequence[str] = ("indicator_id", "area_code"),
             points: int = POINTS, min_points: int = MIN_POINTS, level: float = LEVEL) -> pd.DataFrame:
    """A straight-line forecast with its prediction interval, for each row of ``at``, vectorised over rows.

    ``series`` holds the ``keys``, ``period``, ``period_sort``, ``value`` and optionally ``lower95``/``upper95``;
    ``at`` holds the ``keys`` and ``target_period_sort``. For each row of ``at``, the last ``points`` values before
    the target period are fitted by weighted least squares on time in years, weights 1/SE² with SE = (upper95 -
    lower95)/3.92 (Fingertips' convention), or by ordinary least squares when any of those points lacks limits.
    The prediction interval is residual-based: with s² = Σ w r² / (n - 2), the variance of a new value at the target
    is s² (x₀'(X'WX)⁻¹x₀ + 1/w₀), w₀ the latest point's weight (a future value measured as precisely as the latest),
    and the interval is the forecast ± t(level, n - 2) × its square root. Fewer than ``min_points`` points: "not
    enough data" and no forecast. Returns one row per row of ``at`` (same order) with ``forecast``,
    ``forecast_lower``, ``forecast_upper``, ``slope`` (per year), ``n_points``, ``method``, ``first_period``,
    ``last_period``, ``latest_value``, ``latest_lower95``, ``latest_upper95`` and ``note``.
    """
    keys = list(keys)
    at = at.reset_index(drop=True)
    n = len(at)
    target = at["target_period_sort"].to_numpy(dtype=float)
    cols = [c for c in ("period", "period_sort", "value", "lower95", "upper95") if c in series.columns]
    s = series[keys + cols].drop_duplicates(keys + ["period_sort"])
    long = at[keys].assign(_row=np.arange(n)).merge(s, on=keys, how="inner")
    codes = long["_row"].to_numpy(dtype=np.intp)

    def col(name: str) -> np.ndarray:
        v = long[name].to_numpy(dtype=float, na_value=np.nan) if name in long.columns else np.full(len(long), np.nan)
        return np.append(v, np.nan)  # the last slot stands for "no point"

    period, value, lower, upper = col("period_sort"), col("value"), col("lower95"), col("upper95")
    usable = (np.isfinite(value) & np.isfinite(period))[:-1] & (period[:-1] < target[codes])
    grid, n_points = last_points(codes, period[:-1], usable, n, points)
    idx = np.where(grid >= 0, grid, len(long))
    present = grid >= 0
    Y, L, U = value[idx], lower[idx], upper[idx]
    labels = np.append(long["period"].astype(str).to_numpy(), "") if "period" in long.columns else np.full(len(long) + 1, "")
    target_labels = at["target_period"].astype(str).to_numpy() if "target_period" in at.columns else None
    X = np.where(present, period_years(period[idx], labels[idx]) - period_years(target, target_labels)[:, None], 0.0)
    limits = present & np.isfinite(L) & np.isfinite(U) & (U > L)
    weighted = (limits | ~present).all(axis=1) & (n_points > 0)
    W = np.where(present, np.where(weighted[:, None], weights_from_limits(L, U), 1.0), 0.0)
    Y0 = np.where(present, Y, 0.0)
    s0, s1, s2 = W.sum(1), (W * X).sum(1), (W * X * X).sum(1)
    sy, sxy = (W * Y0).sum(1), (W * X * Y0).sum(1)
    enough = n_points >= max(min_points, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s0 * s2 - s1 ** 2
        slope = (s0 * sxy - s1 * sy) / det
        intercept = (s2 * sy - s1 * sxy) / det  # time is measured from the target period: this is the forecast
        resid = np.where(present, Y0 - intercept[:, None] - slope[:, None] * X, 0.0)
        dof = np.maximum(n_points - 2, 1)
        s2_resid = (W * resid ** 2).sum(1) / dof
        w0 = W[:, -1]
        variance = s2_resid * (s2 / det + 1 / w0)
        half = sps.t.ppf((1 + level) / 2, dof) * np.sqrt(variance)
    ok = enough & np.isfinite(intercept) & np.isfinite(half)
    intercept, half = np.where(ok, intercept, np.nan), np.where(ok, half, np.nan)
    out = at.copy()
    out["forecast"] = np.where(ok, intercept, np.nan)
    out["forecast_lower"] = np.where(ok, intercept - half, np.nan)
    out["forecast_upper"] = np.where(ok, intercept + half, np.nan)
    out["slope"] = np.where(ok, slope, np.nan)
    out["n_points"] = n_points
    out["method"] = np.where(n_points == 0, "", np.where(weighted, "weighted least squares", "ordinary least squares"))
    first = idx[np.arange(n), np.clip(points - n_points, 0, points - 1)]
    out["first_period"] = labels[first]
    out["last_period"] = labels[idx[:, -1]]
    out["latest_value"], out["latest_lower95"], out["latest_upper95"] = Y[:, -1], L[:, -1], U[:, -1]
    out["note"] = np.where(ok, "", np.where(enough, "the points do not fit a line", "not enough data"))
    out.loc[~enough, "note"] = f"not enough data: fewer than {max(min_points, 3)} periods before the target"
    return out


def _bound(direction: pd.Series, polarity: pd.Series) -> np.ndarray:
    """'at least' or 'at most' from a target's direction (maintain follows the indicator's polarity)."""
    pol = normalise_polarity(polarity.fillna("no_judgement").to_numpy(), len(polarity))
    d = direction.to_numpy()
    least = (d == "increase") | ((d == "maintain") & (pol == HIGH))
    return np.where(least, "at least", "at most")


def assess_targets(targets: pd.DataFrame, profiles: pd.DataFrame, *, points: int = POINTS,
                   min_points: int = MIN_POINTS, level: float = LEVEL) -> pd.DataFrame:
    """Each target with its forecast, prediction interval and status.

    Status: "on track" when the whole prediction interval lies on the right side of the target (the forecast meets
    it and the target is outside the interval), "off track" when the whole interval lies on the wrong side, "at
    risk" when the target is inside the interval, "not enough data" with fewer than ``min_points`` periods. Once
    the target period is observed, the observed value decides: "met" or "missed". ``increase`` means at least the
    target, ``decrease`` at most, ``maintain`` not worse than it by the indicator's polarity.
    """
    meta_cols = [c for c in ("area_name", "district_code", "title", "theme", "unit", "polarity", "value_type",
                             "multiplier", "dataset", "trend_judgement") if c in profiles.columns]
    p = profiles.sort_values("period_sort")
    meta = p.drop_duplicates(["indicator_id", "area_code"], keep="last")[["indicator_id", "area_code"] + meta_cols]
    t = targets.drop(columns=[c for c in meta_cols if c in targets.columns]).merge(meta, on=["indicator_id", "area_code"], how="left")
    out = forecast(p, t, points=points, min_points=min_points, level=level)
    if "value_type" in out.columns:
        lo = np.where(out["value_type"].isin(["proportion", "crude_rate", "dsr", "isr", "count"]), 0.0, -np.inf)
        hi = np.where(out["value_type"] == "proportion", out["multiplier"].astype(float).fillna(np.inf), np.inf)
        for c in ("forecast", "forecast_lower", "forecast_upper"):
            out[c] = np.clip(out[c].to_numpy(dtype=float), lo, hi)
    out["bound"] = _bound(out["direction"], out.get("polarity", pd.Series("no_judgement", index=out.index)))
    target = out["target_value"].to_numpy(dtype=float)
    least = out["bound"].to_numpy() == "at least"
    lower, upper = out["forecast_lower"].to_numpy(dtype=float), out["forecast_upper"].to_numpy(dtype=float)
    on = np.where(least, target < lower, target > upper)
    off = np.where(least, target > upper, target < lower)
    known = np.isfinite(out["forecast"].to_numpy(dtype=float))
    status = np.select([~known, on, off], ["not enough data", "on track", "off track"], "at risk")

    seen = t[["indicator_id", "area_code", "target_period_sort"]].assign(_row=np.arange(len(t))).merge(
        p[["indicator_id", "area_code", "period", "period_sort", "value"]].dropna(subset=["value"]),
        on=["indicator_id", "area_code"])
    seen = seen[seen["period_sort"] >= seen["target_period_sort"]].sort_values("period_sort").drop_duplicates("_row")
    observed = np.full(len(out), np.nan)
    observed[seen["_row"].to_numpy()] = seen["value"].to_numpy(dtype=float)
    obs_period = np.full(len(out), "", dtype=object)
    obs_period[seen["_row"].to_numpy()] = seen["period"].astype(str).to_numpy()
    met = np.where(least, observed >= target, observed <= target)
    status = np.where(np.isfinite(observed), np.where(met, "met", "missed"), status)
    out["observed_value"], out["observed_period"] = observed, obs_period
    out["status"] = pd.Categorical(status, categories=STATUSES)
    return out


# --------------------------------------------------------------------------- exception rules

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
    get = lambda c, default="": f[c] if c in f.columns else pd.Series([default] * len(f), dtype=object)  # noqa: E731
    theme = columns.pop("theme_group", get("theme"))
    out = pd.DataFrame({
        "level": "", "rule": rule, "rule_title": RULES[rule], "theme_group": theme,
        "theme_title": pd.Series(theme).map({t.value: THEME_TITLES[t] for t in Theme}).fillna(""),
        "indicator_id": f["indicator_id"], "indicator": get("title"), "area_code": f["area_code"],
        "area_name": get("area_name"), "area_type": f["area_type"], "district_code": get("district_code"),
        "period": get("period"), "value": get("value", np.nan), "lower95": get("lower95", np.nan),
        "upper95": get("upper95", np.nan), "benchmark": "", "benchmark_value": np.nan,
        "trend_judgement": get("trend_judgement"), "target_value": np.nan, "target_period": "", "forecast": np.nan,
        "forecast_lower": np.nan, "forecast_upper": np.nan, "status": "", "owner": "", "why": why})
    for c, v in columns.items():
        out[c] = v.to_numpy() if isinstance(v, pd.Series) else v
    return out[EXCEPTION_COLUMNS]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "lower95", "upper95", "benchmark_value",
                                                          "target_value", "forecast", "forecast_lower",
                                                          "forecast_upper") else object) for c in EXCEPTION_COLUMNS})


def off_track(assessed: pd.DataFrame) -> pd.DataFrame:
    """Rule 1: a target whose forecast misses it beyond the prediction interval, or an observed value that missed it."""
    a = assessed[assessed["status"].isin(["off track", "missed"])].reset_index(drop=True)
    if a.empty:
        return _empty()
    why = []
    for r in a.itertuples():
        unit = getattr(r, "unit", "")
        goal = f"the target of {r.bound} {_u(r.target_value, unit)} for {r.target_period}"
        if r.status == "missed":
            why.append(f"{_u(r.observed_value, unit)} in {r.observed_period} missed {goal}.")
            continue
        trend = getattr(r, "trend_judgement", "")
        why.append(f"Forecast {_u(r.forecast, unit)} for {r.target_period} (95% prediction interval "
                   f"{_u(r.forecast_lower, unit)} to {_u(r.forecast_upper, unit)}, {r.method} on {r.n_points} periods "
                   f"from {r.first_period}) misses {goal}; latest {_u(r.latest_value, unit)} in {r.last_period}"
                   f"{_ci(r.latest_lower95, r.latest_upper95, unit)}"
                   + (f", recent trend {trend}" if trend and trend not in ("nan", "cannot be calculated") else "") + ".")
    frame = a.assign(period=np.where(a["status"] == "missed", a["observed_period"], a["last_period"]),
                     value=np.where(a["status"] == "missed", a["observed_value"], a["latest_value"]),
                     lower95=np.where(a["status"] == "missed", np.nan, a["latest_lower95"]),
                     upper95=np.where(a["status"] == "missed", np.nan, a["latest_upper95"]))
    return _exceptions(frame, "off_track", why, theme_group=a["theme_group"], target_value=a["target_value"],
                       target_period=a["target_period"], forecast=a["forecast"], forecast_lower=a["forecast_lower"],
                       forecast_upper=a["forecast_upper"], status=a["status"].astype(str), owner=a["owner"])


def red_red(profiles: pd.DataFrame, county_name: str = "the county") -> pd.DataFrame:
    """Rule 2: significantly worse than the benchmark (the county; England for the county itself) and worsening.

    Counts are left out: a district's count is not comparable with the county's."""
    latest = _latest(_comparable(profiles))
    is_county = latest["area_type"] == "county"
    versus = np.where(is_county, latest["vs_england"].astype(str), latest["vs_county"].astype(str))
    hit = latest[(versus == "worse") & (latest["trend_judgement"].astype(str) == "worsening")].reset_index(drop=True)
    if hit.empty:
        return _empty()
    county = (hit["area_type"] == "county").to_numpy()
    bench_value = np.where(county, hit["england_value"], hit["county_value"]).astype(float)
    bench = np.where(county, "England", county_name)
    why = [f"{_u(r.value, r.unit)} in {r.period}{_ci(r.lower95, r.upper95, r.unit)} is significantly worse than "
           f"{b} ({_u(bv, r.unit)}), and the recent trend is worsening."
           for r, b, bv in zip(hit.itertuples(), bench, bench_value)]
    return _exceptions(hit, "red_red", why, benchmark=pd.Series(bench), benchmark_value=pd.Series(bench_value))


def gap_widening(profiles: pd.DataFrame, county_name: str = "the county", *, points: int = POINTS,
                 min_points: int = MIN_POINTS) -> pd.DataFrame:
    """Rule 3: a district's or locality's gap to the county widened significantly on the worse side.

    The gap series is value - county value over the last ``points`` periods; its limits are the area's limits less
    the county value (the county's own uncertainty is small and ignored). The test is :func:`stats.gap.gap_trend`:
    weighted least squares with chi-squared > 9.5495 (99.8%, as the trend markers) where every point has limits,
    ordinary least squares against Student's t otherwise, and the slope must keep its sign when each point is left
    out. Only a gap on the worse side by polarity (a locality worse than the county and drifting further away)
    is an exception; indicators with no judgement, and counts, are not judged.
    """
    profiles = _comparable(profiles)
    p = profiles[profiles["area_type"].isin(("district", "locality")) & profiles["value"].notna()
                 & profiles["county_value"].notna()].copy()
    p = p[p["polarity"].astype(str) != "no_judgement"]
    if p.empty:
        return _empty()
    p["gap"] = p["value"] - p["county_value"]
    p["gap_lower"] = p["lower95"] - p["county_value"]
    p["gap_upper"] = p["upper95"] - p["county_value"]
    has_limits = (np.isfinite(p["gap_lower"]) & np.isfinite(p["gap_upper"]) & (p["gap_upper"] > p["gap_lower"]))
    series_limits = has_limits.groupby([p["indicator_id"], p["area_code"]]).transform("all")
    parts = []
    for weighted, part in p.groupby(series_limits.to_numpy()):
        t = gap_trend(part, value_col="gap", lower_col="gap_lower" if weighted else None,
                      upper_col="gap_upper" if weighted else None, group_by=("indicator_id", "area_code"),
                      points=points, min_points=min_points)
        parts.append(t)
    trends = pd.concat(parts, ignore_index=True)
    trends = trends[trends["gap_trend"].astype(str) == "widening"]
    latest = p.sort_values("period_sort").groupby(["indicator_id", "area_code"]).tail(points)
    ends = latest.groupby(["indicator_id", "area_code"]).agg(first_gap=("gap", "first"), first_gap_period=("period", "first"))
    trends = trends.rename(columns={"slope": "gap_slope", "statistic": "gap_statistic", "method": "gap_method"})
    hit = _latest(p).merge(trends[["indicator_id", "area_code", "gap_slope", "gap_statistic", "gap_method"]],
                           on=["indicator_id", "area_code"]).merge(ends.reset_index(), on=["indicator_id", "area_code"])
    pol = normalise_polarity(hit["polarity"].astype(str).to_numpy(), len(hit))
    worse = np.where(pol == LOW, hit["gap"] > 0, np.where(pol == HIGH, hit["gap"] < 0, False))
    hit = hit[worse].reset_index(drop=True)
    if hit.empty:
        return _empty()
    why = [f"The gap to {county_name} went from {r.first_gap:+,.1f} in {r.first_gap_period} to {r.gap:+,.1f} in {r.period} "
           f"({'weighted' if str(r.gap_method).startswith('weighted') else 'ordinary'} least squares, significant at 99.8%); "
           f"{_u(r.value, r.unit)}{_ci(r.lower95, r.upper95, r.unit)} against {_u(r.county_value, r.unit)} for the county."
           for r in hit.itertuples()]
    return _exceptions(hit, "gap_widening", why, benchmark=county_name, benchmark_value=hit["county_value"])


def find_exceptions(profiles: pd.DataFrame, assessed: pd.DataFrame | None = None, county_name: str | None = None) -> pd.DataFrame:
    """Every exception (one row per rule, indicator and area) in the county, its districts and localities."""
    if county_name is None:
        c = profiles.loc[profiles["area_type"] == "county", "area_name"] if "area_name" in profiles else pd.Series(dtype=str)
        county_name = str(c.iloc[0]) if len(c) else "the county"
    parts = [off_track(assessed) if assessed is not None and len(assessed) else _empty(),
             red_red(profiles, county_name), gap_widening(profiles, county_name)]
    parts = [x for x in parts if len(x)]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out["owner"] = out["owner"].where(out["owner"].fillna("") != "", out["theme_title"] + " theme group")
    order = {"county": 0, "district": 1, "locality": 2}
    out = out.assign(_o=out["area_type"].map(order)).sort_values(["theme_group", "indicator_id", "_o", "area_code", "rule"])
    return out.drop(columns="_o").reset_index(drop=True)


# --------------------------------------------------------------------------- governance levels

def parse_level(level: str) -> tuple[str, str]:
    """("board", ""), ("theme", theme id) or ("district", district code) from a level string."""
    if level == "board":
        return "board", ""
    kind, _, code = level.partition(":")
    if kind == "theme" and code in {t.value for t in Theme}:
        return kind, code
    if kind == "district" and code:
        return kind, code
    raise ValueError(f"level must be 'board', 'theme:<theme id>' or 'district:<district code>', not {level!r}")


def level_slug(level: str) -> str:
    """A file-name-safe form of a level: board, theme-children_young_people, district-E07000218."""
    kind, code = parse_level(level)
    return kind if kind == "board" else f"{kind}-{code}"


def for_level(exceptions: pd.DataFrame, level: str) -> pd.DataFrame:
    """The exceptions a governance level steers: the board all; a theme group its indicators (by the target's
    theme group, else the indicator's theme); a district itself and its localities."""
    kind, code = parse_level(level)
    e = exceptions
    if kind == "theme":
        e = e[e["theme_group"] == code]
    elif kind == "district":
        e = e[(e["district_code"] == code) & e["area_type"].isin(("district", "locality"))]
    return e.assign(level=level).reset_index(drop=True)


def targets_for_level(assessed: pd.DataFrame, level: str) -> pd.DataFrame:
    kind, code = parse_level(level)
    if kind == "theme":
        return assessed[assessed["theme_group"] == code]
    if kind == "district":
        return assessed[(assessed["district_code"] == code) & assessed["area_type"].isin(("district", "locality"))]
    return assessed


# --------------------------------------------------------------------------- quarter on quarter

def diff_exceptions(current: pd.DataFrame, previous: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What changed since last quarter, keyed by (rule, indicator, area): (new, resolved, still open).

    ``new`` and ``still_open`` are rows of ``current``; ``resolved`` rows of ``previous``. No previous quarter:
    everything is new.
    """
    if previous is None or previous.empty:
        return current.reset_index(drop=True), current.iloc[0:0].copy(), current.iloc[0:0].copy()
    k = lambda f: pd.MultiIndex.from_frame(f[KEY].astype(str))  # noqa: E731
    cur, prev = k(current), k(previous)
    new = current[~cur.isin(prev)].reset_index(drop=True)
    still = current[cur.isin(prev)].reset_index(drop=True)
    resolved = previous[~prev.isin(cur)].drop_duplicates(KEY).reset_index(drop=True)
    return new, resolved, still


def read_exceptions(path: Path | str) -> pd.DataFrame:
    """An exception table written by :func:`write_exceptions` (CSV or XLSX)."""
    path = Path(path)
    frame = pd.read_excel(path, sheet_name="exceptions", dtype=str) if path.suffix == ".xlsx" else pd.read_csv(path, dtype=str, keep_default_na=False)
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


def write_exceptions(frame: pd.DataFrame, folder: Path | str, level: str, extra: dict[str, pd.DataFrame] | None = None) -> list[Path]:
    """``exceptions-<level>.csv`` and ``.xlsx`` (the exceptions sheet first, then any ``extra`` sheets)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"exceptions-{level_slug(level)}"
    csv, xlsx = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    frame.to_csv(csv, index=False)
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xw:
        frame.to_excel(xw, sheet_name="exceptions", index=False)
        for name, sheet in (extra or {}).items():
            sheet.to_excel(xw, sheet_name=name[:31], index=False)
    return [csv, xlsx]


# --------------------------------------------------------------------------- spend against need

def need_index(profiles: pd.DataFrame, indicator: str = "imd_score", area_type: str = "locality") -> pd.DataFrame:
    """Each area's share of need: population × population-weighted deprivation score, as a share of the total.

    The deprivation score of a locality is the population-weighted mean of its small areas' scores, so population ×
    score is the sum over its small areas of population × score: a deprivation-weighted population. Relative to the
    county mean it reads as "people, counted more where deprivation is higher". Latest period of ``indicator``.
    """
    p = profiles[(profiles["indicator_id"] == indicator) & (profiles["area_type"] == area_type)]
    p = p[p["period_sort"] == p["period_sort"].max()] if len(p) else p
    out = pd.DataFrame({"area_code": p["area_code"].to_numpy(), "area_name": p.get("area_name", p["area_code"]).to_numpy(),
                        "district_code": p["district_code"].to_numpy() if "district_code" in p else "",
                        "population": p["denominator"].to_numpy(dtype=float), "score": p["value"].to_numpy(dtype=float)})
    out["need"] = out["population"] * out["score"]
    out["need_share"] = out["need"] / out["need"].sum()
    return out.sort_values("area_code").reset_index(drop=True)


def spend_against_need(allocations: pd.DataFrame, need: pd.DataFrame, *, period: str | None = None,
                       area_type: str = "locality", localities: pd.DataFrame | None = None,
                       tolerance: float = NEED_TOLERANCE) -> pd.DataFrame:
    """Funding share against need share per area; ``under_funded`` where the funding share falls below the need
    share by more than ``tolerance`` (relative: 0.10 flags a share under 90% of the share of need).

    Allocations of ``period`` (default: the latest), all funds summed. For districts, a district's funding is its
    own allocations plus its localities' (``localities``: a need table of localities giving their district).
    """
    a = allocations
    if len(a):
        if period is None:
            period = a.loc[a["period_sort"] == a["period_sort"].max(), "period"].iloc[0]
        a = a[a["period"] == period]
    if area_type == "district" and localities is not None and len(a):
        loc_district = localities.set_index("area_code")["district_code"]
        a = a.assign(area_code=np.where(a["area_type"] == "locality", a["area_code"].map(loc_district), a["area_code"]),
                     area_type="district")
    amount = a[a["area_type"] == area_type].groupby("area_code")["amount"].sum() if len(a) else pd.Series(dtype=float)
    out = need.copy()
    out["period"] = period or ""
    out["amount"] = out["area_code"].map(amount).fillna(0.0)
    total = out["amount"].sum()
    out["funding_share"] = out["amount"] / total if total > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["funding_to_need"] = out["funding_share"] / out["need_share"]
    out["under_funded"] = (out["funding_share"] < out["need_share"] * (1 - tolerance)).fillna(False).astype(bool)
    return out


# --------------------------------------------------------------------------- the report

@dataclass
class ExceptionReport:
    """One governance level's quarterly exception report for one audience."""

    config: Config
    quarter: str
    level: str = "board"
    audience: str = "public"
    store: Path | None = None
    previous: Path | str | None = None
    profiles: object | None = None
    allowed_datasets: set[str] | None = field(default=None)

    def __post_init__(self):
        from observatory.metadata.catalogue import allowed_datasets, check_audience
        from observatory.profiles.table import load_profiles

        parse_level(self.level)
        check_audience(self.audience)
        if self.profiles is None:
            self.profiles = load_profiles(self.config, self.store)
        if self.allowed_datasets is None:
            self.allowed_datasets = allowed_datasets(self.config, self.audience)
        kind, code = parse_level(self.level)
        if kind == "district" and code not in {d.code for d in self.geography.districts()}:
            raise KeyError(f"{code!r} is not a district of {self.config.name}")

    @cached_property
    def geography(self):
        return self.profiles.geography

    @cached_property
    def county_name(self) -> str:
        name = self.config.county["name"]
        return name[: -len(" (synthetic)")] if name.endswith(" (synthetic)") else name

    @cached_property
    def data(self) -> pd.DataFrame:
        """County, district and locality rows of the indicators this audience may see, small counts suppressed."""
        from observatory.present.report import publishable

        p = self.profiles.profiles
        p = p[p["area_type"].isin(AREA_TYPES) & p["dataset"].isin(self.allowed_datasets)]
        return publishable(p).reset_index(drop=True) if len(p) else p

    @cached_property
    def targets(self) -> pd.DataFrame:
        t = read_targets(self.config, geography=self.geography)
        allowed = set(self.data["indicator_id"])
        return t[t["indicator_id"].isin(allowed)].reset_index(drop=True)

    @cached_property
    def assessed(self) -> pd.DataFrame:
        if self.targets.empty:
            return pd.DataFrame(columns=list(self.targets.columns) + ["status"])
        return assess_targets(self.targets, self.data)

    @cached_property
    def all_exceptions(self) -> pd.DataFrame:
        return find_exceptions(self.data, self.assessed, self.county_name)

    @cached_property
    def exceptions(self) -> pd.DataFrame:
        return for_level(self.all_exceptions, self.level)

    @cached_property
    def previous_exceptions(self) -> pd.DataFrame | None:
        if not self.previous:
            return None
        p = Path(self.previous)
        if p.is_dir() and (p / "values.parquet").exists():  # a store snapshot: recompute last quarter's exceptions
            return ExceptionReport(self.config, "previous", self.level, self.audience, p).exceptions
        found = find_previous(p, self.level)
        return read_exceptions(found) if found is not None else None

    @cached_property
    def changes(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return diff_exceptions(self.exceptions, self.previous_exceptions)

    @cached_property
    def level_targets(self) -> pd.DataFrame:
        return targets_for_level(self.assessed, self.level) if len(self.assessed) else self.assessed

    @cached_property
    def risks(self) -> pd.DataFrame:
        r = read_risks(self.config)
        kind, code = parse_level(self.level)
        if r.empty:
            return r
        linked = r["linked_indicator"].isin(set(self.exceptions["indicator_id"]))
        r = r.assign(linked_exception=linked)
        if kind == "theme":
            return r[r["theme"] == code].reset_index(drop=True)
        return r[linked | (r["score"] >= HIGH_RISK)].reset_index(drop=True)

    @cached_property
    def spend(self) -> pd.DataFrame:
        """Spend against need for the localities of the level (board: all; district: its own; theme: none)."""
        kind, code = parse_level(self.level)
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        alloc = read_allocations(self.config, geography=self.geography)
        if kind == "theme" or alloc.empty or dep not in set(self.data["indicator_id"]):
            return pd.DataFrame()
        s = spend_against_need(alloc, need_index(self.data, dep))
        return s[s["district_code"] == code].reset_index(drop=True) if kind == "district" else s

    @cached_property
    def spend_districts(self) -> pd.DataFrame:
        dep = self.config.raw.get("deprivation_indicator", "imd_score")
        alloc = read_allocations(self.config, geography=self.geography)
        if parse_level(self.level)[0] != "board" or alloc.empty or dep not in set(self.data["indicator_id"]):
            return pd.DataFrame()
        return spend_against_need(alloc, need_index(self.data, dep, "district"), area_type="district",
                                  localities=need_index(self.data, dep))

    # ---- HTML sections ----------------------------------------------------------------------
    @cached_property
    def level_title(self) -> str:
        kind, code = parse_level(self.level)
        if kind == "board":
            return "County-wide partnership board"
        if kind == "theme":
            return f"{THEME_TITLES[Theme(code)]} theme group"
        return f"{self.geography.area(code).name} district partnership"

    def title_html(self) -> str:
        synthetic = ('<p class="obs-synthetic"><strong>Synthetic data</strong>: this demo county and every figure, target, '
                     'allocation and risk in it are invented for demonstration.</p>') if self.config.synthetic else ""
        illustrative = ""
        if len(self.targets) and self.targets["illustrative"].any():
            illustrative = ('<p class="obs-illustrative"><strong>Illustrative targets</strong>: the targets in this report '
                            'show how the method works; they are not targets agreed by the partnership.</p>')
        return (f"<h1>Exception report: {html.escape(self.level_title)}</h1>"
                f"<p>{html.escape(self.config.label)} · quarter {html.escape(self.quarter)} · audience: "
                f"{html.escape(self.audience)}</p>{synthetic}{illustrative}")

    def summary_html(self) -> str:
        e = self.exceptions
        new, resolved, still = self.changes
        lines = [f"Zero-based exception report: only what is off track is listed. {len(e)} exception"
                 f"{'' if len(e) == 1 else 's'} this quarter"
                 + (f" ({len(new)} new, {len(still)} still open; {len(resolved)} resolved since last quarter)."
                    if self.previous_exceptions is not None else " (no previous quarter to compare with).")]
        for rule, title in RULES.items():
            n = int((e["rule"] == rule).sum())
            lines.append(f"{html.escape(title)}: {n}.")
        t = self.level_targets
        if len(t):
            counts = t["status"].astype(str).value_counts()
            lines.append("Targets: " + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in STATUSES if counts.get(s, 0)) + ".")
        if len(self.spend) and self.spend["under_funded"].any():
            names = self.spend.loc[self.spend["under_funded"], "area_name"]
            lines.append("Funding below share of need: " + "; ".join(map(html.escape, names)) + ".")
        return "<h2>Summary</h2><ul>" + "".join(f"<li>{x}</li>" for x in lines) + "</ul>"

    @staticmethod
    def _table(frame: pd.DataFrame) -> str:
        """One row per indicator and area, its rules and reasons together, in rule order."""
        order = {r: i for i, r in enumerate(RULES)}
        f = frame.assign(_r=frame["rule"].map(order)).sort_values("_r", kind="stable")
        g = f.groupby(["indicator", "area_code"], sort=False)
        t = g.agg(Indicator=("indicator", "first"), Area=("area_name", "first"),
                  Rules=("rule_title", lambda s: "; ".join(s)), Why=("why", lambda s: " ".join(s)),
                  Owner=("owner", lambda s: "; ".join(dict.fromkeys(x for x in s if x))))
        key = frame.drop_duplicates(["indicator", "area_code"])[["indicator", "area_code"]]
        t = t.reindex(pd.MultiIndex.from_frame(key))
        return t.to_html(index=False, escape=True, classes="obs-table")

    def exceptions_html(self) -> str:
        e = self.exceptions
        parts = ["<h2>Exceptions</h2>"]
        if e.empty:
            return parts[0] + "<p>No exceptions: nothing is off track at this level this quarter.</p>"
        kind, _ = parse_level(self.level)
        if kind == "board":
            detail = e[e["area_type"] != "locality"]
            for theme, g in detail.groupby("theme_group", sort=True):
                parts.append(f"<h3>{html.escape(THEME_TITLES[Theme(theme)])}</h3>" + self._table(g))
            loc = e[e["area_type"] == "locality"]
            if len(loc):
                parts.append("<h3>Localities (summary; each theme group and district report lists them in full)</h3>")
                s = loc.groupby(["theme_title", "indicator", "rule_title"], sort=True).agg(
                    n=("area_code", "size"), areas=("area_name", lambda a: "; ".join(sorted(a)))).reset_index()
                s.columns = ["Theme", "Indicator", "Rule", "Localities", "Which"]
                parts.append(s.to_html(index=False, escape=True, classes="obs-table"))
        else:
            for theme, g in e.groupby("theme_group", sort=True):
                parts.append(f"<h3>{html.escape(THEME_TITLES[Theme(theme)])}</h3>" + self._table(g))
        return "".join(parts)

    def changes_html(self) -> str:
        if self.previous_exceptions is None:
            why = (f"no exceptions-{level_slug(self.level)}.csv was found under {html.escape(str(self.previous))}"
                   if self.previous else "no previous quarter's report was given")
            return f"<h2>Since last quarter</h2><p>Not compared: {why}.</p>"
        new, resolved, still = self.changes
        parts = ["<h2>Since last quarter</h2>"]
        for title, frame in (("New", new), ("Resolved", resolved), ("Still open", still)):
            if frame.empty:
                parts.append(f"<h3>{title}</h3><p>None.</p>")
            else:
                t = pd.DataFrame({"Indicator": frame["indicator"], "Area": frame["area_name"], "Rule": frame["rule_title"]})
                parts.append(f"<h3>{title} ({len(frame)})</h3>" + t.to_html(index=False, escape=True, classes="obs-table"))
        return "".join(parts)

    def targets_html(self) -> str:
        t = self.level_targets
        if t.empty:
            return "<h2>Targets</h2><p>No targets are set at this level.</p>"
        watch = t[t["status"].astype(str).isin(["at risk"])]
        parts = ["<h2>Targets</h2><p>Forecasts are straight lines through the recent points, weighted by their "
                 "precision, with a 95% prediction interval at the target period. Off-track targets are listed as "
                 "exceptions above; at risk means the target lies inside the prediction interval.</p>"]
        if len(watch):
            table = pd.DataFrame({
                "Indicator": watch["title"], "Area": watch["area_name"],
                "Target": [f"{b} {_u(v, u)} by {p}" for b, v, u, p in zip(watch["bound"], watch["target_value"], watch["unit"], watch["target_period"])],
                "Forecast": [f"{_u(f, u)} ({_u(lo, u)} to {_u(hi, u)})" for f, lo, hi, u in zip(watch["forecast"], watch["forecast_lower"], watch["forecast_upper"], watch["unit"])],
                "Owner": watch["owner"]})
            parts.append("<h3>At risk</h3>" + table.to_html(index=False, escape=True, classes="obs-table"))
        return "".join(parts)

    def finance_html(self) -> str:
        s = self.spend
        if s.empty:
            return ""
        def table(frame: pd.DataFrame, what: str) -> str:
            t = pd.DataFrame({what: frame["area_name"], "Funding": frame["amount"].map(lambda v: f"£{v:,.0f}"),
                              "Share of funding": frame["funding_share"].map(lambda v: f"{v:.1%}"),
                              "Share of need": frame["need_share"].map(lambda v: f"{v:.1%}"),
                              "Funding ÷ need": frame["funding_to_need"].map(lambda v: "–" if pd.isna(v) else f"{v:.2f}"),
                              "Below need": np.where(frame["under_funded"], "yes", "")})
            return t.to_html(index=False, escape=True, classes="obs-table")
        parts = [f"<h2>Spend against need ({html.escape(str(s['period'].iloc[0]))})</h2>"
                 "<p>Need is each area's population weighted by its deprivation score (population × population-weighted "
                 f"IMD score), as a share of the county. An area is flagged when its share of funding is more than "
                 f"{NEED_TOLERANCE:.0%} below its share of need.</p>", table(s, "Locality")]
        if len(self.spend_districts):
            parts.append("<h3>Districts (own allocations plus their localities')</h3>" + table(self.spend_districts, "District"))
        return "".join(parts)

    def risks_html(self) -> str:
        r = self.risks
        if r.empty:
            return ""
        t = pd.DataFrame({"Risk": r["id"] + " " + r["title"], "Owner": r["owner"], "Likelihood": r["likelihood"],
                          "Impact": r["impact"], "Score": r["score"], "Mitigation": r["mitigation"],
                          "Linked exception": np.where(r["linked_exception"], "yes", "")})
        which = ("Every risk this theme group owns." if parse_level(self.level)[0] == "theme" else
                 f"Risks scoring {HIGH_RISK} or more (likelihood × impact), and risks linked to an indicator with an "
                 "exception at this level.")
        return f"<h2>Risks</h2><p>{which}</p>" + t.to_html(index=False, escape=True, classes="obs-table")

    def download_frame(self) -> pd.DataFrame:
        return self.exceptions

    def write_downloads(self, folder: Path | str) -> list[Path]:
        """``exceptions-<level>.csv/.xlsx``: the exceptions, with the changes, targets, spend and risks as sheets."""
        new, resolved, still = self.changes
        cols = ["indicator_id", "title", "area_code", "area_name", "area_type", "target_value", "target_period", "bound",
                "forecast", "forecast_lower", "forecast_upper", "n_points", "method", "status", "theme_group", "owner", "note"]
        t = self.level_targets
        extra = {"new": new, "resolved": resolved, "still_open": still,
                 "targets": t[[c for c in cols if c in t.columns]].assign(status=lambda d: d["status"].astype(str)) if len(t) else t,
                 "spend_vs_need": self.spend, "risks": self.risks}
        return write_exceptions(self.exceptions, folder, self.level, extra)

    def method_html(self) -> str:
        items = [
            f"<strong>{RULES['off_track']}</strong>: a straight line is fitted to the last {POINTS} periods (at least "
            f"{MIN_POINTS}) by least squares weighted by each value's precision, and projected to the target period "
            "with a 95% prediction interval. Off track: the whole interval misses the target; at risk: the target lies "
            "inside it; on track: the whole interval meets it. A target period already observed is met or missed.",
            f"<strong>{RULES['red_red']}</strong>: the latest value's 95% confidence interval lies wholly on the worse "
            "side of the county value (England's for the county itself), and the recent trend over five periods is "
            "significantly worsening (Fingertips' trend test, 99.8%).",
            f"<strong>{RULES['gap_widening']}</strong>: a district's or locality's gap to the county (value − county "
            f"value) over the last {POINTS} periods has a significant slope away from the county on the worse side "
            f"(chi-squared above {CHI2_CRITICAL:.2f}, 99.8%, with the slope keeping its sign when any one point is left "
            "out).",
            "Small counts are suppressed before any rule is applied; only datasets the audience may see are used."]
        return "<h2>Method</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"

    def attribution_html(self) -> str:
        from observatory.metadata.catalogue import attributions

        used = set(self.data.loc[self.data["indicator_id"].isin(self.exceptions["indicator_id"]), "dataset"])
        items = "".join(f"<li>{html.escape(a)}</li>" for a in attributions(self.config, used))
        return f"<h2>Sources and attribution</h2><ul>{items or '<li>No data shown.</li>'}</ul>"


def open_exception_report(config: str | Config, quarter: str, level: str = "board", audience: str = "public",
                          store: str | Path | None = None, previous: str | Path | None = None) -> ExceptionReport:
    cfg = config if isinstance(config, Config) else load_config(config)
    return ExceptionReport(cfg, quarter, level, audience, Path(store) if store else None, previous or None)


def exception_jobs(config: str | Config, quarter: str, *, audience: str = "partners", store: str = "",
                   pack_dir: str = "", previous: str = "") -> list[dict]:
    """The exception-report runs of a quarterly pack: the board, the six theme groups and every district.

    Each is a dict(name, parameters, title, group) for ``notebooks/exception_report.ipynb``; ``previous`` (last
    quarter's pack folder) is passed to every run, each finding its own ``exceptions-<level>.csv`` there.
    """
    from observatory.geo.areas import Geography

    cfg = config if isinstance(config, Config) else load_config(config)
    levels = [("board", "County-wide partnership board")]
    levels += [(f"theme:{t.value}", f"{THEME_TITLES[t]} theme group") for t in Theme]
    levels += [(f"district:{d.code}", f"{d.name} district partnership") for d in Geography(cfg).districts()]
    return [{"name": f"exceptions-{level_slug(level)}",
             "parameters": {"config": cfg.name if cfg.dir.parent == data_dir().resolve() else str(cfg.dir),
                            "quarter": quarter, "level": level, "audience": audience, "store": store,
                            "pack_dir": pack_dir, "previous": previous},
             "title": f"Exception report: {title}", "group": "exceptions"} for level, title in levels]


__all__ = ["read_targets", "validate_targets", "read_allocations", "read_risks", "forecast", "assess_targets",
           "off_track", "red_red", "gap_widening", "find_exceptions", "for_level", "diff_exceptions",
           "read_exceptions", "write_exceptions", "need_index", "spend_against_need", "ExceptionReport",
           "open_exception_report", "exception_jobs", "parse_level", "level_slug", "RULES", "STATUSES"]
