"""一张图: townships, wells by status or use, sealings, leads and monitoring wells."""

import streamlit as st
from streamlit_folium import st_folium

from gwmap.maps import build_onemap
from gwmap.registry import summarize
from gwmap.sealing import progress_for_year as sealing_progress_for
from gwmap.ui import data, resources, shell
from gwmap.ui.i18n import t, translator

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("onemap.header"))
tr = translator()  # captures the language now; widgets call it later
info, townships, _outline = data.require_boundaries()
layers = data.onemap_layers()

codes = [""] + list(townships["code"])
names = dict(zip(townships["code"], townships["name"]))
c1, c2 = st.columns([2, 1])
focus = data.selectbox(c1, t("onemap.township"), codes, key="onemap_township",
                     format_func=lambda c: names.get(c, tr("onemap.all_townships")))
color_by = c2.radio(t("onemap.color_by"), ["status", "use"], key="onemap_color_by", horizontal=True,
                    format_func=lambda v: tr(f"onemap.color.{v}"))

summary = summarize(layers["wells"], layers["leads"], township_code=focus or None)
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric(t("onemap.metric.wells"), f"{summary['wells']:,}")
m2.metric(t("onemap.metric.sealed"), f"{summary['sealed']:,}")
m3.metric(t("onemap.metric.leads_open"), summary["leads_open"])
m4.metric(t("onemap.metric.leads_overdue"), summary["leads_overdue"])
year_progress = sealing_progress_for(resources.store())
area = float(townships.set_index("code").at[focus, "area_km2"]) if focus else info.county_area_km2
m5.metric(t("onemap.metric.area"), f"{area:,.1f}")
if year_progress is not None:
    st.caption(t("onemap.sealing", year=int(year_progress.year), done=int(year_progress.accepted),
                 target=int(year_progress.target_wells), cut=f"{year_progress.cut_m3:,.0f}"))
if info.schematic:
    st.caption("⚠️ " + t("onemap.schematic_notice"))

s = resources.settings()
fmap = build_onemap(
    townships=townships, wells=layers["wells"], sealings=layers["sealings"], leads=layers["leads"],
    monitoring=layers["monitoring"], tr=tr, schematic=info.schematic, focus_township=focus or None,
    well_color_by=color_by, basemap=resources.basemap(),
)
st_folium(fmap, height=640, use_container_width=True, returned_objects=[], key="onemap_map")
st.caption(t("onemap.basemap", name=t(f"map.basemap.{s.basemap}")))
