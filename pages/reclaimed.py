"""再生水与取水许可: the reclaimed-water system against the plan's targets, and the permit screening for
行政审批 (a list, a memo, and the answer for a candidate site clicked on the map)."""

import math

import pandas as pd
import streamlit as st

from gwmap import clock
from gwmap.errors import GwmapError
from gwmap.maps import build_reclaimed_map
from gwmap.reclaimed import (
    REACH_M,
    check_pipelines,
    check_plant_months,
    check_register,
    check_user_volumes,
    check_water_users,
    effluent_flags,
    import_months,
    import_pipelines,
    import_register,
    import_water_users,
    permit_verdicts,
    permits_memo_docx,
    permits_xlsx,
    plant_months_template_xlsx,
    plants_frame,
    register_template_xlsx,
    site_verdict,
    user_volumes_template_xlsx,
    users_frame,
    utilisation,
    water_users_template_xlsx,
)
from gwmap.store.users import can
from gwmap.ui import charts, data, mapview, resources, shell, state
from gwmap.ui.i18n import file_name, t, t_error, translator
from gwmap.vocab import INDUSTRIES, RECLAIMED_USER_USES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("rw.header"))
st.caption(t("rw.definition"))
tr = translator()  # captures the language now; widgets call it later
lang = state.get_lang()
store = resources.store()
info, townships, outline = data.require_boundaries()



def _pipelines_upload() -> None:
    """Mains from a line file, read as road networks are: the fields for name and capacity, then the check."""
    from gwmap.io.boundaries import read_boundary_file

    up = st.file_uploader(t("rw.lines_file"), type=["geojson", "json", "zip", "gpkg", "kml"], key="rw_lines")
    if up is None:
        return
    raw = up.getvalue()
    try:
        fields = [c for c in read_boundary_file(raw, up.name).gdf.columns if c != "geometry"]
    except GwmapError as exc:
        st.error(t_error(exc))
        return
    c1, c2, c3 = st.columns(3)
    name_field = data.selectbox(c1, t("rw.name_field"), [""] + fields, key="rw_name_field",
                                format_func=lambda c: c or tr("surveys.none"))
    cap_field = data.selectbox(c2, t("rw.capacity_field"), [""] + fields, key="rw_cap_field",
                               format_func=lambda c: c or tr("surveys.none"))
    default = c3.number_input(t("rw.default_capacity"), 0.0, 1_000_000.0, 0.0, step=1000.0, key="rw_default_cap")
    try:
        checked = check_pipelines(raw, up.name, name_field=name_field or None, capacity_field=cap_field or None,
                                  default_capacity_m3_d=default or None, outline=outline)
    except GwmapError as exc:
        st.error(t_error(exc))
        return
    data.show_problems(checked.problems, len(checked.lines), row_label="rw.line_no", column=False)
    if not checked.problems:
        st.caption(t("rw.lines_clean", n=len(checked.lines), km=f"{checked.lines['length_m'].sum() / 1000:,.1f}"))
    if st.button(t("abs.import"), type="primary", disabled=not checked.clean, key="rw_lines_import"):
        try:
            done = import_pipelines(store, user, checked)
        except GwmapError as exc:
            st.error(t_error(exc))
        else:
            st.success(t("rw.lines_imported", **done))


if can(user, "reclaimed.edit"):
    with st.expander(t("rw.upload_title")):
        kind = st.radio(t("abs.kind_label"), ["plant_months", "user_months", "pipelines", "water_users", "plants",
                                              "users"], key="rw_kind",
                        horizontal=True, format_func=lambda k: tr(f"rw.kind.{k}"))
        if kind == "pipelines":
            _pipelines_upload()
            st.stop()
        template = {"plant_months": plant_months_template_xlsx, "user_months": user_volumes_template_xlsx,
                    "water_users": water_users_template_xlsx, "plants": lambda: register_template_xlsx("plants"),
                    "users": lambda: register_template_xlsx("users")}[kind]
        st.download_button(t("rw.template"), template(), mime=XLSX, key=f"rw_template_{kind}",
                           file_name=file_name(tr(f"rw.kind.{kind}"), ext="xlsx"))
        upload = st.file_uploader(t("abs.upload"), type=["csv", "xlsx"], key=f"rw_upload_{kind}")
        if upload is not None:
            raw = upload.getvalue()
            table, encoding = data.read_upload(upload, f"rw_upload_{kind}")
            try:
                if kind == "plant_months":
                    check = check_plant_months(table, plants=set(plants_frame(store)["code"]), raw=raw)
                elif kind == "water_users":
                    check = check_water_users(table, outline=outline, raw=raw)
                elif kind in ("plants", "users"):
                    check = check_register(table, kind=kind, store=store, outline=outline, raw=raw)
                else:
                    check = check_user_volumes(table, users=set(users_frame(store)["name"]), raw=raw)
            except GwmapError as exc:
                st.error(t_error(exc))
                st.stop()
            data.show_problems(check.problems, len(check.rows))
            if st.button(t("abs.import"), type="primary", disabled=not check.clean, key="rw_import"):
                try:
                    done = {"water_users": import_water_users, "plants": import_register,
                            "users": import_register}.get(kind, import_months)(store, user, check)
                except GwmapError as exc:
                    st.error(t_error(exc))
                else:
                    st.success(t("rw.imported" if kind.endswith("_months") else "rw.imported_register", **done))

years = utilisation(store)
if years.empty:
    st.info(t("rw.no_records"))
else:
    years = years.set_index("period")
    m1, m2, m3, m4 = st.columns(4)
    latest = int(years.index.max())
    # the plan's reclaimed-water targets: the latest year (up to this one) that has each
    goals = data.targets()
    goals = goals[goals["year"] <= clock.today().year] if len(goals) else goals
    shown = 0
    # (target column, figure column, label key, message key stem, how a value reads) for used volume and rate
    for col, fig, key, stem, fmt, gfmt, box in (
            ("reclaimed_used_m3", "used_m3", "rw.used_in", "used", "{:,.0f} m³", "{:,.0f}", m1),
            ("reclaimed_rate", "rate", "rw.rate_in", "rate", "{:.1%}", "{:.0%}", m2)):
        row = goals[goals[col].notna()].tail(1) if len(goals) else goals
        if not len(row):
            continue
        shown += 1
        year, goal = int(row["year"].iloc[0]), float(row[col].iloc[0])
        value = float(years.at[year, fig]) if year in years.index else float("nan")
        box.metric(t(key, year=year), "—" if math.isnan(value) else fmt.format(value),
                   help=t(f"rw.goal_{stem}", goal=gfmt.format(goal)))
        if not math.isnan(value):
            (st.success if value >= goal else st.warning)(t(
                f"rw.{stem}_met" if value >= goal else f"rw.{stem}_not_met", year=year, goal=gfmt.format(goal),
                **{stem: fmt.format(value).removesuffix(" m³")}))
    if not shown:
        st.info(t("targets.none_for_year", year=clock.today().year))
    m3.metric(t("rw.used_year", year=latest), f"{years.at[latest, 'used_m3']:,.0f} m³")
    m4.metric(t("rw.rate_year", year=latest), f"{years.at[latest, 'rate']:.1%}")
    uses = [u for u in RECLAIMED_USER_USES if f"used_{u}_m3" in years.columns]
    data.table(pd.DataFrame({
        t("rw.year"): years.index.astype(str), t("field.treated_m3"): years["treated_m3"].round(0),
        t("rw.used"): years["used_m3"].round(0),
        **{tr(f"vocab.reclaimed_use.{u}"): years[f"used_{u}_m3"].round(0) for u in uses},
        t("rw.rate"): (100 * years["rate"]).round(1), t("rw.months"): years["months"]}),
        use_container_width=True, hide_index=True)
    months = utilisation(store, by="month")
    months["rate_pct"] = 100 * months["rate"]
    charts.show(charts.time_series(months.assign(period=months["period"] + "-01"), x="period", y="rate_pct",
                                   x_title=t("rw.month"), y_title=t("rw.rate_pct"), height=260))
    flags = effluent_flags(store)
    for r in flags.itertuples():
        st.error(t("rw.bad_effluent", plant=r.name, month=r.month))

st.subheader(t("rw.screen_title"))
st.caption(t("rw.screen_intro"))
c1, c2 = st.columns(2)
reach = c1.number_input(t("rw.reach"), min_value=100.0, max_value=50_000.0, value=REACH_M, step=100.0,
                        key="rw_reach")
industry = data.selectbox(c2, t("rw.site_industry"), list(INDUSTRIES), key="rw_industry",
                          format_func=lambda v: tr(f"vocab.industry.{v}"))
rows = permit_verdicts(store, reach_m=float(reach))
layers = data.reclaimed_layers()
site = state.get_value("rw_site")
fmap = data.rendered_map("reclaimed", (float(reach), site),
                         lambda: build_reclaimed_map(layers, rows, townships=townships, tr=tr, site=site,
                                                     basemap=resources.basemap()))
out = mapview.show(fmap, height=480, returned_objects=["last_clicked"], key="rw_map")
clicked = (out or {}).get("last_clicked")
if clicked and (clicked["lng"], clicked["lat"]) != site:
    state.set_value("rw_site", (clicked["lng"], clicked["lat"]))
    st.rerun()
if site is None:
    st.caption(t("rw.site_hint"))
else:
    v = site_verdict(store, lon=site[0], lat=site[1], industry=industry, reach_m=float(reach))
    d = "—" if v.distance_to_network_m is None else f"{v.distance_to_network_m:,.0f}"
    text = t("rw.site_answer", lon=f"{site[0]:.5f}", lat=f"{site[1]:.5f}",
             industry=tr(f"vocab.industry.{industry}"), verdict=tr(f"permits.verdict.{v.verdict}"),
             reason=tr(f"permits.reason.{v.reason}", distance=d, reach=f"{float(reach):,.0f}"))
    (st.error if v.verdict == "limit" else st.success)(text)

limited = [r for r in rows if r["verdict"] == "limit"]
st.metric(t("rw.limited"), f"{len(limited)} / {len(rows)}")
data.table(pd.DataFrame({
    t("permits.col.user"): [r["user"] for r in rows],
    t("field.industry"): [tr(f"vocab.industry.{r['industry']}") for r in rows],
    t("field.permit_no"): [r["permit_no"] for r in rows],
    t("field.permit_m3_per_year"): [r["permit_m3"] for r in rows],
    t("field.permit_expires"): [r["expires"] for r in rows],
    t("permits.col.expires_soon"): [tr("permits.yes") if r["expires_within_12_months"] else "" for r in rows],
    t("permits.col.distance"): [r["distance_to_network_m"] for r in rows],
    t("permits.col.uses_reclaimed"): [tr("permits.yes") if r["uses_reclaimed"] else tr("permits.no") for r in rows],
    t("permits.col.verdict"): [tr(f"permits.verdict.{r['verdict']}") for r in rows],
    t("permits.col.reason"): [tr(f"permits.reason.{r['reason']}", reach=f"{float(reach):,.0f}",
                                 distance="—" if r["distance_to_network_m"] is None
                                 else f"{r['distance_to_network_m']:,.0f}") for r in rows]}),
    use_container_width=True, hide_index=True, height=380)
d1, d2 = st.columns(2)
today = clock.today()
d1.download_button(t("rw.export_list"), lambda: permits_xlsx(rows, tr=tr, reach_m=float(reach)),  # made when asked
                   file_name=file_name(t("permits.sheet"), today.isoformat(), ext="xlsx"), mime=XLSX, key="rw_xlsx")
d2.download_button(t("rw.export_memo"), lambda: permits_memo_docx(rows, tr=tr, lang=lang, reach_m=float(reach)),
                   file_name=file_name(t("permits.memo.title"), today.isoformat(), ext="docx"), mime=DOCX,
                   key="rw_memo")
