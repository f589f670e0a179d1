"""gwmap.ui.mapview sends streamlit-folium's component exactly what st_folium would, from a cached render."""

import re

import pandas as pd
import pytest
import streamlit_folium

from gwmap.i18n import translate
from gwmap.maps import Basemap, build_onemap
from gwmap.registry import MAP_COLUMNS, well_grid
from gwmap.store import Store, repo
from gwmap.ui import mapview


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kw: calls.append(kw) or {"zoom": 9})
    return calls


def _same(kw: dict) -> dict:
    out = {k: v for k, v in kw.items() if k != "on_change"}
    return {k: re.sub(r"[0-9a-f]{32}", "ID", v) if isinstance(v, str) else v for k, v in out.items()}


def _onemap(store, grid: bool):
    info, townships, _ = repo.current_boundaries(store)
    wells = repo.wells_frame(store)[list(MAP_COLUMNS)]
    return build_onemap(townships=townships, wells=wells if not grid else pd.DataFrame(columns=list(MAP_COLUMNS)),
                        sealings=repo.sealings_frame(store), leads=repo.leads_frame(store),
                        monitoring=repo.monitoring_wells_frame(store), tr=lambda k: translate(k, "zh"),
                        schematic=info.schematic, focus_township=None, well_color_by="status",
                        basemap=Basemap("none"), grid=well_grid(store) if grid else None, view=None)


@pytest.mark.parametrize("grid", [False, True])
@pytest.mark.parametrize("returned", [None, [], ["bounds", "zoom", "center"]])
def test_a_cached_render_reaches_the_component_as_st_folium_would_send_it(demo_db_path, sent, grid, returned):
    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    answer = streamlit_folium.st_folium(_onemap(store, grid), key="m", height=640, use_container_width=True,
                                        returned_objects=returned)
    rendered = mapview.render(_onemap(store, grid))
    ours = mapview.show(rendered, key="m", height=640, returned_objects=returned)
    assert ours == answer
    theirs, mine = _same(sent[0]), _same(sent[1])
    assert mine.keys() == theirs.keys() and sent[1]["key"] == sent[0]["key"]  # the same component instance
    for k in theirs:
        assert mine[k] == theirs[k], k
    assert "well" in mine["script"] and mine["css_links"] and all(not u.startswith("http") for u in mine["js_links"])


def test_showing_one_render_twice_sends_the_same_map(demo_db_path, sent):
    """A render is reused by every session: showing it does not change it."""
    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    rendered = mapview.render(_onemap(store, grid=True))
    mapview.show(rendered, key="a", height=400, returned_objects=[])
    mapview.show(rendered, key="a", height=400, returned_objects=[])
    assert _same(sent[0]) == _same(sent[1])
