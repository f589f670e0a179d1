"""取水井台账: search and filter the registry, a well's record and history, edits, Excel import/export, roll-up."""

import pandas as pd
import streamlit as st

from gwmap.cases import nearby_open_leads
from gwmap.clock import to_local
from gwmap.errors import ConflictError, GwmapError
from gwmap.maps import build_wells_map
from gwmap.registry import (
    AQUIFER_DEPTH_RULE_M,
    COLUMNS,
    PERMIT_STATES,
    WellQuery,
    check_registry,
    export_wells,
    guess_registry_mapping,
    import_registry,
    preview_import,
    read_options,
    registry_xlsx,
    remember_mapping,
    remembered_mapping,
    update_well,
    well_record,
)
from gwmap.store import repo
from gwmap.store.users import can
from gwmap.ui import data, mapview, resources, shell, state
from gwmap.ui.i18n import change_text, file_name, md_text, named, t, t_error, translator
from gwmap.vocab import AQUIFERS, METERING, WELL_STATUSES, WELL_USES

PER_PAGE = 200

user = shell.require_user()  # before anything is read: this page may run without app.py
st.header(t("registry.header"))


def _label(field: str, value) -> str:
    """A stored value as the user reads it (vocabulary in their language)."""
    vocab = {"status": "vocab.status", "use": "vocab.use", "metering": "vocab.metering"}.get(field)
    return tr(f"{vocab}.{value}") if vocab and value else ("—" if value in (None, "") else str(value))


tr = translator()  # captures the language now; widgets call it later
lang = state.get_lang()
store = resources.store()
info, townships, outline = data.require_boundaries()
names = dict(zip(townships["code"], townships["name"]))

c0, c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2, 2])
text = c0.text_input(t("registry.search"), key="rg_text", placeholder=t("registry.search_hint"))
township = data.selectbox(c1, t("field.township"), [""] + list(townships["code"]), key="rg_tw",
                        format_func=lambda c: names.get(c, tr("registry.all")))
use = data.selectbox(c2, t("field.use"), [""] + list(WELL_USES), key="rg_use",
                   format_func=lambda v: tr(f"vocab.use.{v}") if v else tr("registry.all"))
aquifer = data.selectbox(c3, t("field.aquifer"), [""] + list(AQUIFERS), key="rg_aq",
                       format_func=lambda v: tr(f"vocab.aquifer.{v}") if v else tr("registry.all"))
status = data.selectbox(c4, t("field.status"), [""] + list(WELL_STATUSES), key="rg_status",
                      format_func=lambda v: tr(f"vocab.status.{v}") if v else tr("registry.all"))
permit = data.selectbox(c5, t("registry.permit"), [""] + list(PERMIT_STATES), key="rg_permit",
                      format_func=lambda v: tr(f"registry.permit_is.{v}") if v else tr("registry.all"))
query = WellQuery(text=text or "", township=township or None, use=use or None, aquifer=aquifer or None,
                  status=status or None, permit=permit or None)
# the store filters, counts and pages: a click costs the same with 3,000 wells or 840,000
totals = data.wells_answer("registry_totals", query)
m1, m2, m3 = st.columns(3)
m1.metric(t("registry.metric.wells"), f"{totals['wells']:,}")
m2.metric(t("registry.metric.volume"), f"{totals['permitted_m3_per_year'] / 1e4:,.1f}")
m3.metric(t("registry.metric.expiring"), f"{totals['expiring']:,}")

pages = max(1, -(-totals["wells"] // PER_PAGE))
p1, p2 = st.columns([1, 3])
page = p1.number_input(t("audit.page", pages=f"{pages:,}"), 1, pages, 1, key=f"rg_page_{hash(query)}")
found, _ = data.wells_answer("query_wells", query, page=int(page), per_page=PER_PAGE)
if len(found):
    p2.caption(t("registry.showing", first=f"{(int(page) - 1) * PER_PAGE + 1:,}",
                 last=f"{(int(page) - 1) * PER_PAGE + len(found):,}", total=f"{totals['wells']:,}"))
else:  # never "第 0–0 口"
    p2.caption(t("registry.none_found"))
view = pd.DataFrame({
    t("field.well_code"): found["well_code"], t("field.name"): found["name"],
    t("field.township"): found["township_code"].map(names), t("field.owner"): found["owner"],
    t("field.use"): found["use"].map(lambda v: tr(f"vocab.use.{v}")),
    t("field.aquifer"): found["aquifer"].map(lambda v: tr(f"vocab.aquifer.{v}")),
    t("field.status"): found["status"].map(lambda v: tr(f"vocab.status.{v}")),
    t("field.permit_no"): found["permit_no"], t("registry.permit"): found["permit_state"].map(
        lambda v: tr(f"registry.permit_is.{v}")),
    t("registry.col.volume"): found["permitted_m3_per_year"],
})
data.table(view, use_container_width=True, hide_index=True, height=320)
e1, e2 = st.columns(2)
# the export is built only when asked for (with progress), then offered for download
made = state.get_value("registry_export")
if made is not None and made[:2] == (query, lang):
    e1.download_button(t("registry.export_ready", n=f"{made[2]:,}"), made[3], on_click="ignore",
                       file_name=file_name(t("file.registry"), ext="xlsx"),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="rg_export_dl")
elif e1.button(t("registry.export_make", n=f"{totals['wells']:,}"), key="rg_export", disabled=not totals["wells"]):
    bar = e1.progress(0.0, text=t("registry.exporting"))
    book = export_wells(store, query, lang=lang, progress=lambda f: bar.progress(f, text=t("registry.exporting")))
    state.set_value("registry_export", (query, lang, totals["wells"], book))
    st.rerun()
e2.download_button(t("registry.template"), lambda: registry_xlsx(pd.DataFrame(columns=[f for f, _, _ in COLUMNS]), lang=lang),
                   file_name=file_name(t("file.registry_template"), ext="xlsx"),
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
st.caption(t("registry.map_page", n=f"{len(found):,}"))
wells_map = data.rendered_map("registry", (query, int(page)),
                              lambda: build_wells_map(found, townships=townships, tr=tr, basemap=resources.basemap()))
mapview.show(wells_map, height=420, returned_objects=[], key="registry_map")

st.subheader(t("registry.well"))
wanted = st.query_params.get("well")
known = {wanted} if wanted and well_record(store, wanted) is not None else set()
codes = state.linked_choice("well", "rg_well", found["well_code"], known=known)  # ?well=…
if codes:
    code = data.selectbox(st, t("field.well_code"), codes, key="rg_well")
    state.link("well", code)
    w = well_record(store, code)  # a linked well may be outside the filters and this page
    d1, d2 = st.columns(2)
    d1.markdown("\n".join(f"- **{t('field.' + f)}**: {md_text(_v)}" for f, _v in (
        ("owner", w["owner"]), ("township", names.get(w["township_code"], "")), ("depth_m", w["depth_m"]),
        ("use", tr(f"vocab.use.{w['use']}")), ("status", tr(f"vocab.status.{w['status']}")),
        ("permit_no", w["permit_no"] or "—"))))
    seal = repo.sealings_frame(store)
    seal = seal[seal["well_code"] == code]
    if len(seal):
        d2.dataframe(pd.DataFrame({t("field.plan_year"): seal["plan_year"],
                                   t("field.disposition"): seal["disposition"].map(lambda v: tr(f"vocab.disposition.{v}")),
                                   t("field.stage"): seal["stage"].map(lambda v: tr(f"vocab.sealing_stage.{v}")),
                                   t("field.cut_m3_per_year"): seal["cut_m3_per_year"]}), hide_index=True)
    else:
        d2.caption(t("registry.no_sealing"))
    near = nearby_open_leads(store, float(w["lon"]), float(w["lat"]), radius_m=300, open_only=False)
    st.caption(t("registry.leads_near", codes="、".join(near)) if near else t("registry.no_leads_near"))
    hist = repo.record_history(store, "wells", int(w["id"]))
    data.table(pd.DataFrame({
        t("audit.at"): hist["at"].map(to_local), t("audit.actor"): hist["actor"].map(data.person),
        t("audit.action"): hist["action"].map(lambda v: named("audit.action_name", v, lang)),
        t("audit.changes"): [change_text(b, a, lang) for b, a in zip(hist["before"], hist["after"], strict=True)]}),
        use_container_width=True, hide_index=True)
    if can(user, "wells.edit"):
        shown_version = state.version_shown(f"rg_edit_{code}", int(w["row_version"]))
        with st.form("rg_edit"):
            f1, f2, f3 = st.columns(3)
            # keyed by well and version: the form keeps what the user saw until a save lands
            k = f"{code}_{shown_version}"
            owner = f1.text_input(t("field.owner"), w["owner"], key=f"rg_owner_{k}")
            new_status = data.selectbox(f2, t("field.status"), WELL_STATUSES, index=WELL_STATUSES.index(w["status"]),
                                      format_func=lambda v: tr(f"vocab.status.{v}"), key=f"rg_status_{k}")
            new_use = data.selectbox(f3, t("field.use"), WELL_USES, index=WELL_USES.index(w["use"]),
                                   format_func=lambda v: tr(f"vocab.use.{v}"), key=f"rg_use_{k}")
            permit_no = f1.text_input(t("field.permit_no"), w["permit_no"], key=f"rg_permit_{k}")
            volume = f2.number_input(t("registry.col.volume"), 0.0, value=float(w["permitted_m3_per_year"] or 0),
                                     key=f"rg_volume_{k}")
            metering = data.selectbox(f3, t("registry.metering"), METERING,
                                    index=METERING.index(w["metering"]) if w["metering"] in METERING else 0,
                                    format_func=lambda v: tr(f"vocab.metering.{v}"), key=f"rg_metering_{k}")
            if st.form_submit_button(t("registry.save")):
                try:
                    update_well(store, user, code, expected_version=shown_version, owner=owner,
                                status=new_status, use=new_use, permit_no=permit_no, permitted_m3_per_year=volume,
                                metering=metering)
                    st.success(t("registry.saved", code=code))
                except ConflictError as exc:
                    shell.show_conflict(exc, lambda f: t({"permitted_m3_per_year": "registry.col.volume",
                                                          "metering": "registry.metering"}.get(f, f"field.{f}")),
                                        vocab=_label)
                except GwmapError as exc:
                    st.error(t_error(exc))

if can(user, "wells.edit"):
    st.subheader(t("registry.import_title"))
    upload = st.file_uploader(t("registry.upload"), type=["xlsx", "csv"], key="rg_upload")
    if upload is not None:
        table, _enc = data.read_upload(upload, "rg_upload", **read_options())
        if table.attrs.get("header_row", 1) > 1 or table.attrs.get("footer"):
            st.info(t("registry.title_rows", title=table.attrs.get("title", "")[:80], row=table.attrs["header_row"],
                      footer=table.attrs.get("footer", "")[:60]))
        columns = [c for c in table.columns]
        guess = remembered_mapping(store, columns) or guess_registry_mapping(columns)
        with st.expander(t("registry.mapping"), expanded=False):  # the guess, for the user to correct
            chosen = {}
            grid = st.columns(4)
            for i, (fld, _header, _kind) in enumerate(COLUMNS):
                opts = [""] + columns
                chosen[fld] = data.selectbox(grid[i % 4], t(f"field.{fld}") if fld != "permitted_m3_per_year"
                                             else t("registry.col.volume"), opts,
                                             index=opts.index(guess[fld]) if guess.get(fld) in opts else 0,
                                             key=f"rg_map_{fld}", format_func=lambda c: c or tr("registry.mapping_none"))
        mapping = {f: c for f, c in chosen.items() if c}
        rule = None
        if "aquifer" not in mapping:
            rule = st.number_input(t("registry.aquifer_rule"), 1.0, 2000.0, AQUIFER_DEPTH_RULE_M, step=10.0,
                                   key="rg_aquifer_rule")
        try:
            check = check_registry(table, townships=townships, outline=outline, mapping=mapping, aquifer_depth_m=rule)
        except GwmapError as exc:
            st.error(t_error(exc))
            st.stop()
        if check.aquifer_rule_m is not None:
            st.warning(t("registry.aquifer_rule_used", depth=f"{check.aquifer_rule_m:g}"))
        if check.units:
            st.info(t("registry.units", fields="、".join(mapping[f] for f in check.units),
                      factor=f"{max(check.units.values()):,.0f}"))
        if check.repeated:
            st.info(t("registry.repeated", n=len(check.repeated), rows="、".join(str(r) for r, _ in check.repeated[:10])))
        if check.ignored_columns:
            st.warning(t("registry.ignored_columns", columns="、".join(check.ignored_columns)))
        if check.township_notices:
            st.info(t("registry.township_by_position", n=len(check.township_notices), rows="、".join(
                str(r) for r, _, _ in check.township_notices[:10]) + ("…" if len(check.township_notices) > 10 else "")))
        if check.problems:
            st.error(t("err.survey.has_errors", count=len(check.problems)))
            data.table(pd.DataFrame([{t("surveys.problem.row"): p.row, t("surveys.problem.column"): p.column,
                                        t("surveys.problem.value"): p.value,
                                        t("surveys.problem.message"): t(p.code, **p.params)} for p in check.problems]),
                         use_container_width=True, hide_index=True)
        else:
            st.success(t("registry.clean", rows=len(check.rows)))
            plan = preview_import(store, check)
            st.info(t("registry.preview", added=len(plan.added), changed=len(plan.changed), unchanged=plan.unchanged))
            if plan.changed:
                data.table(pd.DataFrame({t("field.well_code"): list(plan.changed),
                                           t("registry.changed_fields"): ["、".join(
                                               t({"permitted_m3_per_year": "registry.col.volume",
                                                  "metering": "registry.metering"}.get(f, f"field.{f}")) for f in fs)
                                               for fs in plan.changed.values()]}),
                             use_container_width=True, hide_index=True, height=200)
            if plan.conflicts:
                shell.show_conflict(ConflictError("err.registry.conflicts", "", conflicts=plan.conflicts,
                                                  count=len(plan.conflicts)), lambda f: f)
            elif st.button(t("registry.import"), type="primary", key="rg_import"):
                try:
                    counts = import_registry(store, user, check)
                    remember_mapping(store, user, columns, mapping)
                    st.success(t("registry.imported", **counts))
                    data.precompute_kept()  # the ledgers read the wells
                except ConflictError as exc:
                    shell.show_conflict(exc, lambda f: f)
                except GwmapError as exc:
                    st.error(t_error(exc))

st.subheader(t("registry.rollup"))
r = data.registry_rollup()
data.table(pd.DataFrame({
    t("field.township"): r["township_code"].map(names), t("registry.metric.wells"): r["wells"],
    **{tr(f"vocab.status.{s_}"): r[f"status_{s_}"] for s_ in WELL_STATUSES},
    **{tr(f"vocab.use.{u}"): r[f"use_{u}"] for u in WELL_USES},
    t("registry.col.volume"): r["permitted_m3_per_year"], t("registry.metric.expiring"): r["permits_expiring_90d"]}),
    use_container_width=True, hide_index=True)
