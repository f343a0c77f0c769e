"""Areas and their hierarchy: small area (LSOA) → ward → locality → district → county, plus England.

Every area is a code, a name, a type and a vintage. Localities are configuration (a CSV of small
areas or wards per named locality); their polygons are dissolved from their small areas.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from observatory.config import Config, load_config
from observatory._core.vocab import AreaType
from observatory.errors import Report, ValidationError

LOCALITY_COLUMNS = ["locality_code", "locality_name", "district_code", "district_name", "area_type", "area_code", "area_name", "source"]
LEVELS = ("small_area", "ward", "locality", "district", "county")


@dataclass(frozen=True)
class Area:
    """One area: never a bare code."""

    code: str
    name: str
    type: str
    vintage: str = ""

    def __str__(self) -> str:
        v = f" ({self.type} {self.vintage})" if self.vintage else f" ({self.type})"
        return f"{self.name} [{self.code}]{v}"


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _read_boundaries(path: Path, code: str, name: str | None, where: dict[str, list[str]] | None = None) -> gpd.GeoDataFrame:
    """Polygons in EPSG:4326; a GeoParquet file may be read with ``where`` ({column: [values]}), a pyarrow filter."""
    if path.suffix == ".parquet":
        gdf = gpd.read_parquet(path, filters=[(c, "in", list(v)) for c, v in (where or {}).items()] or None)
    else:
        gdf = gpd.read_file(path)
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    for col in (code, name):
        if col and col not in gdf.columns:
            raise ValidationError(_one(path, None, col, f"boundary file has no property {col!r} (has: {', '.join(map(str, gdf.columns))})"))
    out = gpd.GeoDataFrame(
        {"area_code": gdf[code].astype(str), "area_name": gdf[name].astype(str) if name else gdf[code].astype(str)},
        geometry=gdf.geometry.make_valid(),
        crs=4326,
    )
    return out


def _one(file: Path | str, row: int | None, column: str | None, reason: str) -> Report:
    r = Report()
    r.add(Path(file).name, row, column, reason)
    return r


class Geography:
    """The geography of one configuration, loaded lazily from its files."""

    def __init__(self, config: Config):
        self.config = config
        self.spec: dict[str, Any] = config.geography
        sa = self.spec["small_areas"]
        self.small_area_type: str = sa.get("type", AreaType.LSOA.value)
        self.vintage: str = str(sa.get("vintage", ""))

    # ---- areas -------------------------------------------------------------------------
    @cached_property
    def small_areas(self) -> gpd.GeoDataFrame:
        """Small-area polygons of the primary vintage: area_code, area_name, geometry."""
        sa = self.spec["small_areas"]
        return _read_boundaries(self.config.data_path(sa["boundaries"]), sa["code"], sa.get("name"), sa.get("filter"))

    @cached_property
    def district_lookup(self) -> pd.DataFrame:
        """small_area_code → district_code, district_name (empty for a single-tier authority: no district level)."""
        if not self.spec.get("districts"):
            return pd.DataFrame(columns=["small_area_code", "district_code", "district_name"], dtype=str)
        spec = self.spec["districts"]["lookup"]
        df = _read_csv(self.config.data_path(spec["file"]))
        out = pd.DataFrame({
            "small_area_code": df[spec["small_area"]],
            "district_code": df[spec["district"]],
            "district_name": df[spec["district_name"]] if spec.get("district_name") else df[spec["district"]],
        })
        return out.drop_duplicates("small_area_code").reset_index(drop=True)

    @cached_property
    def ward_lookup(self) -> pd.DataFrame:
        """small_area_code → ward_code, ward_name (empty when the configuration has no wards)."""
        spec = self.spec.get("wards")
        if not spec:
            return pd.DataFrame(columns=["small_area_code", "ward_code", "ward_name"], dtype=str)
        lk = spec["lookup"]
        df = _read_csv(self.config.data_path(lk["file"]))
        out = pd.DataFrame({"small_area_code": df[lk["small_area"]], "ward_code": df[lk["ward"]]})
        names = self.wards.set_index("area_code")["area_name"]
        out["ward_name"] = out["ward_code"].map(names).fillna(out["ward_code"])
        return out.drop_duplicates("small_area_code").reset_index(drop=True)

    @cached_property
    def wards(self) -> gpd.GeoDataFrame:
        spec = self.spec.get("wards")
        if not spec:
            return gpd.GeoDataFrame(columns=["area_code", "area_name", "geometry"], geometry="geometry", crs=4326)
        return _read_boundaries(self.config.data_path(spec["boundaries"]), spec["code"], spec.get("name"))

    @cached_property
    def localities_definition(self) -> pd.DataFrame:
        """The locality CSV, validated and expanded to one row per small area."""
        frame = read_localities(self.config.localities_file)
        report = validate_localities(frame, self, file=self.config.localities_file.name)
        report.raise_if_problems()
        return expand_localities(frame, self)

    @cached_property
    def hierarchy(self) -> pd.DataFrame:
        """One row per small area with its ward, locality, district and county (codes and names)."""
        sa = pd.DataFrame(self.small_areas[["area_code", "area_name"]]).rename(
            columns={"area_code": "small_area_code", "area_name": "small_area_name"})
        h = sa.merge(self.ward_lookup, on="small_area_code", how="left")
        loc = self.localities_definition[["small_area_code", "locality_code", "locality_name"]]
        h = h.merge(loc, on="small_area_code", how="left")
        h = h.merge(self.district_lookup, on="small_area_code", how="left")
        h["county_code"] = self.config.county["code"]
        h["county_name"] = self.config.county["name"]
        return h.fillna("")

    @cached_property
    def vintage_lookups(self) -> dict[str, pd.DataFrame]:
        """Per other vintage: code in that vintage → primary small-area code, with change code."""
        out: dict[str, pd.DataFrame] = {}
        for v in self.spec.get("other_vintages") or []:
            lk = v["lookup"]
            df = _read_csv(self.config.data_path(lk["file"]))
            out[str(v["vintage"])] = pd.DataFrame({
                "code": df[lk["to"]], "primary_code": df[lk["from"]],
                "change": df[lk["change"]] if lk.get("change") else "",
            })
        return out

    @cached_property
    def other_vintage_areas(self) -> dict[str, gpd.GeoDataFrame]:
        return {str(v["vintage"]): _read_boundaries(self.config.data_path(v["boundaries"]), v["code"], v.get("name"))
                for v in self.spec.get("other_vintages") or []}

    @cached_property
    def areas(self) -> pd.DataFrame:
        """Every area this geography knows: code, name, type, vintage."""
        parts = [
            pd.DataFrame({"code": self.small_areas["area_code"], "name": self.small_areas["area_name"],
                          "type": self.small_area_type, "vintage": self.vintage}),
        ]
        for vintage, gdf in self.other_vintage_areas.items():
            parts.append(pd.DataFrame({"code": gdf["area_code"], "name": gdf["area_name"], "type": self.small_area_type, "vintage": vintage}))
        if len(self.wards):
            parts.append(pd.DataFrame({"code": self.wards["area_code"], "name": self.wards["area_name"],
                                       "type": AreaType.WARD.value, "vintage": str(self.spec["wards"].get("vintage", ""))}))
        h = self.hierarchy
        loc = h[["locality_code", "locality_name"]].drop_duplicates()
        parts.append(pd.DataFrame({"code": loc["locality_code"], "name": loc["locality_name"], "type": AreaType.LOCALITY.value, "vintage": ""}))
        dist = h.loc[h["district_code"] != "", ["district_code", "district_name"]].drop_duplicates()
        parts.append(pd.DataFrame({"code": dist["district_code"], "name": dist["district_name"], "type": AreaType.DISTRICT.value, "vintage": ""}))
        parts.append(pd.DataFrame([
            {"code": self.config.county["code"], "name": self.config.county["name"], "type": AreaType.COUNTY.value, "vintage": ""},
            {"code": self.config.england["code"], "name": self.config.england["name"], "type": AreaType.ENGLAND.value, "vintage": ""},
        ]))
        return pd.concat(parts, ignore_index=True).astype(str).drop_duplicates(["code", "type", "vintage"]).reset_index(drop=True)

    def area(self, code: str) -> Area:
        """The area with this code (the primary vintage wins where a code exists in two)."""
        rows = self.areas[self.areas["code"] == code]
        if rows.empty:
            raise KeyError(f"unknown area code {code!r} in {self.config.name}")
        r = rows.iloc[0]
        return Area(r["code"], r["name"], r["type"], r["vintage"])

    def localities(self) -> list[Area]:
        loc = self.hierarchy[["locality_code", "locality_name"]].drop_duplicates().sort_values("locality_code")
        return [Area(c, n, AreaType.LOCALITY.value) for c, n in loc.itertuples(index=False)]

    def districts(self) -> list[Area]:
        h = self.hierarchy
        d = h.loc[h["district_code"] != "", ["district_code", "district_name"]].drop_duplicates().sort_values("district_code")
        return [Area(c, n, AreaType.DISTRICT.value) for c, n in d.itertuples(index=False)]

    @property
    def county(self) -> Area:
        return Area(self.config.county["code"], self.config.county["name"], AreaType.COUNTY.value)

    @property
    def england(self) -> Area:
        return Area(self.config.england["code"], self.config.england["name"], AreaType.ENGLAND.value)

    # ---- mapping data onto the hierarchy ------------------------------------------------
    def to_primary(self, codes: pd.Series, vintage: str) -> pd.Series:
        """Map small-area codes of ``vintage`` to the primary vintage (2021 → 2011 parent of a split).

        Exact when the change is one-to-one or a split (many new areas to one old); merges and
        irregular changes need apportioning and are refused.
        """
        vintage = str(vintage)
        if vintage in ("", self.vintage):
            return codes
        lk = self.vintage_lookups.get(vintage)
        if lk is None:
            raise KeyError(f"{self.config.name}: no lookup from small-area vintage {vintage} to {self.vintage}")
        many = lk.groupby("code")["primary_code"].nunique()
        if (many > 1).any():
            bad = ", ".join(many[many > 1].index[:5])
            raise ValueError(f"vintage {vintage} areas {bad} map to several {self.vintage} areas (merge/irregular change): apportioning needed")
        return codes.map(lk.drop_duplicates("code").set_index("code")["primary_code"])

    def membership(self, level: str) -> pd.DataFrame:
        """small_area_code → code and name of the area at ``level`` (ward, locality, district, county)."""
        if level not in LEVELS[1:]:
            raise ValueError(f"level must be one of {LEVELS[1:]}, not {level!r}")
        h = self.hierarchy
        h = h[h[f"{level}_code"] != ""]  # a missing level (no districts in a unitary authority) has no members
        return pd.DataFrame({"small_area_code": h["small_area_code"], "code": h[f"{level}_code"], "name": h[f"{level}_name"]})

    # ---- boundaries -----------------------------------------------------------------------
    def boundaries(self, level: str = "small_area") -> gpd.GeoDataFrame:
        """Polygons at ``level``: small areas and wards as published; localities, districts and county dissolved."""
        if level == "small_area":
            return self.small_areas.copy()
        if level == "ward" and len(self.wards):
            return self.wards.copy()
        m = self.membership(level)
        gdf = self.small_areas.merge(m, left_on="area_code", right_on="small_area_code")
        out = gdf.dissolve(by=["code", "name"], as_index=False)[["code", "name", "geometry"]]
        return gpd.GeoDataFrame(out.rename(columns={"code": "area_code", "name": "area_name"}), geometry="geometry", crs=4326)

    def web_boundaries(self, level: str = "locality", tolerance: float = 5e-4, precision: int = 5) -> gpd.GeoDataFrame:
        """Boundaries simplified for the web with shared borders kept shared (coverage simplification)."""
        return simplify_for_web(self.boundaries(level), tolerance=tolerance, precision=precision)


def simplify_for_web(gdf: gpd.GeoDataFrame, tolerance: float = 5e-4, precision: int = 5) -> gpd.GeoDataFrame:
    """Return a light copy of a polygon coverage for web maps, keeping shared borders shared.

    Coordinates are snapped to ``precision`` decimals, the coverage is cleaned where neighbours
    do not match exactly (published boundary files often overlap by fractions of a metre, which
    would open slivers when simplified), then simplified as a coverage so that neighbours keep
    one common border. ``tolerance`` is in the units of the CRS (degrees for EPSG:4326).
    """
    grid = 10.0 ** -precision
    geoms = shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object))
    geoms = shapely.set_precision(geoms, grid)
    has_coverage = hasattr(gpd.GeoSeries, "simplify_coverage")
    if has_coverage and hasattr(shapely, "coverage_clean") and not shapely.coverage_is_valid(geoms):
        geoms = shapely.coverage_clean(geoms)
    series = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    if has_coverage:
        series = series.simplify_coverage(tolerance)
    else:
        series = series.simplify(tolerance, preserve_topology=True)
    rounded = shapely.set_precision(np.asarray(series.values, dtype=object), grid)
    rounded = shapely.transform(rounded, lambda xy: np.round(xy, precision))
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(rounded, index=gdf.index, crs=gdf.crs), crs=gdf.crs)
    return out



def read_localities(path: Path | str) -> pd.DataFrame:
    """Read a locality definition CSV (columns in ``LOCALITY_COLUMNS``)."""
    path = Path(path)
    frame = _read_csv(path)
    missing = [c for c in ("locality_code", "locality_name", "district_code", "area_code") if c not in frame.columns]
    if missing:
        raise ValidationError(_one(path, 1, missing[0], f"missing required column(s): {', '.join(missing)}"))
    for c in LOCALITY_COLUMNS:
        if c not in frame.columns:
            frame[c] = "lsoa" if c == "area_type" else ""
    frame["line"] = range(2, len(frame) + 2)
    return frame


def expand_localities(frame: pd.DataFrame, geo: Geography) -> pd.DataFrame:
    """One row per small area: ward rows are expanded to the ward's small areas."""
    rows = frame[frame["area_code"] != ""]
    sa = rows[rows["area_type"] != AreaType.WARD.value].assign(small_area_code=lambda d: d["area_code"])
    wards = rows[rows["area_type"] == AreaType.WARD.value]
    if len(wards):
        w = wards.merge(geo.ward_lookup, left_on="area_code", right_on="ward_code")
        sa = pd.concat([sa, w.assign(small_area_code=w["small_area_code"])], ignore_index=True)
    return sa[["small_area_code", "locality_code", "locality_name", "district_code", "district_name", "source", "line"]].reset_index(drop=True)


def validate_localities(frame: pd.DataFrame, geo: Geography, file: str = "localities.csv") -> Report:
    """Check a locality definition against the geography; every failure is named."""
    report = Report()
    known_sa = set(geo.small_areas["area_code"])
    known_wards = set(geo.wards["area_code"]) if len(geo.wards) else set()
    names = geo.small_areas.set_index("area_code")["area_name"]

    empty = frame[frame["area_code"] == ""]
    for r in empty.itertuples():
        if not ((frame["locality_code"] == r.locality_code) & (frame["area_code"] != "")).any():
            report.add(file, r.line, "area_code", f"locality {r.locality_code} '{r.locality_name}' is empty: it has no small areas")
    rows = frame[frame["area_code"] != ""]
    for r in rows.itertuples():
        known = known_wards if r.area_type == AreaType.WARD.value else known_sa
        if r.area_code not in known:
            kind = "ward" if r.area_type == AreaType.WARD.value else f"{geo.small_area_type} {geo.vintage}"
            report.add(file, r.line, "area_code", f"unknown {kind} code {r.area_code!r}: not in the boundaries")
    if report:
        return report
    expanded = expand_localities(frame, geo)
    dup = expanded[expanded.duplicated("small_area_code", keep=False)]
    for code, g in dup.groupby("small_area_code"):
        report.add(file, int(g["line"].iloc[1]), "area_code",
                   f"small area {code} ({names.get(code, '')}) is assigned more than once: to {', '.join(g['locality_code'].unique())} (rows {', '.join(map(str, g['line']))})")
    for code in sorted(known_sa - set(expanded["small_area_code"])):
        report.add(file, None, "area_code", f"small area {code} ({names.get(code, '')}) is not assigned to any locality")
    dl = geo.district_lookup.set_index("small_area_code")["district_code"]
    expanded = expanded.assign(actual_district=expanded["small_area_code"].map(dl))
    for loc, g in expanded.groupby("locality_code"):
        actual = sorted(set(g["actual_district"].dropna()))
        declared = sorted(set(g["district_code"]))
        if len(actual) > 1:
            report.add(file, int(g["line"].iloc[0]), "locality_code", f"locality {loc} crosses districts: its small areas lie in {', '.join(actual)}")
        elif actual and declared != actual:
            report.add(file, int(g["line"].iloc[0]), "district_code", f"locality {loc} is declared in {', '.join(declared)} but its small areas lie in {actual[0]}")
        if len(declared) > 1:
            report.add(file, int(g["line"].iloc[0]), "district_code", f"locality {loc} is declared in more than one district: {', '.join(declared)}")
    return report


def load_geography(config: Config | str = "demo") -> Geography:
    """The geography of a configuration (name or loaded Config)."""
    return Geography(config if isinstance(config, Config) else load_config(config))
