"""Shared fixtures: a tiny configuration built in a temporary folder, and paths to the real bundle."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from observatory.config import load_config
from observatory.ingest.pipeline import ingest
from observatory.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "warwickshire"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            # a module's tests run on one worker, so its module fixtures (a served dashboard, a built site) are built
            # once; modules sharing a session fixture on disk (the demo pack) name one group between them
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
        if "warwickshire" in item.keywords and not SHARED.exists():
            item.add_marker(pytest.mark.skip(reason=f"real Warwickshire bundle not found at {SHARED}"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.skip(f"real Warwickshire bundle not found at {SHARED}")
    return SHARED


def _square(x: float, y: float, size: float = 0.01) -> list:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


MINI_AREAS = [  # code, name, ward, district, column, row
    ("Z01000001", "Mini 001A", "Z05000001", "Z07000001", 0, 0),
    ("Z01000002", "Mini 001B", "Z05000001", "Z07000001", 1, 0),
    ("Z01000003", "Mini 002A", "Z05000002", "Z07000001", 0, 1),
    ("Z01000004", "Mini 002B", "Z05000002", "Z07000001", 1, 1),
    ("Z01000005", "Mini 003A", "Z05000003", "Z07000002", 2, 0),
    ("Z01000006", "Mini 003B", "Z05000003", "Z07000002", 2, 1),
]
MINI_INDICATORS = """id,title,theme,unit,value_type,multiplier,polarity,dataset,frequency,definition
smoking,Adults who smoke,healthier_communities_older_people,%,proportion,100,low_is_good,mini-survey,annual,Current smokers aged 18+
crime,Recorded crime,safer_communities,per 1000,crude_rate,1000,low_is_good,mini-police,annual,All recorded crime
imd_score,IMD score,stronger_communities,score,score,1,low_is_good,mini-imd,periodic,Index of Multiple Deprivation
population,Population,stronger_communities,people,count,1,no_judgement,mini-survey,annual,Resident population
"""


def _record(rid: str, partner: str, audience: str, indicators: list[str], classification: str = "open") -> str:
    return f"""- id: {rid}
  title: {rid} (test)
  description: Test dataset {rid}.
  partner: {partner}
  steward: Test Steward
  contact: steward@example.org
  classification: {classification}
  audience: {audience}
  lawful_basis: Public task (UK GDPR Art. 6(1)(e))
  agreement: Test information-sharing charter
  personal_data: false
  dpia: not required
  geography_level: lsoa
  geography_vintage: "2021"
  time_coverage: 2022-2023
  update_frequency: annual
  last_received: 2026-01-15
  next_review: 2027-01-15
  licence: Open Government Licence v3.0
  attribution: Test attribution for {rid}
  retention: 5 years
  quality_notes: none
  indicators: [{", ".join(indicators)}]
"""


MINI_CATALOGUE = (
    _record("mini-survey", "wcc", "public", ["smoking", "population"])
    + _record("mini-police", "warks-police", "partners", ["crime"], "OFFICIAL")
    + _record("mini-imd", "mhclg", "public", ["imd_score"])
)


EMPTY_AREA = ("Z01000007", "Mini 004A", "Z05000003", "Z07000002", 3, 0)


def make_mini_config(folder: Path, empty_locality: bool = False) -> Path:
    """A six-small-area, two-district, three-locality configuration; returns its folder.

    With ``empty_locality``, a seventh small area forms locality ML04 'Nodata Vale', which has no data at all.
    """
    folder.mkdir(parents=True, exist_ok=True)
    areas = MINI_AREAS + ([EMPTY_AREA] if empty_locality else [])
    feats = [
        {
            "type": "Feature",
            "properties": {"code": c, "name": n},
            "geometry": {"type": "Polygon", "coordinates": _square(-1.5 + 0.01 * col, 52.3 + 0.01 * row)},
        }
        for c, n, _w, _d, col, row in areas
    ]
    (folder / "small_areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    wards = {"Z05000001": "North Ward", "Z05000002": "South Ward", "Z05000003": "East Ward"}
    wfeats = []
    for w, wn in wards.items():
        cells = [(col, row) for _c, _n, ww, _d, col, row in MINI_AREAS if ww == w]
        xs = [c for c, _ in cells]
        ys = [r for _, r in cells]
        x0, y0 = -1.5 + 0.01 * min(xs), 52.3 + 0.01 * min(ys)
        x1, y1 = -1.5 + 0.01 * (max(xs) + 1), 52.3 + 0.01 * (max(ys) + 1)
        wfeats.append(
            {
                "type": "Feature",
                "properties": {"code": w, "name": wn},
                "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]},
            }
        )
    (folder / "wards.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": wfeats}))
    dnames = {"Z07000001": "Westshire", "Z07000002": "Eastshire"}
    (folder / "lookup.csv").write_text(
        "small_area_code,ward_code,district_code,district_name\n"
        + "".join(f"{c},{w},{d},{dnames[d]}\n" for c, _n, w, d, _x, _y in areas)
    )
    (folder / "localities.csv").write_text(
        "locality_code,locality_name,district_code,district_name,area_type,area_code,area_name,source\n"
        "ML01,Northtown,Z07000001,Westshire,ward,Z05000001,North Ward,test\n"
        "ML02,Southtown,Z07000001,Westshire,lsoa,Z01000003,Mini 002A,test\n"
        "ML02,Southtown,Z07000001,Westshire,lsoa,Z01000004,Mini 002B,test\n"
        "ML03,Eastville,Z07000002,Eastshire,lsoa,Z01000005,Mini 003A,test\n"
        "ML03,Eastville,Z07000002,Eastshire,lsoa,Z01000006,Mini 003B,test\n"
        + ("ML04,Nodata Vale,Z07000002,Eastshire,lsoa,Z01000007,Mini 004A,test\n" if empty_locality else "")
    )
    (folder / "indicators.csv").write_text(MINI_INDICATORS)
    rows = ["indicator_id,area_code,period,numerator,denominator,value"]
    for i, (c, *_rest) in enumerate(MINI_AREAS):
        for y in (2022, 2023):
            rows.append(f"smoking,{c},{y},{20 + i + (y - 2022)},{150 + 10 * i},")
            rows.append(f"crime,{c},{y},{40 + 3 * i},{1500 + 10 * i},")
        rows.append(f"population,{c},2023,,,{1500 + 10 * i}")
        rows.append(f"imd_score,{c},2019,,,{10 + 5 * i}")
    rows.append("smoking,E92000001,2023,5000000,40000000,")
    (folder / "values.csv").write_text("\n".join(rows) + "\n")
    (folder / "catalogue.yaml").write_text(MINI_CATALOGUE)
    (folder / "config.yaml").write_text("""name: mini
title: Mini County (synthetic test fixture)
synthetic: true
data_root: .
county: {code: Z10000001, name: Mini County}
england: {code: E92000001, name: England}
geography:
  small_areas: {type: lsoa, vintage: "2021", boundaries: small_areas.geojson, code: code, name: name}
  wards:
    vintage: "2022"
    boundaries: wards.geojson
    code: code
    name: name
    lookup: {file: lookup.csv, small_area: small_area_code, ward: ward_code}
  districts:
    lookup: {file: lookup.csv, small_area: small_area_code, district: district_code, district_name: district_name}
  localities: localities.csv
indicators: indicators.csv
population: {source: values, indicator: population}
sources:
  - {id: values, adapter: tidy, file: values.csv, dataset: mini-survey}
""")
    return folder


@pytest.fixture
def mini_config(tmp_path) -> Path:
    return make_mini_config(tmp_path / "mini")


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copy(FIXTURES / name, target)
    return target


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The committed demo configuration ingested once into a temporary store (summary measures, funnels, LE)."""
    cfg = load_config("data/demo")
    store = Store(tmp_path_factory.mktemp("demo") / "store")
    ingest(cfg, store)
    return cfg, store
