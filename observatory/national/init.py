"""``observatory init``: a working configuration folder for any English upper-tier authority.

Geography: LSOA 2021 → locality → district → authority, with England and the authority's region as
benchmarks (their values come from the national store, computed from all LSOAs). Single-tier authorities
(E06/E08/E09) have no district level: the configuration has no ``districts`` section. Boundaries are read
in place from the national GeoParquet with a filter on the authority's districts (one copy of the geometry,
nothing derived to go stale). Sources are the England bundle, read in place via ``data_root``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import yaml

from observatory._core.files import write_atomic
from observatory._core.settings import build_dir, data_dir
from observatory._core.spreadsheets import safe_frame
from observatory.errors import Report, ValidationError
from observatory.national import england as E
from observatory.national.authorities import Authority, find_authority

DOMAINS = [
    ("imd", "Index of Multiple Deprivation score"),
    ("income", "Income deprivation score"),
    ("employment", "Employment deprivation score"),
    ("education", "Education, skills and training score"),
    ("health", "Health deprivation and disability score"),
    ("crime", "Crime score"),
    ("housing_services", "Barriers to housing and services score"),
    ("environment", "Living environment score"),
]
HOUSEHOLDS = [("households_deprived_1plus", 1), ("households_deprived_2plus", 2)]
IOD_DATASET, CENSUS_DATASET, GEO_DATASET = "mhclg-iod2025", "ons-census2021-ts011", "ons-lsoa21-lookup-boundaries"


def national_store_dir() -> Path:
    """The one store every authority's build reads (``build/store/england``)."""
    return build_dir() / "store" / "england"


def localities_frame(auth: Authority, how: str = "msoa", folder: Path | None = None) -> pd.DataFrame:
    """One row per LSOA: its locality (an MSOA 2021 with its Commons Library name, or a district).

    ``districts`` for a single-tier authority means MSOAs: its one district is the authority itself.
    """
    lk = E.lookup(folder)
    lk = lk[lk["UTLA24CD"] == auth.code]
    how = "msoa" if auth.single_tier else how
    loc = (
        (lk["MSOA21CD"], lk["MSOA21HCLNM"].where(lk["MSOA21HCLNM"] != "", lk["MSOA21NM"]))
        if how == "msoa"
        else (lk["LAD24CD"], lk["LAD24NM"])
    )
    district = ("", "") if auth.single_tier else (lk["LAD24CD"], lk["LAD24NM"])
    src = "House of Commons Library MSOA names (2021)" if how == "msoa" else "local authority districts (2024)"
    return pd.DataFrame(
        {
            "locality_code": loc[0],
            "locality_name": loc[1],
            "district_code": district[0],
            "district_name": district[1],
            "area_type": "lsoa",
            "area_code": lk["LSOA21CD"],
            "area_name": lk["LSOA21NM"],
            "source": src,
        }
    )


def _read_localities_file(path: Path, auth: Authority, folder: Path | None) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "district_code" not in frame.columns:  # fill the district in from the lookup
        lk = E.lookup(folder).set_index("LSOA21CD")
        frame["district_code"] = "" if auth.single_tier else frame["area_code"].map(lk["LAD24CD"]).fillna("")
        frame["district_name"] = "" if auth.single_tier else frame["area_code"].map(lk["LAD24NM"]).fillna("")
    return frame


def indicators_frame() -> pd.DataFrame:
    """The indicators the England data supports."""
    iod = (
        "English Indices of Deprivation 2025 (MHCLG), LSOA 2021. Population-weighted mean of LSOA scores; the weights "
        f"are an {E.POPULATION_NOTE}. Higher is more deprived."
    )
    rows = [
        {
            "id": f"{d}_score",
            "title": t,
            "theme": "economic_development_enterprise",
            "unit": "score",
            "value_type": "score",
            "multiplier": 1,
            "polarity": "low_is_good",
            "dataset": IOD_DATASET,
            "frequency": "irregular",
            "definition": iod,
            "aggregation": "population_weighted",
        }
        for d, t in DOMAINS
    ]
    for ind, k in HOUSEHOLDS:
        rows.append(
            {
                "id": ind,
                "title": f"Households deprived in {k} or more of the four Census dimensions",
                "theme": "stronger_communities",
                "unit": "%",
                "value_type": "proportion",
                "multiplier": 100,
                "polarity": "low_is_good",
                "dataset": CENSUS_DATASET,
                "frequency": "census",
                "definition": f"Census 2021 TS011: households deprived in at least {k} of employment, education, health "
                "and disability, housing; share of all households, with Wilson score limits.",
                "aggregation": "sum",
            }
        )
    rows.append(
        {
            "id": "population",
            "title": "Population (approximate IoD2025 income-domain population)",
            "theme": "stronger_communities",
            "unit": "people",
            "value_type": "count",
            "multiplier": 1,
            "polarity": "no_judgement",
            "dataset": IOD_DATASET,
            "frequency": "irregular",
            "definition": f"The weights of every score: an {E.POPULATION_NOTE}.",
            "aggregation": "sum",
        }
    )
    return pd.DataFrame(rows)


IOD_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
# each catalogue field of the two datasets: (IoD2025, Census 2021 TS011)
DATASET_TEXTS = {
    "title": ("English Indices of Deprivation 2025 (LSOA 2021)", "Census 2021 TS011 household deprivation (LSOA 2021)"),
    "partner": ("mhclg", "ons"),
    "description": (
        "IMD and seven domain scores, ranks and deciles for every LSOA 2021 in England.",
        "Households by number of dimensions of deprivation (0-4) per LSOA 2021.",
    ),
    "contact": (IOD_URL, "https://www.ons.gov.uk/census"),
    "time_coverage": ("2025 edition", "Census day 2021"),
    "quality_notes": (f"Population weights: {E.POPULATION_NOTE}.", "Counts as published."),
    "source": ("humaniverse/IMD R package", "ONS Census 2021 TS011"),
    "source_url": (IOD_URL, "https://www.ons.gov.uk/census"),
}


def catalogue_records(auth: Authority, indicators: pd.DataFrame) -> list[dict]:
    """One record per dataset, licence and attribution from the England bundle's PROVENANCE.md."""
    common = {
        "steward": f"Observatory data steward ({auth.name})",
        "classification": "open",
        "audience": "public",
        "lawful_basis": "Not required (published aggregate statistics, not personal data)",
        "agreement": "None needed; reused under the Open Government Licence v3.0",
        "personal_data": False,
        "dpia": "not required",
        "geography_level": "lsoa",
        "geography_vintage": "2021",
        "update_frequency": "periodic",
        "last_received": "2026-11-22",
        "next_review": "2027-11-30",
        "licence": "Open Government Licence v3.0",
        "licence_url": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "attribution": E.ATTRIBUTION,
        "retention": "Keep while in use",
    }
    by = indicators.groupby("dataset")["id"].apply(list).to_dict()
    return [
        dict(id=ds, **{field: texts[i] for field, texts in DATASET_TEXTS.items()}, files=files, indicators=by[ds], **common)
        for i, (ds, files) in enumerate(
            ((IOD_DATASET, [E.IOD_SCORES, E.IOD_UNDERLYING]), (CENSUS_DATASET, [E.HOUSEHOLD_DEPRIVATION]))
        )
    ]


def sources_list() -> list[dict]:
    """What the national store ingests, read in place from the England folder."""
    return [
        {
            "id": "iod2025",
            "adapter": "deprivation",
            "file": E.IOD_SCORES,
            "dataset": IOD_DATASET,
            "options": {"period": "2025", "vintage": "2021", "indicators": [f"{d}_score" for d, _ in DOMAINS]},
        },
        {
            "id": "population",
            "adapter": "england",
            "file": E.IOD_UNDERLYING,
            "dataset": IOD_DATASET,
            "options": {"table": "iod_population", "scores": E.IOD_SCORES, "period": "2025"},
        },
        {
            "id": "household_deprivation",
            "adapter": "england",
            "file": E.HOUSEHOLD_DEPRIVATION,
            "dataset": CENSUS_DATASET,
            "options": {"table": "household_deprivation", "indicators": dict(HOUSEHOLDS)},
        },
    ]


def config_dict(auth: Authority, out: Path, folder: Path | None = None, store: Path | None = None) -> dict:
    """The ``config.yaml`` of an authority (paths relative to ``out``, the England data read in place)."""
    root = Path(folder or E.england_dir()).resolve()
    geography: dict = {
        "small_areas": {
            "type": "lsoa",
            "vintage": "2021",
            "boundaries": E.BOUNDARIES,
            "code": "LSOA21CD",
            "name": "LSOA21NM",
            "filter": {"LAD24CD": [d.code for d in auth.districts]},
        },
        "localities": "localities.csv",
    }
    if not auth.single_tier:
        geography["districts"] = {
            "lookup": {"file": E.LOOKUP, "small_area": "LSOA21CD", "district": "LAD24CD", "district_name": "LAD24NM"}
        }
    return {
        "name": auth.slug,
        "title": auth.name,
        "synthetic": False,
        "data_root": os.path.relpath(root, out.resolve()),
        "county": {"code": auth.code, "name": auth.name},
        "england": dict(E.ENGLAND),
        "region": {"code": auth.region_code, "name": auth.region_name},
        "single_tier": auth.single_tier,
        "national_store": os.path.relpath(Path(store or national_store_dir()).resolve(), out.resolve()),
        "geography": geography,
        "indicators": "indicators.csv",
        "population": {"source": "population", "indicator": "population"},
        "sources": "sources.yaml",
    }


def init_authority(
    code_or_name: str, localities: str = "msoa", out: Path | None = None, *, folder: Path | None = None, store: Path | None = None
) -> Path:
    """Write the configuration folder for an authority (default ``data/<slug>``); returns the folder."""
    auth = find_authority(code_or_name, folder)
    out = Path(out or data_dir() / auth.slug)
    existing = out / "config.yaml"
    if existing.is_file() and "written by `observatory init`" not in existing.read_text(encoding="utf-8").split("\n", 1)[0]:
        report = Report()
        report.add(
            str(existing),
            1,
            None,
            f"{out} holds a configuration not written by observatory init; it is left as it is "
            "(choose another folder with --out)",
            code="config-exists",
        )
        raise ValidationError(report)
    if localities in ("msoa", "districts"):
        locs = localities_frame(auth, localities, folder)
    elif Path(localities).is_file():
        locs = _read_localities_file(Path(localities), auth, folder)
    else:
        report = Report()
        report.add(
            str(localities), None, None, "--localities must be msoa, districts or an existing CSV file", code="bad-localities"
        )
        raise ValidationError(report)
    out.mkdir(parents=True, exist_ok=True)
    ind = indicators_frame()
    header = f"# {auth.name} ({auth.code}): written by `observatory init`; the England data is read in place via data_root.\n"
    write_atomic(out / "config.yaml", header + yaml.safe_dump(config_dict(auth, out, folder, store), sort_keys=False))
    write_atomic(out / "sources.yaml", yaml.safe_dump(sources_list(), sort_keys=False))
    write_atomic(out / "catalogue.yaml", yaml.safe_dump(catalogue_records(auth, ind), sort_keys=False, allow_unicode=True))
    write_atomic(out / "indicators.csv", safe_frame(ind).to_csv(index=False))
    write_atomic(out / "localities.csv", safe_frame(locs).to_csv(index=False))
    return out
