"""行政区划边界: the current version, its history, and (admins) importing a new one."""

import pandas as pd
import streamlit as st

from gwmap import boundaries
from gwmap.boundaries import prepare_boundaries
from gwmap.clock import to_local
from gwmap.crs import CRS_CHOICES
from gwmap.errors import GwmapError
from gwmap.io.boundaries import FORMATS, MAX_UPLOAD_MB, guess_fields, read_boundary_file
from gwmap.store import repo
from gwmap.store.users import can
from gwmap.ui import data, resources, shell
from gwmap.ui.i18n import t, t_error, translator

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("boundaries.header"))
tr = translator()  # captures the language now; widgets call it later
store = resources.store()
current = data.current_boundaries()
if current:
    info, _tw, _outline = current
    st.info(t("boundaries.current", version=info.id, count=info.township_count,
              area=f"{info.county_area_km2:,.1f}", source=info.source_name))

if not can(user, "boundaries.import"):
    st.caption(t("boundaries.read_only"))
else:
    upload = st.file_uploader(t("boundaries.upload", limit_mb=MAX_UPLOAD_MB),
                              type=[f.lstrip(".") for f in FORMATS], key="boundaries_upload")
    crs_keys = [""] + list(CRS_CHOICES)
    crs = data.selectbox(st, t("boundaries.crs"), crs_keys, key="boundaries_crs",
                       format_func=lambda k: tr(f"crs.{k}") if k else tr("crs.file"))
    if upload is not None:
        raw = upload.getvalue()
        try:
            read = read_boundary_file(raw, upload.name, crs=crs or None)
        except GwmapError as exc:
            st.error(t_error(exc))
            st.stop()
        for code, params in read.warnings:
            st.warning(t(code, **params))
        fields = list(read.fields)
        guess_name, guess_code = guess_fields(fields)
        c1, c2 = st.columns(2)
        name_field = data.selectbox(c1, t("boundaries.name_field"), fields, index=fields.index(guess_name) if guess_name else 0)
        code_opts = [""] + fields
        code_field = data.selectbox(c2, t("boundaries.code_field"), code_opts, index=code_opts.index(guess_code or ""),
                                  format_func=lambda f: f or tr("boundaries.no_code_field"))
        try:
            preview = prepare_boundaries(read.gdf, name_field=name_field, code_field=code_field or None,
                                         expected_km2=boundaries.stored_county_area(store))
        except GwmapError as exc:
            st.error(t_error(exc))
            st.stop()
        for code, params in boundaries.boundary_hint(store, preview, crs_declared=bool(crs)):
            st.warning(t(code, **params))
        st.metric(t("boundaries.preview", count=len(preview.townships), area=f"{preview.county_area_km2:,.1f}"),
                  f"{preview.county_area_km2:,.1f} km²")
        data.table(read.gdf.drop(columns="geometry").head(50), use_container_width=True)
        change = boundaries.preview_membership(store, preview)
        st.subheader(t("boundaries.membership"))
        st.caption(t("boundaries.membership_summary", wells=change.changed["wells"], leads=change.changed["leads"],
                     mw=change.changed["monitoring_wells"], out_wells=change.outside["wells"],
                     out_leads=change.outside["leads"], out_mw=change.outside["monitoring_wells"]))
        tb = change.table
        data.table(pd.DataFrame({
            t("field.township"): tb["name"], t("field.area_km2"): tb["area_km2"].round(1),
            **{t(f"boundaries.layer.{k}"): [f"{b:,} → {a:,}" for b, a in zip(tb[f"{k}_before"], tb[f"{k}_after"],
                                                                           strict=True)]
               for k in ("wells", "leads", "monitoring_wells")}}), use_container_width=True, hide_index=True)
        if st.button(t("boundaries.import"), type="primary"):
            try:
                new, notes, _change = boundaries.import_boundary_file(store, user, raw, upload.name, crs=crs or None,
                                                       name_field=name_field, code_field=code_field or None)
            except GwmapError as exc:
                st.error(t_error(exc))
            else:
                for code, params in notes:
                    st.warning(t(code, **params))
                st.success(t("boundaries.imported", version=new.id, count=new.township_count,
                             area=f"{new.county_area_km2:,.1f}"))
                data.precompute_dashboard(user)  # the cone series on the new boundaries, now
                data.precompute_kept()  # the year-on-year comparison on the new townships

st.subheader(t("boundaries.history_title"))
hist = repo.boundary_history(store)
data.table(
    pd.DataFrame([{
        t("boundaries.history.version"): h.id,
        t("boundaries.history.created_at"): to_local(h.created_at).strftime("%Y-%m-%d %H:%M"),
        t("boundaries.history.created_by"): h.created_by,
        t("boundaries.history.source"): h.source_name,
        t("field.area_km2"): round(h.county_area_km2, 1),
        t("boundaries.history.schematic"): "✓" if h.schematic else "",
        t("boundaries.history.current"): "✓" if h.is_current else "",
    } for h in hist]),
    use_container_width=True, hide_index=True,
)
