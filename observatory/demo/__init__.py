"""The synthetic demo county: a deterministic generator of a complete, clearly fictional configuration.

``generate(out_dir)`` writes boundaries, lookups, localities, indicator metadata, source files and a
``config.yaml`` for "Demo County (synthetic)". Every place, code and number is invented; codes use
the ``Z`` prefix, which no real ONS geography uses. The same seed gives byte-identical files, so the
committed ``data/demo/`` can be checked by regenerating it.

    python -m observatory.demo data/demo
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from observatory._core.resources import resource
from observatory._core.vocab import Theme
from observatory.demo.deaths import INDICATOR as DEATHS_INDICATOR
from observatory.demo.deaths import write_deaths
from observatory.demo.files import (
    _config_yaml,
    _readme,
    _tidy_columns,
    _to_lonlat,
    _write_csv,
    _write_geojson,
    _write_text,
)
from observatory.demo.geography import POPULATION_YEARS, SEED, Layout, _areas_table, _hierarchy, _layout
from observatory.demo.indicators import DATASET_TITLES, EXTRA_INDICATORS, METADATA, SPECS
from observatory.demo.partners import write_partner_register
from observatory.demo.people import People, _denominators, _england_denominators, _people
from observatory.demo.values import _imd, _indicator_values, _mortality, _population_rows

CURATED = ("catalogue.yaml", "targets.csv", "allocations.csv", "risks.csv")
"""The demo's charter records, targets, allocations and risks: curated by hand (package data), not generated."""


def _write_geography(out: Path, areas: pd.DataFrame, layout: Layout, order: np.ndarray) -> None:
    """Boundaries (small areas, wards), the small-area lookup and the localities file."""
    codes = areas["small_area_code"].tolist()
    polys = _to_lonlat(layout.polygons[order])
    _write_geojson(out / "boundaries" / "small_areas.geojson", codes, areas["small_area_name"].tolist(), polys)
    wards = areas.drop_duplicates("ward_code")
    ward_geoms = np.array(
        [shapely.coverage_union_all(polys[(areas["ward_code"] == w).to_numpy()]) for w in wards["ward_code"]], dtype=object
    )
    ward_geoms = shapely.orient_polygons(ward_geoms, exterior_cw=False)
    _write_geojson(out / "boundaries" / "wards.geojson", wards["ward_code"].tolist(), wards["ward_name"].tolist(), ward_geoms)
    _write_csv(
        out / "lookups" / "small_area_lookup.csv",
        areas[["small_area_code", "small_area_name", "ward_code", "ward_name", "district_code", "district_name"]],
    )
    loc = areas.assign(
        area_type="lsoa", area_code=areas["small_area_code"], area_name=areas["small_area_name"], source="synthetic"
    )
    loc = loc.sort_values(["locality_code", "area_code"])[
        ["locality_code", "locality_name", "district_code", "district_name", "area_type", "area_code", "area_name", "source"]
    ]
    _write_csv(out / "localities.csv", loc)


def _write_indicators(out: Path) -> pd.DataFrame:
    """``indicators.csv``: every indicator's metadata, by theme."""
    meta = [{k: getattr(s, k) for k in METADATA} for s in SPECS] + EXTRA_INDICATORS + [DEATHS_INDICATOR]
    ind = pd.DataFrame(meta)
    ind["multiplier"] = ind["multiplier"].map(lambda m: str(int(m)))
    ind["definition"] = ind["definition"] + " Synthetic demo data."
    theme_order = [t.value for t in Theme]
    ind = ind.sort_values("theme", key=lambda s: s.map(theme_order.index), kind="stable")
    _write_csv(out / "indicators.csv", ind[list(METADATA)])
    return ind


def generate(out_dir: Path | str, seed: int = SEED) -> dict[str, Any]:
    """Write the whole demo configuration into ``out_dir``; the same seed gives byte-identical files.

    Returns a summary: counts of areas and indicators, and the files written with their sizes.
    """
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    layout = _layout(rng)
    hierarchy = _hierarchy(layout)
    areas = _areas_table(rng, layout, hierarchy)
    order = areas["index"].to_numpy()
    people = _people(rng, layout)
    people = People(*(getattr(people, f)[order] for f in People.__dataclass_fields__))
    codes = areas["small_area_code"].tolist()

    _write_geography(out, areas, layout, order)

    # indicators and their values
    dens = _denominators(people, rng)
    eng = _england_denominators()
    ind = _write_indicators(out)

    by_dataset: dict[str, list[pd.DataFrame]] = {}
    for spec in SPECS:
        frame = (
            _mortality(spec, people, codes, rng)
            if spec.value_type == "dsr"
            else _indicator_values(spec, people, dens, eng, codes, rng)
        )
        by_dataset.setdefault(spec.dataset, []).append(frame)
    sources: list[dict[str, Any]] = [
        {
            "id": "population",
            "adapter": "tidy",
            "file": "sources/population.csv",
            "dataset": "demo-population",
            "options": {"vintage": "2021"},
            "title": DATASET_TITLES["demo-population"],
            "describe": f"persons by sex and ESP 2013 band, mid-{POPULATION_YEARS[0]} to mid-{POPULATION_YEARS[-1]}",
        },
        {
            "id": "imd",
            "adapter": "deprivation",
            "file": "sources/demo-imd.csv",
            "dataset": "demo-imd",
            "options": {
                "period": "2025",
                "vintage": "2021",
                "indicators": ["imd_score", "imd_decile", "income_score", "employment_score"],
            },
            "title": DATASET_TITLES["demo-imd"],
            "describe": "IMD score, rank and decile, income and employment scores, in the MHCLG column names",
        },
    ]
    _write_csv(out / "sources" / "population.csv", _population_rows(people, codes))
    _write_csv(out / "sources" / "demo-imd.csv", _imd(people, areas, rng))
    for dataset, frames in by_dataset.items():
        frame = _tidy_columns(pd.concat(frames, ignore_index=True))
        path = f"sources/{dataset}.csv"
        _write_csv(out / path, frame)
        ids = ", ".join(dict.fromkeys(frame["indicator_id"]))
        sources.append(
            {
                "id": dataset.removeprefix("demo-"),
                "adapter": "tidy",
                "file": path,
                "dataset": dataset,
                "options": {"vintage": "2021"},
                "title": DATASET_TITLES[dataset],
                "describe": ids,
            }
        )
    sources.append(write_deaths(out, people, codes, seed))
    _write_text(out / "config.yaml", _config_yaml(sources))
    counts = {
        "small_areas": len(areas),
        "wards": int(areas["ward_code"].nunique()),
        "localities": int(areas["locality_code"].nunique()),
        "districts": int(areas["district_code"].nunique()),
        "indicators": len(ind),
    }
    _write_text(out / "README.md", _readme(seed, counts, sources))
    for name in CURATED:  # written by hand, shipped as package data: copied as they are
        _write_text(out / name, resource("demo", name).read_text(encoding="utf-8"))
    files = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    return {**counts, "seed": seed, "files": files}


def main(argv: list[str] | None = None) -> None:
    """``python -m observatory.demo OUT_DIR [SEED]``"""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m observatory.demo OUT_DIR [SEED]\n\nWrite the synthetic demo configuration into OUT_DIR.")
        return
    summary = generate(Path(args[0]), int(args[1]) if len(args) > 1 else SEED)
    write_partner_register(args[0])
    total = sum(summary["files"].values())
    print(
        f"wrote {len(summary['files'])} files ({total / 1e6:.1f} MB) to {args[0]}: {summary['small_areas']} small areas, "
        f"{summary['wards']} wards, {summary['localities']} localities, {summary['districts']} districts, "
        f"{summary['indicators']} indicators"
    )
