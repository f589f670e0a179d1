"""Which township a well, lead or monitoring well belongs to: the one it lies in on the current boundaries.

A stored township code is a cache of that answer.  Importing a new boundary
version recomputes it (point in polygon) for every registered point in the
same transaction, so the one-map filter, the registry and the dashboard
ranking count each point where it lies; the import first shows what changes
(:func:`membership_change`).  Figures made earlier keep the boundary version
they used in their parameters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.store.db import Store
from gwmap.store.models import Lead, MonitoringWell, Well

logger = logging.getLogger(__name__)

__all__ = ["LAYERS", "MembershipChange", "township_of", "membership_change", "reassign"]

#: The registered points that belong to a township: label -> model.
LAYERS = {"wells": Well, "leads": Lead, "monitoring_wells": MonitoringWell}


def township_of(townships: gpd.GeoDataFrame, lon, lat) -> np.ndarray:
    """The township code each (lon, lat) lies in (WGS84), ``""`` for points in none.

    A point on a shared edge goes to the first township that holds it.

    >>> from shapely.geometry import box
    >>> tw = gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> township_of(tw, [0.5, 1.5, 5.0], [0.5, 0.5, 0.5]).tolist()
    ['A', 'B', '']
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out = np.full(len(lon), "", dtype=object)
    if not len(lon) or not len(townships):
        return out
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    hits = gpd.sjoin(pts, townships.to_crs(4326)[["code", "geometry"]], how="inner", predicate="intersects")
    hits = hits[~hits.index.duplicated(keep="first")]
    out[hits.index.to_numpy()] = hits["code"].astype(str).to_numpy()
    return out


def _points(store: Store, model) -> pd.DataFrame:
    with store.session() as s:
        rows = s.execute(select(model.id, model.lon, model.lat, model.township_code).where(~model.archived)).all()
    return pd.DataFrame(rows, columns=["id", "lon", "lat", "township_code"])


@dataclass(frozen=True)
class MembershipChange:
    """What a boundary version does to township membership.

    ``table``: per township of the new version, ``code``, ``name``, ``area_km2``
    and, per layer, the count before (by the stored codes) and after (by
    position).  ``changed`` and ``outside`` count, per layer, the points that
    change township and those that lie in none; ``outside_points`` lists the
    latter (layer, id, lon, lat).
    """

    table: pd.DataFrame
    changed: dict[str, int]
    outside: dict[str, int]
    outside_points: pd.DataFrame

    def to_json(self) -> dict:
        return {
            "townships": [{"code": r.code, "name": r.name, "area_km2": round(float(r.area_km2), 3),
                           **{k: int(getattr(r, f"{k}_after")) for k in LAYERS}} for r in self.table.itertuples()],
            "changed": self.changed, "outside": self.outside,
        }


def membership_change(store: Store, townships: gpd.GeoDataFrame) -> MembershipChange:
    """Before → after counts per township if ``townships`` (code, name, area_km2, geometry) became current."""
    table = townships[["code", "name"]].copy()
    table["area_km2"] = townships["area_km2"] if "area_km2" in townships else np.nan
    changed, outside, out_pts = {}, {}, []
    for layer, model in LAYERS.items():
        pts = _points(store, model)
        after = township_of(townships, pts["lon"], pts["lat"])
        before_counts = pts["township_code"].value_counts()
        after_counts = pd.Series(after).value_counts()
        table[f"{layer}_before"] = table["code"].map(before_counts).fillna(0).astype(int)
        table[f"{layer}_after"] = table["code"].map(after_counts).fillna(0).astype(int)
        changed[layer] = int((pts["township_code"].to_numpy() != after).sum())
        lost = after == ""
        outside[layer] = int(lost.sum())
        if lost.any():
            out_pts.append(pts.loc[lost, ["id", "lon", "lat"]].assign(layer=layer))
    outside_points = pd.concat(out_pts, ignore_index=True) if out_pts else pd.DataFrame(
        columns=["id", "lon", "lat", "layer"])
    return MembershipChange(table.reset_index(drop=True), changed, outside, outside_points)


def reassign(session, townships: gpd.GeoDataFrame) -> dict[str, int]:
    """Inside a boundary import's transaction: set every point's township code from its position (audited).

    Positions are read as plain rows and the point-in-polygon test is one spatial join; only the records
    whose township changes are loaded and written (through the ORM: row version and audit trail), a
    thousand at a time, so a province's registry re-zones in seconds, not one object per well.
    """
    counts = {}
    for layer, model in LAYERS.items():
        rows = session.execute(select(model.id, model.lon, model.lat, model.township_code)
                               .where(~model.archived)).all()
        codes = township_of(townships, [r[1] for r in rows], [r[2] for r in rows])
        moved = {r[0]: code for r, code in zip(rows, codes, strict=True) if r[3] != code}
        ids = sorted(moved)
        for start in range(0, len(ids), 1000):
            for obj in session.scalars(select(model).where(model.id.in_(ids[start:start + 1000]))):
                obj.township_code = moved[obj.id]
            session.flush()
        counts[layer] = len(moved)
    logger.info("township membership recomputed: %s", counts)
    return counts
