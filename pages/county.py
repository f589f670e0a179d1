"""县情与目标: the county this database serves (administrators edit it) and the plan's targets by year."""

import pandas as pd
import streamlit as st

from gwmap.county import CONE_KINDS, set_profile
from gwmap.errors import ConflictError, GwmapError
from gwmap.store.users import can
from gwmap.targets import import_targets, set_targets, targets_template
from gwmap.ui import data, resources, shell
from gwmap.ui.i18n import file_name, named, t, t_error, translator

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("county.header"))
tr = translator()
store = resources.store()
county = data.county()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.subheader(t("county.profile"))
if can(user, "county.edit"):
    # enter_to_submit=False: Enter in a box does not save a half-filled form
    with st.form("county_profile", enter_to_submit=False):
        c1, c2, c3 = st.columns(3)
        c1.text_input(t("county.adcode"), county.adcode, disabled=True)
        name = c2.text_input(t("county.name"), county.name, max_chars=64)
        name_en = c3.text_input(t("county.name_en"), county.name_en, max_chars=128)
        bureau = c1.text_input(t("county.bureau_name"), county.bureau_name, max_chars=128)
        lon = c2.number_input(t("county.bureau_lon"), 73.0, 136.0, float(county.bureau_lon), format="%.6f")
        lat = c3.number_input(t("county.bureau_lat"), 3.0, 54.0, float(county.bureau_lat), format="%.6f")
        kind = c1.selectbox(t("county.cone_kind"), CONE_KINDS, index=CONE_KINDS.index(county.cone_kind),
                            format_func=lambda k: tr(f"county.cone_kind_is.{k}"))
        threshold = c2.number_input(t("county.cone_threshold_m"), -500.0, 6000.0, float(county.cone_threshold_m),
                                    step=0.5)
        tz = c3.text_input(t("county.timezone"), county.timezone, max_chars=64)
        standard = c1.text_input(t("county.sealing_standard"), county.sealing_standard, max_chars=64)
        plan = c2.text_input(t("county.plan_title"), county.plan_title, max_chars=255)
        if st.form_submit_button(t("county.save"), type="primary"):
            try:
                set_profile(store, user, expected_version=county.row_version or None, name=name, name_en=name_en,
                            bureau_name=bureau, bureau_lon=lon, bureau_lat=lat, cone_kind=kind,
                            cone_threshold_m=threshold, timezone=tz, sealing_standard=standard, plan_title=plan)
                st.success(t("county.saved"))
                st.rerun()
            except GwmapError as exc:
                st.error(t_error(exc))
else:
    st.caption(t("county.read_only"))
    data.table(pd.DataFrame({
        t("county.adcode"): [county.adcode], t("county.name"): [county.name], t("county.bureau_name"): [county.bureau_name],
        t("county.cone_kind"): [tr(f"county.cone_kind_is.{county.cone_kind}")],
        t("county.cone_threshold_m"): [county.cone_threshold_m], t("county.timezone"): [county.timezone],
        t("county.sealing_standard"): [county.sealing_standard], t("county.plan_title"): [county.plan_title]}),
        hide_index=True)

st.subheader(t("county.targets"))
rows = data.targets()
if rows.empty:
    st.info(t("county.targets_empty"))
else:
    shown = rows.copy()
    shown["deep_stopped"] = shown["deep_stopped"].map(
        lambda v: "" if v is None or v != v else tr("county.deep_stopped_is." + ("yes" if v else "no")))
    shown["reclaimed_rate"] = shown["reclaimed_rate"].map(lambda v: "" if v is None or v != v else f"{v:.0%}")
    shown.columns = [named("county.col", c) for c in shown.columns]
    data.table(shown, hide_index=True, width="stretch")

if can(user, "targets.edit"):
    with st.expander(t("county.target_form"), expanded=rows.empty):
        st.caption(t("county.target_hint"))
        # every figure starts blank (a default would be stored as a target) and Enter does not submit
        with st.form("county_targets", enter_to_submit=False, clear_on_submit=False):
            f1, f2, f3 = st.columns(3)
            year = f1.number_input(t("sealing.year"), 2000, 2100, None, step=1, placeholder="2026")
            wells = f2.number_input(t("county.col.sealed_wells"), 0, 1_000_000, None, step=1)
            cut = f3.number_input(t("county.col.cut_m3"), 0.0, 1e11, None, step=10_000.0)
            used = f1.number_input(t("county.col.reclaimed_used_m3"), 0.0, 1e11, None, step=10_000.0)
            rate = f2.number_input(t("county.col.reclaimed_rate"), 0.0, 1.0, None, step=0.05, format="%.2f")
            deep = f3.selectbox(t("county.col.deep_stopped"), ("none", "yes", "no"),
                                format_func=lambda v: tr(f"county.deep_stopped_is.{v}"))
            cone_max = f1.number_input(t("county.col.cone_area_km2"), 0.0, 1e6, None, step=1.0)
            rise = f2.number_input(t("county.col.level_rise_m"), -50.0, 50.0, None, step=0.1, format="%.2f")
            source = st.text_input(t("county.source"), max_chars=500)
            replace = st.checkbox(t("form.replace"), key="county_targets_replace")
            if st.form_submit_button(t("county.save_targets"), type="primary"):
                values = {"sealed_wells": wells, "cut_m3": cut, "reclaimed_used_m3": used, "reclaimed_rate": rate,
                          "deep_stopped": None if deep == "none" else deep == "yes", "cone_area_km2": cone_max,
                          "level_rise_m": rise}
                try:
                    saved = set_targets(store, user, year=year, source=source, replace=replace, **values)
                    st.success(t("county.targets_saved", year=saved["year"]))
                except ConflictError as exc:
                    shell.show_conflict(exc, lambda f: t(f"county.col.{f}"), vocab=lambda f, v: f"{v:,}")
                except GwmapError as exc:
                    st.error(t_error(exc))
    with st.expander(t("county.import_targets")):
        st.download_button(t("county.template"), targets_template(), on_click="ignore", mime=XLSX,
                           file_name=file_name(t("county.targets"), ext="xlsx"), key="county_template")
        up = st.file_uploader(t("county.import_targets"), type=["xlsx", "csv"], key="county_targets_upload")
        replace_all = st.checkbox(t("form.replace"), key="county_import_replace")
        if up is not None and st.button(t("county.save_targets"), key="county_import"):
            try:
                done = import_targets(store, user, up.getvalue(), up.name, replace=replace_all)
                st.success(t("county.imported", count=len(done)))
            except ConflictError as exc:
                shell.show_conflict(exc, lambda f: t(f"county.col.{f}"), vocab=lambda f, v: f"{v:,}")
            except GwmapError as exc:
                st.error(t_error(exc))
