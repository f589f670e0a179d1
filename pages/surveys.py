"""水位统测: upload and check a survey, then the list of surveys, hydrographs and change by township."""

import hashlib

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gwmap.errors import GwmapError
from gwmap.levels import BAND_M, CELL_M, same_round_before
from gwmap.maps import build_survey_preview
from gwmap.rainfall import check_rainfall, import_rainfall, known_headers
from gwmap.store import repo
from gwmap.store.users import can
from gwmap.surveys import (
    SEASONS,
    UNITS,
    VALUE_KINDS,
    SurveyMapping,
    check_survey,
    earlier_import,
    guess_mapping,
    guess_round,
    import_series,
    import_survey,
    list_surveys,
    load_mapping,
    mann_kendall,
    read_options,
    save_mapping,
    survey_points,
    template_xlsx,
    well_series,
)
from gwmap.ui import charts, data, resources, shell, state
from gwmap.ui.i18n import file_name, survey_label, survey_options, t, t_error, translator

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("surveys.header"))
tr = translator()  # captures the language now; widgets call it later
lang = state.get_lang()
store = resources.store()
settings = resources.settings()
info, townships, outline = data.require_boundaries()
tw_names = dict(zip(townships["code"], townships["name"]))

if can(user, "surveys.import"):
    st.subheader(t("surveys.upload_title"))
    st.download_button(t("surveys.template"), template_xlsx(), file_name=file_name(t("file.survey_template"), ext="xlsx"),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    upload = st.file_uploader(t("surveys.upload"), type=["csv", "xlsx"], key="survey_upload")
    if upload is not None:
        raw = upload.getvalue()
        table, encoding = data.read_upload(upload, "survey_upload", **read_options())
        before = earlier_import(store, hashlib.sha256(raw).hexdigest())
        if before is not None:  # the very same file again: say which import it was, store nothing
            st.error(t("err.survey.same_file", **(before | {"code": survey_label(before["code"], lang)})))
            st.stop()
        st.caption(t("surveys.read", rows=len(table), encoding=encoding, columns=", ".join(table.columns)))
        source = st.text_input(t("surveys.source"), value=upload.name.rsplit(".", 1)[0], key="survey_source")
        remembered = load_mapping(store, source)
        guess = guess_mapping(list(table.columns))
        cols = list(table.columns)
        opt = [""] + cols

        def pick(label, field, key, *, required=False):
            prev = getattr(remembered, field, None) if remembered else None
            default = prev if prev in cols else guess.get(field)
            choices = cols if required else opt
            index = choices.index(default) if default in choices else 0
            return data.selectbox(st, label, choices, index=index, key=key,
                                format_func=lambda c: c or tr("surveys.none")) or None

        c1, c2, c3 = st.columns(3)
        with c1:
            well_col = pick(t("surveys.col.well"), "well", "sv_well", required=True)
            date_col = pick(t("surveys.col.date"), "date", "sv_date", required=True)
            value_col = pick(t("surveys.col.value"), "value", "sv_value", required=True)
        with c2:
            kind_default = VALUE_KINDS.index(remembered.value_kind) if remembered else None
            value_kind = st.radio(t("surveys.value_kind"), VALUE_KINDS, index=kind_default, key="sv_kind",
                                  format_func=lambda k: tr(f"surveys.kind.{k}"))
            unit = data.selectbox(st, t("surveys.unit"), list(UNITS), key="sv_unit",
                                index=list(UNITS).index(remembered.unit) if remembered else 0)
        with c3:
            aquifer_col = pick(t("surveys.col.aquifer"), "aquifer", "sv_aq_col")
            fixed_aquifer = data.selectbox(st, t("surveys.fixed_aquifer"), ["shallow", "deep"], key="sv_aq",
                                         format_func=lambda a: tr(f"vocab.aquifer.{a}"), disabled=bool(aquifer_col))
            lon_col = pick(t("surveys.col.lon"), "lon", "sv_lon")
            lat_col = pick(t("surveys.col.lat"), "lat", "sv_lat")
        with st.expander(t("surveys.more_columns")):
            e1, e2, e3, e4 = st.columns(4)
            with e1:
                ground_col = pick(t("surveys.col.ground_elev"), "ground_elev", "sv_ground")
            with e2:
                mp_col = pick(t("surveys.col.mp_elev"), "mp_elev", "sv_mp")
            with e3:
                method_col = pick(t("surveys.col.method"), "method", "sv_method")
            with e4:
                observer_col = pick(t("surveys.col.observer"), "observer", "sv_observer")
        if value_kind is None:
            st.warning(t("err.survey.value_kind"))
            st.stop()
        # a round (spring/autumn) or a station series (loggers, monthly readings): many dates a well means a series
        dates_per_well = table.groupby(well_col)[date_col].nunique().median() if len(table) else 0
        file_kind = st.radio(t("surveys.file_kind_label"), ["round", "series"], horizontal=True, key="sv_file_kind",
                             index=1 if dates_per_well >= 3 else 0, format_func=lambda k: tr(f"surveys.file_kind.{k}"))
        series = file_kind == "series"
        try:
            mapping = SurveyMapping(well=well_col, date=date_col, value=value_col, value_kind=value_kind, unit=unit,
                                    aquifer=fixed_aquifer, aquifer_column=aquifer_col, lon=lon_col, lat=lat_col,
                                    ground_elev=ground_col, mp_elev=mp_col, method=method_col, observer=observer_col)
            hist = pd.DataFrame() if series else pd.concat([survey_points(store, i) for i in list_surveys(store).id]
                                                           or [pd.DataFrame()])
            check = check_survey(table, mapping, wells=repo.monitoring_wells_frame(store), outline=outline,
                                 history=hist if len(hist) else None, raw=raw, series=series)
        except GwmapError as exc:
            st.error(t_error(exc))
            st.stop()
        year0, season0 = guess_round(check.rows["measured_on"])
        if series:
            year, season = year0, season0
            if len(check.rows):
                st.caption(t("surveys.series_span", wells=check.rows["mw_code"].nunique(),
                             first=min(check.rows["measured_on"]).isoformat(),
                             last=max(check.rows["measured_on"]).isoformat()))
        else:
            c1, c2 = st.columns(2)
            year = c1.number_input(t("surveys.year"), 1950, 2100, year0, key="sv_year")
            season = data.selectbox(c2, t("surveys.season"), SEASONS, index=SEASONS.index(season0), key="sv_season",
                                  format_func=lambda s_: tr(f"surveys.season_name.{s_}"))
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("surveys.metric.rows"), check.n_input)
        m2.metric(t("surveys.metric.errors"), len(check.errors))
        m3.metric(t("surveys.metric.flags"), len(check.flags))
        m4.metric(t("surveys.metric.new_wells"), len(check.new_wells))
        if check.problems:
            data.table(pd.DataFrame([{
                t("surveys.problem.row"): p.row, t("surveys.problem.column"): p.column,
                t("surveys.problem.value"): p.value,
                t("surveys.problem.kind"): t(f"surveys.severity.{p.severity}"),
                t("surveys.problem.message"): t(p.code, **p.params)} for p in check.problems]),
                use_container_width=True, hide_index=True)
        if check.errors:
            st.error(t("err.survey.has_errors", count=len(check.errors)))
        else:
            st.success(t("surveys.clean", rows=len(check.rows)))
        leave_out = data.multiselect(st, t("surveys.leave_out"), sorted({p.row for p in check.flags}), key="sv_leave")
        add_new = False
        if len(check.new_wells):
            add_new = st.checkbox(t("surveys.add_new", wells=", ".join(check.new_wells["mw_code"])), key="sv_add")
        fmap = build_survey_preview(check.rows, townships=townships, tr=tr)
        st_folium(fmap, height=420, use_container_width=True, returned_objects=[],
                  key="survey_preview")
        if series and st.button(t("surveys.import_series"), type="primary", disabled=not check.clean):
            try:
                done = import_series(store, user, check, source_name=upload.name, raw=raw,
                                     uploads_dir=settings.uploads_dir, add_new_wells=add_new)
                save_mapping(store, user, source, mapping)
            except GwmapError as exc:
                st.error(t_error(exc))
            else:
                st.success(t("surveys.series_imported", **done, sha=check.sha256[:12]))
        if not series and st.button(t("surveys.import"), type="primary", disabled=not check.clean):
            try:
                ids = import_survey(store, user, check, year=int(year), season=season, source_name=upload.name,
                                    raw=raw, uploads_dir=settings.uploads_dir, add_new_wells=add_new,
                                    leave_out_rows=set(leave_out))
                save_mapping(store, user, source, mapping)
            except GwmapError as exc:
                st.error(t_error(exc))
            else:
                st.success(t("surveys.imported", count=len(ids), code=survey_label(f"{int(year)}-{season}", lang),
                             sha=check.sha256[:12]))
                data.precompute_dashboard(user)  # the new survey's cone, now, not on a leader's next visit
                data.precompute_kept()  # the ledgers' lift reads the depth surfaces

st.subheader(t("surveys.list"))
surveys = list_surveys(store)
st.caption(t("surveys.newest_first"))
listed = surveys.sort_values(["created_at", "id"], ascending=False)  # the newest import first
data.table(pd.DataFrame({
    t("surveys.code"): listed["code"].map(lambda c: survey_label(c, lang)),
    t("field.aquifer"): listed["aquifer"].map(lambda a: tr(f"vocab.aquifer.{a}")),
    t("surveys.version"): listed["version"], t("surveys.readings"): listed["readings"],
    t("surveys.source_file"): listed["source_name"], t("surveys.by"): listed["created_by"].map(data.person)}),
    use_container_width=True, hide_index=True)

st.subheader(t("surveys.hydrograph"))
mw = repo.monitoring_wells_frame(store)
well = data.selectbox(st, t("field.mw_code"), list(mw["mw_code"]), key="hydro_well")
series = well_series(store, well)
if len(series):
    # depth grows downwards, as on a hydrograph
    charts.show(charts.time_series(series, x="measured_on", y="depth_to_water_m", x_title=t("chart.measured_on"),
                                   y_title=t("chart.depth_m"), reverse_y=True))
    try:
        trend = mann_kendall(series["measured_on"], series["depth_to_water_m"])
        c1, c2, c3 = st.columns(3)
        c1.metric(t("surveys.trend"), t(f"surveys.trend_is.{trend.trend.replace(' ', '_')}"))
        c2.metric(t("surveys.sen_slope"), f"{trend.slope_per_year:+.2f}")
        c3.metric("p", f"{trend.p_value:.3f}")
    except GwmapError as exc:
        st.info(t_error(exc))

def change_table(townships: pd.DataFrame, county: dict) -> None:
    """A change at fixed wells by township, then the county: wells in both, mean rise, wells per class."""
    rows = pd.concat([townships, pd.DataFrame([{"township_code": "county", "name": t("surveys.county"), **county}])],
                     ignore_index=True)
    data.table(pd.DataFrame({
        t("field.township"): rows["name"], t("surveys.wells_both"): rows["wells"],
        t("levels.col.rise_m"): rows["mean_change_m"].round(2),
        t("levels.col.classes"): [f"{a} / {b} / {c}" for a, b, c in zip(rows["rising"], rows["stable"],
                                                                        rows["falling"], strict=True)]}),
        use_container_width=True, hide_index=True)


st.subheader(t("surveys.change_title"))
c0, c1, c2 = st.columns([1, 2, 2])
aquifer = c0.radio(t("field.aquifer"), ["shallow", "deep"], key="chg_aq", format_func=lambda a: tr(f"vocab.aquifer.{a}"))
same = surveys[surveys["aquifer"] == aquifer]  # a change is read within one aquifer
labels = survey_options(same, lang)
ids = list(labels)
if len(ids) >= 2:
    # the latest round against the same round a year before, as the assessments compare (else the one before);
    # keys per aquifer, so switching keeps each one's choice
    code_of = dict(zip(same["id"], same["code"]))
    year_before = same_round_before(code_of[ids[-1]])
    default = next((i for i, sid in enumerate(ids) if code_of[sid] == year_before), len(ids) - 2)
    before = data.selectbox(c1, t("surveys.before"), ids, index=default, format_func=labels.get,
                          key=f"chg_before_{aquifer}")
    after = data.selectbox(c2, t("surveys.after"), ids, index=len(ids) - 1, format_func=labels.get,
                         key=f"chg_after_{aquifer}")
    try:  # the same figures as the dashboard's 同期对比: positive = the water rose
        lc = data.level_change(info.id, code_of[after], code_of[before], aquifer, BAND_M)  # kept, shared
        change_table(lc.townships, lc.county)
        st.caption(t("levels.note", band=f"{lc.band_m:g}", before=labels[before], after=labels[after],
                     cell=f"{CELL_M:,.0f}"))
        data.show_rainfall(lc.rainfall)
    except GwmapError as exc:
        st.warning(t_error(exc))

# ---------------------------------------------------------------- the quarter on a year before (超采区水位变化)
st.subheader(t("quarter.header"))
quarters = data.series_quarters(aquifer)
if quarters:
    qpick = data.selectbox(st, t("quarter.pick"), quarters, index=len(quarters) - 1, key=f"q_pick_{aquifer}")
    try:
        qc = data.quarter_change(info.id, qpick, aquifer, BAND_M)
    except GwmapError as exc:
        st.warning(t_error(exc))
    else:
        q1, q2, q3 = st.columns(3)
        q1.metric(t("levels.wells"), f"{qc.county['wells']:,}")
        q2.metric(t("levels.mean_change"), f"{qc.county['mean_change_m']:+.2f} m")
        q3.metric(t("levels.by_wells"), f"{qc.county['rising']} / {qc.county['stable']} / {qc.county['falling']}")
        change_table(qc.townships[qc.townships["wells"] > 0], qc.county)
        st.caption(t("quarter.note", band=f"{qc.band_m:g}"))
else:
    st.info(t("quarter.none"))

# ---------------------------------------------------------------- rainfall: what the levels are judged beside
st.subheader(t("rain.header"))
rain = data.rainfall()
if len(rain):
    st.caption(t("rain.stored", station=rain["station"].iloc[0], first=rain["month"].iloc[0], last=rain["month"].iloc[-1],
                 months=f"{len(rain):,}"))
    years = rain.assign(year=rain["month"].str[:4]).groupby("year")["mm"].agg(["sum", "count"]).reset_index()
    data.table(pd.DataFrame({t("rain.col.year"): years["year"], t("rain.col.months"): years["count"],
                             t("rain.col.total"): years["sum"].round(1)}).iloc[::-1], hide_index=True, height=240)
else:
    st.info(t("rain.none"))
if can(user, "surveys.import"):
    with st.expander(t("rain.upload"), expanded=not len(rain)):
        st.caption(t("rain.upload_help"))
        rain_up = st.file_uploader(t("rain.upload"), type=["csv", "xlsx"], key="rain_upload",
                                   label_visibility="collapsed")
        if rain_up is not None:
            from gwmap.io.checks import header_stem

            rain_table, _enc = data.read_upload(rain_up, "rain_upload", known_headers=known_headers(),
                                                header_key=header_stem)
            try:
                rain_check = check_rainfall(rain_table, raw=rain_up.getvalue())
            except GwmapError as exc:
                st.error(t_error(exc))
            else:
                st.caption(t("rain.checked", file=rain_up.name, months=len(rain_check.rows),
                             problems=len(rain_check.problems)))
                data.show_problems(rain_check.problems, len(rain_check.rows))
                if st.button(t("rain.import"), type="primary", disabled=not rain_check.clean, key="rain_import"):
                    try:
                        done = import_rainfall(store, user, rain_check)
                    except GwmapError as exc:
                        st.error(t_error(exc))
                    else:
                        st.success(t("rain.imported", **done))
                        data.precompute_kept()  # the year-on-year comparison carries the rain beside it
