"""Demo values: each indicator's numerators, denominators and values per small area and period."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from observatory.demo.geography import (
    AGE_SHARE,
    CY,
    ENGLAND,
    ENGLAND_LSOAS,
    ENGLAND_POP,
    ESP_BANDS,
    ESP_WEIGHTS,
    FY,
    POPULATION_YEARS,
    U75_RATES,
    YEARS,
)
from observatory.demo.indicators import Spec
from observatory.demo.people import People


# ---------------------------------------------------------------------------------------------
def _period_labels(spec: Spec) -> list[str]:
    return FY if spec.periods == "fy" else CY


def _link(spec: Spec, level: float) -> float:
    if spec.value_type == "proportion":
        return float(logit(level / spec.multiplier))
    if spec.value_type in ("crude_rate", "dsr"):
        return math.log(level / spec.multiplier)
    return math.log(level)


def _predictor(spec: Spec, p: People, t: int, area_effect: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    level = spec.level[t]
    assert level is not None
    change = 1 + spec.gap_change * t / (len(YEARS) - 1)
    return (
        _link(spec, level)
        + spec.county
        + spec.deprivation * change * p.deprivation
        + spec.rural * change * (1 - p.urban)
        + spec.centre * p.centre
        + area_effect
        + rng.normal(0, 0.04, len(area_effect))
    )


def _rows(
    spec: Spec,
    codes: list[str],
    t: int,
    numerator: Any = None,
    denominator: Any = None,
    value: Any = None,
    age: str | None = None,
) -> pd.DataFrame:
    n = len(codes)
    label = _period_labels(spec)[t]
    frame = {"indicator_id": [spec.id] * n, "area_code": codes, "period": [label] * n, "period_sort": [f"{YEARS[t]}0000"] * n}
    if age is not None:
        frame["age"] = [age] * n
    for col, v in (("numerator", numerator), ("denominator", denominator), ("value", value)):
        if v is None:
            frame[col] = [""] * n
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            frame[col] = [f"{x:.1f}" for x in v]
        else:
            frame[col] = [str(int(x)) for x in np.atleast_1d(v)]
    return pd.DataFrame(frame)


def _indicator_values(
    spec: Spec, p: People, dens: dict[str, np.ndarray], eng: dict[str, np.ndarray], codes: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    n = len(codes)
    area_effect = rng.normal(0, spec.noise, n)
    parts = []
    stock = np.zeros(n, dtype=np.int64)
    prev_expected = np.zeros(n)
    for t in range(len(YEARS)):
        if spec.level[t] is None:
            continue
        lp = _predictor(spec, p, t, area_effect, rng)
        den = dens[spec.denominator][:, t] if spec.denominator else None
        if spec.value_type == "proportion":
            assert den is not None
            parts.append(_rows(spec, codes, t, numerator=rng.binomial(den, expit(lp)), denominator=den))
        elif spec.value_type == "crude_rate":
            assert den is not None
            parts.append(_rows(spec, codes, t, numerator=np.minimum(rng.poisson(den * np.exp(lp)), den), denominator=den))
        elif spec.value_type == "count" and spec.cumulative:
            expected = np.exp(lp)
            stock = stock + rng.poisson(np.maximum(expected - prev_expected, 0))
            prev_expected = np.maximum(expected, prev_expected)
            parts.append(_rows(spec, codes, t, value=stock))
        elif spec.value_type == "count":
            parts.append(_rows(spec, codes, t, value=rng.poisson(np.exp(lp))))
        elif spec.value_type == "mean":
            parts.append(_rows(spec, codes, t, denominator=den, value=np.round(np.exp(lp), 1)))
        else:
            raise ValueError(f"{spec.id}: no generator for {spec.value_type}")
        if spec.england:
            level = float(spec.level[t])  # type: ignore[arg-type]
            e_den = eng[spec.denominator][t] if spec.denominator else None
            if spec.value_type in ("proportion", "crude_rate"):
                parts.append(
                    _rows(
                        spec,
                        [ENGLAND["code"]],
                        t,
                        numerator=np.rint(e_den * level / spec.multiplier),
                        denominator=np.array([e_den]),
                    )
                )
            elif spec.value_type == "mean":
                parts.append(
                    _rows(
                        spec,
                        [ENGLAND["code"]],
                        t,
                        denominator=None if e_den is None else np.array([e_den]),
                        value=np.array([level]),
                    )
                )
    return pd.concat(parts, ignore_index=True)


def _mortality(spec: Spec, p: People, codes: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Under-75 deaths and populations by ESP 2013 band: the inputs of a directly standardised rate."""
    bands = len(U75_RATES)
    w = ESP_WEIGHTS[:bands]
    england_dsr = (w * U75_RATES).sum() / w.sum()
    area_effect = rng.normal(0, spec.noise, len(codes))
    persons = p.population.sum(axis=2)  # (area, year, band)
    share = AGE_SHARE[:bands] / AGE_SHARE.sum()
    parts = []
    for t in range(len(YEARS)):
        level = float(spec.level[t])  # type: ignore[arg-type]
        rates = U75_RATES * level / england_dsr
        rel = np.exp(_predictor(spec, p, t, area_effect, rng) - _link(spec, level))
        for b in range(bands):
            pop = persons[:, t, b]
            deaths = np.minimum(rng.poisson(pop * rates[b] / 1e5 * rel), pop)
            parts.append(_rows(spec, codes, t, numerator=deaths, denominator=pop, age=ESP_BANDS[b]))
            e_pop = np.rint(ENGLAND_POP[t] * share[b])
            parts.append(
                _rows(
                    spec,
                    [ENGLAND["code"]],
                    t,
                    numerator=np.rint([e_pop * rates[b] / 1e5]),
                    denominator=np.array([e_pop]),
                    age=ESP_BANDS[b],
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    frame["_o"] = frame["area_code"].eq(ENGLAND["code"])
    return frame.sort_values(["_o", "period_sort", "area_code"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _population_rows(p: People, codes: list[str]) -> pd.DataFrame:
    parts = []
    for year in POPULATION_YEARS:
        t = YEARS.index(year)
        for s, sex in enumerate(("Male", "Female")):
            for b, band in enumerate(ESP_BANDS):
                parts.append(
                    pd.DataFrame(
                        {
                            "indicator_id": "population",
                            "area_code": codes,
                            "period": str(year),
                            "period_sort": f"{year}0000",
                            "sex": sex,
                            "age": band,
                            "value": [str(int(v)) for v in p.population[:, t, s, b]],
                        }
                    )
                )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["period_sort", "area_code"], kind="stable").reset_index(drop=True)


def _imd(p: People, areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The demo IMD in the official MHCLG column layout; ranks are as if among England's 33,755 LSOAs."""
    n = len(areas)
    score = np.round(np.exp(math.log(17.0) + 0.62 * p.deprivation + rng.normal(0, 0.08, n)), 3)
    income = np.round(np.clip(score * 0.0058 * np.exp(rng.normal(0, 0.12, n)), 0.005, 0.6), 3)
    employment = np.round(np.clip(score * 0.0044 * np.exp(rng.normal(0, 0.12, n)), 0.005, 0.5), 3)
    national = norm.sf((np.log(score) - math.log(17.0)) / 0.62)  # share of England more deprived
    rank = np.maximum(1, np.rint(national * ENGLAND_LSOAS)).astype(int)
    order = np.argsort(-score, kind="stable")
    ranked = rank[order]
    ranked = np.maximum.accumulate(ranked - np.arange(n)) + np.arange(n)  # strictly increasing: ranks are unique
    rank[order] = np.minimum(ranked, ENGLAND_LSOAS)
    decile = np.ceil(rank / (ENGLAND_LSOAS / 10)).astype(int)
    return pd.DataFrame(
        {
            "LSOA code (2021)": areas["small_area_code"],
            "LSOA name (2021)": areas["small_area_name"],
            "Local Authority District code (2024)": areas["district_code"],
            "Local Authority District name (2024)": areas["district_name"],
            "Index of Multiple Deprivation (IMD) Score": [f"{v:.3f}" for v in score],
            "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": rank.astype(str),
            "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": decile.astype(str),
            "Income Score (rate)": [f"{v:.3f}" for v in income],
            "Employment Score (rate)": [f"{v:.3f}" for v in employment],
        }
    )


# ---------------------------------------------------------------------------------------------
# Writing
