"""Over-extraction zones (地下水超采区): the province's general (一般) and severe (严重) zones, loaded from its file.

Provinces publish the zones with each 超采区划定 (Shandong's of 2023 among them) as GIS layers: polygons with
the zone's name, its grade and often its aquifer.  They are read like boundaries (GeoJSON, zipped Shapefile,
GeoPackage, KML; any stated CRS, GCJ-02 noticed), the grade is read from the words offices use, each zone's
area is measured on the county's equal-area grid, and the set is stored in one transaction; a new set keeps
the old one as history.  Maps draw the current set, severe over general, with the areas in the legend.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry import mapping, shape
from sqlalchemy import select

from gwmap.errors import InputDataError
from gwmap.io.checks import Problem
from gwmap.store import Store
from gwmap.store.models import OverdraftZone

__all__ = ["GRADES", "grade_of", "ZoneFile", "read_zones", "import_zones", "zones_frame", "zone_areas", "cone_in_zones"]

GRADES = ("severe", "general")
_GRADE_WORDS = (("severe", re.compile(r"严重|severe|serious", re.I)), ("general", re.compile(r"一般|general|ordinary", re.I)))
_AQUIFER_WORDS = (("deep", re.compile(r"深层|承压|deep|confined", re.I)),
                  ("shallow", re.compile(r"浅层|潜水|孔隙|shallow|unconfined|phreatic", re.I)))
_GRADE_FIELDS = ("超采程度", "超采等级", "等级", "级别", "类型", "超采类型", "grade", "level", "type", "class")
_NAME_FIELDS = ("超采区名称", "名称", "区名", "name", "zone", "zone_name", "mc")
_AQUIFER_FIELDS = ("含水层", "层位", "地下水类型", "aquifer", "layer")


def grade_of(value: object) -> str | None:
    """``severe`` or ``general`` from a grade cell (严重超采区, 一般超采, Severe, …); None if neither.

    >>> [grade_of(v) for v in ("严重超采区", "一般超采区", "General", "禁采区")]
    ['severe', 'general', 'general', None]
    """
    text = str(value or "")
    for grade, words in _GRADE_WORDS:
        if words.search(text):
            return grade
    return None


def _aquifer_of(value: object) -> str:
    text = str(value or "")
    return next((aq for aq, words in _AQUIFER_WORDS if words.search(text)), "")


def _field(fields, wanted) -> str | None:  # noqa: ANN001
    lower = {str(f).strip().lower(): f for f in fields}
    return next((lower[w.lower()] for w in wanted if w.lower() in lower), None)


@dataclass(frozen=True)
class ZoneFile:
    """A checked zone file: one row a zone, the problems, the fields used, the CRS read and the file's hash.

    ``zones``: ``name``, ``grade``, ``aquifer``, ``area_km2``, geometry in WGS84; each problem names its
    feature's row.
    """

    zones: gpd.GeoDataFrame
    problems: tuple[Problem, ...]
    fields: dict
    source_crs: str
    sha256: str

    @property
    def clean(self) -> bool:
        return not self.problems and len(self.zones) > 0


def read_zones(data: bytes, filename: str, *, grade_field: str | None = None, name_field: str | None = None,
               aquifer_field: str | None = None, crs: str | None = None, grade: str | None = None) -> ZoneFile:
    """Read and check a zone file.

    The fields are guessed from their names unless given; ``grade`` sets one grade for every feature of a
    file that has no grade field (a file of the severe zones alone).

    A feature whose grade cannot be read, or that is not a polygon, is a problem naming its row (the
    feature's number, from 1) and the value.
    """
    from gwmap.boundaries import area_km2
    from gwmap.io.boundaries import read_boundary_file

    f = read_boundary_file(data, filename, crs=crs)
    gdf = f.gdf
    grade_field = grade_field or (None if grade else _field(f.fields, _GRADE_FIELDS))
    name_field = name_field or _field(f.fields, _NAME_FIELDS)
    aquifer_field = aquifer_field or _field(f.fields, _AQUIFER_FIELDS)
    for given in (grade_field, name_field, aquifer_field):
        if given and given not in gdf.columns:
            raise InputDataError("err.zone.field", "No such field.", field=given, fields="、".join(f.fields))
    if grade_field is None and grade not in GRADES:
        raise InputDataError("err.zone.no_grade", "Say which field holds the grade.", fields="、".join(f.fields))
    problems = []
    grades = (gdf[grade_field].map(grade_of) if grade_field else pd.Series(grade, index=gdf.index))
    polygonal = gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]) & gdf.geometry.notna()
    for i, (g, ok) in enumerate(zip(grades, polygonal, strict=True)):
        if not ok:
            problems.append(Problem(i + 1, "geometry", str(gdf.geometry.iloc[i].geom_type if gdf.geometry.iloc[i]
                                                              is not None else "—"), "err.zone.not_polygon"))
        elif pd.isna(g):
            problems.append(Problem(i + 1, grade_field or "", str(gdf[grade_field].iloc[i])[:60], "err.zone.grade"))
    names = (gdf[name_field].fillna("").astype(str).str.strip() if name_field else pd.Series("", index=gdf.index))
    names = [n or f"{i + 1}" for i, n in enumerate(names)]
    aquifers = gdf[aquifer_field].map(_aquifer_of) if aquifer_field else pd.Series("", index=gdf.index)
    keep = polygonal & grades.notna()
    zones = gpd.GeoDataFrame({"name": pd.Series(names, index=gdf.index)[keep], "grade": grades[keep],
                              "aquifer": aquifers[keep]}, geometry=gdf.geometry[keep].make_valid(), crs=4326)
    zones["area_km2"] = area_km2(zones.geometry) if len(zones) else []
    return ZoneFile(zones.reset_index(drop=True), tuple(problems),
                    {"grade": grade_field, "name": name_field, "aquifer": aquifer_field}, f.source_crs, f.sha256)


def import_zones(store: Store, user, checked: ZoneFile, *, source_name: str, raw: bytes, uploads_dir) -> dict:  # noqa: ANN001
    """Store a clean zone file as the current set (the previous set kept, not current); the counts and areas."""
    from gwmap.io.files import store_file
    from gwmap.store.users import authorize

    authorize(store, user, "surveys.import", target="overdraft_zones")
    if not checked.clean:
        raise InputDataError("err.zone.has_errors", "Fix the file first.", count=len(checked.problems))
    sha = store_file(raw, uploads_dir, suffix=source_name[source_name.rfind("."):][:8] if "." in source_name else "")
    with store.session(user) as s:
        old = list(s.scalars(select(OverdraftZone).where(OverdraftZone.current)))
        for z in old:
            z.current = False
        for r in checked.zones.itertuples():
            s.add(OverdraftZone(name=r.name[:128], grade=r.grade, aquifer=r.aquifer, area_km2=float(r.area_km2),
                                geometry_geojson=json.dumps(mapping(r.geometry)), source_name=source_name[:256],
                                source_sha256=sha, current=True))
    return {"zones": len(checked.zones), "replaced": len(old), **zone_areas(checked.zones)}


def zones_frame(store: Store) -> gpd.GeoDataFrame:
    """The current zones (``name``, ``grade``, ``aquifer``, ``area_km2``, geometry), severe first."""
    with store.session() as s:
        rows = s.execute(select(OverdraftZone.name, OverdraftZone.grade, OverdraftZone.aquifer, OverdraftZone.area_km2,
                                OverdraftZone.geometry_geojson, OverdraftZone.source_name)
                         .where(OverdraftZone.current).order_by(OverdraftZone.id)).all()
    gdf = gpd.GeoDataFrame({"name": [r[0] for r in rows], "grade": [r[1] for r in rows], "aquifer": [r[2] for r in rows],
                            "area_km2": [r[3] for r in rows], "source_name": [r[5] for r in rows]},
                           geometry=[shape(json.loads(r[4])) for r in rows], crs=4326)
    return gdf.sort_values("grade", key=lambda g: g.map({"severe": 0, "general": 1}), kind="stable").reset_index(drop=True)


def zone_areas(zones: pd.DataFrame) -> dict:
    """Area by grade, km²: ``severe_km2``, ``general_km2`` (zones of one grade summed as stored)."""
    return {f"{g}_km2": round(float(zones.loc[zones["grade"] == g, "area_km2"].sum()), 2) if len(zones) else 0.0
            for g in GRADES}


def cone_in_zones(zones: gpd.GeoDataFrame, outline) -> list[float]:  # noqa: ANN001 - a shapely geometry (WGS84)
    """How much of a cone outline lies in each zone, km² on the county's equal-area grid."""
    from gwmap.boundaries import area_km2

    if not len(zones) or outline is None or outline.is_empty:
        return [0.0] * len(zones)
    inside = zones.geometry.intersection(outline)
    return [round(float(a), 2) for a in area_km2(gpd.GeoSeries(inside, crs=4326))]
