"""Life expectancy at birth in the demo's profiles, against a Chiang II life table with Silcocks' variance written
out by hand here from the raw demo deaths and populations (not the package's code)."""

from __future__ import annotations

import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.present.report import CountyOverview, open_profile
from observatory.store import Store

DEMO = "data/demo"
YEARS = [2022, 2023, 2024]


def _chiang(deaths: np.ndarray, pops: np.ndarray) -> tuple[float, float]:
    """e0 and its standard error: 5-year bands, the first a = 0.1, the rest 0.5, the last band open."""
    k = len(deaths)
    m = deaths / pops
    a = [0.1] + [0.5] * (k - 1)
    q = [5 * m[i] / (1 + 5 * (1 - a[i]) * m[i]) for i in range(k - 1)] + [1.0]
    lx = [100000.0]
    for i in range(k - 1):
        lx.append(lx[-1] * (1 - q[i]))
    big_l = [5 * (lx[i + 1] + a[i] * (lx[i] - lx[i + 1])) for i in range(k - 1)] + [lx[-1] / m[-1]]
    e = [sum(big_l[i:]) / lx[i] for i in range(k)]
    var = sum(
        lx[i] ** 2 * ((1 - a[i]) * 5 + e[i + 1]) ** 2 * q[i] ** 2 * (1 - q[i]) / deaths[i] for i in range(k - 1) if deaths[i] > 0
    )
    var += lx[-1] ** 2 / (deaths[-1] * m[-1] ** 2)  # Silcocks: the open band's variance
    return e[0], math.sqrt(var) / lx[0]


def _raw(locality: str, sex: str, demo: str = DEMO) -> tuple[np.ndarray, np.ndarray]:
    members = pd.read_csv(f"{demo}/localities.csv").query("locality_code == @locality")["area_code"]
    bands = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]
    out = []
    for name in ("demo-deaths", "population"):
        f = pd.read_csv(f"{demo}/sources/{name}.csv")
        f = f[f["area_code"].isin(members) & f["period"].isin(YEARS) & (f["sex"] == sex)]
        out.append(f.groupby("age")["value"].sum().reindex(bands, fill_value=0).to_numpy(float))
    return out[0], out[1]


def test_a_localitys_life_expectancy_is_the_hand_computed_life_table(demo_store):
    cfg, store = demo_store
    text = re.sub(r"<[^>]+>", "|", open_profile(cfg, "ZL04", "2025Q3", store=str(store.path)).life_expectancy_html())
    for sex in ("Male", "Female"):
        e0, se = _chiang(*_raw("ZL04", sex))
        assert 60 < e0 < 95
        shown = f"Avonmere Central|{sex}|{e0:.1f}|{e0 - 1.959964 * se:.1f}|{e0 + 1.959964 * se:.1f}"
        assert shown in re.sub(r"\|+", "|", text)
    assert "synthetic" in open(f"{DEMO}/catalogue.yaml").read().split("id: demo-deaths")[1].split("- id:")[0].lower()


def test_overview_states_the_gap_between_most_and_least_deprived(demo_store):
    cfg, store = demo_store
    o = CountyOverview(cfg, "2025Q3", store=store.path)
    text = re.sub(r"\|+", "|", re.sub(r"\s*<[^>]+>\s*", "|", o.life_expectancy_html()))
    scores = o.deprivation[o.deprivation["area_type"] == "locality"].set_index("area_code")["average_score"]
    most, least = scores.idxmax(), scores.idxmin()
    names = o.deprivation.set_index("area_code")["area_name"]
    for sex in ("Male", "Female"):
        e_most, e_least = _chiang(*_raw(most, sex))[0], _chiang(*_raw(least, sex))[0]
        assert e_least - e_most > 1  # the demo's deprivation gradient gives a real gap
        assert f"|{sex}|{names[most]}|{e_most:.1f}|{names[least]}|{e_least:.1f}|{e_least - e_most:.1f}|" in text
    assert len(re.findall(r"\|(Male|Female)\|", text)) == 2 * (23 + 5 + 1) + 2  # every locality, district, county


SMALL = "ZL04"  # Avonmere Central: few people and few deaths in the fixture below


DEATHS = {"0-4": 1, "20-24": 1, "40-44": 1, "60-64": 1, "70-74": 2, "80-84": 2, "85-89": 2, "90+": 2}


@pytest.fixture(scope="module")
def small_locality(tmp_path_factory):
    """The demo with one locality's population cut to a sixth (still over 5,000 people of each sex) and its deaths
    replaced by 12 of each sex (``DEATHS``) in the latest year: its life expectancy's 95% interval is wider than
    20 years."""
    demo = tmp_path_factory.mktemp("small") / "demo"
    shutil.copytree(DEMO, demo)
    members = pd.read_csv(f"{DEMO}/localities.csv").query("locality_code == @SMALL")["area_code"]
    population = pd.read_csv(demo / "sources" / "population.csv")
    mine = population["area_code"].isin(members)
    population.loc[mine, "value"] = np.maximum((population.loc[mine, "value"] / 6).round(), 1)
    population.to_csv(demo / "sources" / "population.csv", index=False)
    deaths = pd.read_csv(demo / "sources" / "demo-deaths.csv")
    few = pd.DataFrame(
        [
            {"indicator_id": "deaths", "area_code": members.iloc[0], "period": YEARS[-1], "period_sort": YEARS[-1] * 10000}
            | {"sex": sex, "age": age, "value": n}
            for sex in ("Male", "Female")
            for age, n in DEATHS.items()
        ]
    )
    pd.concat([deaths[~deaths["area_code"].isin(members)], few]).to_csv(demo / "sources" / "demo-deaths.csv", index=False)
    cfg = load_config(str(demo))
    store = Store(demo / "store")
    ingest(cfg, store)
    return str(demo), cfg, store


def test_a_life_expectancy_wider_than_20_years_is_blanked_with_its_reason(small_locality):
    demo, cfg, store = small_locality
    text = re.sub(
        r"\|+",
        "|",
        re.sub(r"\s*<[^>]+>\s*", "|", open_profile(cfg, SMALL, "2025Q3", store=str(store.path)).life_expectancy_html()),
    )
    for sex in ("Male", "Female"):
        e0, se = _chiang(*_raw(SMALL, sex, demo))
        assert 2 * 1.959964 * se > 20  # the hand-computed interval is too wide to publish
        row = f"|Avonmere Central|{sex}|\u2013|{e0 - 1.959964 * se:.1f}|{e0 + 1.959964 * se:.1f}|"
        assert row + "95% confidence interval wider than 20 years|" in text
    district = re.search(r"\|Avonmere\|Male\|([^|]+)\|", text)
    assert district and 60 < float(district.group(1)) < 95  # the district around it keeps its value
