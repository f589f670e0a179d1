"""Township boundaries: schematic tiling, validation, areas.

All GeoDataFrames here are in WGS84 degrees on the way in and out; areas are
computed on :func:`gwmap.crs.area_crs` (equal-area, metres).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from gwmap.crs import area_crs
from gwmap.errors import InputDataError

logger = logging.getLogger(__name__)

__all__ = [
    "PreparedBoundaries",
    "schematic_townships",
    "area_km2",
    "prepare_boundaries",
]

WGS84 = "EPSG:4326"


def area_km2(geoms: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    """Area of each geometry in km², on the county's equal-area grid.

    Raises
    ------
    InputDataError
        If the series has no CRS (a planar area of degrees is meaningless).

    """
    if geoms.crs is None:
        raise InputDataError("err.crs.missing", "Geometries have no CRS; set one before computing areas.")
    return geoms.to_crs(area_crs()).area.to_numpy() / 1e6


def schematic_townships(
    outline: BaseGeometry, seats: pd.DataFrame, *, crs: str = WGS84
) -> gpd.GeoDataFrame:
    """Tile a county outline into one Voronoi cell per township seat.

    Parameters
    ----------
    outline : shapely geometry
        County outline in ``crs``.
    seats : DataFrame
        Columns ``code``, ``name``, ``lon``, ``lat`` (degrees in ``crs``).

    Returns
    -------
    GeoDataFrame
        ``code``, ``name``, ``geometry`` in ``crs``; the cells do not overlap
        and their union is the outline.  They are schematic, not legal lines.

    """
    proj = area_crs()
    outline_p = gpd.GeoSeries([outline], crs=crs).to_crs(proj).iloc[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(seats["lon"], seats["lat"]), crs=crs).to_crs(proj)
    cells = shapely.voronoi_polygons(MultiPoint(list(pts)), extend_to=outline_p.buffer(50_000))
    cells = list(cells.geoms)
    geoms = []
    for pt in pts:
        cell = next(c for c in cells if c.contains(pt))
        piece = cell.intersection(outline_p)
        geoms.append(_polygonal(piece))
    out = gpd.GeoDataFrame(
        {"code": list(seats["code"]), "name": list(seats["name"])},
        geometry=gpd.GeoSeries(geoms, crs=proj).to_crs(crs),
    )
    return out


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts of a geometry (drops slivers of lines/points)."""
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    return shapely.union_all(parts) if parts else Polygon()


@dataclass(frozen=True)
class PreparedBoundaries:
    """Township polygons ready to store, and what was done to get them."""

    townships: gpd.GeoDataFrame  # code, name, geometry (WGS84)
    outline: BaseGeometry
    county_area_km2: float
    warnings: tuple[tuple[str, dict], ...] = field(default=())


def prepare_boundaries(
    gdf: gpd.GeoDataFrame, *, name_field: str, code_field: str | None = None
) -> PreparedBoundaries:
    """Check and normalise township polygons read from a user's file.

    Invalid polygons are repaired with :func:`shapely.make_valid` and reported
    as a warning; features without a polygon, duplicate or empty names are
    errors.  The input must already be in WGS84.

    Raises
    ------
    InputDataError
        With a code naming the problem and the rows concerned.

    """
    if gdf.crs is None or not gdf.crs.equals(gpd.GeoSeries([], crs=WGS84).crs):
        raise InputDataError("err.crs.missing", "Boundaries must be in WGS84 before preparing them.")
    if len(gdf) == 0:
        raise InputDataError("err.boundary.empty", "The file has no features.")
    for fld in (name_field, code_field):
        if fld is not None and fld not in gdf.columns:
            raise InputDataError(
                "err.boundary.no_field", f"Field {fld!r} is not in the file.",
                field=fld, fields=", ".join(map(str, gdf.columns.drop("geometry"))),
            )
    warnings: list[tuple[str, dict]] = []
    geoms = gdf.geometry
    missing = [int(i) + 1 for i, g in enumerate(geoms) if g is None or g.is_empty]
    if missing:
        raise InputDataError(
            "err.boundary.no_geometry", f"Features without geometry: rows {missing[:10]}",
            rows=_rows(missing),
        )
    not_poly = [i + 1 for i, g in enumerate(geoms) if g.geom_type not in ("Polygon", "MultiPolygon")]
    if not_poly:
        raise InputDataError(
            "err.boundary.not_polygon", f"Features that are not polygons: rows {not_poly[:10]}",
            rows=_rows(not_poly), kind=geoms.iloc[not_poly[0] - 1].geom_type,
        )
    invalid = [i + 1 for i, ok in enumerate(geoms.is_valid) if not ok]
    if invalid:
        geoms = gpd.GeoSeries([_polygonal(shapely.make_valid(g)) for g in geoms], crs=gdf.crs)
        warnings.append(("warn.boundary.repaired", {"count": len(invalid), "rows": _rows(invalid)}))
    names = gdf[name_field].astype("string").str.strip()
    empty = [i + 1 for i, n in enumerate(names) if pd.isna(n) or n == ""]
    if empty:
        raise InputDataError("err.boundary.empty_name", f"Empty names in rows {empty[:10]}", rows=_rows(empty))
    if code_field:
        codes = gdf[code_field].astype("string").str.strip()
    else:
        codes = pd.Series([f"T{i + 1:03d}" for i in range(len(gdf))], dtype="string")
        warnings.append(("warn.boundary.codes_generated", {}))
    out = gpd.GeoDataFrame({"code": codes.to_numpy(), "name": names.to_numpy()}, geometry=geoms.to_numpy(), crs=WGS84)
    # Several features for one township (islands) are merged into one.
    if out["code"].duplicated().any():
        dup = sorted(set(out.loc[out["code"].duplicated(), "code"]))
        out = out.dissolve(by="code", aggfunc="first", as_index=False)[["code", "name", "geometry"]]
        warnings.append(("warn.boundary.merged", {"codes": ", ".join(map(str, dup[:10]))}))
    outline = shapely.union_all(out.to_crs(area_crs()).geometry.to_numpy())
    outline_wgs = gpd.GeoSeries([outline], crs=area_crs()).to_crs(WGS84).iloc[0]
    total = float(outline.area / 1e6)
    return PreparedBoundaries(out, outline_wgs, total, tuple(warnings))


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:10]))
    return shown + (" …" if len(rows) > 10 else "")
