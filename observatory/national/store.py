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


def benchmark_rows(folder: Path | None = None) -> pd.DataFrame:
    """Store rows for every level above the LSOA, computed from all of England's LSOAs."""
    d = lsoa_table(folder)
    cols = {c.split("_score")[0].lower(): c.split("_score")[0] for c in d.columns if c.endswith("_score")}
    parts = []
    for key, area_type in LEVELS.items():
        for dom, _ in DOMAINS:
            src = cols["housing_and_services" if dom == "housing_services" else dom]
            out = iod_summary(
                d, key, score=f"{src}_score", rank=f"{src}_rank", n_national=E.N_LSOAS, population_note=E.POPULATION_NOTE
            )
            measures = ["average_score"] + (list(SUMMARY) if dom == "imd" or area_type != "locality" else [])
            for m in measures:
                ind = f"{dom}_score" if m == "average_score" else f"{dom}_{m}"
                parts.append(
                    pd.DataFrame(
                        {
                            "indicator_id": ind,
                            "area_code": out[key],
                            "area_type": area_type,
                            "value": out[m],
                            "denominator": out["population"],
                            "value_note": out["note"],
                            "dataset_id": IOD_DATASET,
                            "period": "2025",
                            "period_sort": 20250000,
                        }
                    )
                )
    hh = read(
        "england",
        Path(folder or E.england_dir()) / E.HOUSEHOLD_DEPRIVATION,
        {"table": "household_deprivation", "indicators": dict(HOUSEHOLDS)},
    ).frame
    hh = hh.merge(d[["LSOA21CD", "RGN24CD", "_england"]], left_on="area_code", right_on="LSOA21CD")
    for key, area_type in (("RGN24CD", "region"), ("_england", "england")):
        g = hh.groupby(["indicator_id", key], as_index=False)[["numerator", "denominator"]].sum()
        ci = proportion_ci(g["numerator"].to_numpy(float), g["denominator"].to_numpy(float), 100)
        parts.append(
            pd.DataFrame(
                {
                    "indicator_id": g["indicator_id"],
                    "area_code": g[key],
                    "area_type": area_type,
                    "numerator": g["numerator"],
                    "denominator": g["denominator"],
                    **{c: ci[c].to_numpy() for c in ("value", "lower95", "upper95", "lower998", "upper998")},
                    "dataset_id": CENSUS_DATASET,
                    "period": "2021",
                    "period_sort": 20210000,
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True).assign(vintage="", sex="Persons", age="All ages")  # as the LSOA rows
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
    report, frames = Report(), []
    for s in sources_list():
        ex = read(s["adapter"], folder / s["file"], {**s["options"], "dataset": s["dataset"]})
        report.extend(ex.report)
        frames.append(ex.frame.drop(columns="_row", errors="ignore"))
    if report:
        raise ValidationError(report)
    frames.append(benchmark_rows(folder))
    st.merge(
        pd.concat(frames, ignore_index=True), description="England data and benchmarks", files=[s["file"] for s in sources_list()]
    )
    state.write_text(json.dumps({"digest": digest}))
    return st
