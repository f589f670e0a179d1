"""操作日志 (admins): every change and refusal, filtered and paged over the whole history."""

import pandas as pd
import streamlit as st

from gwmap.clock import to_local
from gwmap.io.xlsx_stream import MAX_ROWS
from gwmap.store import repo
from gwmap.ui import data, resources, shell, state
from gwmap.ui.audit_export import audit_workbook
from gwmap.ui.i18n import change_text, file_name, named, t, translator

PER_PAGE = 100

user = shell.require_user("audit.view")  # before anything is read: this page may run without app.py
st.header(t("audit.header"))
tr = translator()
lang = state.get_lang()
store = resources.store()


choices = repo.audit_choices(store)
c1, c2, c3 = st.columns(3)
actor = data.selectbox(c1, t("audit.actor"), [""] + choices["actor"], key="au_actor",
                     format_func=lambda v: data.person(v) if v else tr("registry.all"))
table = data.selectbox(c2, t("audit.table"), [""] + choices["table"], key="au_table",
                     format_func=lambda v: named("audit.table_name", v, lang) if v else tr("registry.all"))
actions = data.multiselect(c3, t("audit.action"), choices["action"], key="au_actions", placeholder=t("registry.all"),
                         format_func=lambda v: named("audit.action_name", v, lang))
d1, d2, d3 = st.columns(3)
record = d1.text_input(t("audit.record"), key="au_record", placeholder=t("audit.record_hint"))
start = d2.date_input(t("audit.from"), value=None, key="au_from", format="YYYY-MM-DD")
end = d3.date_input(t("audit.to"), value=None, key="au_to", format="YYYY-MM-DD")
query = repo.AuditQuery(actor=actor, table=table, record=record, actions=tuple(actions), start=start, end=end)

_, total = repo.audit_search(store, query, per_page=1)
pages = max(1, -(-total // PER_PAGE))
p1, p2 = st.columns([1, 3])
page = p1.number_input(t("audit.page", pages=pages), 1, pages, 1, key=f"au_page_{hash(query)}")
df, total = repo.audit_search(store, query, page=int(page), per_page=PER_PAGE)
if len(df):
    p2.caption(t("audit.count", total=f"{total:,}", first=f"{(int(page) - 1) * PER_PAGE + 1:,}",
                 last=f"{(int(page) - 1) * PER_PAGE + len(df):,}"))
else:
    p2.caption(t("audit.none_found"))


view = pd.DataFrame({
    t("audit.at"): df["at"].map(lambda v: to_local(v).strftime("%Y-%m-%d %H:%M:%S")),
    t("audit.actor"): df["actor"].map(data.person),
    t("audit.action"): df["action"].map(lambda v: named("audit.action_name", v, lang)),
    t("audit.table"): df["table_name"].map(lambda v: named("audit.table_name", v, lang)),
    t("audit.record"): df["record_id"],
    t("audit.changes"): [change_text(b, a, lang) for b, a in zip(df["before"], df["after"], strict=True)],
})
data.table(view, use_container_width=True, hide_index=True, height=560)


# every matching event (not only this page) for a hearing file: built only when asked, with progress, streamed
made = state.get_value("audit_export")
if made is not None and made[:2] == (query, lang):
    st.download_button(t("audit.export_ready", total=f"{made[2]:,}"), made[3], on_click="ignore",
                       file_name=file_name(t("file.audit"), ext="xlsx"), key="au_export_dl",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
elif total > MAX_ROWS:
    st.warning(t("audit.export_too_many", total=f"{total:,}", most=f"{MAX_ROWS:,}"))
elif st.button(t("audit.export", total=f"{total:,}"), key="au_export", disabled=not total):
    bar = st.progress(0.0, text=t("audit.exporting"))
    book = audit_workbook(store, query, lang=lang, person=data.person, tr=tr, total=total,
                          progress=lambda f: bar.progress(f, text=t("audit.exporting")))
    state.set_value("audit_export", (query, lang, total, book))
    st.rerun()
