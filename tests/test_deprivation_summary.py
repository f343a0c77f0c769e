"""The IoD local summary measures a reader sees for a locality, recomputed from the raw LSOA rows (demo IMD file,
demo population; Warwickshire's IoD2019 files and File 6) by the MHCLG definitions, independently of the code."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.present.report import open_profile
from observatory.profiles.deprivation import deprivation_summary
from observatory.store import Store

DEMO = "data/demo"


def _by_definition(score: pd.Series, rank: pd.Series, pop: pd.Series, n: int) -> dict[str, float]:
    """The five measures for one area, written from MHCLG's words (File 10)."""
    rev = n + 1 - rank
    w = pop / pop.sum()
    slide = ((0.3 - rank / n) / 0.2).clip(0, 1)
    order = rev.sort_values(ascending=False).index
    need, took, total = 0.1 * pop.sum(), 0.0, 0.0
    for i in order:  # most deprived first until exactly 10% of the population
        take = min(pop[i], need - took)
        if take <= 0:
            break
        took, total = took + take, total + take * rev[i]
    return {
        "average_score": float((w * score).sum()),
        "average_rank": float((w * rev).sum()),
        "proportion_most_deprived_10": float((rank <= 0.1 * n).mean()),
        "extent": float((w * slide).sum()),
        "local_concentration": total / took,
    }


def test_demo_locality_figures_match_the_raw_lsoa_rows(demo_store):
    cfg, store = demo_store
    imd = pd.read_csv(f"{DEMO}/sources/demo-imd.csv")
    loc = pd.read_csv(f"{DEMO}/localities.csv")
    pop = pd.read_csv(f"{DEMO}/sources/population.csv")
    pop = pop[pop["period"] == pop["period"].max()].groupby("area_code")["value"].sum()  # latest mid-year, persons
    members = loc.loc[loc["locality_code"] == "ZL04", "area_code"]
    rows = imd.set_index("LSOA code (2021)").loc[members]
    want = _by_definition(
        rows["Index of Multiple Deprivation (IMD) Score"],
        rows["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"],
        pop.loc[members].set_axis(rows.index),
        33755,
    )
    got = deprivation_summary(cfg, store).set_index("area_code").loc["ZL04"]
    for measure, value in want.items():
        assert got[measure] == pytest.approx(value, rel=1e-9), measure
    # and the reader sees them, rounded, in the profile's table, with the weighting named
    html = open_profile(cfg, "ZL04", "2025Q3", store=str(store.path)).deprivation_html()
    text = re.sub(r"<[^>]+>", " ", html)
    assert f"{want['average_score']:.1f}" in text and f"{want['average_rank']:,.0f}" in text
    assert f"{want['extent'] * 100:.1f}%" in text and f"{want['proportion_most_deprived_10'] * 100:.1f}%" in text
    assert "<caption>" in html and "weighted by: Resident population" in text
    assert "exactly 10 per cent of its population" in text  # MHCLG's definition, in words


def test_warwickshire_uses_iod2019_with_file6_denominators(shared_data, tmp_path):
    cfg = load_config("data/warwickshire")
    d = shared_data
    scores = pd.read_csv(d / "lsoa11/iod2019_imd_income_employment_scores_lsoa11.csv").set_index("lsoa")
    ranks = pd.read_csv(d / "lsoa11/iod2019_file2_domains_ranks_deciles_lsoa11.csv").set_index("LSOA code (2011)")
    f6 = pd.read_csv(d / "lsoa11/iod2019_file6_population_denominators_mid2015_lsoa11.csv", thousands=",")
    f6 = f6.set_index("LSOA code (2011)")["Total population: mid 2015 (excluding prisoners)"]
    st = Store(tmp_path / "store")
    ingest(cfg, st, sources_ids=[s.id for s in cfg.sources if s.id.startswith("iod2019")])
    got = deprivation_summary(cfg, st)
    district = got[got["area_type"] == "district"].iloc[0]
    lk = pd.read_csv(d / "lookups/lsoa11_ccg21_lad21.csv")
    members = lk.loc[lk["LAD21CD"] == district["area_code"], "LSOA11CD"]
    rank = ranks.loc[members, "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"]
    want = _by_definition(scores.loc[members, "overall_local_score"], rank, f6.loc[members], 32844)
    for measure, value in want.items():
        assert district[measure] == pytest.approx(value, rel=1e-9), measure
    assert got["edition"].iloc[0] == "2019" and got["weighting"].iloc[0] == "IoD2019 mid-2015 denominators"
    assert np.isfinite(got["local_concentration"]).all()


def test_summary_measures_are_computed_once_per_inputs_then_read_from_the_profile_cache(demo_store, tmp_path, monkeypatch):
    """A build's kernels read the IoD summary measures and life expectancy from the profile table's cache instead
    of each computing them; other IoD files (another digest) are computed again, never served stale."""
    import observatory.present.summary_measures as sm
    from observatory.present.view_data import clear_shared_cache

    cfg, store = demo_store
    monkeypatch.setenv("OBSERVATORY_BUILD_DIR", str(tmp_path / "build"))
    clear_shared_cache()
    page = open_profile(cfg, "ZL04", "2025Q3", store=str(store.path))
    first = page.deprivation_html(), page.life_expectancy_html()
    cached = sorted(p.name for p in (tmp_path / "build").rglob("derived-*.parquet"))
    assert [n.split("-")[1] for n in cached] == ["deprivation", "life"], cached

    def refuse(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(sm, "deprivation_summary", refuse)
    monkeypatch.setattr(sm, "life_expectancy_at_birth", refuse)
    clear_shared_cache()  # a new kernel: nothing in memory
    page = open_profile(cfg, "ZL04", "2025Q3", store=str(store.path))
    assert (page.deprivation_html(), page.life_expectancy_html()) == first
    monkeypatch.setattr(sm, "digest_files", lambda paths: "0" * 64)  # the configured IoD files changed
    clear_shared_cache()
    with pytest.raises(AssertionError, match="computed again"):
        open_profile(cfg, "ZL04", "2025Q3", store=str(store.path)).deprivation_html()
    clear_shared_cache()
