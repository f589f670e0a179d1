"""违规取水线索: register a lead on the map, work it through its steps with evidence, the ledger and case files."""

import pandas as pd
import streamlit as st

from gwmap.cases import (
    FAR_M,
    TRANSITIONS,
    advance,
    far_evidence,
    integrity_check,
    lead_evidence,
    lead_steps,
    read_evidence,
    register_lead,
)
from gwmap.clock import to_local
from gwmap.errors import ConflictError, GwmapError
from gwmap.field import submissions
from gwmap.io.files import Attachment
from gwmap.maps import build_leads_map
from gwmap.reports import case_docx, work_ledger_xlsx
from gwmap.store.users import can
from gwmap.ui import data, mapview, resources, shell, state
from gwmap.ui.i18n import file_name, t, t_error, translator
from gwmap.vocab import LEAD_SOURCES, LEAD_STAGES

#: 数据筛查 leads come from the abstraction page's queue, with their snapshot; not typed in here
MANUAL_SOURCES = [v for v in LEAD_SOURCES if v != "data_screening"]

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("leads.header"))
tr = translator()  # captures the language now; widgets call it later
SEP = tr("list.sep")
store, settings = resources.store(), resources.settings()
info, townships, outline = data.require_boundaries()
names = dict(zip(townships["code"], townships["name"]))
evidence_dir = settings.evidence_dir
editor = can(user, "leads.edit")

led = data.work_ledger()
just = state.get_value("lead_registered")
if just:
    st.success(t("leads.registered", code=just[0]))
    if just[1]:
        st.warning(t("leads.duplicate", codes="、".join(just[1])))
    state.set_value("lead_registered", None)
m1, m2, m3 = st.columns(3)
m1.metric(t("onemap.metric.leads_open"), int((~led["stage"].isin(["closed", "dismissed"])).sum()))
m2.metric(t("onemap.metric.leads_overdue"), int(led["overdue"].sum()))
m3.metric(t("leads.metric.closed"), int((led["stage"] == "closed").sum()))

pick = state.get_value("lead_pick")
leads_map = data.rendered_map("leads", (pick,),
                              lambda: build_leads_map(led, townships=townships, tr=tr, pick=pick,
                                                      basemap=resources.basemap()))
out = mapview.show(leads_map, height=460, returned_objects=["last_clicked"], key="leads_map")
clicked = (out or {}).get("last_clicked")
if editor and clicked and (clicked["lng"], clicked["lat"]) != pick:
    state.set_value("lead_pick", (clicked["lng"], clicked["lat"]))
    st.rerun()

if editor:
    with st.expander(t("leads.register"), expanded=pick is not None):
        with st.form("lead_new", clear_on_submit=True):
            c1, c2, c3 = st.columns(3)
            lon0, lat0 = data.county().centre  # the boxes span the county and its surroundings
            lon = c1.number_input(t("report.ledger.lon"), lon0 - 1.5, lon0 + 1.5, value=float(pick[0]) if pick else lon0,
                                  format="%.6f")
            lat = c2.number_input(t("report.ledger.lat"), lat0 - 1.5, lat0 + 1.5, value=float(pick[1]) if pick else lat0,
                                  format="%.6f")
            source = data.selectbox(c3, t("field.source"), MANUAL_SOURCES,
                                    format_func=lambda v: tr(f"vocab.lead_source.{v}"))
            gcj = st.checkbox(t("leads.gcj02"))
            description = st.text_area(t("field.description"))
            if st.form_submit_button(t("leads.register_submit"), type="primary"):
                try:
                    code, dups = register_lead(store, user, lon=lon, lat=lat, source=source, description=description,
                                               townships=townships, outline=outline, gcj02=gcj)
                    state.set_value("lead_pick", None)
                    state.set_value("lead_registered", (code, dups))
                    st.query_params["lead"] = code  # the new case is the one selected below
                    st.rerun()  # so the new lead is in the list and on the map at once
                except GwmapError as exc:
                    st.error(t_error(exc))

f1, f2 = st.columns(2)
stage_filter = data.multiselect(f1, t("field.stage"), LEAD_STAGES, key="ld_stage", placeholder=t("registry.all"),
                              format_func=lambda v: tr(f"vocab.lead_stage.{v}"))
only_overdue = f2.checkbox(t("leads.only_overdue"), key="ld_overdue")
shown = led[(led["stage"].isin(stage_filter) | (not stage_filter)) & (led["overdue"] | (not only_overdue))]
table = pd.DataFrame({
    t("field.lead_code"): shown["lead_code"], t("field.township"): shown["township_code"].map(names),
    t("field.source"): shown["source"].map(lambda v: tr(f"vocab.lead_source.{v}")),
    t("field.stage"): [tr("map.legend.lead.overdue") if o else tr(f"vocab.lead_stage.{s_}")
                       for s_, o in zip(shown["stage"], shown["overdue"], strict=True)],
    t("field.rectify_deadline"): shown["rectify_deadline"], t("report.ledger.days_left"): shown["days_left"],
    t("report.ledger.evidence"): shown["evidence_count"], t("field.description"): shown["description"]})
overdue_rows = shown["overdue"]  # indexed like the table
# overdue cases in red, as on the map and in the ledger Excel
data.table(table.style.apply(lambda row: ["background-color: #fde0dc; color: #b71c1c"
                                            if overdue_rows.loc[row.name] else "" for _ in row], axis=1),
             use_container_width=True, hide_index=True, height=300)
st.download_button(t("leads.export_ledger"), lambda: work_ledger_xlsx(shown, tr=tr, names=names),  # made when asked
                   file_name=file_name(t("file.ledger"), ext="xlsx"),
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.subheader(t("leads.case"))
done = state.get_value("lead_step_done")
if done:
    state.set_value("lead_step_done", None)
    st.success(t("leads.step_done", code=done[0], stage=tr(f"vocab.lead_stage.{done[1]}")))
    far = far_evidence(lead_evidence(store, done[0]))
    for r in far[far["step_id"] == done[2]].itertuples():
        st.warning(t("leads.evidence_far", file=r.filename, metres=f"{r.offset_m:,.0f}", limit=f"{FAR_M:,.0f}"))
codes = state.linked_choice("lead", "ld_case", shown["lead_code"], known=set(led["lead_code"]))  # ?lead=XS…
if codes:
    code = data.selectbox(st, t("field.lead_code"), codes, key="ld_case")
    state.link("lead", code)
    lead = led.set_index("lead_code").loc[code]
    steps, ev = lead_steps(store, code), lead_evidence(store, code)
    data.table(pd.DataFrame({t("field.stage"): steps["stage"].map(lambda v: tr(f"vocab.lead_stage.{v}")),
                               t("audit.at"): steps["at"].map(to_local), t("audit.actor"): steps["by"].map(data.person),
                               t("report.ledger.finding"): steps["note"], t("field.rectify_deadline"): steps["deadline"]}),
                 use_container_width=True, hide_index=True)
    if len(ev):
        data.table(pd.DataFrame({t("report.case.file"): ev["filename"], "SHA-256": ev["sha256"],
                                   t("audit.at"): ev["uploaded_at"].map(to_local),
                                   t("audit.actor"): ev["uploaded_by"].map(data.person),
                                   t("report.case.gps"): [
                                       f"{a:.6f}, {b:.6f} ({tr('vocab.gps_source.' + g)})" if pd.notna(a) else "—"
                                       for a, b, g in zip(ev["lon"], ev["lat"], ev["gps_source"], strict=True)],
                                   t("report.case.offset"): [
                                       "—" if pd.isna(m) else f"{m:,.0f} m" + (" ⚠" if m > FAR_M else "")
                                       for m in ev["offset_m"]]}),
                     use_container_width=True, hide_index=True)
        data.photos(ev, evidence_dir, caption=lambda r: f"{tr('vocab.lead_stage.' + r.stage)} · "
                    f"{to_local(r.taken_at if pd.notna(r.taken_at) else r.uploaded_at):%Y-%m-%d %H:%M}")
        # documents (PDFs, the screening's snapshot) are offered as they were stored, read only when asked
        for r in ev[~ev["mime"].isin(["image/jpeg", "image/png"])].itertuples():
            if not (evidence_dir / r.sha256).exists():
                st.error(t("err.evidence.missing", sha=r.sha256[:12]))
                continue
            st.download_button(t("leads.evidence_download", file=r.filename),
                               lambda sha=r.sha256: read_evidence(evidence_dir, sha), file_name=r.filename,
                               mime=r.mime, key=f"ev_{r.id}")
    sent = submissions(store, ref=code)  # from the field page: conflicts kept, positions flagged
    if sent:
        st.markdown(f"**{t('leads.field_sent')}**")
        data.table(pd.DataFrame({
            t("leads.field_received"): [to_local(r["received_at"]) for r in sent],
            t("leads.field_device"): [to_local(r["device_at"]) if r["device_at"] else None for r in sent],
            t("audit.actor"): [data.person(r["username"]) for r in sent],
            t("leads.field_outcome"): [tr(f"fieldapp.outcome.{r['outcome']}") for r in sent],
            t("leads.field_status"): [tr(f"leads.field_status_is.{r['status']}") for r in sent],
            t("leads.field_flags"): [SEP.join(tr(f"leads.field_flag.{f}") for f in r["detail"].get("flags", []))
                                     if r["status"] == "stored" else tr("leads.field_conflict", stage=tr(
                                         f"vocab.lead_stage.{r['detail'].get('stage', '')}"))
                                     for r in sent]}), use_container_width=True, hide_index=True)
    lead_row = lead.copy()
    lead_row["lead_code"] = code
    # built when asked (a callable), with the photos embedded
    st.download_button(t("leads.case_docx"), lambda: case_docx(
        lead_row, steps, ev, tr=tr, township=names.get(lead["township_code"], ""),
        photo=lambda sha: read_evidence(evidence_dir, sha)), on_click="ignore",
        file_name=file_name(t("file.case"), code, ext="docx"),
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    nxt = TRANSITIONS.get(lead["stage"], ())
    if editor and nxt:
        shown_version = state.version_shown(f"lead_step_{code}", int(lead["row_version"]))
        with st.form("lead_step", clear_on_submit=True):
            to = st.radio(t("leads.next"), nxt, horizontal=True, format_func=lambda v: tr(f"vocab.lead_stage.{v}"))
            note = st.text_area(t("report.ledger.finding"))
            deadline = st.date_input(t("field.rectify_deadline"), value=None)
            files = st.file_uploader(t("leads.evidence"), type=["jpg", "jpeg", "png", "pdf"], accept_multiple_files=True)
            g1, g2 = st.columns(2)
            glon = g1.number_input(t("leads.gps_lon"), value=None, format="%.6f")
            glat = g2.number_input(t("leads.gps_lat"), value=None, format="%.6f")
            if st.form_submit_button(t("leads.submit_step"), type="primary"):
                try:
                    step_id = advance(store, user, code, to, note=note, deadline=deadline, evidence_dir=evidence_dir,
                                      lon=glon, lat=glat, expected_version=shown_version,
                                      evidence=[Attachment(f.name, f.getvalue(), glon, glat) for f in files or []])
                    # rerun so the history, the next steps, the list and the map all show the new stage
                    state.set_value("lead_step_done", (code, to, step_id))
                    st.rerun()
                except ConflictError as exc:
                    shell.show_conflict(exc, lambda f: t("field.stage"), vocab=lambda f, v: tr(f"vocab.lead_stage.{v}"))
                except GwmapError as exc:
                    st.error(t_error(exc))

if editor or can(user, "users.manage"):
    if st.button(t("leads.integrity"), key="ld_integrity"):
        bad = integrity_check(store, evidence_dir)
        if bad.empty:
            st.success(t("leads.integrity_ok", n=len(lead_evidence(store))))
        else:
            st.error(t("leads.integrity_bad", n=len(bad)))
            data.table(pd.DataFrame({t("field.lead_code"): bad["lead_code"], t("report.case.file"): bad["filename"],
                                       "SHA-256": bad["sha256"],
                                       t("leads.integrity_problem"): bad["problem"].map(
                                           lambda v: tr(f"leads.integrity_is.{v}"))}), hide_index=True)
