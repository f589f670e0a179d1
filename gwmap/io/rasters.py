"""Surfaces out: GeoTIFF (opens in QGIS/ArcGIS), contour lines, vector files.

One helper, :func:`gwmap.surface.Grid.transform`, makes every grid a north-up
raster; this module only writes what :mod:`gwmap.surface` computed.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
import zipfile
from pathlib import Path

import contourpy
import geopandas as gpd
import numpy as np
import rasterio
from shapely.geometry import LineString

from gwmap.errors import InputDataError
from gwmap.surface import SurfaceResult

logger = logging.getLogger(__name__)

__all__ = ["NODATA", "geotiff_bytes", "contour_lines", "nice_interval", "vector_bytes", "VECTOR_FORMATS"]

NODATA = -9999.0
VECTOR_FORMATS = {"gpkg": ("GPKG", "application/geopackage+sqlite3"),
                  "geojson": ("GeoJSON", "application/geo+json"),
                  "shp": ("ESRI Shapefile", "application/zip")}


def geotiff_bytes(surface: SurfaceResult) -> bytes:
    """A GeoTIFF of the surface: band 1 values, band 2 kriging std (if any), last band extrapolated (1/0).

    CRS, nodata (-9999) and band descriptions are set; the parameters that
    made the surface are stored in the ``GWMAP_PARAMS`` tag.
    """
    bands = [("value", surface.values)]
    if surface.std is not None:
        bands.append(("kriging_std", surface.std))
    bands.append(("extrapolated", np.where(np.isnan(surface.values), np.nan, surface.extrapolated.astype(float))))
    ny, nx = surface.grid.shape
    profile = dict(driver="GTiff", width=nx, height=ny, count=len(bands), dtype="float32", crs=surface.crs.to_wkt(),
                   transform=surface.grid.transform, nodata=NODATA, compress="deflate")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "surface.tif"
        with rasterio.open(path, "w", **profile) as dst:
            for i, (name, arr) in enumerate(bands, start=1):
                dst.write(np.where(np.isnan(arr), NODATA, arr).astype("float32"), i)
                dst.set_band_description(i, name)
            dst.update_tags(GWMAP_PARAMS=json.dumps(surface.params, ensure_ascii=False),
                            GWMAP_CV=json.dumps(surface.cv.as_dict()))
        return path.read_bytes()


def nice_interval(vmin: float, vmax: float, target: int = 10) -> float:
    """A round contour interval giving about ``target`` lines.

    >>> nice_interval(3.2, 21.7)
    2.0
    """
    span = max(vmax - vmin, 1e-9)
    raw = span / target
    mag = 10 ** np.floor(np.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if raw <= step * mag:
            return float(step * mag)
    return float(10 * mag)


def contour_lines(surface: SurfaceResult, *, interval: float | None = None) -> gpd.GeoDataFrame:
    """Contour lines of the surface (``level`` column) in the surface's CRS."""
    z = surface.values
    if not np.isfinite(z).any():
        raise InputDataError("err.cone.empty_surface", "The surface has no values inside the boundary.")
    vmin, vmax = float(np.nanmin(z)), float(np.nanmax(z))
    step = interval or nice_interval(vmin, vmax)
    if step <= 0:
        raise InputDataError("err.surface.interval", "The contour interval must be positive.", interval=step)
    levels = np.arange(np.ceil(vmin / step) * step, vmax + 1e-9, step)
    gen = contourpy.contour_generator(surface.grid.xs, surface.grid.ys, np.ma.masked_invalid(z),
                                      line_type=contourpy.LineType.Separate)
    rows, geoms = [], []
    for lvl in levels:
        for seg in gen.lines(float(lvl)):
            if len(seg) >= 2:
                rows.append(round(float(lvl), 6))
                geoms.append(LineString(seg))
    return gpd.GeoDataFrame({"level": rows}, geometry=geoms, crs=surface.crs)


def vector_bytes(gdf: gpd.GeoDataFrame, fmt: str, *, layer: str = "gwmap") -> bytes:
    """``gdf`` as a GeoPackage, GeoJSON, or zipped Shapefile (UTF-8, with .cpg)."""
    if fmt not in VECTOR_FORMATS:
        raise InputDataError("err.export.format", f"Unknown format {fmt!r}.", fmt=fmt,
                             formats=", ".join(VECTOR_FORMATS))
    driver = VECTOR_FORMATS[fmt][0]
    with tempfile.TemporaryDirectory() as tmp:
        if fmt == "shp":
            gdf.to_file(Path(tmp) / f"{layer}.shp", driver=driver, encoding="UTF-8")
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(Path(tmp).iterdir()):
                    zf.write(f, f.name)
            return buf.getvalue()
        out = Path(tmp) / f"{layer}.{fmt}"
        data = gdf.to_crs(4326) if fmt == "geojson" else gdf
        data.to_file(out, driver=driver, layer=layer) if fmt == "gpkg" else data.to_file(out, driver=driver)
        return out.read_bytes()
