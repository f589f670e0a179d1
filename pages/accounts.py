"""账号管理 (admins): create accounts and list them."""

import pandas as pd
import streamlit as st

from gwmap.errors import GwmapError
from gwmap.store.users import create_user, list_users
from gwmap.ui import resources, shell
from gwmap.ui.i18n import t, t_error, translator
from gwmap.vocab import ROLES

user = shell.require_user("users.manage")  # before anything is read: this page may run without app.py
st.header(t("accounts.header"))
tr = translator()  # captures the language now; widgets call it later
store = resources.store()
with st.form("new_user", clear_on_submit=True):
    c1, c2, c3 = st.columns(3)
    username = c1.text_input(t("accounts.username"))
    display = c2.text_input(t("accounts.display_name"))
    role = c3.selectbox(t("accounts.role"), ROLES, format_func=lambda r: tr(f"role.{r}"))
    password = st.text_input(t("accounts.password"), type="password")
    if st.form_submit_button(t("accounts.create"), type="primary"):
        try:
            made = create_user(store, user, username=username, password=password, role=role, display_name=display)
            st.success(t("accounts.created", username=made.username))
        except GwmapError as exc:
            st.error(t_error(exc))

st.subheader(t("accounts.list"))
st.dataframe(pd.DataFrame([{t("accounts.username"): u.username, t("accounts.display_name"): u.display_name,
                            t("accounts.role"): t(f"role.{u.role}")} for u in list_users(store)]),
             use_container_width=True, hide_index=True)
