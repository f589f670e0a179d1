import numpy as np
import pytest
from pyproj import Transformer

from gwmap.crs import CRS_CHOICES, area_crs, bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, resolve_crs, wgs84_to_gcj02


def test_gcj02_matches_published_example():
    # the widely used reference pair (coordTransform, MIT): WGS84 116.404, 39.915 in Beijing
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)


def test_gcj02_shift_in_guan_county_is_about_half_a_kilometre():
    lon, lat = wgs84_to_gcj02(115.44, 36.49)
    fwd = Transformer.from_crs(4326, resolve_crs("gk3_cm114"), always_xy=True)
    x0, y0 = fwd.transform(115.44, 36.49)
    x1, y1 = fwd.transform(lon, lat)
    assert 450 < np.hypot(x1 - x0, y1 - y0) < 650


def test_gcj02_inverse_is_submillimetre_over_the_county():
    rng = np.random.default_rng(1)
    lon = rng.uniform(115.2, 115.8, 500)
    lat = rng.uniform(36.3, 36.75, 500)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    # 1e-8 degrees is about 1 mm
    assert np.max(np.abs(back_lon - lon)) < 1e-8
    assert np.max(np.abs(back_lat - lat)) < 1e-8


def test_bd09_round_trip():
    lon, lat = gcj02_to_bd09(115.5, 36.5)
    assert abs(lon - 115.5) > 0.005  # Baidu's shift is real
    back = bd09_to_gcj02(lon, lat)
    assert back[0] == pytest.approx(115.5, abs=2e-6) and back[1] == pytest.approx(36.5, abs=2e-6)


def test_outside_china_is_not_shifted():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


@pytest.mark.parametrize("key, epsg", [("wgs84", 4326), ("cgcs2000", 4490), ("gk3_cm114", 4547),
                                       ("gk3_cm117", 4548), ("gk3_zone38", 4526), ("gk3_zone39", 4527)])
def test_crs_choices_resolve_by_name(key, epsg):
    assert key in CRS_CHOICES
    assert resolve_crs(key).to_epsg() == epsg


def test_equal_area_crs_gives_true_area_of_a_gk_square():
    # a 10 km x 10 km square in the CM 117E zone is 100 km2 on the ground (GK scale error is tiny here)
    import geopandas as gpd
    from shapely.geometry import box

    sq = gpd.GeoSeries([box(400_000, 4_040_000, 410_000, 4_050_000)], crs=resolve_crs("gk3_cm117"))
    k = 1.0 + ((400_000 - 500_000) / 6_371_000) ** 2 / 2  # GK point scale at the square
    assert sq.to_crs(area_crs()).area.iloc[0] / 1e6 == pytest.approx(100 / k**2, rel=2e-4)


def test_unknown_crs_is_an_input_error():
    from gwmap.errors import CRSError

    with pytest.raises(CRSError) as err:
        resolve_crs("EPSG:99999999")
    assert err.value.code == "err.crs.unknown"
