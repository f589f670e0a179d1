import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon

from gwmap.boundaries import area_km2, prepare_boundaries, schematic_townships
from gwmap.errors import InputDataError
from gwmap.townships import TOWNSHIPS
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


def test_invalid_polygon_is_repaired_with_a_notice():
    bowtie = Polygon([(115.3, 36.4), (115.4, 36.5), (115.4, 36.4), (115.3, 36.5)])
    good = Polygon([(115.5, 36.4), (115.6, 36.4), (115.6, 36.5), (115.5, 36.5)])
    out = prepare_boundaries(_gdf([bowtie, good], ["甲", "乙"], ["1", "2"]), name_field="NAME", code_field="CODE")
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
