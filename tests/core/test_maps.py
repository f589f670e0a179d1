"""The one-map: offline assets, escaping, layers, basemaps."""

import json
import re

import folium
import pytest
from folium.plugins import MarkerCluster

from gwmap.errors import GwmapError
from gwmap.maps import Basemap, build_onemap, install_static_assets, localize_assets
from gwmap.store import repo

EVIL = '<img src=x onerror="alert(1)">'


def _tr(key):
    return key


@pytest.fixture
def layers(demo_store):
    info, tw, _ = repo.current_boundaries(demo_store)
    return dict(townships=tw, wells=repo.wells_frame(demo_store), sealings=repo.sealings_frame(demo_store),
                leads=repo.leads_frame(demo_store), monitoring=repo.monitoring_wells_frame(demo_store))


def _html(m: folium.Map) -> str:
    return m.get_root().render()


def test_without_basemap_the_page_needs_no_internet(layers):
    html = _html(build_onemap(**layers, tr=_tr))
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs and all(s.startswith("/app/static/vendor/leaflet/") for s in srcs), srcs
    assert not re.search(r"https?://(?!leafletjs\.com)", html.split("<body>")[0])
    assert "tile.openstreetmap.org" not in html and "tianditu" not in html


def test_layers_hold_every_record(layers):
    html = _html(build_onemap(**layers, tr=_tr))
    keys = re.findall(r'window\.gwmapCounts\["(\w+)"\] = rows\.length', html)
    rows = [json.loads(r) for r in re.findall(r"var rows = (\[.*?\]);\n", html)]
    assert dict(zip(keys, map(len, rows))) == {"wells": 3000, "sealings": 54, "leads": 60, "monitoring": 120}
    assert {r[3] for r in rows[0]} == set(layers["wells"].well_code)
    assert html.count("L.circleMarker") == 4  # one loop per layer, not one marker per well


def test_text_from_data_is_escaped(layers):
    layers["wells"] = layers["wells"].copy()
    layers["wells"].loc[0, "owner"] = EVIL
    layers["townships"] = layers["townships"].copy()
    layers["townships"].loc[0, "name"] = "<script>alert(2)</script>"
    html = _html(build_onemap(**layers, tr=_tr))
    assert EVIL not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<script>alert(2)</script>" not in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_township_focus_zooms_to_it(layers):
    tw = layers["townships"]
    code = tw.loc[tw.name == "店子镇", "code"].iloc[0]
    m = build_onemap(**layers, tr=_tr, focus_township=code)
    minx, miny, maxx, maxy = tw.loc[tw.code == code].total_bounds
    html = _html(m)
    assert f"[[{miny}, {minx}], [{maxy}, {maxx}]]" in html


@pytest.mark.parametrize("basemap, expect", [
    (Basemap("osm"), "tile.openstreetmap.org"),
    (Basemap("tianditu", tianditu_key="k&y<"), "tk=k%26y%3C"),
    (Basemap("custom", tile_url="http://10.0.0.5/tiles/{z}/{x}/{y}.png"), "10.0.0.5/tiles"),
])
def test_basemap_settings(layers, basemap, expect):
    assert expect in _html(build_onemap(**layers, tr=_tr, basemap=basemap))


def test_tianditu_without_key_draws_no_tiles(layers):
    assert "tianditu" not in _html(build_onemap(**layers, tr=_tr, basemap=Basemap("tianditu")))


def test_plugins_needing_remote_assets_are_refused():
    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    with pytest.raises(GwmapError) as err:
        localize_assets(m)
    assert err.value.code == "err.map.remote_asset"


def test_static_assets_come_from_the_installed_package(tmp_path):
    vendor = install_static_assets(tmp_path)
    js = (vendor / "leaflet" / "leaflet.js").read_text()
    assert "Leaflet" in js and len(js) > 100_000
    assert (vendor / "leaflet" / "leaflet.css").exists()
    assert (vendor / "leaflet" / "images" / "marker-icon.png").exists()


def test_well_colours_by_use(layers):
    html = _html(build_onemap(**layers, tr=_tr, well_color_by="use"))
    assert "map.legend.wells_by_use" in html and "vocab.use.irrigation" in html


def test_the_attribution_prefix_is_plain_text(layers):
    html = _html(build_onemap(**layers, tr=_tr))
    assert '.attributionControl.setPrefix("Leaflet")' in html
    assert html.count("L.control.scale(") == 1 and "L.control.scale({imperial: false, metric: true})" in html


def test_the_zones_draw_under_the_points_with_their_areas_and_escaped_names(layers, demo_store):
    from gwmap.i18n import translator
    from gwmap.zones import zones_frame

    zones = zones_frame(demo_store)
    zones.loc[0, "name"] = EVIL
    tr = translator("zh")
    html = _html(build_onemap(**layers, tr=tr, zones=zones))
    assert tr("map.layer.zones") in html and EVIL not in html
    with demo_store.engine.connect() as c:
        severe = c.exec_driver_sql("SELECT SUM(area_km2) FROM overdraft_zones WHERE current AND grade = 'severe'").scalar()
    assert f"{tr('zone.severe')} {severe:,.1f} km²" in html  # the legend says each grade's area
    assert html.index('"grade": "severe"') < html.index('gwmapCounts["sealings"]')  # drawn first: under the points
