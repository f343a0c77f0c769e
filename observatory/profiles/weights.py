"""Population weights for scores: which population weights which dataset, and how split small areas share it.

A score (an IMD score, a domain score, a modelled rate without counts) is aggregated as a mean weighted by a
population. Which population is a property of the dataset, not of the profile (the IoD's own summaries weight by
the IoD's population denominators, not by the latest mid-year estimates), so each dataset names its weighting:

1. ``population.weights`` in ``config.yaml``: ``{dataset id: indicator}`` or
   ``{dataset id: {indicator, label, ages: {indicator id: age band}}}`` (``ages`` picks the denominator of a
   domain: the IoD weights employment by the working-age population, IDACI by children 0-15, IDAOPI by 60+);
2. else the dataset's own denominators: a source with the ``population`` adapter and the same dataset
   (IoD2019 File 6 supplies ``mhclg-iod2019``'s);
3. else the configuration's population (``population.indicator``).

Each small area weighs its own population on its own vintage where the data has it. Where an area on another
vintage has none, the weight comes from its parent on the primary vintage; when the parent split into several
areas, its population is shared among them (never given whole to each): in proportion to their populations in
``population.split_shares`` (an indicator on the split vintage, e.g. Census 2021 usual residents) where given,
otherwise in equal shares. The rule is named in the output's method column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory.config import Config
from observatory.geo.areas import Geography

ALL_AGES = ("All ages", "")
EQUAL_SHARES = "equal shares"


@dataclass(frozen=True)
class Weighting:
    """The population that weights one dataset's scores, and the words the output names it with."""

    indicator: str
    label: str
    ages: Mapping[str, str] = field(default_factory=dict)

    def age(self, indicator_id: str) -> str:
        """The age band of the weighting population for ``indicator_id`` ("All ages" unless configured)."""
        return self.ages.get(indicator_id, "All ages")


def population_title(indicators: pd.DataFrame, indicator: str) -> str:
    """The title of a population indicator in the metadata (its id when it has none)."""
    if indicator in indicators.index and str(indicators.loc[indicator, "title"]).strip():
        return str(indicators.loc[indicator, "title"])
    return indicator


def weightings(cfg: Config, indicators: pd.DataFrame) -> tuple[dict[str, Weighting], Weighting]:
    """Per dataset id, the weighting of its scores (configured, else the dataset's own denominators), and the
    default weighting (the configuration's population) for every other dataset."""
    population = cfg.raw.get("population") or {}
    default = Weighting(cfg.population_indicator, population_title(indicators, cfg.population_indicator))
    out: dict[str, Weighting] = {}
    for spec in cfg.sources:
        if spec.adapter == "population" and spec.dataset not in out:
            ind = str(spec.options.get("indicator", "population"))
            if ind != cfg.population_indicator:
                out[spec.dataset] = Weighting(ind, f"{population_title(indicators, ind)}: the dataset's own denominators")
    for dataset, given in dict(population.get("weights") or {}).items():
        given = {"indicator": given} if isinstance(given, str) else dict(given)
        ind = str(given["indicator"])
        out[str(dataset)] = Weighting(
            ind,
            str(given.get("label") or population_title(indicators, ind)),
            {str(k): str(v) for k, v in dict(given.get("ages") or {}).items()},
        )
    return out, default


def split_shares_indicator(cfg: Config) -> str | None:
    """The indicator whose populations share a split parent's weight among its areas (None: equal shares)."""
    return (cfg.raw.get("population") or {}).get("split_shares")


def _latest_counts(values: pd.DataFrame, small_area_type: str, indicator: str, age: str) -> pd.Series:
    """Latest population count per (vintage, area code) of ``indicator`` in age band ``age``: persons, or the
    sum of the sexes where there is no persons row; the sum of the age bands where there is no all-ages row."""
    pop = values[(values["indicator_id"] == indicator) & (values["area_type"] == small_area_type)]
    persons = pop[pop["sex"].isin(["Persons", ""])]
    if persons.empty and len(pop):
        persons = pop.groupby(["area_code", "vintage", "period_sort", "age"], as_index=False)["value"].sum()
    band = persons[persons["age"].isin(ALL_AGES) if age in ALL_AGES else persons["age"] == age]
    if band.empty and age in ALL_AGES and len(persons):
        band = persons.groupby(["area_code", "vintage", "period_sort"], as_index=False)["value"].sum()
    if band.empty:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["vintage", "area_code"]))
    latest = band.sort_values("period_sort").groupby(["vintage", "area_code"])["value"].last()
    return latest.astype(float)


def small_area_weights(
    values: pd.DataFrame, geo: Geography, indicator: str, age: str = "All ages", shares_indicator: str | None = None
) -> pd.DataFrame:
    """The weight of every small area on every vintage the geography knows, from ``indicator``'s counts.

    Columns ``vintage``, ``area_code``, ``weight`` and ``rule`` (``""`` for an area's own population,
    ``"from parent"`` for an unchanged area weighed by its parent's count, ``"split: <how>"`` for a share of a
    split parent's). Primary areas without a count of their own take the sum of their children's.
    """
    own = _latest_counts(values, geo.small_area_type, indicator, age)
    rows = [
        pd.DataFrame(
            {
                "vintage": own.index.get_level_values(0),
                "area_code": own.index.get_level_values(1),
                "weight": own.to_numpy(),
                "rule": "",
            }
        )
    ]
    have = set(zip(rows[0]["vintage"], rows[0]["area_code"]))
    primary = own[own.index.get_level_values(0).isin(["", geo.vintage])].droplevel(0)
    primary = primary[~primary.index.duplicated()]
    for vintage, lk in geo.vintage_lookups.items():
        lk = lk.drop_duplicates("code")
        on_vintage = own[own.index.get_level_values(0) == vintage].droplevel(0)
        # a primary area with no count of its own: its children's sum (exact for unchanged areas and splits)
        summed = on_vintage.groupby(lk.set_index("code")["primary_code"]).sum(min_count=1)
        summed = summed[~summed.index.isin(primary.index)]
        if len(summed):
            rows.append(
                pd.DataFrame(
                    {
                        "vintage": geo.vintage,
                        "area_code": summed.index,
                        "weight": summed.to_numpy(),
                        "rule": f"sum of its {vintage} areas",
                    }
                )
            )
        rows.append(_from_parents(lk, vintage, pd.concat([primary, summed]), values, geo, shares_indicator, have))
    rows = [r for r in rows if len(r)]
    if not rows:
        return pd.DataFrame(
            {
                "vintage": pd.Series(dtype=str),
                "area_code": pd.Series(dtype=str),
                "weight": pd.Series(dtype=float),
                "rule": pd.Series(dtype=str),
            }
        )
    out = pd.concat(rows, ignore_index=True)
    return out.drop_duplicates(["vintage", "area_code"]).reset_index(drop=True)


def _from_parents(
    lk: pd.DataFrame,
    vintage: str,
    parents: pd.Series,
    values: pd.DataFrame,
    geo: Geography,
    shares_indicator: str | None,
    have: set,
) -> pd.DataFrame:
    """Weights of ``vintage`` areas with no count of their own, from their primary parent's count."""
    need = lk[[(vintage, c) not in have for c in lk["code"]]].copy()
    if need.empty:
        return pd.DataFrame()
    children = lk.groupby("primary_code")["code"].transform("size")
    need["n"] = children.loc[need.index].to_numpy()
    need["parent_weight"] = need["primary_code"].map(parents)
    share = 1.0 / need["n"].astype(float)
    how = EQUAL_SHARES
    if shares_indicator:
        key = _latest_counts(values, geo.small_area_type, shares_indicator, "All ages")
        key = key[key.index.get_level_values(0) == vintage].droplevel(0)
        split = lk[lk["primary_code"].isin(need.loc[need["n"] > 1, "primary_code"])]
        total = split["code"].map(key).groupby(split["primary_code"]).sum(min_count=1)
        by_key = need["code"].map(key) / need["primary_code"].map(total)
        if (need["n"] > 1).any() and by_key[need["n"] > 1].notna().all():
            share = np.where(need["n"] > 1, by_key, share)
            how = f"shared by {shares_indicator}"
    need["weight"] = need["parent_weight"] * share
    need["rule"] = np.where(need["n"] > 1, f"split: {how}", "from parent")
    return pd.DataFrame(
        {"vintage": vintage, "area_code": need["code"], "weight": need["weight"].to_numpy(float), "rule": need["rule"].to_numpy()}
    )


def row_weights(
    rows: pd.DataFrame,
    values: pd.DataFrame,
    geo: Geography,
    by_dataset: Mapping[str, Weighting],
    default: Weighting,
    shares_indicator: str | None = None,
) -> pd.DataFrame:
    """For each weighted row (``indicator_id``, ``area_code``, ``vintage``, ``dataset_id``), its ``_w`` weight,
    the ``_rule`` that gave it and the ``_label`` of its weighting."""
    ds = rows["dataset_id"].astype(str)
    w = np.full(len(rows), np.nan)
    rule = np.full(len(rows), "", dtype=object)
    label = np.full(len(rows), "", dtype=object)
    cache: dict[tuple[str, str], pd.DataFrame] = {}
    for (dataset, ind), idx in rows.groupby([ds, rows["indicator_id"].astype(str)], sort=False).indices.items():
        weighting = by_dataset.get(dataset, default)
        spec = (weighting.indicator, weighting.age(ind))
        if spec not in cache:
            table = small_area_weights(values, geo, *spec, shares_indicator=shares_indicator)
            cache[spec] = table.set_index(["vintage", "area_code"])
        table = cache[spec]
        sub = rows.iloc[idx]
        vint = sub["vintage"].astype(str).where(sub["vintage"].astype(str) != "", geo.vintage)
        key = pd.MultiIndex.from_arrays([vint, sub["area_code"].astype(str)])
        found = table.reindex(key)
        w[idx] = found["weight"].to_numpy(float)
        rule[idx] = found["rule"].fillna("").to_numpy()
        label[idx] = weighting.label if spec[1] in ALL_AGES else f"{weighting.label}, aged {spec[1]}"
    return pd.DataFrame({"_w": w, "_rule": rule, "_label": label}, index=rows.index)


def method_text(label: str, rules: pd.Series) -> str:
    """The method column of a weighted aggregate: the weighting and, where used, the split-area rule."""
    splits = sorted({r for r in rules if str(r).startswith("split: ")})
    text = f"population-weighted mean ({label})"
    if splits:
        text += "; split areas: parent's population " + ", ".join(s.removeprefix("split: ") for s in splits)
    return text
