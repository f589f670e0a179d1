"""巡查路线: pick the day's targets, plan routes for each team, print them, save the dispatch."""

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gwmap import clock
from gwmap.dispatch import TeamCrew, day_targets, default_start, dispatch_stops, plan_day, save_dispatch, saved_dispatches
from gwmap.errors import GwmapError
from gwmap.io.routes import amap_link, gpx_bytes, kml_bytes, route_docx, route_pdf, route_xlsx
from gwmap.maps import build_route_map
from gwmap.store.users import accounts_frame, can
from gwmap.ui import data, resources, shell, state
from gwmap.ui.i18n import file_name, t, t_error, translator

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("routes.header"))
tr = translator()  # captures the language now; widgets call it later
store = resources.store()
info, townships, outline = data.require_boundaries()
names = dict(zip(townships["code"], townships["name"]))

with st.form("rt_targets"):
    c1, c2, c3, c4 = st.columns(4)
    use_overdue = c1.checkbox(t("routes.rule.overdue"), value=True)
    use_leads = c2.checkbox(t("routes.rule.leads"), value=True)
    months = c3.number_input(t("routes.rule.sealed_months"), 0, 120, 12)
    spot = c4.number_input(t("routes.rule.spot"), 0, 20, 1)
    extra = st.text_input(t("routes.extra"), placeholder=t("routes.extra_hint"))
    d1, d2, d3, d4, d5, d6 = st.columns(6)
    day = d1.date_input(t("routes.day"), clock.today())  # the county's today: a dispatch for the day it is
    teams = d2.number_input(t("routes.teams"), 1, 6, 2)
    start_time = d3.time_input(t("routes.start_time"), dt.time(8, 30))
    hours = d4.number_input(t("routes.hours"), 1.0, 14.0, 8.0, step=0.5)
    service = d5.number_input(t("routes.service"), 0, 240, 20)
    speed = d6.number_input(t("routes.speed"), 5, 120, 30)
    s1, s2, s3 = st.columns(3)
    home = default_start()  # the water bureau, from the county profile
    start_lon = s1.number_input(t("routes.start_lon"), home[0] - 1.5, home[0] + 1.5, home[0], format="%.6f")
    start_lat = s2.number_input(t("routes.start_lat"), home[1] - 1.5, home[1] + 1.5, home[1], format="%.6f")
    detour = s3.number_input(t("routes.detour"), 1.0, 3.0, 1.3, step=0.05)
    roads_file = st.file_uploader(t("routes.roads"), type=["geojson", "json", "zip", "gpkg", "kml"])
    go = st.form_submit_button(t("routes.plan"), type="primary")

if go:
    try:
        targets = day_targets(store, open_leads=use_leads, overdue=use_overdue, sealed_months=int(months) or None,
                              spot_per_township=int(spot), extra_wells=[c.strip() for c in extra.split(",") if c.strip()],
                              seed=day.toordinal())
        roads = None
        if roads_file is not None:
            roads = data.read_lines(roads_file.getvalue(), roads_file.name)
        bar = st.progress(0.0, text=t("routes.solving"))

        def show(frac: float, phase: str) -> None:
            bar.progress(min(1.0, max(0.0, frac)), text=tr(f"routes.progress.{phase}"))

        plan = plan_day(targets, start=(start_lon, start_lat), teams=int(teams), start_time=start_time.strftime("%H:%M"),
                        hours=float(hours), service_min=float(service), speed_kmh=float(speed), detour=float(detour),
                        roads=roads, progress=show, outline=outline)
        bar.empty()
        state.set_value("route_plan", (plan, day, (start_lon, start_lat)))
    except GwmapError as exc:
        st.error(t_error(exc))

saved = state.get_value("route_plan")
if saved:
    plan, day, start = saved
    st.subheader(t("routes.result", n=len(plan.stops), teams=len(plan.teams)))
    for notice in plan.params.get("notices", []):
        st.info(t(f"routes.notice.{notice}", teams=plan.params["teams"], stops=len(plan.stops) + len(plan.dropped)))
    data.table(pd.DataFrame({t("route.team"): plan.teams["team"], t("route.stops_col"): plan.teams["stops"],
                               t("route.km"): plan.teams["km"], t("route.hours"): plan.teams["hours"],
                               t("route.back"): plan.teams["back"]}), hide_index=True)
    st_folium(build_route_map(plan.stops, start=start, townships=townships, tr=tr, basemap=resources.basemap()),
              height=520, use_container_width=True, returned_objects=[], key="route_map")
    data.table(pd.DataFrame({
        t("route.team"): plan.stops["team"], t("route.seq"): plan.stops["seq"], t("route.arrival"): plan.stops["arrival"],
        t("route.kind"): plan.stops["kind"].map(lambda k: tr(f"route.kind_name.{k}")), t("route.ref"): plan.stops["ref"],
        t("field.township"): plan.stops["township_code"].map(names), t("field.village"): plan.stops["village"],
        t("route.what"): plan.stops["label"],
        t("route.nav"): [amap_link(a, b, c) for a, b, c in zip(plan.stops["lon"], plan.stops["lat"], plan.stops["ref"])]}),
        hide_index=True, column_config={t("route.nav"): st.column_config.LinkColumn(display_text=t("routes.open_amap"))})
    if len(plan.dropped):
        st.warning(t("routes.dropped", n=len(plan.dropped)))
        data.table(pd.DataFrame({t("route.ref"): plan.dropped["ref"],
                                   t("route.kind"): plan.dropped["kind"].map(lambda k: tr(f"route.kind_name.{k}")),
                                   t("field.township"): plan.dropped["township_code"].map(names),
                                   t("field.village"): plan.dropped["village"],
                                   t("routes.reason"): plan.dropped["reason"].map(lambda r: tr(f"routes.reason_is.{r}"))}),
                     hide_index=True)
    label = day.isoformat()
    e = st.columns(5)  # each file is made when its button is pressed, not on every rerun
    e[0].download_button(t("routes.word"), lambda: route_docx(plan.stops, plan.teams, tr=tr, names=names, day=label),
                         file_name=file_name(t("file.route_sheet"), label, ext="docx"),
                         mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    e[1].download_button("PDF", lambda: route_pdf(plan.stops, plan.teams, tr=tr, names=names, day=label),
                         file_name=file_name(t("file.route_sheet"), label, ext="pdf"), mime="application/pdf")
    e[2].download_button("Excel", lambda: route_xlsx(plan.stops, plan.teams, tr=tr, names=names),
                         file_name=file_name(t("file.route"), label, ext="xlsx"),
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    e[3].download_button("GPX", lambda: gpx_bytes(plan.stops, start, tr=tr),
                         file_name=file_name(t("file.route"), label, ext="gpx"), mime="application/gpx+xml")
    e[4].download_button("KML", lambda: kml_bytes(plan.stops, start, tr=tr),
                         file_name=file_name(t("file.route"), label, ext="kml"), mime="application/vnd.google-earth.kml+xml")
    if can(user, "leads.edit"):
        # who goes out with each team: their field page (/field/) shows the team's stops on the day
        people = accounts_frame(store)
        people = people[people["active"] & people["role"].isin(["enforcement", "admin"])]
        shown_as = {r.username: f"{r.display_name or r.username}（{r.username}）" for r in people.itertuples()}
        crews = []
        for team in plan.teams["team"]:
            c1, c2 = st.columns([1, 3])
            name = c1.text_input(t("routes.crew.name", team=int(team)), value=tr("routes.crew.default", team=int(team)),
                                 max_chars=64, key=f"rt_crew_name_{team}")
            members = c2.multiselect(t("routes.crew.members", team=int(team)), list(shown_as), format_func=shown_as.get,
                                     key=f"rt_crew_members_{team}", placeholder=t("routes.crew.pick"))
            crews.append(TeamCrew(int(team), name, tuple(members)))
        if st.button(t("routes.save"), key="rt_save", type="primary"):
            try:
                did = save_dispatch(store, user, plan, day=day, crews=crews)
                st.success(t("routes.saved", id=did, day=label))
            except GwmapError as exc:
                st.error(t_error(exc))

# ---------------------------------------------------------------- saved dispatches (they outlive a reload)
st.subheader(t("routes.saved_header"))
week = saved_dispatches(store, since=clock.today() - dt.timedelta(days=7))
if week.empty:
    st.caption(t("routes.saved_none"))
else:
    people = accounts_frame(store)
    display = dict(zip(people["username"], people["display_name"].fillna("").where(people["display_name"].ne(""),
                                                                                   people["username"])))
    data.table(pd.DataFrame({
        t("routes.day"): week["day"].map(lambda d: d.isoformat()), t("routes.saved_id"): week["dispatch_id"],
        t("route.team"): week["name"], t("routes.saved_members"): week["members"].map(
            lambda m: "、".join(display.get(u, u) for u in m.split(",") if u)),
        t("route.stops_col"): week["stops"], t("routes.saved_by"): week["created_by"].map(lambda u: display.get(u, u)),
        t("routes.saved_at"): week["created_at"].map(lambda at: clock.to_local(at).strftime("%Y-%m-%d %H:%M"))}),
        hide_index=True)
    st.caption(t("routes.saved_field"))
    ids = list(dict.fromkeys(week["dispatch_id"]))
    pick = st.selectbox(t("routes.saved_pick"), ids, key="rt_saved_pick",
                        format_func=lambda i: t("routes.saved_option", id=i,
                                                day=week.loc[week["dispatch_id"] == i, "day"].iloc[0].isoformat()))
    stops = dispatch_stops(store, int(pick))
    teams = week[week["dispatch_id"] == pick].set_index("team")["name"]
    data.table(pd.DataFrame({
        t("route.team"): stops["team"].map(teams), t("route.seq"): stops["seq"], t("route.arrival"): stops["arrival"],
        t("route.kind"): stops["kind"].map(lambda k: tr(f"route.kind_name.{k}")), t("route.ref"): stops["ref"],
        t("route.nav"): [amap_link(a, b, c) for a, b, c in zip(stops["lon"], stops["lat"], stops["ref"])]}),
        hide_index=True, column_config={t("route.nav"): st.column_config.LinkColumn(display_text=t("routes.open_amap"))})
