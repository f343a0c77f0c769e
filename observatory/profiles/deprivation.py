"""The IoD local summary measures of every locality, district and the county, from the configured IoD source.

The LSOA scores and national ranks of the Index of Multiple Deprivation are read from the configuration's
``deprivation`` sources on the geography's own vintage (the latest edition there); each LSOA is weighted by the
population its dataset's scores are weighted by in the profiles (``profiles.weights``: the IoD's own denominators
where configured), so a locality's average score is the profile's IMD score. The measures themselves are
``stats.iod.iod_summary``, the same computation the national store uses.
"""

from __future__ import annotations

import pandas as pd

from observatory.config import Config, SourceSpec
from observatory.geo.areas import Geography
from observatory.ingest.adapters import read
from observatory.metadata.indicators import read_indicators
from observatory.profiles.weights import small_area_weights, split_shares_indicator, weightings
from observatory.stats.iod import iod_summary
from observatory.store import Store

N_LSOAS = {"2015": 32844, "2019": 32844, "2025": 33755}
"""LSOAs ranked nationally by each edition of the English Indices of Deprivation (2011 LSOAs up to 2019)."""
LEVELS = ("locality", "district", "county")
SCORE, RANK = "imd_score", "imd_rank"


def _lsoa_rows(spec: SourceSpec) -> pd.DataFrame:
    """The IMD score and rank rows a deprivation source holds (none when it has neither)."""
    options = {k: v for k, v in spec.options.items() if k not in ("indicators", "columns")}
    frame = read(spec.adapter, spec.file, options).frame  # a file with neither reads as empty
    return frame[frame["indicator_id"].isin([SCORE, RANK])] if "indicator_id" in frame else frame.iloc[0:0]


def iod_lsoas(cfg: Config, geo: Geography) -> tuple[pd.DataFrame, str, str]:
    """One row per small area (``area_code``, ``score``, ``rank``), its dataset and the edition (period)."""
    found = []
    for spec in cfg.sources:
        if spec.adapter == "deprivation" and str(spec.options.get("vintage", geo.vintage)) == geo.vintage:
            rows = _lsoa_rows(spec)
            if len(rows):
                found.append(rows.assign(dataset=spec.dataset))
    if not found:
        return pd.DataFrame(columns=["area_code", "score", "rank"]), "", ""
    rows = pd.concat(found, ignore_index=True)
    edition = rows.loc[rows["indicator_id"] == RANK, "period"].max()
    rows = rows[rows["period"] == edition]
    wide = rows.pivot_table(index="area_code", columns="indicator_id", values="value", aggfunc="first")
    wide = wide.rename(columns={SCORE: "score", RANK: "rank"}).reset_index()
    return wide, str(rows["dataset"].iloc[0]), str(edition)


def deprivation_summary(cfg: Config, store: Store | None = None, geo: Geography | None = None) -> pd.DataFrame:
    """The five measures for every locality, district and the county (``area_type``, ``area_code``, ``area_name``),
    with ``n_lsoas``, ``population``, ``edition``, ``weighting``, ``dataset`` and ``method`` (empty without an IoD source)."""
    geo = geo or Geography(cfg)
    store = store or Store(cfg.store_dir())
    lsoas, dataset, edition = iod_lsoas(cfg, geo)
    if lsoas.empty or "rank" not in lsoas or "score" not in lsoas:
        return pd.DataFrame()
    by_dataset, default = weightings(cfg, read_indicators(cfg.indicators_file))
    weighting = by_dataset.get(dataset, default)
    values = store.read(indicators=[weighting.indicator], area_types=[geo.small_area_type])
    w = small_area_weights(values, geo, weighting.indicator, weighting.age(SCORE), split_shares_indicator(cfg))
    w = w[w["vintage"].isin(["", geo.vintage])].drop_duplicates("area_code").set_index("area_code")["weight"]
    lsoas = lsoas.assign(population=lsoas["area_code"].map(w))
    parts = []
    for level in LEVELS:
        members = geo.membership(level)
        frame = members.merge(lsoas, left_on="small_area_code", right_on="area_code", how="left")
        out = iod_summary(frame, ["code", "name"], n_national=N_LSOAS.get(edition), population_note=weighting.label)
        parts.append(out.rename(columns={"code": "area_code", "name": "area_name"}).assign(area_type=level))
    out = pd.concat(parts, ignore_index=True)
    return out.assign(edition=edition, weighting=weighting.label, dataset=dataset)
