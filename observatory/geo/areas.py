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
import pandas as pd

from observatory._core.vocab import AreaType, gss_prefix_types
from observatory.config import Config, load_config
from observatory.errors import ValidationError
from observatory.geo.localities import (  # noqa: F401  (re-exported: the names callers import from here)
    LOCALITY_COLUMNS,
    expand_localities,
    one_problem,
    read_csv_text,
    read_localities,
    validate_localities,
)
from observatory.geo.register import read_register
from observatory.geo.web import simplify_for_web  # noqa: F401  (re-exported for present.maps and apps.dashboard)

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
            raise ValidationError(
                one_problem(path, None, col, f"boundary file has no property {col!r} (has: {', '.join(map(str, gdf.columns))})")
            )
    out = gpd.GeoDataFrame(
        {"area_code": gdf[code].astype(str), "area_name": gdf[name].astype(str) if name else gdf[code].astype(str)},
        geometry=gdf.geometry.make_valid(),
        crs=4326,
    )
    return out


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
        df = read_csv_text(self.config.data_path(spec["file"]))
        out = pd.DataFrame(
            {
                "small_area_code": df[spec["small_area"]],
                "district_code": df[spec["district"]],
                "district_name": df[spec["district_name"]] if spec.get("district_name") else df[spec["district"]],
            }
        )
        return out.drop_duplicates("small_area_code").reset_index(drop=True)

    @cached_property
    def ward_lookup(self) -> pd.DataFrame:
        """small_area_code → ward_code, ward_name (empty when the configuration has no wards)."""
        spec = self.spec.get("wards")
        if not spec:
            return pd.DataFrame(columns=["small_area_code", "ward_code", "ward_name"], dtype=str)
        lk = spec["lookup"]
        df = read_csv_text(self.config.data_path(lk["file"]))
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
            columns={"area_code": "small_area_code", "area_name": "small_area_name"}
        )
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
            df = read_csv_text(self.config.data_path(lk["file"]))
            out[str(v["vintage"])] = pd.DataFrame(
                {
                    "code": df[lk["to"]],
                    "primary_code": df[lk["from"]],
                    "change": df[lk["change"]] if lk.get("change") else "",
                }
            )
        return out

    @cached_property
    def other_vintage_areas(self) -> dict[str, gpd.GeoDataFrame]:
        return {
            str(v["vintage"]): _read_boundaries(self.config.data_path(v["boundaries"]), v["code"], v.get("name"))
            for v in self.spec.get("other_vintages") or []
        }

    @cached_property
    def areas(self) -> pd.DataFrame:
        """Every area this geography knows: code, name, type, vintage."""
        parts = [
            pd.DataFrame(
                {
                    "code": self.small_areas["area_code"],
                    "name": self.small_areas["area_name"],
                    "type": self.small_area_type,
                    "vintage": self.vintage,
                }
            ),
        ]
        for vintage, gdf in self.other_vintage_areas.items():
            parts.append(
                pd.DataFrame(
                    {"code": gdf["area_code"], "name": gdf["area_name"], "type": self.small_area_type, "vintage": vintage}
                )
            )
        if len(self.wards):
            parts.append(
                pd.DataFrame(
                    {
                        "code": self.wards["area_code"],
                        "name": self.wards["area_name"],
                        "type": AreaType.WARD.value,
                        "vintage": str(self.spec["wards"].get("vintage", "")),
                    }
                )
            )
        h = self.hierarchy
        loc = h[["locality_code", "locality_name"]].drop_duplicates()
        parts.append(
            pd.DataFrame(
                {"code": loc["locality_code"], "name": loc["locality_name"], "type": AreaType.LOCALITY.value, "vintage": ""}
            )
        )
        dist = h.loc[h["district_code"] != "", ["district_code", "district_name"]].drop_duplicates()
        parts.append(
            pd.DataFrame(
                {"code": dist["district_code"], "name": dist["district_name"], "type": AreaType.DISTRICT.value, "vintage": ""}
            )
        )
        parts.append(
            pd.DataFrame(
                [
                    {
                        "code": self.config.county["code"],
                        "name": self.config.county["name"],
                        "type": AreaType.COUNTY.value,
                        "vintage": "",
                    },
                    {
                        "code": self.config.england["code"],
                        "name": self.config.england["name"],
                        "type": AreaType.ENGLAND.value,
                        "vintage": "",
                    },
                ]
            )
        )
        return pd.concat(parts, ignore_index=True).astype(str).drop_duplicates(["code", "type", "vintage"]).reset_index(drop=True)

    @cached_property
    def national_codes(self) -> pd.Index | None:
        """Every area code in the national code register (``geography.national_register``), or None when not configured."""
        path = self.spec.get("national_register")
        return read_register(self.config.data_path(path)) if path else None

    def external_area_types(self, codes: pd.Series) -> pd.Series:
        """Hierarchy levels of codes outside this geography, by GSS prefix; ``""`` for a code that exists nowhere.

        With a national register configured only its codes (and England's) are known; without one, any code
        with a known prefix is.
        """
        types = codes.str[:3].map(gss_prefix_types()).fillna("")
        register = self.national_codes
        if register is not None:
            types = types.where(codes.isin(register) | (codes == self.config.england["code"]), "")
        return types.astype("string")

    def area(self, code: str) -> Area:
        """The area with this code (the primary vintage wins where a code exists in two)."""
        try:
            return self._area_by_code[code]
        except KeyError:
            raise KeyError(f"unknown area code {code!r} in {self.config.name}") from None

    @cached_property
    def _area_by_code(self) -> dict[str, Area]:
        """Each code's first area in ``areas`` (a page asks for a few areas by code: a scan each was 1-2 ms)."""
        first = self.areas.drop_duplicates("code", keep="first")
        return {r.code: Area(r.code, r.name, r.type, r.vintage) for r in first.itertuples(index=False)}

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
            raise ValueError(
                f"vintage {vintage} areas {bad} map to several {self.vintage} areas (merge/irregular change): apportioning needed"
            )
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


def load_geography(config: Config | str = "demo") -> Geography:
    """The geography of a configuration (name or loaded Config)."""
    return Geography(config if isinstance(config, Config) else load_config(config))
