"""The one national store: the England data ingested once (``build/store/england``), with the benchmarks.

Every authority's build reads this store; nothing is re-ingested per authority. Benchmarks are computed from
the national data, never typed in: England from all LSOAs, each region from its LSOAs. The IoD local summary
measures are computed for every MSOA (the default localities), district, upper-tier authority, region and
England. Population weights are the approximate IoD2025 income-domain populations (see ``england.POPULATION_NOTE``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.errors import Report, ValidationError
from observatory.ingest.adapters import read
from observatory.national import england as E
from observatory.national.init import CENSUS_DATASET, DOMAINS, HOUSEHOLDS, IOD_DATASET, national_store_dir, sources_list
from observatory.stats.iod import iod_summary
from observatory.stats.methods import proportion_ci
from observatory.store import Store

STATE = "national.json"
SUMMARY = ("average_rank", "extent", "local_concentration", "proportion_most_deprived_10")
SOURCE = "computed from all LSOAs 2021 (observatory.national.store)"
LEVELS = {"MSOA21CD": "locality", "LAD24CD": "district", "UTLA24CD": "county", "RGN24CD": "region", "_england": "england"}


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for s in sources_list():
        p = folder / s["file"]
        h.update(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}".encode())
    h.update(json.dumps(sources_list(), sort_keys=True).encode())
    h.update(Path(__file__).read_bytes())  # a change to the benchmark rules rebuilds the store
    return h.hexdigest()


def lsoa_table(folder: Path | None = None) -> pd.DataFrame:
    """One row per LSOA: its areas at every level, population, and each domain's score and rank."""
    folder = Path(folder or E.england_dir())
    lk = E.lookup(folder)[["LSOA21CD", *[c for c in LEVELS if c != "_england"]]]
    s = pd.read_csv(folder / E.IOD_SCORES)
    u = pd.read_csv(folder / E.IOD_UNDERLYING, usecols=["lsoa21_code", "income_domain_numerator"])
    d = lk.merge(s, left_on="LSOA21CD", right_on="lsoa21_code", how="left").merge(u, on="lsoa21_code", how="left")
    d["population"] = d["income_domain_numerator"] / d["Income_score"].where(d["Income_score"] > 0)
    # an income score of 0 recovers no population: those few LSOAs take their district's median (stated rule)
    d["population"] = d["population"].fillna(d.groupby("LAD24CD")["population"].transform("median"))
    return d.assign(_england=E.ENGLAND["code"])


def _level_groups(d: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Every LSOA once per level (``LEVELS`` order): its area's group number, and each group's code and type.

    Groups are numbered level by level, codes sorted within a level, so one pass over the stacked LSOAs
    serves every level at once.
    """
    groups, areas, offset = [], [], 0
    for key, area_type in LEVELS.items():
        codes, uniques = pd.factorize(d[key], sort=True)
        groups.append(codes + offset)
        areas.append(pd.DataFrame({"area_code": np.asarray(uniques, dtype=object), "area_type": area_type, "level": len(areas)}))
        offset += len(uniques)
    return np.concatenate(groups), pd.concat(areas, ignore_index=True)


def _iod_rows(d: pd.DataFrame, group: np.ndarray, areas: pd.DataFrame) -> pd.DataFrame:
    """Average score of every domain and the summary measures (IMD only for localities), every level."""
    lsoa = np.tile(np.arange(len(d)), len(LEVELS))
    population = d["population"].to_numpy(float)[lsoa]
    cols = {c.split("_score")[0].lower(): c.split("_score")[0] for c in d.columns if c.endswith("_score")}
    measures = ["average_score", *SUMMARY]
    ids, values, denominators, notes = [], [], [], []
    locality = (areas["area_type"] == "locality").to_numpy()
    for dom, _ in DOMAINS:
        src = cols["housing_and_services" if dom == "housing_services" else dom]
        stacked = pd.DataFrame(
            {"_group": group, "score": d[f"{src}_score"].to_numpy(float)[lsoa], "rank": d[f"{src}_rank"].to_numpy(float)[lsoa]}
        ).assign(population=population)
        out = iod_summary(stacked, "_group", n_national=E.N_LSOAS, population_note=E.POPULATION_NOTE)
        for m in measures:
            ids.append(np.full(len(out), f"{dom}_score" if m == "average_score" else f"{dom}_{m}", dtype=object))
            values.append(out[m].to_numpy(float))
            denominators.append(out["population"].to_numpy(float))
            notes.append(out["note"].to_numpy(object))
    n = len(areas)
    dom_i, m_i, g = (a.ravel() for a in np.meshgrid(range(len(DOMAINS)), range(len(measures)), range(n), indexing="ij"))
    keep = (m_i == 0) | (dom_i == 0) | ~locality[g]  # as MHCLG publish for LADs: the summary measures above localities
    order = np.lexsort((g, m_i, dom_i, areas["level"].to_numpy()[g]))
    order = order[keep[order]]
    return pd.DataFrame(
        {
            "indicator_id": np.concatenate(ids)[order],
            "area_code": areas["area_code"].to_numpy()[g[order]],
            "area_type": areas["area_type"].to_numpy()[g[order]],
            "value": np.concatenate(values)[order],
            "denominator": np.concatenate(denominators)[order],
            "value_note": np.concatenate(notes)[order],
            "dataset_id": IOD_DATASET,
            "period": "2025",
            "period_sort": 20250000,
        }
    )


def _household_rows(hh: pd.DataFrame, d: pd.DataFrame, group: np.ndarray, areas: pd.DataFrame) -> pd.DataFrame:
    """Households deprived in k+ dimensions at every level: summed LSOA counts with Wilson score limits."""
    position = pd.Index(d["LSOA21CD"]).get_indexer(hh["area_code"])
    hh, position = hh[position >= 0], position[position >= 0]
    ind, indicators = pd.factorize(hh["indicator_id"], sort=True)
    n = len(areas)
    stacked = (group.reshape(len(LEVELS), len(d))[:, position] + (ind * n)[None, :]).ravel()
    size = len(indicators) * n
    rows = np.bincount(stacked, minlength=size)
    num, den = (np.bincount(stacked, np.tile(hh[c].to_numpy(float), len(LEVELS)), size) for c in ("numerator", "denominator"))
    key = np.flatnonzero(rows)
    i, g = np.divmod(key, n)
    order = np.lexsort((g, i, areas["level"].to_numpy()[g]))
    key, i, g = key[order], i[order], g[order]
    ci = proportion_ci(num[key], den[key], 100)
    return pd.DataFrame(
        {
            "indicator_id": np.asarray(indicators, dtype=object)[i],
            "area_code": areas["area_code"].to_numpy()[g],
            "area_type": areas["area_type"].to_numpy()[g],
            "numerator": num[key],
            "denominator": den[key],
            **{c: ci[c].to_numpy() for c in ("value", "lower95", "upper95", "lower998", "upper998")},
            "dataset_id": CENSUS_DATASET,
            "period": "2021",
            "period_sort": 20210000,
        }
    )


def household_lsoa_rows(folder: Path | None = None) -> pd.DataFrame:
    """Census 2021 household deprivation per LSOA, as the store ingests it."""
    path = Path(folder or E.england_dir()) / E.HOUSEHOLD_DEPRIVATION
    return read("england", path, {"table": "household_deprivation", "indicators": dict(HOUSEHOLDS)}).frame


def benchmark_rows(folder: Path | None = None, households: pd.DataFrame | None = None) -> pd.DataFrame:
    """Store rows for every level above the LSOA, computed from all of England's LSOAs in one pass per domain.

    ``households``: the LSOA household-deprivation rows when already read (the store build passes its own).
    """
    d = lsoa_table(folder)
    group, areas = _level_groups(d)
    hh = households if households is not None else household_lsoa_rows(folder)
    rows = pd.concat([_iod_rows(d, group, areas), _household_rows(hh, d, group, areas)], ignore_index=True)
    rows = rows.assign(vintage="", sex="Persons", age="All ages")  # as the LSOA rows
    return pd.concat([rows, _filled_population(d)], ignore_index=True).assign(source_file=SOURCE)


def _filled_population(d: pd.DataFrame) -> pd.DataFrame:
    """Population rows for the LSOAs the income-domain rule cannot weight (income score 0): their district's median,
    so a locality's weights and the benchmarks' weights are the same."""
    f = d[~(d["Income_score"] > 0)]
    return pd.DataFrame(
        {
            "indicator_id": "population",
            "area_code": f["LSOA21CD"],
            "area_type": "lsoa",
            "vintage": "2021",
            "value": f["population"],
            "value_note": "income score 0: the district's median population",
            "sex": "Persons",
            "age": "All ages",
            "dataset_id": IOD_DATASET,
            "period": "2025",
            "period_sort": 20250000,
        }
    )


def build_national_store(store: Path | None = None, folder: Path | None = None, force: bool = False) -> Store:
    """Ingest the England data once and add the benchmarks; does nothing when the sources are unchanged."""
    folder = Path(folder or E.england_dir())
    st = Store(store or national_store_dir())
    digest = _digest(folder)
    state = st.path / STATE
    if not force and st.exists() and state.exists() and json.loads(state.read_text()).get("digest") == digest:
        return st
    report, frames = Report(), {}
    for s in sources_list():
        ex = read(s["adapter"], folder / s["file"], {**s["options"], "dataset": s["dataset"]})
        report.extend(ex.report)
        frames[s["id"]] = ex.frame.drop(columns="_row", errors="ignore")
    if report:
        raise ValidationError(report)
    frames["benchmarks"] = benchmark_rows(folder, households=frames["household_deprivation"])
    st.merge(
        pd.concat(frames.values(), ignore_index=True),
        description="England data and benchmarks",
        files=[s["file"] for s in sources_list()],
    )
    state.write_text(json.dumps({"digest": digest}))
    return st
