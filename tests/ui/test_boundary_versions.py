"""No page breaks on an odd but stored boundary version (as an older version of gwmap could store them).

The pages that draw townships (the dashboard's ranking and cone, the one-map, the registry's roll-up) are
opened on each odd version; what they compute per township is checked on the core in
``tests/core/test_membership.py``.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
import streamlit as st
from streamlit.testing.v1 import AppTest

from gwmap import boundaries
from gwmap.boundaries import PreparedBoundaries
from gwmap.config import PROJECT_ROOT, get_settings
from gwmap.crs import area_crs
from gwmap.i18n import translate
from gwmap.store import Store
from gwmap.store.users import CurrentUser, system_user
from gwmap.ui.state import LANG_KEY
from tests.conftest import ODD_VERSIONS, odd_townships, signed_in

ADMIN = CurrentUser("admin", "admin", "系统管理员")
#: page -> the header it shows when it has drawn (the sign-in form has none of these)
PAGES = {"dashboard.py": "dash.header", "onemap.py": "onemap.header", "registry.py": "registry.header"}


@pytest.fixture(params=ODD_VERSIONS)
def odd_version(request, demo_db_path, monkeypatch):
    monkeypatch.setenv("GWMAP_DATA_DIR", str(demo_db_path))
    monkeypatch.setenv("GWMAP_DEMO", "1")
    monkeypatch.delenv("GWMAP_DATABASE_URL", raising=False)
    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    tw = odd_townships(request.param)
    outline = shapely.union_all(tw.geometry.to_numpy())
    area = float(gpd.GeoSeries([outline], crs=4326).to_crs(area_crs()).area.iloc[0] / 1e6)
    boundaries.save_boundaries(store, system_user("old-version"), PreparedBoundaries(tw, outline, area),
                         source_name=f"odd: {request.param}")
    store.dispose()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield request.param
    st.cache_resource.clear()


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_township_pages_render_on_an_odd_stored_version(odd_version, page):
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / page), default_timeout=120)
    at.session_state[LANG_KEY] = "zh"
    signed_in(at, Store(get_settings().database_url), ADMIN)  # the store the page opens (GWMAP_DATA_DIR)
    at.run()
    assert not at.exception, (odd_version, page, at.exception)
    assert at.header[0].value == translate(PAGES[page], "zh"), (odd_version, page)
    assert not at.error, (odd_version, page, [e.value for e in at.error])
