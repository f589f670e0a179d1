"""漏斗区: the depression cone through time, one survey on the map, two side by side, and the change map."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gwmap.cone import describe_change
from gwmap.errors import GwmapError
from gwmap.levels import BAND_M, CELL_M
from gwmap.maps import build_cone_map, build_level_change_map
from gwmap.reports import cone_geopackage, cone_workbook
from gwmap.runs import VALUE_FOR_KIND, SurfaceRequest, cone_for, cone_series, surface_for
from gwmap.store.users import can
from gwmap.ui import charts, data, resources, shell, state
from gwmap.ui.i18n import file_name, survey_label, t, t_error, translator
from gwmap.zones import cone_in_zones, import_zones, read_zones, zone_areas

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("cone.header"))
tr = translator()  # captures the language now; widgets call it later
lang = state.get_lang()
label = lambda code: survey_label(code, lang)  # noqa: E731
store, settings = resources.store(), resources.settings()
info, townships, _ = data.require_boundaries()
names = dict(zip(townships["code"], townships["name"]))
basemap = resources.basemap()

c1, c2, c3, c4, c5 = st.columns(5)
aquifer = data.selectbox(c1, t("field.aquifer"), ["shallow", "deep"], key="cn_aq", format_func=lambda a: tr(f"vocab.aquifer.{a}"))
kind = c2.radio(t("cone.kind"), ["depth", "head"], key="cn_kind", format_func=lambda k: tr(f"cone.kind_name.{k}"))
default = {("shallow", "depth"): 12.0, ("deep", "depth"): 50.0, ("shallow", "head"): 30.0, ("deep", "head"): -10.0}
threshold = c3.number_input(t(f"cone.threshold.{kind}"), value=default[(aquifer, kind)], step=1.0, key=f"cn_thr_{aquifer}_{kind}")
method = data.selectbox(c4, t("surface.method"), ["kriging", "idw", "auto"], key="cn_method",
                        format_func=lambda m: tr(f"surface.m.{m}"))
cell = c5.number_input(t("surface.cell"), 100, 1000, 200, step=50, key="cn_cell")
st.caption(t("cone.explain", rule=t(f"cone.rule.{kind}", threshold=f"{threshold:g}")))

bar = st.progress(0.0, text=t("cone.computing"))
try:
    series = cone_series(store, user, aquifer=aquifer, kind=kind, threshold=float(threshold), method=method,
                         cell_m=float(cell), townships=townships, boundary_version=info.id, data_dir=settings.data_dir,
                         progress=lambda f, code: bar.progress(
                             f, text=t("cone.computing_survey", survey=survey_label(code, lang))))
except GwmapError as exc:
    bar.empty()
    st.error(t_error(exc))
    st.stop()
bar.empty()
if series.empty:
    st.info(t("surface.nothing"))
    st.stop()

latest = series.iloc[-1]
code, params = describe_change(latest["change_km2"])
st.subheader(t("cone.latest", survey=label(latest["code"]), area=f"{latest['area_km2']:.1f}") + " " + t(code, **params))
charts.show(charts.time_series(series, x="date", y="area_km2", x_title=t("chart.survey_date"),
                               y_title=t("cone.col.area_km2")))

# each round as the assessments read a cone: area, deepest point, centre, each against a year before
with st.expander(t("cone.rounds"), expanded=False):
    data.table(pd.DataFrame({
        t("cone.col.survey"): series["code"].map(label), t("cone.col.area_km2"): series["area_km2"].round(1),
        t("cone.col.change_km2"): series["change_km2"].round(1),
        t("cone.extreme." + kind): series["extreme_value"].round(2), t("cone.col.extreme_change"):
            series["extreme_change"].round(2),
        t("cone.extreme_at"): [f"{a:.4f}, {b:.4f}" for a, b in zip(series["extreme_lon"], series["extreme_lat"],
                                                                    strict=True)],
        t("cone.col.centre"): ["—" if pd.isna(a) else f"{a:.4f}, {b:.4f}"
                               for a, b in zip(series["centre_lon"], series["centre_lat"], strict=True)],
        t("cone.col.centre_shift_km"): series["centre_shift_km"].round(2)}), hide_index=True, use_container_width=True)

codes = list(series["code"])
pick = st.select_slider(t("cone.step"), options=codes, value=codes[-1], key="cn_step", format_func=label)
row = series[series["code"] == pick].iloc[0]
req = SurfaceRequest(survey_id=int(row["survey_id"]), value=VALUE_FOR_KIND[kind], method=method, cell_m=float(cell))
surf, run_id, _ = surface_for(store, user, req, townships=townships, boundary_version=info.id, data_dir=settings.data_dir)
cone, _ = cone_for(store, user, surf, run_id, kind=kind, threshold=float(threshold), townships=townships)
m1, m2, m3 = st.columns(3)
m1.metric(t("cone.col.area_km2"), f"{cone.area_km2:.1f}", None if pd.isna(row["change_km2"]) else f"{row['change_km2']:+.1f}",
          delta_color="inverse")
m2.metric(t("cone.extreme." + kind), f"{cone.extreme_value:.2f}")
m3.metric(t("cone.extreme_at"), f"{cone.extreme_lon:.4f}, {cone.extreme_lat:.4f}")
if cone.area_extrapolated_km2 > 0.05:
    st.caption(t("cone.extrapolated_part", km2=f"{cone.area_extrapolated_km2:.1f}",
                 share=f"{100 * cone.area_extrapolated_km2 / cone.area_km2:.0f}"))
zones = data.zones()
st_folium(build_cone_map(cone, townships=townships, tr=tr, basemap=basemap, surface=surf, zones=zones), height=520,
          use_container_width=True, returned_objects=[], key="cone_map")
split = cone.by_township[cone.by_township["area_km2"] > 0]
data.table(pd.DataFrame({t("field.township"): split["code"].map(names), t("cone.col.area_km2"): split["area_km2"].round(2),
                           t("cone.col.share"): (100 * split["share"]).round(1)}), hide_index=True, use_container_width=True)

# the province's over-extraction zones (超采区), with their areas and the part of the cone in each
st.markdown(f"**{t('zone.header')}**")
if len(zones):
    areas = zone_areas(zones)
    st.caption(t("zone.areas", severe=f"{areas['severe_km2']:,.1f}", general=f"{areas['general_km2']:,.1f}",
                 source="、".join(dict.fromkeys(zones["source_name"]))))
    data.table(pd.DataFrame({t("zone.col.name"): zones["name"], t("zone.col.grade"): zones["grade"].map(
        lambda g: tr(f"zone.{g}")), t("zone.col.area"): zones["area_km2"].round(1),
        t("zone.col.cone"): [round(min(v, a), 1) for v, a in zip(cone_in_zones(zones, cone.outline), zones["area_km2"],
                                                               strict=True)]}), hide_index=True, use_container_width=True)
else:
    st.caption(t("zone.none"))
if can(user, "surveys.import"):
    with st.expander(t("zone.upload")):
        z_up = st.file_uploader(t("zone.upload"), type=["geojson", "json", "zip", "gpkg", "kml"], key="zone_upload",
                                label_visibility="collapsed")
        if z_up is not None:
            z1, z2 = st.columns(2)
            one = data.selectbox(z1, t("zone.one_grade"), ["", "severe", "general"], key="zone_one",
                                 format_func=lambda g: tr(f"zone.{g}") if g else tr("surveys.none"))
            try:
                zf = read_zones(z_up.getvalue(), z_up.name, grade=one or None)
            except GwmapError as exc:
                st.error(t_error(exc))
            else:
                za = zone_areas(zf.zones)
                z2.caption(t("zone.checked", zones=len(zf.zones), severe=f"{za['severe_km2']:,.1f}",
                             general=f"{za['general_km2']:,.1f}", problems=len(zf.problems)))
                data.show_problems(zf.problems, len(zf.zones))
                if st.button(t("zone.import"), type="primary", disabled=not zf.clean, key="zone_import"):
                    try:
                        done = import_zones(store, user, zf, source_name=z_up.name, raw=z_up.getvalue(),
                                            uploads_dir=settings.uploads_dir)
                    except GwmapError as exc:
                        st.error(t_error(exc))
                    else:
                        st.success(t("zone.imported", **done))
e1, e2 = st.columns(2)
what = (t("file.cone"), tr(f"vocab.aquifer.{aquifer}"), label(pick))  # 漏斗区_浅层_2026年秋季
e1.download_button(t("cone.download_xlsx"), cone_workbook(series, cone, tr=tr, names=names),
                   file_name=file_name(*what, ext="xlsx"),
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
e2.download_button(t("cone.download_gpkg"), cone_geopackage(cone, survey=pick), file_name=file_name(*what, ext="gpkg"),
                   mime="application/geopackage+sqlite3")

st.subheader(t("cone.compare"))
a1, a2 = st.columns(2)
same_season = [c for c in codes if c.endswith(pick.split("-")[1])]
left = data.selectbox(a1, t("surveys.before"), codes, index=codes.index(same_season[max(0, same_season.index(pick) - 1)]),
                    key="cn_left", format_func=label)
right = data.selectbox(a2, t("surveys.after"), codes, index=codes.index(pick), key="cn_right", format_func=label)
for col, code_ in ((a1, left), (a2, right)):
    r = series[series["code"] == code_].iloc[0]
    sreq = SurfaceRequest(survey_id=int(r["survey_id"]), value=VALUE_FOR_KIND[kind], method=method, cell_m=float(cell))
    s_, rid, _ = surface_for(store, user, sreq, townships=townships, boundary_version=info.id, data_dir=settings.data_dir)
    c_, _ = cone_for(store, user, s_, rid, kind=kind, threshold=float(threshold), townships=townships)
    col.metric(label(code_), f"{c_.area_km2:.1f} km²")
    with col:
        st_folium(build_cone_map(c_, townships=townships, tr=tr, basemap=basemap), height=360, use_container_width=True,
                  returned_objects=[], key=f"cone_side_{code_}")
try:  # the change between the two, read as the dashboard's 同期对比 reads it (positive = the water rose)
    lc = data.level_change(info.id, right, left, aquifer, BAND_M)  # kept, shared with the dashboard
    st.caption(t("cone.change_map", n=len(lc.wells), before=label(left), after=label(right)) + " "
               + t("levels.note", band=f"{lc.band_m:g}", before=label(left), after=label(right), cell=f"{CELL_M:,.0f}"))
    st_folium(build_level_change_map(lc, townships=townships, tr=tr, basemap=basemap), height=460,
              use_container_width=True, returned_objects=[], key="cone_change")
except GwmapError as exc:
    st.warning(t_error(exc))
