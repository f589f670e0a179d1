"""The cone: an analytic radial cone whose threshold contour is a circle of known radius."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from gwmap.cone import change_km2, cone_from_surface
from gwmap.crs import area_crs
from gwmap.errors import InputDataError
from gwmap.surface import interpolate

R_TRUE = 10_000 * np.sqrt(np.log(15 / 7))  # depth 5 + 15 exp(-(r/10 km)^2) exceeds 12 m inside this radius
AREA_TRUE = np.pi * R_TRUE**2 / 1e6


def radial_wells(n=300, seed=3, centre=(0.0, 0.0)):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-20_000, 20_000, n), rng.uniform(-20_000, 20_000, n)
    r = np.hypot(x - centre[0], y - centre[1])
    depth = 5 + 15 * np.exp(-(r / 10_000) ** 2)
    return gpd.GeoDataFrame({"depth_m": depth, "head_m": 40 - depth}, geometry=gpd.points_from_xy(x, y),
                            crs=area_crs()).to_crs(4326)


BOX = gpd.GeoSeries([box(-20_000, -20_000, 20_000, 20_000)], crs=area_crs())


@pytest.fixture(scope="module", params=["kriging", "idw"])
def surface(request):
    return interpolate(radial_wells(), "depth_m", boundary=BOX, method=request.param)


def test_cone_area_of_an_analytic_field_within_3_percent(surface):
    cone = cone_from_surface(surface, kind="depth", threshold=12.0)
    assert cone.area_km2 == pytest.approx(AREA_TRUE, rel=0.03)
    c = gpd.GeoSeries([cone.outline], crs=4326).to_crs(area_crs()).iloc[0].centroid
    assert np.hypot(c.x, c.y) < 300  # centred where the cone is
    assert cone.extreme_value == pytest.approx(20, abs=0.5)
    assert cone.params["threshold"] == 12.0 and cone.params["method"] == surface.method


def test_head_threshold_is_the_same_cone():
    s = interpolate(radial_wells(), "head_m", boundary=BOX, method="idw")
    cone = cone_from_surface(s, kind="head", threshold=28.0)
    assert cone.area_km2 == pytest.approx(AREA_TRUE, rel=0.03)
    assert cone.extreme_value == pytest.approx(20, abs=0.5)  # the lowest head


def test_township_split_adds_up(surface):
    west = box(-20_000, -20_000, 0, 20_000)
    east = box(0, -20_000, 20_000, 20_000)
    tw = gpd.GeoDataFrame({"code": ["W", "E"], "name": ["西", "东"]}, geometry=[west, east], crs=area_crs()).to_crs(4326)
    cone = cone_from_surface(surface, kind="depth", threshold=12.0, townships=tw)
    assert cone.by_township.area_km2.sum() == pytest.approx(cone.area_km2, rel=1e-3)
    assert cone.by_township.share.between(0, 1).all()
    w = cone.by_township.set_index("code").loc["W"]
    assert w.share == pytest.approx(w.area_km2 / 800.0, rel=1e-3)


def test_change_between_two_cones():
    big = cone_from_surface(interpolate(radial_wells(), "depth_m", boundary=BOX, method="idw"), kind="depth",
                            threshold=12.0)
    small = cone_from_surface(interpolate(radial_wells(), "depth_m", boundary=BOX, method="idw"), kind="depth",
                              threshold=15.0)
    with pytest.raises(InputDataError):
        change_km2(small, big)
    assert change_km2(big, big) == 0.0
    assert small.area_km2 < big.area_km2


def test_no_cone_above_the_threshold(surface):
    cone = cone_from_surface(surface, kind="depth", threshold=50.0)
    assert cone.area_km2 == 0.0 and cone.outline.is_empty
    assert Point(cone.extreme_lon, cone.extreme_lat).within(BOX.to_crs(4326).iloc[0])


def test_the_part_beyond_the_wells_is_reported_apart():
    """With wells on the whole box the cone is almost all supported (a few gaps between random wells); with
    wells on the west side only, the cone's part east of the wells is reported as extrapolated."""
    full = cone_from_surface(interpolate(radial_wells(), "depth_m", boundary=BOX, method="idw"), kind="depth",
                             threshold=12.0)
    assert full.area_extrapolated_km2 < 0.03 * full.area_km2
    assert full.area_supported_km2 == pytest.approx(full.area_km2 - full.area_extrapolated_km2)
    wells = radial_wells(600)
    x = wells.to_crs(area_crs()).geometry.x
    west = wells[x < -3_000]
    cone = cone_from_surface(interpolate(west, "depth_m", boundary=BOX, method="idw"), kind="depth", threshold=12.0)
    outline = gpd.GeoSeries([cone.outline], crs=4326).to_crs(area_crs()).iloc[0]
    east_of_wells = outline.intersection(box(x[x < -3_000].max(), -20_000, 20_000, 20_000)).area / 1e6
    assert 0.3 * cone.area_km2 < cone.area_extrapolated_km2
    assert cone.area_extrapolated_km2 == pytest.approx(east_of_wells, rel=0.15)
    assert cone.as_dict()["area_supported_km2"] == pytest.approx(cone.area_km2 - cone.area_extrapolated_km2, abs=1e-3)
    assert cone.params["extent"] == "boundary" and cone.params["extent_km2"] == pytest.approx(1600, rel=1e-3)


def test_without_a_boundary_the_extent_is_named():
    s = interpolate(radial_wells(), "depth_m", method="idw")
    assert s.params["extent"] == "wells_box"
    code, params = next(w for w in s.warnings if w[0] == "warn.surface.extent")
    # the wells' box (up to 40 km square) plus 2% each side, snapped to 100 m cells
    assert 1400 < float(params["km2"].replace(",", "")) < 1800
