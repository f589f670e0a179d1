"""Read point tables (CSV in UTF-8 or GBK, XLSX) into WGS84 GeoDataFrames."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gwmap.crs import GCJ02, gcj02_to_wgs84, resolve_crs
from gwmap.errors import InputDataError

logger = logging.getLogger(__name__)

__all__ = ["read_table", "points_from_table", "read_points", "MAX_TABLE_MB"]

MAX_TABLE_MB = 50
LON_NAMES = ("lon", "longitude", "经度", "x_lon", "lng")
LAT_NAMES = ("lat", "latitude", "纬度", "y_lat")


def read_table(data: bytes, filename: str) -> tuple[pd.DataFrame, str]:
    """A CSV (UTF-8, UTF-8 with BOM, or GBK) or XLSX file as text columns; returns (frame, encoding)."""
    if len(data) > MAX_TABLE_MB * 2**20:
        raise InputDataError("err.upload.too_large", "The file is too large.",
                             size_mb=f"{len(data) / 2**20:.0f}", limit_mb=MAX_TABLE_MB)
    if not data:
        raise InputDataError("err.upload.empty", "The file is empty.", name=filename)
    ext = Path(filename).suffix.lower()
    if ext in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for broken files
            raise InputDataError("err.table.read", f"Cannot read {filename}: {exc}", name=filename,
                                 detail=str(exc)[:200]) from exc
        enc = "xlsx"
    elif ext in (".csv", ".txt"):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InputDataError("err.table.encoding", "The text is neither UTF-8 nor GBK.", name=filename)
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputDataError("err.table.read", f"Cannot read {filename}: {exc}", name=filename,
                                 detail=str(exc)[:200]) from exc
        enc = "GBK" if enc == "gb18030" else "UTF-8"
    else:
        raise InputDataError("err.table.format", f"{ext or filename!r} is not CSV or XLSX.", ext=ext or filename)
    df.columns = [str(c).strip() for c in df.columns]
    df = df.dropna(how="all")
    if len(df) == 0:
        raise InputDataError("err.upload.empty", "The file has no rows.", name=filename)
    return df, enc


def _find(columns, names) -> str | None:
    low = {c.lower(): c for c in columns}
    return next((low[n] for n in names if n in low), None)


def points_from_table(df: pd.DataFrame, *, x: str | None = None, y: str | None = None,
                      crs: str | None = None) -> gpd.GeoDataFrame:
    """Points from a table, in the CRS their coordinates are in.

    Without ``x``/``y``, columns named lon/lat (or 经度/纬度) are taken as WGS84.
    With them, ``crs`` says what they are in (required); GCJ-02 is converted
    to WGS84.  A projected CRS is kept, so distances stay straight-line metres
    in that plane.  Rows whose coordinates are not numbers are refused, all
    listed at once (row numbers as in a spreadsheet: the header is row 1).
    """
    if x is None and y is None:
        x, y = _find(df.columns, LON_NAMES), _find(df.columns, LAT_NAMES)
        if x is None or y is None:
            raise InputDataError("err.table.no_coords", "No lon/lat (经度/纬度) columns; give --x/--y and --crs.",
                                 columns=", ".join(df.columns))
        crs = crs or "wgs84"
    elif not crs:
        raise InputDataError("err.crs.missing", "Say which CRS the x/y columns are in.")
    for col in (x, y):
        if col not in df.columns:
            raise InputDataError("err.table.no_column", f"No column {col!r}.", column=col, columns=", ".join(df.columns))
    xs = pd.to_numeric(df[x].astype(str).str.strip(), errors="coerce")
    ys = pd.to_numeric(df[y].astype(str).str.strip(), errors="coerce")
    bad = np.flatnonzero(xs.isna().to_numpy() | ys.isna().to_numpy())
    if len(bad):
        rows = ", ".join(str(int(i) + 2) for i in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise InputDataError("err.table.bad_coords", f"Rows {rows} have no numeric coordinates.", rows=rows,
                             x=x, y=y)
    xv, yv = xs.to_numpy(float), ys.to_numpy(float)
    if crs == GCJ02:
        xv, yv = gcj02_to_wgs84(xv, yv)
        crs = "wgs84"
    return gpd.GeoDataFrame(df.copy(), geometry=gpd.points_from_xy(xv, yv), crs=resolve_crs(crs))


def read_points(path: str | Path, *, x: str | None = None, y: str | None = None,
                crs: str | None = None) -> gpd.GeoDataFrame:
    """:func:`read_table` then :func:`points_from_table` for a file on disk."""
    p = Path(path)
    if not p.is_file():
        raise InputDataError("err.file.missing", f"No such file: {p}", name=str(p))
    df, _ = read_table(p.read_bytes(), p.name)
    return points_from_table(df, x=x, y=y, crs=crs)
