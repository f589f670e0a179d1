"""Over-extraction zones (超采区) from a province's file: read, measured, stored with their history, drawn."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from gwmap.errors import InputDataError
from gwmap.store.users import system_user
from gwmap.zones import cone_in_zones, import_zones, read_zones, zones_frame

OPERATOR = system_user("test", "test")
EPSG_CM114 = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: a province's survey grid west of the county


def _zipped_shapefile(tmp_path, gdf: gpd.GeoDataFrame, encoding: str = "GBK") -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "超采区.shp", encoding=encoding)
    (folder / "超采区.cpg").write_text(encoding)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for p in folder.iterdir():
            z.write(p, p.name)
    return buf.getvalue()


def _squares():
    """Two 4 × 5 km squares in the county, in the province's Gauss-Kruger metres, and a point by mistake."""
    x0, y0 = Transformer.from_crs(4326, EPSG_CM114, always_xy=True).transform(115.50, 36.55)
    return gpd.GeoDataFrame({"MC": ["甲严重区", "乙一般区", "丙点"], "超采程度": ["严重超采区", "一般", "一般"],
                             "含水层": ["浅层地下水", "深层承压水", ""]},
                            geometry=[box(x0, y0, x0 + 4000, y0 + 5000), box(x0 + 6000, y0, x0 + 10000, y0 + 5000),
                                      Point(x0, y0)], crs=EPSG_CM114)


def test_a_provincial_shapefile_in_gauss_kruger_is_read_with_true_areas(tmp_path):
    raw = _zipped_shapefile(tmp_path, _squares().iloc[:2])
    zf = read_zones(raw, "超采区.zip")
    assert zf.clean and zf.source_crs
    assert list(zf.zones["name"]) == ["甲严重区", "乙一般区"] and list(zf.zones["grade"]) == ["severe", "general"]
    assert list(zf.zones["aquifer"]) == ["shallow", "deep"]
    # 20 km² each as drawn; Gauss-Kruger stretches lengths by under 0.05% this near its meridian
    assert zf.zones["area_km2"].tolist() == pytest.approx([20.0, 20.0], rel=2e-3)


def test_a_point_among_the_zones_is_named_by_its_feature(tmp_path):
    zf = read_zones(_squares().to_crs(4326).to_json().encode(), "zones.geojson")
    assert [(p.row, p.code, p.value) for p in zf.problems] == [(3, "err.zone.not_polygon", "Point")]
    assert len(zf.zones) == 2 and not zf.clean


def test_a_grade_nobody_can_read_is_named_and_nothing_is_stored(tmp_path, demo_store):
    bad = _squares().iloc[:2].copy()
    bad.loc[1, "超采程度"] = "禁采区"
    zf = read_zones(_zipped_shapefile(tmp_path, bad), "z.zip")
    assert [(p.row, p.code, p.value) for p in zf.problems] == [(2, "err.zone.grade", "禁采区")]
    before = len(zones_frame(demo_store))
    with pytest.raises(InputDataError):
        import_zones(demo_store, OPERATOR, zf, source_name="z.zip", raw=b"x", uploads_dir=tmp_path)
    assert len(zones_frame(demo_store)) == before


def test_a_new_set_replaces_the_old_which_stays_in_the_history(tmp_path, demo_store):
    from gwmap.store import repo

    demo = zones_frame(demo_store)
    assert set(demo["grade"]) == {"severe", "general"}  # the demo's schematic zones
    gj = _squares().iloc[:1].drop(columns=["超采程度"]).to_crs(4326).to_json().encode()
    with pytest.raises(InputDataError) as exc:
        read_zones(gj, "severe.geojson")
    assert exc.value.code == "err.zone.no_grade"
    zf = read_zones(gj, "severe.geojson", grade="severe")
    done = import_zones(demo_store, OPERATOR, zf, source_name="severe.geojson", raw=gj, uploads_dir=tmp_path)
    assert done["zones"] == 1 and done["replaced"] == len(demo) and done["severe_km2"] == pytest.approx(20, rel=2e-3)
    now = zones_frame(demo_store)
    assert list(now["name"]) == ["甲严重区"]
    with demo_store.engine.connect() as c:
        kept = c.exec_driver_sql("SELECT COUNT(*) FROM overdraft_zones WHERE NOT current").scalar()
    assert kept == len(demo)
    audit = repo.audit_frame(demo_store, table="overdraft_zones")
    assert (audit["action"] == "update").sum() == len(demo)  # each old zone marked not current, audited


def test_the_part_of_a_cone_in_each_zone():
    zones = gpd.GeoDataFrame({"name": ["a"], "grade": ["severe"]}, geometry=[box(115.50, 36.50, 115.52, 36.52)], crs=4326)
    zones["area_km2"] = 0.0
    half = box(115.51, 36.50, 115.53, 36.52)  # half of it over the zone
    got = cone_in_zones(zones, half)
    whole = gpd.GeoSeries([box(115.50, 36.50, 115.52, 36.52)], crs=4326).to_crs(
        "+proj=laea +lat_0=36.51 +lon_0=115.51 +ellps=GRS80").area.iloc[0] / 1e6
    assert got == [pytest.approx(whole / 2, rel=1e-2)]


def test_the_command_line_checks_and_imports_zones(demo_db_path, tmp_path):
    from tests.conftest import cli

    path = tmp_path / "超采区.geojson"
    path.write_bytes(_squares().iloc[:2].to_crs(4326).to_json().encode())
    out = cli(["import-zones", str(path), "--name-field", "MC", "--json"], demo_db_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert [z["grade"] for z in got["zones"]] == ["severe", "general"] and got["stored"]["zones"] == 2
    assert got["severe_km2"] == pytest.approx(20, rel=2e-3)
