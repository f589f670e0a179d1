"""水位面: interpolate a stored survey (kriging or IDW), judge it, map it, download it."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gwmap.errors import GwmapError
from gwmap.io.rasters import VECTOR_FORMATS, contour_lines, geotiff_bytes, vector_bytes
from gwmap.maps import build_surface_map
from gwmap.runs import SurfaceRequest, surface_for
from gwmap.surface import VARIOGRAM_MODELS, compare_methods, variogram_for
from gwmap.surveys import list_surveys, survey_points
from gwmap.ui import charts, data, resources, shell, state
from gwmap.ui.i18n import (
    candidate_words,
    file_name,
    parameter_rows,
    readable_number,
    survey_label,
    survey_options,
    t,
    t_error,
    translator,
)

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("surface.header"))
tr = translator()  # captures the language now; widgets call it later
lang = state.get_lang()
store, settings = resources.store(), resources.settings()
bounds = data.current_boundaries()
surveys = list_surveys(store)
if bounds is None or surveys.empty:
    st.info(t("surface.nothing"))
    st.stop()
info, townships, _ = bounds
labels = survey_options(surveys, lang, version=True)
ids = list(labels)

c1, c2, c3, c4 = st.columns([3, 2, 2, 1])
survey_id = data.selectbox(c1, t("surface.survey"), ids, index=len(ids) - 1, format_func=labels.get, key="sf_survey")
value = c2.radio(t("surface.value"), ["depth_to_water_m", "head_m"], key="sf_value",
                 format_func=lambda v: tr(f"field.{v}"))
method = c3.radio(t("surface.method"), ["kriging", "idw", "auto"], key="sf_method", format_func=lambda m: tr(f"surface.m.{m}"))
cell = c4.number_input(t("surface.cell"), 50, 1000, 100, step=50, key="sf_cell")

pts = survey_points(store, survey_id)
fit = None
try:
    if method == "auto":
        choice = data.method_choice(int(survey_id), value)
    else:
        fit = variogram_for(pts, value) if method == "kriging" else None
        cvs = compare_methods(pts, value, variogram=fit.variogram if fit else None)
except GwmapError as exc:
    st.error(t_error(exc))
    st.stop()
if method == "auto":
    st.caption(t("surface.auto_title", n=choice["n"]))
    data.table(pd.DataFrame([{t("surface.col.candidate"): candidate_words(name, tr), "RMSE (m)": round(e, 3),
                              t("surface.col.member"): "✓" if name in choice["members"] else ""}
                             for name, e in sorted(choice["loo"].items(), key=lambda kv: kv[1])]),
               hide_index=True, use_container_width=True, height=38 + 35 * len(choice["loo"]))  # every row, no scroll
    st.caption(t("surface.auto_caption", window=choice["window"], rmse=f"{choice['rmse']:.3f}"))
else:
    st.caption(t("surface.cv_caption", n=len(pts)))
    data.table(pd.DataFrame([{t("surface.method"): tr(f"surface.m.{c.method}"), "RMSE (m)": round(c.rmse, 3),
                                "MAE (m)": round(c.mae, 3), t("surface.bias"): round(c.bias, 3)} for c in cvs]),
                 hide_index=True, use_container_width=True)

variogram = None
if fit is not None:
    v = fit.variogram
    with st.expander(t("surface.variogram", model=tr(f"surface.model_name.{v.model}"), psill=readable_number(v.psill, 3),
                       range=f"{v.range_m:,.0f}", nugget=readable_number(v.nugget, 3))):
        charts.show(charts.variogram(fit.empirical.lags_m, fit.empirical.gamma, v.gamma(fit.empirical.lags_m),
                                     x_title=t("surface.lag"), y_title=t("surface.gamma"),
                                     empirical_name=t("surface.empirical"), fitted_name=t("surface.fitted")))
        st.caption(t("surface.misfit", text=", ".join(f"{tr('surface.model_name.' + k)} {e:.3g}"
                                                      for k, e in fit.misfit.items())))
        if fit.loo_rmse:
            st.caption(t("surface.loo", text=", ".join(f"{tr('surface.model_name.' + k)} {e:.3f}"
                                                       for k, e in fit.loo_rmse.items())))
        for code, params in fit.warnings:
            st.warning(t(code, **params))
        if st.checkbox(t("surface.override"), key="sf_override"):
            o1, o2, o3, o4 = st.columns(4)
            model = data.selectbox(o1, t("surface.model"), VARIOGRAM_MODELS, index=VARIOGRAM_MODELS.index(v.model),
                                 format_func=lambda m: tr(f"surface.model_name.{m}"), key="sf_model")
            psill = o2.number_input(t("surface.psill"), 0.0, value=float(round(v.psill, 4)), key="sf_psill")
            rng = o3.number_input(t("surface.range"), 1.0, value=float(round(v.range_m)), key="sf_range")
            nugget = o4.number_input(t("surface.nugget"), 0.0, value=float(round(v.nugget, 4)), key="sf_nugget")
            variogram = (model, psill, rng, nugget)

request = SurfaceRequest(survey_id=int(survey_id), value=value, method=method, cell_m=float(cell), variogram=variogram)
if st.button(t("surface.build"), type="primary", key="sf_build"):
    state.set_value("surface_request", request)
if state.get_value("surface_request") != request:
    st.stop()
bar = st.progress(0.05, text=t("surface.computing"))
try:
    surf, run_id, cached = surface_for(store, user, request, townships=townships, boundary_version=info.id,
                                       data_dir=settings.data_dir)
except GwmapError as exc:
    bar.empty()
    st.error(t_error(exc))
    st.stop()
bar.progress(1.0, text=t("surface.cached" if cached else "surface.done"))
for code, params in surf.warnings:
    st.warning(t(code, **params))
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("surface.metric.cells"), f"{surf.grid.ny} × {surf.grid.nx}")
m2.metric("RMSE (m)", f"{surf.cv.rmse:.3f}")
m3.metric(t("surface.metric.extrapolated"), f"{100 * surf.extrapolated_share:.0f}%")
m4.metric(t("surface.metric.range"), f"{pd.Series(surf.values.ravel()).min():.1f} – {pd.Series(surf.values.ravel()).max():.1f}")
contours = contour_lines(surf)
st_folium(build_surface_map(surf, townships=townships, wells=pts, value=value, contours=contours, tr=tr,
                            basemap=resources.basemap()),
          height=600, use_container_width=True, returned_objects=[], key="surface_map")
d1, d2 = st.columns(2)
parts = (t("file.surface"), survey_label(surf.params.get("survey", "")),
         tr(f"vocab.aquifer.{surf.params['aquifer']}") if surf.params.get("aquifer") else "",
         t(f"file.value.{value}"), t(f"file.method.{method}"))
d1.download_button(t("surface.download_tif"), geotiff_bytes(surf), file_name=file_name(*parts, ext="tif"), mime="image/tiff")
fmt = data.selectbox(d2, t("surface.contour_format"), list(VECTOR_FORMATS), key="sf_fmt")
d2.download_button(t("surface.download_contours"), vector_bytes(contours, fmt, layer="contours"),
                   file_name=file_name(*parts, t("file.contours"), ext="zip" if fmt == "shp" else fmt),
                   mime=VECTOR_FORMATS[fmt][1])
with st.expander(t("surface.params_title")):
    data.table(pd.DataFrame([{t("cone.col.param"): label, t("cone.col.value"): value}
                               for label, value in parameter_rows(surf.params, tr)]),
                 hide_index=True, use_container_width=True)
