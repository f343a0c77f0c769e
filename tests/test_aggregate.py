"""Aggregation: counts summed and statistics recomputed, scores population-weighted, vintages bridged."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from observatory.config import load_config
from observatory.geo.areas import Geography
from observatory.ingest.pipeline import check
from observatory.metadata.indicators import read_indicators
from observatory.profiles.aggregate import aggregate


def _wilson(x, n, z=1.959963984540054):
    p = x / n
    centre = (2 * x + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * x * (1 - p)) / (2 * (n + z * z))
    return centre - half, centre + half


@pytest.fixture
def mini(mini_config):
    cfg = load_config(mini_config)
    geo = Geography(cfg)
    inds = read_indicators(cfg.indicators_file)
    raw = pd.read_csv(mini_config / "values.csv", dtype=str, keep_default_na=False).assign(_row=lambda d: range(2, len(d) + 2))
    checked = check(raw, "values.csv", geo, inds)
    assert checked.report.ok, str(checked.report)
    return geo, inds, checked.frame


def test_proportion_is_recomputed_from_summed_counts(mini):
    geo, inds, values = mini
    out = aggregate(values, geo, inds)
    row = out[(out.indicator_id == "smoking") & (out.area_code == "ML01") & (out.period == "2022")].iloc[0]
    # ML01 = Z01000001 (20/150) + Z01000002 (21/160)
    assert row.numerator == 41 and row.denominator == 310
    assert row.value == pytest.approx(100 * 41 / 310)
    lo, hi = _wilson(41, 310)
    assert row.lower95 == pytest.approx(100 * lo) and row.upper95 == pytest.approx(100 * hi)
    assert row.method == "Wilson" and row.aggregation == "sum of small-area counts" and row.n_small_areas == 2
    # never the average of the two rates
    assert row.value != pytest.approx((100 * 20 / 150 + 100 * 21 / 160) / 2)


def test_rate_at_county_uses_byar_on_total(mini):
    geo, inds, values = mini
    out = aggregate(values, geo, inds)
    row = out[(out.indicator_id == "crime") & (out.area_type == "county") & (out.period == "2023")].iloc[0]
    count = sum(40 + 3 * i for i in range(6))
    pop = sum(1500 + 10 * i for i in range(6))
    assert row.numerator == count and row.denominator == pop
    assert row.value == pytest.approx(1000 * count / pop)
    z = 1.959963984540054
    lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    assert row.lower95 == pytest.approx(1000 * lower / pop, rel=1e-9)
    assert row.method == "Byars"


def test_scores_are_population_weighted(mini):
    geo, inds, values = mini
    out = aggregate(values, geo, inds)
    row = out[(out.indicator_id == "imd_score") & (out.area_code == "ML03")].iloc[0]
    pops = {4: 1540, 5: 1550}
    expected = sum((10 + 5 * i) * pops[i] for i in (4, 5)) / sum(pops.values())
    assert row.value == pytest.approx(expected)
    assert row.aggregation == "population-weighted mean of small areas"


def test_every_level_and_published_rows_are_present(mini):
    geo, inds, values = mini
    out = aggregate(values, geo, inds)
    smoking = out[(out.indicator_id == "smoking") & (out.period == "2023")]
    assert smoking.groupby("area_type").size().to_dict() == {"lsoa": 6, "locality": 3, "district": 2, "county": 1, "england": 1}
    eng = smoking[smoking.area_type == "england"].iloc[0]
    assert eng.value == pytest.approx(100 * 5e6 / 4e7) and eng.aggregation == "computed from published counts"


def test_a_missing_small_area_count_makes_the_aggregate_na_with_a_note(mini):
    geo, inds, values = mini
    v = values.copy()
    m = (v.indicator_id == "crime") & (v.area_code == "Z01000005") & (v.period == "2023")
    v.loc[m, "numerator"] = np.nan
    out = aggregate(v, geo, inds, levels=("locality",))
    row = out[(out.indicator_id == "crime") & (out.area_code == "ML03") & (out.period == "2023")].iloc[0]
    assert np.isnan(row.value) and "missing or suppressed" in row.note
    ok = out[(out.indicator_id == "crime") & (out.area_code == "ML01") & (out.period == "2023")].iloc[0]
    assert not np.isnan(ok.value)


def test_weights_sum_the_sexes_where_there_is_no_persons_row(mini):
    geo, inds, values = mini
    pop = values[values.indicator_id == "population"]
    male = pop.assign(sex="Male", value=pop["value"] - 700)
    female = pop.assign(sex="Female", value=700.0)
    split = pd.concat([values[values.indicator_id != "population"], male, female], ignore_index=True)
    row = aggregate(split, geo, inds).query("indicator_id == 'imd_score' and area_code == 'ML03'").iloc[0]
    pops = {4: 1540, 5: 1550}  # each small area's male + female count
    assert row.value == pytest.approx(sum((10 + 5 * i) * pops[i] for i in (4, 5)) / sum(pops.values()))
    assert row.method == "population-weighted mean (Population)"
