"""Web geometry: polygon coverages made light for maps, with shared borders kept shared."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def simplify_for_web(gdf: gpd.GeoDataFrame, tolerance: float = 5e-4, precision: int = 5) -> gpd.GeoDataFrame:
    """Return a light copy of a polygon coverage for web maps, keeping shared borders shared.

    Coordinates are snapped to ``precision`` decimals, the coverage is cleaned where neighbours
    do not match exactly (published boundary files often overlap by fractions of a metre, which
    would open slivers when simplified), then simplified as a coverage so that neighbours keep
    one common border. ``tolerance`` is in the units of the CRS (degrees for EPSG:4326).
    """
    grid = 10.0**-precision
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
