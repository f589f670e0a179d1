"""操作日志 (admins): the newest changes and refusals."""

import streamlit as st

from gwmap.clock import to_local
from gwmap.store import repo
from gwmap.ui import resources, shell
from gwmap.ui.i18n import t

user = shell.require_user("audit.view")  # before anything is read: this page may run without app.py
st.header(t("audit.header"))
df = repo.audit_frame(resources.store(), limit=500)
df["at"] = df["at"].map(to_local)
df = df[["at", "actor", "action", "table_name", "record_id", "before", "after"]]
df.columns = [t("audit.at"), t("audit.actor"), t("audit.action"), t("audit.table"), t("audit.record"),
              t("audit.before"), t("audit.after")]
st.dataframe(df, use_container_width=True, hide_index=True)
