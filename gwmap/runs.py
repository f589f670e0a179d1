"""Surfaces and cones from stored surveys, stored with the parameters that made them.

The same request (survey, value, method, cell, variogram, neighbours) is
answered from the store: the raster is kept in the data dir by the request's
hash and the figures in ``surface_runs`` / ``cone_runs``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from pyproj import CRS
from shapely.geometry import mapping, shape
from sqlalchemy import select

from gwmap.cone import ConeResult, cone_from_surface
from gwmap.errors import InputDataError, NotFound
from gwmap.io.files import write_atomic
from gwmap.io.rasters import NODATA, geotiff_bytes
from gwmap.store.db import Store
from gwmap.store.models import ConeRun, SurfaceRun, Survey
from gwmap.store.users import CurrentUser
from gwmap.surface import CrossValidation, Grid, SurfaceResult, Variogram, interpolate
from gwmap.surveys import list_surveys, survey_date, survey_points

logger = logging.getLogger(__name__)

__all__ = ["SurfaceRequest", "surface_for", "cone_for", "cone_series", "load_surface", "Progress", "dashboard_cone"]

Progress = Callable[[float, str], None]
VALUE_FOR_KIND = {"depth": "depth_to_water_m", "head": "head_m"}


@dataclass(frozen=True)
class SurfaceRequest:
    """What to interpolate: a stored survey, the value, and the method's settings."""

    survey_id: int
    value: str = "depth_to_water_m"
    method: str = "kriging"
    cell_m: float = 100.0
    variogram: tuple | None = None  # (model, psill, range_m, nugget) to override the fit
    neighbours: int | None = None
    power: float = 2.0
    include_flagged: bool = True

    def key(self, boundary_version: int) -> str:
        payload = json.dumps({**asdict(self), "boundary_version": boundary_version, "v": 1}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


def _survey(store: Store, survey_id: int) -> Survey:
    with store.session() as s:
        sv = s.get(Survey, int(survey_id))
        if sv is None:
            raise NotFound("err.survey.not_found", f"No survey {survey_id}.", survey=survey_id)
        return sv


def surface_for(store: Store, user: CurrentUser, request: SurfaceRequest, *, townships: gpd.GeoDataFrame,
                boundary_version: int, data_dir: Path) -> tuple[SurfaceResult, int, bool]:
    """The surface for ``request`` clipped to ``townships``: (result, run id, answered from the store)."""
    key = request.key(boundary_version)
    with store.session() as s:
        run = s.scalar(select(SurfaceRun).where(SurfaceRun.request_hash == key))
        if run is not None and Path(run.raster_path).exists():
            return load_surface(run), run.id, True
    pts = survey_points(store, request.survey_id, include_flagged=request.include_flagged)
    if len(pts) == 0:
        raise InputDataError("err.surface.too_few", "The survey has no readings.", n=0, need=3)
    vg = Variogram(*request.variogram) if request.variogram else None
    surf = interpolate(pts, request.value, boundary=townships, method=request.method, cell_m=request.cell_m,
                       variogram=vg, neighbours=request.neighbours, power=request.power)
    sv = _survey(store, request.survey_id)
    surf = SurfaceResult(surf.values, surf.std, surf.extrapolated, surf.grid, surf.crs, surf.method,
                         {**surf.params, "survey": sv.code, "aquifer": sv.aquifer, "survey_id": sv.id,
                          "survey_version": sv.version, "boundary_version": boundary_version},
                         surf.cv, surf.variogram_fit, surf.warnings)
    folder = data_dir / "surfaces"
    path = folder / f"{key}.tif"
    write_atomic(path, geotiff_bytes(surf))
    with store.session(user) as s:
        run = s.scalar(select(SurfaceRun).where(SurfaceRun.request_hash == key))
        if run is None:
            run = SurfaceRun(request_hash=key, survey_id=sv.id, value=request.value, method=surf.method,
                             params_json=json.dumps(surf.params, ensure_ascii=False),
                             cv_json=json.dumps(surf.cv.as_dict()), raster_path=str(path), created_by=user.username)
            s.add(run)
        else:
            run.raster_path = str(path)
        s.flush()
        run_id = run.id
    return surf, run_id, False


def load_surface(run: SurfaceRun) -> SurfaceResult:
    """Rebuild a :class:`SurfaceResult` from a stored run's GeoTIFF and parameters."""
    with rasterio.open(run.raster_path) as src:
        bands = {d: src.read(i + 1).astype(float) for i, d in enumerate(src.descriptions)}
        t = src.transform
        crs = CRS.from_wkt(src.crs.to_wkt())
        ny, nx = src.height, src.width
    for v in bands.values():
        v[v == NODATA] = np.nan
    grid = Grid(t.c + t.a / 2, t.f + t.e / 2, t.a, nx, ny)
    cvr = CrossValidation(**json.loads(run.cv_json))  # the scores; per-well residuals are not kept
    extrap = np.nan_to_num(bands["extrapolated"], nan=0.0) > 0.5
    return SurfaceResult(bands["value"], bands.get("kriging_std"), extrap, grid, crs, run.method,
                         json.loads(run.params_json), cvr)


def cone_for(store: Store, user: CurrentUser, surface: SurfaceResult, surface_run_id: int, *, kind: str,
             threshold: float, townships: gpd.GeoDataFrame) -> tuple[ConeResult, bool]:
    """The cone on a stored surface: (result, answered from the store)."""
    # "v2": cones stored since the extrapolated part is kept (older ones are recomputed once)
    key = hashlib.sha256(f"v2|{surface_run_id}|{kind}|{float(threshold)!r}".encode()).hexdigest()
    with store.session() as s:
        run = s.scalar(select(ConeRun).where(ConeRun.request_hash == key))
        if run is not None:
            by_tw = pd.DataFrame(json.loads(run.by_township_json), columns=["code", "name", "area_km2", "share"])
            params = json.loads(run.params_json)
            return ConeResult(run.kind, run.threshold, run.area_km2, shape(json.loads(run.outline_geojson)), by_tw,
                              run.extreme_value, run.extreme_lon, run.extreme_lat, params,
                              float(params.get("area_extrapolated_km2", np.nan))), True
    cone = cone_from_surface(surface, kind=kind, threshold=threshold, townships=townships)
    with store.session(user) as s:
        if s.scalar(select(ConeRun).where(ConeRun.request_hash == key)) is None:
            s.add(ConeRun(request_hash=key, surface_run_id=surface_run_id, kind=kind, threshold=float(threshold),
                          area_km2=cone.area_km2, outline_geojson=json.dumps(mapping(cone.outline)),
                          by_township_json=cone.by_township.to_json(orient="records", force_ascii=False),
                          extreme_value=cone.extreme_value, extreme_lon=cone.extreme_lon,
                          extreme_lat=cone.extreme_lat,
                          params_json=json.dumps({**cone.params, "area_extrapolated_km2": cone.area_extrapolated_km2},
                                                 ensure_ascii=False),
                          created_by=user.username))
    return cone, False


def dashboard_cone(county=None) -> dict:  # noqa: ANN001
    """The cone the dashboard and the bulletin report: the shallow aquifer, kriged on 200 m cells.

    By the county profile's rule: depth to water over its threshold, or head below it (the default
    county's 12 m picks out its own cone where Shandong reports 6 m plain-wide).
    """
    from gwmap.county import active

    p = county or active()
    return {"aquifer": "shallow", "kind": p.cone_kind, "threshold": float(p.cone_threshold_m), "method": "kriging",
            "cell_m": 200.0}


def precompute(store: Store, user: CurrentUser, *, data_dir: Path, progress: Progress | None = None) -> int:
    """Compute and store the dashboard's cone series on the current boundaries (so no leader waits for it).

    Returns the number of surveys in the series; 0 without boundaries or surveys.
    """
    from gwmap.store import repo

    try:
        info, townships, _ = repo.current_boundaries(store)
    except NotFound:
        return 0
    series = cone_series(store, user, townships=townships, boundary_version=info.id, data_dir=data_dir,
                         progress=progress, **dashboard_cone())
    return len(series)


def cone_series(store: Store, user: CurrentUser, *, aquifer: str, kind: str, threshold: float, method: str,
                cell_m: float, townships: gpd.GeoDataFrame, boundary_version: int, data_dir: Path,
                progress: Progress | None = None) -> pd.DataFrame:
    """Cone area for every current survey of one aquifer, oldest first.

    Columns: ``survey_id``, ``code``, ``year``, ``season``, ``area_km2``, ``area_extrapolated_km2``,
    ``change_km2`` (against the same season a year before; NaN for the first),
    ``extreme_value`` (the deepest depth or lowest head) at ``extreme_lon``/``extreme_lat`` and its
    ``extreme_change`` on a year before, the outline's centre ``centre_lon``/``centre_lat`` and how far it
    moved in a year (``centre_shift_km``), ``surface_run_id``, ``cached``.
    """
    surveys = list_surveys(store)
    surveys = surveys[surveys["aquifer"] == aquifer].reset_index(drop=True)
    rows = []
    for i, sv in enumerate(surveys.itertuples()):
        if progress:
            progress(i / max(len(surveys), 1), sv.code)
        req = SurfaceRequest(survey_id=int(sv.id), value=VALUE_FOR_KIND[kind], method=method, cell_m=cell_m)
        surf, run_id, cached = surface_for(store, user, req, townships=townships, boundary_version=boundary_version,
                                           data_dir=data_dir)
        cone, c2 = cone_for(store, user, surf, run_id, kind=kind, threshold=threshold, townships=townships)
        centre = _centre(cone.outline)
        rows.append({"survey_id": int(sv.id), "code": sv.code, "year": int(sv.year), "season": sv.season,
                     "area_km2": cone.area_km2, "area_extrapolated_km2": cone.area_extrapolated_km2,
                     "extreme_value": cone.extreme_value, "extreme_lon": cone.extreme_lon,
                     "extreme_lat": cone.extreme_lat, "centre_lon": centre[0], "centre_lat": centre[1],
                     "surface_run_id": run_id, "cached": cached and c2})
    if progress:
        progress(1.0, "")
    df = pd.DataFrame(rows, columns=["survey_id", "code", "year", "season", "area_km2", "area_extrapolated_km2",
                                     "extreme_value", "extreme_lon", "extreme_lat", "centre_lon", "centre_lat",
                                     "surface_run_id", "cached"])
    df["date"] = [survey_date(c) for c in df["code"]]
    before = df.set_index(["season", "year"])
    year_ago = [before.loc[(r.season, r.year - 1)] if (r.season, r.year - 1) in before.index else None
                for r in df.itertuples()]
    df["change_km2"] = [r.area_km2 - a["area_km2"] if a is not None else np.nan
                        for r, a in zip(df.itertuples(), year_ago, strict=True)]
    df["extreme_change"] = [r.extreme_value - a["extreme_value"] if a is not None else np.nan
                            for r, a in zip(df.itertuples(), year_ago, strict=True)]
    from gwmap.county import distance_m

    df["centre_shift_km"] = [distance_m(a["centre_lon"], a["centre_lat"], r.centre_lon, r.centre_lat) / 1000
                             if a is not None and np.isfinite(r.centre_lon) and np.isfinite(a["centre_lon"]) else np.nan
                             for r, a in zip(df.itertuples(), year_ago, strict=True)]
    return df


def _centre(outline) -> tuple[float, float]:  # noqa: ANN001
    """The cone's centre of area (lon, lat), measured on the county's equal-area plane; NaN for no cone."""
    if outline is None or outline.is_empty:
        return float("nan"), float("nan")
    from gwmap.crs import area_crs

    plane = gpd.GeoSeries([outline], crs=4326).to_crs(area_crs())
    c = plane.centroid.to_crs(4326).iloc[0]
    return float(c.x), float(c.y)
