"""The depression cone (地下水漏斗): outline, area, township split, deepest point, change.

Two practices are supported (DOMAIN.md §4): by depth (the area where depth to
water exceeds a threshold) and by head (the area where the head is below a
threshold).  Every :class:`ConeResult` keeps the parameters that made it.
Areas are true areas on the county's equal-area grid.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.features import shapes
from shapely.geometry import MultiPolygon, shape

from gwmap.crs import area_crs
from gwmap.errors import InputDataError
from gwmap.surface import SurfaceResult

logger = logging.getLogger(__name__)

__all__ = ["ConeResult", "cone_from_surface", "change_km2"]

Kind = Literal["depth", "head"]
WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class ConeResult:
    """A cone outline and its figures.

    Attributes
    ----------
    area_km2 : float
        True area inside the cone.
    outline : MultiPolygon
        In WGS84 degrees.
    by_township : DataFrame
        ``code``, ``name``, ``area_km2``, ``share`` (of the township inside the
        cone, 0-1); empty when no townships were given.
    extreme_value : float
        The deepest depth (kind ``depth``) or lowest head (kind ``head``) on the surface.
    extreme_lon, extreme_lat : float
        Where it is (WGS84).
    params : dict
        ``kind``, ``threshold`` and the surface's parameters (``extent`` says
        whether the grid was clipped to a boundary or covers the wells' box).
    area_extrapolated_km2 : float
        The part of ``area_km2`` in cells outside the wells' support (beyond the
        wells' hull or far from any well): drawn from extrapolation, not data.
        NaN for cones stored before it was kept.

    """

    kind: str
    threshold: float
    area_km2: float
    outline: MultiPolygon = field(repr=False)
    by_township: pd.DataFrame = field(repr=False)
    extreme_value: float
    extreme_lon: float
    extreme_lat: float
    params: dict = field(repr=False)
    area_extrapolated_km2: float = float("nan")

    @property
    def area_supported_km2(self) -> float:
        """The part of the cone the wells support (``area_km2`` minus the extrapolated part)."""
        return self.area_km2 - self.area_extrapolated_km2

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "threshold": self.threshold, "area_km2": round(self.area_km2, 3),
            "area_extrapolated_km2": round(self.area_extrapolated_km2, 3),
            "area_supported_km2": round(self.area_supported_km2, 3),
            "extent": self.params.get("extent"), "extent_km2": self.params.get("extent_km2"),
            "extreme_value": round(self.extreme_value, 3), "extreme_lon": round(self.extreme_lon, 6),
            "extreme_lat": round(self.extreme_lat, 6),
            "by_township": [
                {"code": r.code, "name": r.name, "area_km2": round(r.area_km2, 3), "share": round(r.share, 4)}
                for r in self.by_township.itertuples()
            ],
            "params": self.params,
        }


def cone_from_surface(surface: SurfaceResult, *, kind: Kind, threshold: float,
                      townships: gpd.GeoDataFrame | None = None) -> ConeResult:
    """Outline the cone on a surface of depth to water (``kind="depth"``) or head (``kind="head"``).

    Cells inside the cone are those whose depth exceeds ``threshold`` (or whose
    head is below it); the outline is the union of those cells' squares, so its
    area equals the cell count times the cell area, corrected to true area.
    """
    if kind not in ("depth", "head"):
        raise InputDataError("err.cone.kind", f"kind must be depth or head, not {kind!r}.", kind=str(kind))
    if not np.isfinite(threshold):
        raise InputDataError("err.cone.threshold", f"The threshold must be a number, not {threshold}.",
                             value=str(threshold))
    vals = surface.values
    inside = np.isfinite(vals)
    if not inside.any():
        raise InputDataError("err.cone.empty_surface", "The surface has no values inside the boundary.")
    with np.errstate(invalid="ignore"):
        sel = inside & ((vals > threshold) if kind == "depth" else (vals < threshold))
    polys = [shape(g) for g, v in shapes(sel.astype(np.uint8), mask=sel, transform=surface.grid.transform) if v == 1]
    outline_plane = shapely.union_all(polys) if polys else MultiPolygon()
    eq = gpd.GeoSeries([outline_plane], crs=surface.crs).to_crs(area_crs())
    area = float(eq.area.iloc[0] / 1e6) if polys else 0.0
    # cells share one true area on the grid's plane (a county is far smaller than a projection zone),
    # so the extrapolated part is the cone's area in proportion to its cells
    n_sel = int(sel.sum())
    extrap = area * float((sel & surface.extrapolated).sum()) / n_sel if n_sel else 0.0
    outline = gpd.GeoSeries([outline_plane], crs=surface.crs).to_crs(WGS84).iloc[0] if polys else MultiPolygon()
    if outline.geom_type == "Polygon":
        outline = MultiPolygon([outline])
    flat = np.where(inside, vals, -np.inf if kind == "depth" else np.inf)
    r, c = np.unravel_index(np.argmax(flat) if kind == "depth" else np.argmin(flat), vals.shape)
    ext = gpd.GeoSeries(gpd.points_from_xy([surface.grid.xs[c]], [surface.grid.ys[r]]), crs=surface.crs).to_crs(WGS84)
    by_tw = _split(eq.iloc[0] if polys else None, townships)
    params = {"kind": kind, "threshold": float(threshold), **surface.params}
    return ConeResult(kind, float(threshold), area, outline, by_tw, float(vals[r, c]),
                      float(ext.x.iloc[0]), float(ext.y.iloc[0]), params, extrap)


def _split(cone_eq, townships: gpd.GeoDataFrame | None) -> pd.DataFrame:
    cols = ["code", "name", "area_km2", "share"]
    if townships is None or len(townships) == 0:
        return pd.DataFrame(columns=cols)
    tw = townships.to_crs(area_crs())
    tw_area = tw.area.to_numpy() / 1e6
    if cone_eq is None or cone_eq.is_empty:
        inter = np.zeros(len(tw))
    else:
        inter = shapely.area(shapely.intersection(tw.geometry.to_numpy(), cone_eq)) / 1e6
    out = pd.DataFrame({"code": tw["code"].to_numpy(), "name": tw["name"].to_numpy(), "area_km2": inter,
                        "share": np.where(tw_area > 0, inter / tw_area, 0.0)})
    return out.sort_values("area_km2", ascending=False, ignore_index=True)


def change_km2(current: ConeResult, previous: ConeResult) -> float:
    """Area now minus area before (negative: the cone shrank).

    Raises
    ------
    InputDataError
        If the two were made with different kinds or thresholds (not comparable).

    """
    if (current.kind, current.threshold) != (previous.kind, previous.threshold):
        raise InputDataError("err.cone.not_comparable", "Cones with different thresholds cannot be compared.")
    return current.area_km2 - previous.area_km2


def describe_change(delta_km2: float | None) -> tuple[str, dict]:
    """The message (code, params) for a change against the same season a year before.

    >>> describe_change(-12.34)
    ('cone.change.less', {'km2': '12.3'})
    >>> describe_change(None)
    ('cone.change.none', {})
    """
    if delta_km2 is None or not np.isfinite(delta_km2):
        return "cone.change.none", {}
    if abs(delta_km2) < 0.05:
        return "cone.change.same", {}
    return ("cone.change.less" if delta_km2 < 0 else "cone.change.more"), {"km2": f"{abs(delta_km2):.1f}"}
