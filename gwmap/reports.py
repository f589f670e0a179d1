"""Exports of analysis results: Excel workbooks and GeoPackages with Chinese headers."""

from __future__ import annotations

import io
from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from gwmap.cone import ConeResult
from gwmap.io.rasters import vector_bytes

__all__ = ["cone_workbook", "cone_geopackage", "safe_cell"]

Translate = Callable[[str], str]


def safe_cell(value):
    """Neutralise text that a spreadsheet would run as a formula (=, +, -, @ at the start).

    >>> safe_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> safe_cell(-3.5)
    -3.5
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _sheet(df: pd.DataFrame) -> pd.DataFrame:
    return df.map(safe_cell)


def cone_workbook(series: pd.DataFrame, cone: ConeResult, *, tr: Translate, names: dict[str, str]) -> bytes:
    """An .xlsx with the cone-area series, the chosen survey's township split, and the parameters."""
    s = pd.DataFrame({
        tr("cone.col.survey"): series["code"], tr("cone.col.area_km2"): series["area_km2"].round(2),
        tr("cone.col.change_km2"): series["change_km2"].round(2), tr("cone.col.extreme"): series["extreme_value"].round(2),
    })
    split = pd.DataFrame({
        tr("field.code"): cone.by_township["code"], tr("field.township"): cone.by_township["code"].map(names),
        tr("cone.col.area_km2"): cone.by_township["area_km2"].round(3),
        tr("cone.col.share"): (100 * cone.by_township["share"]).round(1),
    })
    params = pd.DataFrame({tr("cone.col.param"): list(cone.params), tr("cone.col.value"): [
        str(v) for v in cone.params.values()]})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        _sheet(s).to_excel(xw, sheet_name=tr("cone.sheet.series")[:31], index=False)
        _sheet(split).to_excel(xw, sheet_name=tr("cone.sheet.split")[:31], index=False)
        _sheet(params).to_excel(xw, sheet_name=tr("cone.sheet.params")[:31], index=False)
    return buf.getvalue()


def cone_geopackage(cone: ConeResult, *, survey: str) -> bytes:
    """The cone outline with its area and parameters, as a GeoPackage (WGS84)."""
    gdf = gpd.GeoDataFrame({"survey": [survey], "kind": [cone.kind], "threshold": [cone.threshold],
                            "area_km2": [round(cone.area_km2, 3)], "extreme": [round(cone.extreme_value, 3)],
                            "method": [cone.params.get("method", "")], "cell_m": [cone.params.get("cell_m", 0)]},
                           geometry=[cone.outline], crs=4326)
    return vector_bytes(gdf, "gpkg", layer="cone")
