"""Reading boundary files in every accepted format, and refusing bad ones clearly."""

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gwmap.boundaries import area_km2
from gwmap.crs import resolve_crs, wgs84_to_gcj02
from gwmap.errors import CRSError, InputDataError
from gwmap.io.boundaries import read_boundary_file
from tests.conftest import DATA


@pytest.fixture(scope="module")
def townships():
    return gpd.read_file(DATA / "boundaries" / "townships.geojson")[["code", "name", "geometry"]]


def _zip_dir(folder: Path, *, skip=(), prefix="") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(folder.iterdir()):
            if f.suffix not in skip:
                zf.write(f, prefix + f.name)
    return buf.getvalue()


def _shapefile(gdf, tmp_path, *, encoding="GBK", crs=None, drop=()) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    g = gdf.to_crs(crs) if crs else gdf
    g.rename(columns={"name": "XZQMC", "code": "XZQDM"}).to_file(folder / "乡镇.shp", encoding=encoding)
    return _zip_dir(folder, skip=drop)


def test_geojson(townships):
    b = read_boundary_file((DATA / "boundaries" / "townships.geojson").read_bytes(), "t.geojson")
    assert len(b.gdf) == 18 and {"code", "name"} <= set(b.fields)
    assert area_km2(b.gdf).sum() == pytest.approx(1161, abs=5)


def test_gbk_geojson_is_reencoded(townships):
    text = townships.to_json(ensure_ascii=False)
    b = read_boundary_file(text.encode("gbk"), "gbk.geojson")
    assert "崇文街道" in set(b.gdf["name"]) and b.encoding == "GBK"


@pytest.mark.parametrize("drop, label", [((), "with .cpg"), ((".cpg",), "without .cpg")])
def test_zipped_gbk_shapefile_in_gauss_kruger(townships, tmp_path, drop, label):
    data = _shapefile(townships, tmp_path, crs=resolve_crs("gk3_cm117"), drop=drop)
    b = read_boundary_file(data, "乡镇.zip")
    assert set(b.gdf["XZQMC"]) == set(townships["name"]), label
    assert b.gdf.crs.to_epsg() == 4326
    assert area_km2(b.gdf).sum() == pytest.approx(1161, abs=5)


def test_geopackage(townships, tmp_path):
    path = tmp_path / "tw.gpkg"
    townships.to_crs(resolve_crs("gk3_cm114")).to_file(path, layer="乡镇", driver="GPKG")
    b = read_boundary_file(path.read_bytes(), "tw.gpkg")
    assert len(b.gdf) == 18
    assert area_km2(b.gdf).sum() == pytest.approx(1161, abs=5)


def test_kml(townships, tmp_path):
    path = tmp_path / "tw.kml"
    townships.rename(columns={"name": "Name"}).to_file(path, driver="KML")
    b = read_boundary_file(path.read_bytes(), "tw.kml")
    assert len(b.gdf) == 18 and "崇文街道" in set(b.gdf["Name"])


def test_no_prj_needs_a_chosen_crs_and_suggests_one(townships, tmp_path):
    data = _shapefile(townships, tmp_path, crs=resolve_crs("gk3_zone38"), drop=(".prj",))
    with pytest.raises(CRSError) as err:
        read_boundary_file(data, "noprj.zip")
    assert err.value.code == "err.crs.missing_file" and err.value.params["hint"] == "gk3_zone38"
    ok = read_boundary_file(data, "noprj.zip", crs="gk3_zone38")
    assert area_km2(ok.gdf).sum() == pytest.approx(1161, abs=5)


def test_wrong_crs_choice_is_caught_as_outside_the_county(townships, tmp_path):
    data = _shapefile(townships, tmp_path, crs=resolve_crs("gk3_zone38"), drop=(".prj",))
    with pytest.raises(CRSError) as err:
        read_boundary_file(data, "noprj.zip", crs="gk3_cm117")
    assert err.value.code == "err.boundary.outside"


def test_gcj02_choice_shifts_back_to_wgs84(townships):
    g = townships.copy()
    g["geometry"] = shapely.transform(g.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    b = read_boundary_file(g.to_json().encode(), "amap.geojson", crs="gcj02")
    orig = townships.geometry.iloc[0].centroid
    got = b.gdf.geometry.iloc[0].centroid
    assert abs(got.x - orig.x) < 1e-6 and abs(got.y - orig.y) < 1e-6
    assert "warn.crs.gcj02" in [c for c, _ in b.warnings]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize("data, name, code", [
    (b"", "x.geojson", "err.upload.empty"),
    (b"hello", "x.docx", "err.boundary.format"),
    (b"not a zip", "x.zip", "err.zip.bad"),
    (_zip({"readme.txt": b"hi"}), "x.zip", "err.zip.no_shp"),
    (_zip({"../../etc/evil.shp": b"x"}), "x.zip", "err.zip.unsafe"),
    (_zip({"/abs/evil.shp": b"x"}), "x.zip", "err.zip.unsafe"),
    (_zip({"a.shp": b"x"}), "x.zip", "err.zip.missing_part"),
    (b'{"type": "FeatureCollection", "features": []}', "x.geojson", "err.boundary.empty"),
    (b"{broken json", "x.geojson", "err.boundary.read"),
])
def test_bad_files_get_one_clear_error(data, name, code):
    with pytest.raises(InputDataError) as err:
        read_boundary_file(data, name)
    assert err.value.code == code


def test_a_200_mb_upload_is_refused_before_reading():
    with pytest.raises(InputDataError) as err:
        read_boundary_file(b"\0" * (200 * 2**20), "big.zip")
    assert err.value.code == "err.upload.too_large" and err.value.params["size_mb"] == "200"
