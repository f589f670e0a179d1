"""一张图: townships, wells by status or use, sealings, leads and monitoring wells."""

import pandas as pd
import streamlit as st

from gwmap.maps import build_onemap
from gwmap.registry import MAP_COLUMNS, summarize
from gwmap.sealing import progress_for_year as sealing_progress_for
from gwmap.ui import data, mapview, resources, shell, state
from gwmap.ui.i18n import t, translator

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("onemap.header"))
tr = translator()  # captures the language now; widgets call it later
info, townships, _outline = data.require_boundaries()
layers = data.onemap_layers(wells=False)  # the wells: from the store, as many as a view needs

codes = [""] + list(townships["code"])
names = dict(zip(townships["code"], townships["name"]))
c1, c2 = st.columns([2, 1])
focus = data.selectbox(c1, t("onemap.township"), codes, key="onemap_township",
                     format_func=lambda c: names.get(c, tr("onemap.all_townships")))
color_by = c2.radio(t("onemap.color_by"), ["status", "use"], key="onemap_color_by", horizontal=True,
                    format_func=lambda v: tr(f"onemap.color.{v}"))

store = resources.store()
# the store counts the wells; leads, sealings and monitoring wells are few and come as frames
counted = data.wells_answer("map_summary", township=focus or None)
summary = summarize(pd.DataFrame({"township_code": [], "status": []}), layers["leads"], township_code=focus or None)
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric(t("onemap.metric.wells"), f"{counted['wells']:,}")
m2.metric(t("onemap.metric.sealed"), f"{counted['sealed']:,}")
m3.metric(t("onemap.metric.leads_open"), summary["leads_open"])
m4.metric(t("onemap.metric.leads_overdue"), summary["leads_overdue"])
year_progress = sealing_progress_for(store)
area = float(townships.set_index("code").at[focus, "area_km2"]) if focus else info.county_area_km2
m5.metric(t("onemap.metric.area"), f"{area:,.1f}")
if year_progress is not None:
    st.caption(t("onemap.sealing", year=int(year_progress.year), done=int(year_progress.accepted),
                 target=int(year_progress.target_wells), cut=f"{year_progress.cut_m3:,.0f}"))
if info.schematic:
    st.caption("⚠️ " + t("onemap.schematic_notice"))

s = resources.settings()
# Up to GWMAP_MAP_POINTS wells the whole township or county is drawn well by well, as always.  Beyond, the map
# follows the view: the wells of the visible box one by one when few enough, else their counts on a grid;
# each pan or zoom reruns the page with the new box (streamlit-folium returns it) and the map stays put.
most = s.map_points
big = counted["wells"] > most
moved = state.get_value("onemap_view") if big else None  # (focus, (w, s, e, n), (lat, lon, zoom))
box, where = (moved[1], moved[2]) if moved and moved[0] == focus else (None, None)
wells, in_view = data.wells_answer("map_wells", township=focus or None, bounds=box, limit=most)
grid = data.map_grid(focus or None, box) if wells is None else None
reclaimed = data.reclaimed_layers()
rendered = data.rendered_map("onemap", (focus, color_by, box, where, wells is None, most), lambda: build_onemap(
    townships=townships, wells=wells if wells is not None else pd.DataFrame(columns=list(MAP_COLUMNS)),
    sealings=layers["sealings"],
    leads=layers["leads"], monitoring=layers["monitoring"], tr=tr, schematic=info.schematic,
    focus_township=focus or None, well_color_by=color_by, basemap=resources.basemap(), grid=grid, view=where,
    reclaimed=reclaimed, zones=data.zones(),
))
if big:
    st.caption(t("onemap.grid_notice", n=f"{in_view:,}", most=f"{most:,}") if grid is not None
               else t("onemap.points_notice", n=f"{in_view:,}"))
out = mapview.show(rendered, height=640, key="onemap_map", returned_objects=["bounds", "zoom", "center"] if big else [])
if big and out and out.get("bounds") and out.get("center") and out.get("zoom") is not None:
    b, c = out["bounds"], out["center"]
    seen = (focus, tuple(round(v, 5) for v in (b["_southWest"]["lng"], b["_southWest"]["lat"],
                                               b["_northEast"]["lng"], b["_northEast"]["lat"])),
            (round(c["lat"], 5), round(c["lng"], 5), int(out["zoom"])))
    if seen != moved:  # the user panned or zoomed (or this is the first view): draw what is now in view
        state.set_value("onemap_view", seen)
        st.rerun()
st.caption(t("onemap.basemap", name=t(f"map.basemap.{s.basemap}")))
