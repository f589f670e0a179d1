"""No page breaks on an odd but stored boundary version (as an older version of gwmap could store them)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
import streamlit as st
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from gwmap.boundaries import PreparedBoundaries
from gwmap.config import PROJECT_ROOT, get_settings
from gwmap.crs import area_crs
from gwmap.store import Store, repo
from gwmap.store.users import CurrentUser, system_user
from gwmap.ui.state import LANG_KEY
from tests.conftest import DATA, signed_in

ADMIN = CurrentUser("admin", "admin", "系统管理员")
PAGES = sorted(p.name for p in (PROJECT_ROOT / "views").glob("*.py"))


def _version(kind: str) -> gpd.GeoDataFrame:
    tw = gpd.read_file(DATA / "boundaries" / "townships.geojson")[["code", "name", "geometry"]]
    plane = tw.to_crs(area_crs())
    if kind == "one township":
        return tw.head(1)
    if kind == "tiny":  # a 2 ha township cut out of another
        c = plane.geometry.iloc[0].representative_point()
        small = box(c.x, c.y, c.x + 141, c.y + 141)
        geoms = plane.geometry.copy()
        geoms.iloc[0] = geoms.iloc[0].difference(small)
        return gpd.GeoDataFrame({"code": [*tw.code, "X1"], "name": [*tw.name, "针尖村"]},
                                geometry=[*geoms, small], crs=area_crs()).to_crs(4326)
    if kind == "a hole":
        hole = plane.geometry.iloc[4].representative_point().buffer(800)
        geoms = plane.geometry.copy()
        geoms.iloc[4] = geoms.iloc[4].difference(hole)
        return gpd.GeoDataFrame(tw[["code", "name"]], geometry=geoms.to_crs(4326).to_numpy(), crs=4326)
    if kind == "a multipolygon":
        merged = shapely.union_all([tw.geometry.iloc[0], tw.geometry.iloc[9]])  # two townships apart: one code
        rest = tw.iloc[[i for i in range(len(tw)) if i not in (0, 9)]]
        return gpd.GeoDataFrame({"code": ["M1", *rest.code], "name": ["飞地镇", *rest.name]},
                                geometry=[merged, *rest.geometry], crs=4326)
    if kind == "codes changed":
        return tw.assign(code=[f"NEW{i:03d}" for i in range(len(tw))])
    raise ValueError(kind)


@pytest.fixture(params=["one township", "tiny", "a hole", "a multipolygon", "codes changed"])
def odd_version(request, demo_db_path, monkeypatch):
    monkeypatch.setenv("GWMAP_DATA_DIR", str(demo_db_path))
    monkeypatch.setenv("GWMAP_DEMO", "1")
    monkeypatch.delenv("GWMAP_DATABASE_URL", raising=False)
    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    tw = _version(request.param)
    outline = shapely.union_all(tw.geometry.to_numpy())
    area = float(gpd.GeoSeries([outline], crs=4326).to_crs(area_crs()).area.iloc[0] / 1e6)
    repo.save_boundaries(store, system_user("old-version"), PreparedBoundaries(tw, outline, area),
                         source_name=f"odd: {request.param}")
    store.dispose()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield request.param
    st.cache_resource.clear()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_odd_stored_version(odd_version, page):
    at = AppTest.from_file(str(PROJECT_ROOT / "views" / page), default_timeout=120)
    at.session_state[LANG_KEY] = "zh"
    signed_in(at, Store(get_settings().database_url), ADMIN)  # the store the page opens (GWMAP_DATA_DIR)
    at.run()
    assert not at.exception, (odd_version, page, at.exception)
    assert at.header or at.title, (odd_version, page)
