"""封井: progress against each year's plan, the sealings, and (water bureau) planning, works, acceptance, re-enabling."""


import pandas as pd
import streamlit as st

from gwmap import clock
from gwmap.errors import ConflictError, GwmapError
from gwmap.io.files import Attachment
from gwmap.registry import WellQuery, query_wells
from gwmap.sealing import METHODS, Acceptance, accept, plan_sealing, progress, record_works, reenable
from gwmap.store import repo
from gwmap.store.users import can
from gwmap.ui import data, resources, shell
from gwmap.ui.i18n import t, t_error, translator
from gwmap.vocab import DISPOSITIONS, SEALING_STAGES

#: Up to this many standby wells are offered in a list; beyond, the well code is typed.
PICK_MAX = 2000

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("sealing.header"))
tr = translator()  # captures the language now; widgets call it later
store, settings = resources.store(), resources.settings()
info, townships, _ = data.require_boundaries()
names = dict(zip(townships["code"], townships["name"]))
photo_dir = settings.data_dir / "sealing_photos"
editor = can(user, "sealings.edit")


def run(action, message: str) -> None:
    """Do one change and say how it went (the page's only error handling)."""
    try:
        action()
        st.success(message)
    except ConflictError as exc:
        shell.show_conflict(exc, lambda f: t({"target_wells": "sealing.target_wells",
                                              "target_cut_m3": "sealing.target_cut"}.get(f, f)),
                            vocab=lambda f, v: f"{v:,.0f}")
    except GwmapError as exc:
        st.error(t_error(exc))


prog = progress(store)
st.subheader(t("sealing.progress"))
for r in prog.itertuples():
    c1, c2, c3 = st.columns([1, 3, 3])
    c1.metric(t("sealing.year"), int(r.year))
    c2.progress(min(1.0, float(r.wells_share or 0)), text=t("sealing.wells_progress", done=r.accepted, target=r.target_wells))
    c3.progress(min(1.0, float(r.cut_share or 0)), text=t("sealing.cut_progress", done=f"{r.cut_m3:,.0f}",
                                                          target=f"{r.target_cut_m3:,.0f}"))

seal = repo.sealings_frame(store)
f1, f2 = st.columns(2)
year = data.selectbox(f1, t("sealing.year"), [0] + sorted(seal["plan_year"].unique().tolist()), key="sl_year",
                    format_func=lambda y: str(y) if y else tr("registry.all"))
stage = data.selectbox(f2, t("field.stage"), [""] + list(SEALING_STAGES), key="sl_stage",
                     format_func=lambda v: tr(f"vocab.sealing_stage.{v}") if v else tr("registry.all"))
shown = seal[((seal["plan_year"] == year) | (year == 0)) & ((seal["stage"] == stage) | (stage == ""))]
data.table(pd.DataFrame({
    t("field.well_code"): shown["well_code"], t("field.owner"): shown["owner"],
    t("field.township"): shown["township_code"].map(names), t("field.plan_year"): shown["plan_year"],
    t("field.disposition"): shown["disposition"].map(lambda v: tr(f"vocab.disposition.{v}")),
    t("field.stage"): shown["stage"].map(lambda v: tr(f"vocab.sealing_stage.{v}")),
    t("sealing.finished_on"): shown["finished_on"], t("sealing.accepted_on"): shown["accepted_on"],
    t("field.cut_m3_per_year"): shown["cut_m3_per_year"]}), use_container_width=True, hide_index=True, height=300)

if editor:
    st.caption(t("sealing.targets_elsewhere"))  # a year's targets are kept on the County and targets page
    with st.expander(t("sealing.add")):
        with st.form("sl_add"):
            a1, a2, a3 = st.columns(3)
            code = a1.text_input(t("field.well_code"))
            ay = a2.number_input(t("sealing.year"), 2020, 2040, clock.today().year, key="sl_add_year")
            disp = data.selectbox(a3, t("field.disposition"), DISPOSITIONS, format_func=lambda v: tr(f"vocab.disposition.{v}"))
            if st.form_submit_button(t("sealing.add")):
                run(lambda: plan_sealing(store, user, well_code=code.strip(), year=int(ay), disposition=disp),
                    t("sealing.saved"))
    planned = seal[seal["stage"] == "planned"]
    if len(planned):
        with st.expander(t("sealing.works_title")):
            with st.form("sl_works"):
                sid = data.selectbox(st, t("field.well_code"), list(planned["id"]),
                                   format_func=dict(zip(planned["id"], planned["well_code"])).get)
                w1, w2, w3 = st.columns(3)
                start = w1.date_input(t("sealing.started_on"), clock.today())
                end = w2.date_input(t("sealing.finished_on"), clock.today())
                method = data.selectbox(w3, t("sealing.method"), METHODS, format_func=lambda v: tr(f"sealing.method_name.{v}"))
                material = w1.text_input(t("sealing.material"))
                contractor = w2.text_input(t("sealing.contractor"))
                supervisor = w3.text_input(t("sealing.supervisor"))
                work = st.text_area(t("sealing.work_done"))
                before = st.file_uploader(t("sealing.photos_before"), type=["jpg", "jpeg", "png"],
                                          accept_multiple_files=True)
                if st.form_submit_button(t("sealing.save_works")):
                    run(lambda: record_works(store, user, int(sid), started_on=start, finished_on=end, method=method,
                                             material=material, work_done=work, contractor=contractor,
                                             supervisor=supervisor, photo_dir=photo_dir,
                                             photos=[Attachment(f.name, f.getvalue(), kind="before") for f in before or []]),
                        t("sealing.saved"))
    done = seal[seal["stage"] == "works_done"]
    if len(done):
        with st.expander(t("sealing.accept_title")):
            with st.form("sl_accept"):
                sid = data.selectbox(st, t("field.well_code"), list(done["id"]),
                                   format_func=dict(zip(done["id"], done["well_code"])).get)
                v1, v2 = st.columns(2)
                when = v1.date_input(t("sealing.accepted_on"), clock.today())
                verdict = v2.text_input(t("sealing.verdict"), value="合格")
                s1, s2, s3, s4 = st.columns(4)
                sig = [s1.text_input(t("sealing.contractor")), s2.text_input(t("sealing.supervisor")),
                       s3.text_input(t("field.owner")), s4.text_input(t("sealing.authority"))]
                after = st.file_uploader(t("sealing.photos_after"), type=["jpg", "jpeg", "png"], accept_multiple_files=True)
                if st.form_submit_button(t("sealing.save_accept")):
                    run(lambda: accept(store, user, int(sid), Acceptance(when, verdict, *sig), photo_dir=photo_dir,
                                       photos=[Attachment(f.name, f.getvalue(), kind="after") for f in after or []]),
                        t("sealing.saved"))
    standby, n_standby = query_wells(store, WellQuery(status="sealed_standby"), per_page=PICK_MAX)
    if n_standby:
        with st.expander(t("sealing.reenable_title")):
            with st.form("sl_reenable"):
                r1, r2, r3 = st.columns(3)
                if n_standby <= PICK_MAX:
                    code = data.selectbox(r1, t("field.well_code"), list(standby["well_code"]))
                else:  # a province's tens of thousands: typed (the core refuses a code that is not on standby)
                    code = r1.text_input(t("field.well_code"), help=t("sealing.type_code", n=f"{n_standby:,}")).strip()
                approval = r2.text_input(t("sealing.approval_no"))
                approved = r3.date_input(t("sealing.approved_on"), clock.today())
                if st.form_submit_button(t("sealing.reenable")):
                    run(lambda: reenable(store, user, well_code=code, approval_no=approval, approved_on=approved),
                        t("sealing.saved"))
