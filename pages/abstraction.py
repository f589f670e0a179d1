"""取水一本账: upload power records and meter readings, the year's ledger on a map and in tables, the Excel,
and the leads the data suggest (accepted as a lead or dismissed by a person)."""

import pandas as pd
import streamlit as st

from gwmap import clock
from gwmap.abstraction import (
    METER_COLUMNS,
    POWER_COLUMNS,
    check_meter_readings,
    check_power,
    header_key,
    import_upload,
    known_wells,
    match_report,
    meter_template_xlsx,
    power_template_xlsx,
    uploads_frame,
)
from gwmap.errors import GwmapError
from gwmap.ledger import SOURCES, against_baseline, last_whole_year, year_ledger_xlsx
from gwmap.maps import ABSTRACTION_MAP_MAX, build_abstraction_map
from gwmap.power_links import import_links, link_accounts, links_xlsx
from gwmap.screening import REASONS, accept, decisions, dismiss, figure_text, subject
from gwmap.store.users import can
from gwmap.ui import data, mapview, resources, shell, state
from gwmap.ui.i18n import file_name, t, t_error, translator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: suggestions listed per reason (the strongest first); the rest are counted
LIST_MAX = 200

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("abs.header"))
st.caption(t("abs.intro"))
tr = translator()  # captures the language now; widgets call it later
SEP = tr("list.sep")


def vol(m3: float) -> str:
    """A county-sized volume as the plan writes it: 万m³ in Chinese, million m³ in English."""
    scale, digits = (1e4, 1) if state.get_lang() == "zh" else (1e6, 2)
    return t("abs.volume", v=f"{m3 / scale:,.{digits}f}")


store, settings = resources.store(), resources.settings()
info, townships, outline = data.require_boundaries()
names = dict(zip(townships["code"], townships["name"]))

# --- upload ---------------------------------------------------------------------------------------------
if can(user, "abstraction.import"):
    with st.expander(t("abs.upload_title"), expanded=not data.data_years()):
        kind = st.radio(t("abs.kind_label"), ["power", "meter"], key="abs_kind", horizontal=True,
                        format_func=lambda k: tr(f"abs.kind.{k}"))
        c1, c2 = st.columns(2)
        c1.download_button(t("abs.template_power"), power_template_xlsx(), mime=XLSX,
                           file_name=file_name(t("abs.template_power"), ext="xlsx"))
        c2.download_button(t("abs.template_meter"), meter_template_xlsx(), mime=XLSX,
                           file_name=file_name(t("abs.template_meter"), ext="xlsx"))
        upload = st.file_uploader(t("abs.upload"), type=["csv", "xlsx"], key=f"abs_upload_{kind}")
        if upload is not None:
            raw = upload.getvalue()
            spec = POWER_COLUMNS if kind == "power" else METER_COLUMNS  # the header may sit below title rows
            table, encoding = data.read_upload(upload, f"abs_upload_{kind}", header_key=header_key,
                                               known_headers={header_key(h) for names in spec.values() for h in names})
            st.caption(t("abs.read", rows=len(table), encoding=encoding, columns=", ".join(map(str, table.columns))))
            try:
                if kind == "power":
                    check = check_power(table, outline=outline, raw=raw)
                else:
                    check = check_meter_readings(table, wells=known_wells(store), raw=raw)
            except GwmapError as exc:
                st.error(t_error(exc))
                st.stop()
            months = check.rows["month"] if kind == "power" else \
                pd.to_datetime(check.rows["read_on"]).dt.strftime("%Y-%m")
            m1, m2, m3 = st.columns(3)
            m1.metric(t("abs.metric.rows"), check.n_input)
            m2.metric(t("abs.metric.problems"), len(check.problems))
            m3.metric(t("abs.metric.months"), int(months.nunique()) if len(months) else 0)
            data.show_problems(check.problems, len(check.rows))
            if kind == "power":  # how much of the file reaches the ledger, and the accounts that do not
                match = match_report(store, check)
                if match["billing_rule_day"]:
                    st.info(t("power.billing_rule", day=match["billing_rule_day"]))
                if match["matched_rows"]:
                    st.success(t("power.matched", rows=f"{match['matched_rows']:,}"))
                if match["unmatched_rows"]:
                    st.warning(t("power.unmatched", rows=f"{match['unmatched_rows']:,}",
                                 kwh=f"{match['unmatched_kwh']:,.0f}"))
                    data.table(pd.DataFrame({
                        t("field.account"): [a["account"] for a in match["unmatched_accounts"]],
                        t("field.account_name"): [a["name"] for a in match["unmatched_accounts"]],
                        t("field.address"): [a["address"] for a in match["unmatched_accounts"]],
                        "kWh": [a["kwh"] for a in match["unmatched_accounts"]]}), hide_index=True, height=240)
            if st.button(t("abs.import"), type="primary", disabled=bool(check.problems), key="abs_import"):
                try:
                    import_upload(store, user, check, source_name=upload.name, raw=raw,
                                  uploads_dir=settings.uploads_dir)
                except GwmapError as exc:
                    st.error(t_error(exc))
                else:
                    st.success(t("abs.imported", rows=len(check.rows), first=months.min(), last=months.max(),
                                 sha=check.sha256[:12]))
                    data.precompute_kept()  # every year's ledger, now, not on a leader's next visit

    with st.expander(t("links.title")):  # 户号 → well, each confirmed by a person
        sug = data.link_suggestions()
        st.caption(t("links.hint", n=f"{len(sug):,}", kwh=f"{sug['kwh'].sum():,.0f}" if len(sug) else "0"))
        if len(sug):
            shown = pd.DataFrame({
                t("links.confirm"): sug["well_code"] != "", t("field.account"): sug["account"],
                t("field.account_name"): sug["account_name"], t("field.address"): sug["address"], "kWh": sug["kwh"],
                t("field.well_code"): sug["well_code"], t("field.basis"): sug["basis"].map(
                    lambda b: tr(f"links.basis.{b}") if b else "")})
            edited = st.data_editor(shown, hide_index=True, height=260, key="abs_links", disabled=list(shown.columns[1:5])
                                    + [t("field.basis")])
            if st.button(t("links.save"), key="abs_links_save"):
                picked = edited[edited[t("links.confirm")] & (edited[t("field.well_code")].fillna("") != "")]
                typed = picked[t("field.well_code")].astype(str).str.strip()
                basis = [b if w == s_ else "manual" for b, w, s_ in zip(
                    sug.loc[picked.index, "basis"], typed, sug.loc[picked.index, "well_code"], strict=True)]
                try:
                    done = link_accounts(store, user, [{"account": a, "well_code": w, "basis": b} for a, w, b in zip(
                        picked[t("field.account")], typed, basis, strict=True)])
                    st.success(t("links.saved", **done))
                except GwmapError as exc:
                    st.error(t_error(exc))
                else:
                    data.precompute_kept()
        l1, l2 = st.columns(2)
        l1.download_button(t("links.export"), lambda: links_xlsx(store), mime=XLSX, key="abs_links_export",
                           file_name=file_name(t("links.title"), ext="xlsx"))
        links_up = l2.file_uploader(t("links.import"), type=["xlsx", "csv"], key="abs_links_upload")
        if links_up is not None and l2.button(t("links.save"), key="abs_links_import"):
            try:
                st.success(t("links.saved", **import_links(store, user, links_up.getvalue(), links_up.name)))
            except GwmapError as exc:
                st.error(t_error(exc))
            else:
                data.precompute_kept()  # confirmed accounts count as their wells' from now on

    ups = uploads_frame(store)
    if len(ups):
        with st.expander(f"{t('abs.uploads_title')} ({len(ups)})"):
            data.table(pd.DataFrame({
                t("abs.kind_label"): ups["kind"].map(lambda k: tr(f"abs.kind_short.{k}")),
                t("surveys.source_file"): ups["source_name"], t("abs.metric.rows"): ups["rows"],
                t("abs.col.month"): ups["first_month"] + " – " + ups["last_month"],
                t("audit.actor"): ups["created_by"].map(data.person),
                t("audit.at"): ups["created_at"].map(lambda v: f"{clock.to_local(v):%Y-%m-%d %H:%M}"),
                "SHA-256": ups["source_sha256"].map(lambda v: v[:16] if v else "—")}),
                use_container_width=True, hide_index=True)

years = data.data_years()
if not years:
    st.info(t("abs.no_data"))
    st.stop()

# --- the year's ledger ----------------------------------------------------------------------------------
default = last_whole_year(years, clock.today())
c1, c2 = st.columns(2)
year = data.selectbox(c1, t("abs.year"), years, index=years.index(default), key="abs_year")
base_year = data.selectbox(c2, t("abs.baseline"), years, index=0, key="abs_base")
with st.spinner(t("abs.precomputing", year=year)):
    led = data.year_ledger(year)
    base = data.year_ledger(base_year)
cmp_ = against_baseline(led, base, target_cut_m3=data.plan_cut(year))

m1, m2, m3, m4 = st.columns(4)
m1.metric(t("abs.total"), vol(led.total_m3))
m2.metric(t("abs.baseline_total", year=base_year), vol(base.total_m3))
m3.metric(t("abs.cut"), vol(cmp_["cut_m3"]))
m4.metric(t("abs.plan_cut"), "—" if cmp_["target_cut_m3"] is None else vol(cmp_["target_cut_m3"]))
if cmp_["target_cut_m3"] is None:
    st.info(t("targets.none_for_year", year=year))
elif year != base_year:
    if cmp_["met"]:
        st.success(t("abs.cut_met", goal=vol(cmp_["target_cut_m3"])))
    else:
        st.warning(t("abs.cut_not_met", goal=vol(cmp_["target_cut_m3"]),
                     left=f"{cmp_['target_cut_m3'] - cmp_['cut_m3']:,.0f}"))


def _mix(by_source: dict) -> str:
    total = sum(by_source.values()) or 1.0
    return SEP.join(f"{tr(f'abs.source.{k}')} {v / total:.0%}" for k, v in by_source.items() if v > 0)


now_mix, base_mix = led.by_source(), base.by_source()
if year != base_year and any(abs(now_mix[k] / (led.total_m3 or 1) - base_mix[k] / (base.total_m3 or 1)) > 0.05
                             for k in SOURCES):
    st.info(t("abs.sources_differ", year=year, now=_mix(now_mix), base=base_year, then=_mix(base_mix)))
cols = st.columns(4)
for col, src in zip(cols[:3], SOURCES, strict=True):
    col.metric(t(f"abs.source.{src}"), vol(now_mix[src]))
by_aquifer = led.monthly.groupby("aquifer")["m3"].sum()
cols[3].caption(SEP.join(f"{tr(f'vocab.aquifer.{aq}')} {vol(by_aquifer.get(aq, 0.0))}" for aq in ("shallow", "deep")))

st.subheader(t("abs.map_title"))
fmap = data.rendered_map("abstraction", (year,),
                         lambda: build_abstraction_map(led.wells, townships=townships, tr=tr,
                                                       basemap=resources.basemap()))
mapview.show(fmap, height=460, returned_objects=[], key="abs_map")
drawn = int((led.wells["m3"] > 0).sum())
if drawn > ABSTRACTION_MAP_MAX:
    st.caption(t("abs.map_capped", shown=f"{ABSTRACTION_MAP_MAX:,}", total=f"{drawn:,}"))

st.subheader(t("abs.township_title"))
tw = led.townships
data.table(pd.DataFrame({
    t("field.township"): tw["township_code"].map(lambda c: names.get(c, c)),
    t("abs.col.wells"): tw["wells"], t("abs.col.m3"): tw["m3"].round(0),
    **{t(f"abs.col.m3_{s}"): tw[s].round(0) for s in SOURCES}}), use_container_width=True, hide_index=True)

st.subheader(t("abs.wells_title"))
st.caption(t("abs.lift_note"))
f1, f2 = st.columns(2)
pick_tw = data.multiselect(f1, t("abs.filter_township"), list(names), key="abs_tw", format_func=names.get,
                           placeholder=t("registry.all"))
pick_src = data.multiselect(f2, t("abs.filter_source"), list(SOURCES), key="abs_src",
                            format_func=lambda s: tr(f"abs.source.{s}"), placeholder=t("registry.all"))
w = led.wells
if pick_tw:
    w = w[w["township_code"].isin(pick_tw)]
if pick_src:
    w = w[(w[[f"m3_{s}" for s in pick_src]] > 0).any(axis=1)]
data.table(pd.DataFrame({
    t("field.well_code"): w["well_code"], t("field.township"): w["township_code"].map(lambda c: names.get(c, c)),
    t("field.aquifer"): w["aquifer"].map(lambda a: tr(f"vocab.aquifer.{a}")),
    t("abs.col.m3"): w["m3"].round(0),
    t("abs.col.source"): [SEP.join(tr(f"abs.source.{s}") for s in SOURCES if getattr(r, f"m3_{s}") > 0)
                          for r in w.itertuples()],
    t("abs.col.kwh"): w["kwh"].round(0), t("abs.col.coefficient"): w["coefficient"].round(2),
    t("abs.col.coef_source"): w["coef_source"].map(lambda s: tr(f"abs.coef_source.{s}") if isinstance(s, str) else ""),
    t("abs.col.lift_m"): w["lift_m"].round(1),
    t("abs.col.depth_source"): w["depth_source"].map(
        lambda s: (tr("abs.depth_fallback") if s == "fallback" else s) if isinstance(s, str) else ""),
    t("abs.col.permitted"): w["permitted_m3_per_year"], t("abs.col.share"): (w["share"] * 100).round(0)}),
    use_container_width=True, hide_index=True, height=360)
st.download_button(t("abs.export"), lambda: year_ledger_xlsx(led, tr=tr, names=names, baseline=cmp_),  # made when asked
                   file_name=file_name(t("abs.xlsx.title", year=year), ext="xlsx"), mime=XLSX, key="abs_export")

# --- leads the data suggest -----------------------------------------------------------------------------
st.subheader(t("abs.screen_title"))
st.caption(t("abs.screen_intro"))
done_msg = state.get_value("abs_screen_done")
if done_msg:
    state.set_value("abs_screen_done", None)
    st.success(done_msg)
decider = can(user, "leads.edit")
if not decider:
    st.info(t("abs.screen_read_only"))
with st.spinner(t("abs.precomputing", year=year)):
    queue = data.screening_queue(year)
if not queue:
    st.info(t("abs.screen_none", year=year))


def _summary(x: dict) -> str:
    return SEP.join(f"{tr(f'screen.fig.{k}')} {figure_text(k, v, tr)}" for k, v in x["figures"].items())


groups = {r: [x for x in queue if x["reason"] == r] for r in REASONS}
township_of = dict(zip(led.wells["well_code"], led.wells["township_code"], strict=True))
present = [r for r in REASONS if groups[r]]
if present:
    tabs = st.tabs([f"{tr(f'screen.reason.{r}')} ({len(groups[r])})" for r in present])
    for tab, reason in zip(tabs, present, strict=True):
        with tab:
            items = groups[reason]
            if len(items) > LIST_MAX:
                st.caption(t("abs.screen_more", total=len(items), shown=LIST_MAX))
            items = items[:LIST_MAX]
            data.table(pd.DataFrame({
                t("screen.col.subject"): [subject(x) for x in items],
                t("field.township"): [names.get(township_of.get(x.get("well_code"), ""), "") for x in items],
                t("screen.col.summary"): [_summary(x) for x in items]}), use_container_width=True, hide_index=True,
                height=min(38 + 35 * len(items), 320))
            chosen = data.selectbox(st, t("abs.screen_pick"), [subject(x) for x in items], key=f"abs_pick_{reason}")
            x = next(i for i in items if subject(i) == chosen)
            c1, c2 = st.columns([2, 3])
            with c1:
                data.table(pd.DataFrame({t("screen.col.field"): [tr(f"screen.fig.{k}") for k in x["figures"]],
                                         t("screen.col.value"): [figure_text(k, v, tr)
                                                                 for k, v in x["figures"].items()]}),
                           use_container_width=True, hide_index=True)
            with c2:
                rows = pd.DataFrame(x.get("rows") or [])
                if len(rows):
                    st.caption(t("abs.screen_rows"))
                    data.table(rows.rename(columns=lambda k: tr(f"screen.row.{k}")), use_container_width=True,
                               hide_index=True, height=220)
            if decider:
                a, b = st.columns(2)
                with a.form(f"abs_accept_{reason}", clear_on_submit=True):
                    note = st.text_area(t("abs.screen_note"), key=f"abs_note_{reason}")
                    lon = lat = None
                    if x.get("lon") is None:
                        lon0, lat0 = data.county().centre
                        lon = st.number_input(t("abs.screen_lon"), lon0 - 1.5, lon0 + 1.5, value=lon0, format="%.6f")
                        lat = st.number_input(t("abs.screen_lat"), lat0 - 1.5, lat0 + 1.5, value=lat0, format="%.6f")
                    if st.form_submit_button(t("abs.screen_accept"), type="primary"):
                        try:
                            code = accept(store, user, year=year, reason=reason, subject_=chosen, townships=townships,
                                          outline=outline, evidence_dir=settings.evidence_dir, note=note, lon=lon,
                                          lat=lat, tr=tr)
                        except GwmapError as exc:
                            st.error(t_error(exc))
                        else:
                            state.set_value("abs_screen_done", t("abs.screen_accepted", code=code))
                            st.rerun()
                with b.form(f"abs_dismiss_{reason}", clear_on_submit=True):
                    why = st.text_area(t("abs.screen_dismiss_why"), key=f"abs_why_{reason}")
                    if st.form_submit_button(t("abs.screen_dismiss")):
                        try:
                            dismiss(store, user, year=year, reason=reason, subject_=chosen, note=why,
                                    figures=x["figures"])
                        except GwmapError as exc:
                            st.error(t_error(exc))
                        else:
                            state.set_value("abs_screen_done", t("abs.screen_dismissed"))
                            st.rerun()

decided = decisions(store, year=year)
if len(decided):
    with st.expander(f"{t('abs.screen_decided')} ({len(decided)})"):
        data.table(pd.DataFrame({
            t("screen.col.reason"): decided["reason"].map(lambda r: tr(f"screen.reason.{r}")),
            t("screen.col.subject"): decided["subject"],
            t("screen.col.decision"): decided["decision"].map(lambda d: tr(f"abs.screen_decision.{d}")),
            t("screen.col.lead"): decided["lead_code"], t("abs.screen_note"): decided["note"],
            t("audit.actor"): decided["decided_by"],
            t("audit.at"): decided["decided_at"].map(lambda v: f"{clock.to_local(v):%Y-%m-%d %H:%M}")}),
            use_container_width=True, hide_index=True)
