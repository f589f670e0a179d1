"""Township boundaries: schematic tiling, validation, areas, and storing a checked set as a new version.

All GeoDataFrames here are in WGS84 degrees on the way in and out; areas are
computed on :func:`gwmap.crs.area_crs` (equal-area, metres).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from gwmap.crs import area_crs
from gwmap.errors import InputDataError, NotFound
from gwmap.membership import membership_change, reassign
from gwmap.store.db import Store
from gwmap.store.models import BoundaryVersion, Township
from gwmap.store.repo import BoundaryInfo, boundary_info, current_boundaries
from gwmap.store.users import CurrentUser, authorize

logger = logging.getLogger(__name__)

__all__ = [
    "PreparedBoundaries",
    "schematic_townships",
    "area_km2",
    "prepare_boundaries",
    "save_boundaries",
    "import_boundary_file",
    "stored_county_area",
    "boundary_hint",
    "preview_membership",
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
    gdf: gpd.GeoDataFrame, *, name_field: str, code_field: str | None = None, county=None,  # noqa: ANN001
    expected_km2: float | None = None,
) -> PreparedBoundaries:
    """Check and normalise township polygons read from a user's file.

    Invalid polygons are repaired with :func:`shapely.make_valid` and reported
    as a warning; features without a polygon, duplicate or empty names are
    errors.  The input must already be in WGS84.  From a file of a whole city
    or province the features of ``county`` (a :class:`~gwmap.county.CountyProfile`,
    default the active one) are picked by its code or name; the set must cover
    about ``expected_km2`` (the county's stored outline; default its area in the
    reference table; with neither, accepted with a notice).

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
    from gwmap.county import active, reference

    county = county or active()
    if expected_km2 is None:
        ref = reference(county.adcode)
        expected_km2 = ref.area_km2 if ref else None
    warnings: list[tuple[str, dict]] = []
    gdf = _county_part(gdf, county, warnings)
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
    _check_shapes(geoms, names)
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
    total = float(outline.area / 1e6)
    if expected_km2 is None:
        warnings.append(("warn.boundary.area_unchecked", {"area": f"{total:,.1f}"}))
    elif not COUNTY_AREA_SHARE[0] * expected_km2 <= total <= COUNTY_AREA_SHARE[1] * expected_km2:
        raise InputDataError("err.boundary.not_the_county", f"The features cover {total:,.1f} km².",
                             area=f"{total:,.1f}", count=len(out), names="、".join(map(str, out["name"].head(8))),
                             expected=f"{expected_km2:,.0f}", county=county.name, adcode=county.adcode)
    _check_gaps(outline)
    outline_wgs = gpd.GeoSeries([outline], crs=area_crs()).to_crs(WGS84).iloc[0]
    return PreparedBoundaries(out, outline_wgs, total, tuple(warnings))


#: A set of townships covering far less or far more than the county's area is not the county (one
#: township alone, or a whole city taken for townships): the share of the expected area accepted.
COUNTY_AREA_SHARE = (0.7, 1.3)
#: Overlaps and gaps under this area (m², 0.1 ha) are digitising slivers; larger ones are refused.
SLIVER_M2 = 1000.0


def gcj02_hint(file_outline: BaseGeometry, stored_outline: BaseGeometry | None) -> dict | None:
    """A notice when a file read as WGS84 sits where GCJ-02 (AMap/Tencent) coordinates would.

    GCJ-02 shifts points in China's plains by some 300–700 m.  When the file's
    outline's centroid is that far from the stored outline's (or, before any
    import, from the county's reference centroid: pass a Point) and converting
    it from GCJ-02 brings it within 150 m, the file most likely holds GCJ-02
    coordinates without saying so: the user is told to declare GCJ-02.
    """
    if stored_outline is None or file_outline is None or file_outline.is_empty or stored_outline.is_empty:
        return None
    from gwmap.crs import gcj02_to_wgs84

    def metres(a, b) -> float:
        pts = gpd.GeoSeries([shapely.Point(a), shapely.Point(b)], crs=WGS84).to_crs(area_crs())
        return float(pts.iloc[0].distance(pts.iloc[1]))

    c_file = file_outline.centroid
    c_stored = stored_outline.centroid
    off = metres((c_file.x, c_file.y), (c_stored.x, c_stored.y))
    fixed = gcj02_to_wgs84(c_file.x, c_file.y)
    after = metres((float(fixed[0]), float(fixed[1])), (c_stored.x, c_stored.y))
    if 300 <= off <= 700 and after < 150:
        return {"offset_m": f"{off:,.0f}", "after_m": f"{after:,.0f}"}
    return None


def _county_part(gdf: gpd.GeoDataFrame, county, warnings: list) -> gpd.GeoDataFrame:  # noqa: ANN001
    """From a file of several counties (a city, a province), the features of ``county``.

    A field whose values are county codes (its ``adcode``) or names (its ``name``) of more than one
    county, or township codes (9 or 12 digits) of several counties, picks the county's rows, with a
    notice; a file without such a field is left to the area check, which refuses a city.
    """
    code, name = county.adcode, county.name
    for col in gdf.columns:
        if col == gdf.geometry.name:
            continue
        values = gdf[col].astype("string").str.strip()
        counties = set(values.dropna())
        if len(counties) < 2:
            continue
        is_code = values.str.fullmatch(r"\d{6}").fillna(False)
        is_township = values.str.fullmatch(r"\d{9}|\d{12}").fillna(False)
        prefix = values.str[:6]
        if is_code.all() and code in counties:
            keep = values == code
        elif is_township.all() and (prefix == code).any() and prefix.nunique() > 1:
            keep = prefix == code
        elif name in counties and values.str.endswith(("县", "区", "市", "旗")).fillna(False).all():
            keep = values == name
        else:
            continue
        warnings.append(("warn.boundary.took_county", {"field": str(col), "count": int(len(gdf)),
                                                       "kept": int(keep.sum())}))
        return gdf[keep.to_numpy()].reset_index(drop=True)
    return gdf


def _check_shapes(geoms: gpd.GeoSeries, names: pd.Series) -> None:
    """Refuse a township that is no area (a ring A,B,A, three points on a line) or overlaps another."""
    plane = geoms.to_crs(area_crs())
    areas = plane.area.to_numpy()
    tiny = [i for i, a in enumerate(areas) if not a > 1e4]  # under 1 ha
    if tiny:
        i = tiny[0]
        raise InputDataError("err.boundary.degenerate", f"Feature {i + 1} ({names.iloc[i]}) has no area.",
                             row=i + 1, name=str(names.iloc[i]), area=f"{areas[i]:,.0f}")
    arr = plane.to_numpy()
    tree = shapely.STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        if a < b:
            shared = shapely.intersection(arr[a], arr[b]).area
            if shared > SLIVER_M2:
                raise InputDataError("err.boundary.overlap", f"{names.iloc[a]} and {names.iloc[b]} overlap.",
                                     first=str(names.iloc[a]), second=str(names.iloc[b]),
                                     area_ha=f"{shared / 1e4:,.2f}")


def _check_gaps(outline: BaseGeometry) -> None:
    """Refuse holes inside the county that no township covers (over 0.1 ha), saying where the first is."""
    polys = getattr(outline, "geoms", [outline])
    holes = [Polygon(r) for p in polys for r in getattr(p, "interiors", [])]
    big = [h for h in holes if h.area > SLIVER_M2]
    if big:
        c = gpd.GeoSeries([big[0].representative_point()], crs=area_crs()).to_crs(WGS84).iloc[0]
        raise InputDataError("err.boundary.gap", f"{len(big)} gaps inside the county.", count=len(big),
                             area_ha=f"{sum(h.area for h in big) / 1e4:,.2f}", lon=f"{c.x:.5f}", lat=f"{c.y:.5f}")


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:10]))
    return shown + (" …" if len(rows) > 10 else "")


def save_boundaries(store: Store, user: CurrentUser, prepared: PreparedBoundaries, *, source_name: str,
                    source_sha256: str = "", schematic: bool = False) -> BoundaryInfo:
    """Store a new boundary version and make it current; the previous one stays in history.

    Raises
    ------
    PermissionDenied
        Unless the user may import boundaries (admin).

    """
    authorize(store, user, "boundaries.import", target=source_name)
    with store.session(user) as s:
        for old in s.scalars(select(BoundaryVersion).where(BoundaryVersion.is_current)):
            old.is_current = False  # superseded, kept in history (audited)
        v = BoundaryVersion(
            created_by=user.username, source_name=source_name, source_sha256=source_sha256,
            schematic=schematic, county_area_km2=round(prepared.county_area_km2, 3),
            outline_geojson=json.dumps(mapping(prepared.outline)), is_current=True,
        )
        s.add(v)
        areas = area_km2(prepared.townships)
        for (_, row), a in zip(prepared.townships.iterrows(), areas):
            s.add(Township(version=v, code=str(row["code"]), name=str(row["name"]), area_km2=round(float(a), 3),
                           geometry_geojson=json.dumps(mapping(row.geometry))))
        s.flush()
        reassign(s, prepared.townships)  # every point belongs where it lies on the new version
        return boundary_info(v, len(prepared.townships))


def import_boundary_file(store: Store, user: CurrentUser, data: bytes, filename: str, *, crs: str | None,
                         name_field: str, code_field: str | None) -> tuple[BoundaryInfo, tuple, object]:
    """Read, check and store a boundary file as the new current version.

    Nothing is stored unless every check passes.  Returns the new version,
    the notices (``(code, params)``) from reading and repairing, and the
    :class:`~gwmap.membership.MembershipChange` it made (wells, leads and
    monitoring wells per township before and after, those that changed
    township, those in none).
    """
    from gwmap.io.boundaries import read_boundary_file

    authorize(store, user, "boundaries.import", target=filename)
    read = read_boundary_file(data, filename, crs=crs)
    prepared = prepare_boundaries(read.gdf, name_field=name_field, code_field=code_field,
                                  expected_km2=stored_county_area(store))
    hint = boundary_hint(store, prepared, crs_declared=crs is not None)
    change = preview_membership(store, prepared)
    info = save_boundaries(store, user, prepared, source_name=filename, source_sha256=read.sha256)
    return info, read.warnings + prepared.warnings + hint, change


def stored_county_area(store: Store) -> float | None:
    """The county's area as the current boundary version has it (km²), or None before the first import."""
    with store.session() as s:
        return s.scalar(select(BoundaryVersion.county_area_km2).where(BoundaryVersion.is_current)
                        .order_by(BoundaryVersion.id.desc()).limit(1))


def boundary_hint(store: Store, prepared: PreparedBoundaries, *, crs_declared: bool) -> tuple:
    """Notices comparing a new set with the stored one (or the county's reference centroid on a first import).

    ``warn.boundary.maybe_gcj02`` (see :func:`gcj02_hint`).
    """
    from gwmap.county import active, reference

    if crs_declared:
        return ()
    try:
        stored = current_boundaries(store)[2]
    except NotFound:
        ref = reference(active().adcode)
        if ref is None:
            return ()
        stored = shapely.Point(ref.lon, ref.lat)
    hint = gcj02_hint(prepared.outline, stored)
    return (("warn.boundary.maybe_gcj02", hint),) if hint else ()


def preview_membership(store: Store, prepared: PreparedBoundaries):
    """What importing ``prepared`` would do to township membership (see :func:`gwmap.membership.membership_change`)."""
    tw = prepared.townships.copy()
    tw["area_km2"] = area_km2(tw)
    return membership_change(store, tw)
