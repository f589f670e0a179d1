"""账号管理 (admins): create accounts; disable, enable, change role, reset password, end sessions."""

import pandas as pd
import streamlit as st

from gwmap.errors import GwmapError
from gwmap.store.sessions import active_sessions, revoke_all
from gwmap.store.users import accounts_frame, create_user, reset_password, set_active, set_role
from gwmap.ui import data, resources, shell, state
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
    # no role until one is chosen: a new account is never an administrator by default
    role = data.selectbox(c3, t("accounts.role"), ROLES, index=None, format_func=lambda r: tr(f"role.{r}"))
    password = st.text_input(t("accounts.password"), type="password")
    if st.form_submit_button(t("accounts.create"), type="primary"):
        try:
            made = create_user(store, user, username=username, password=password, role=role, display_name=display)
            st.success(t("accounts.created", username=made.username))
        except GwmapError as exc:
            st.error(t_error(exc))

st.subheader(t("accounts.list"))
if state.get_value("accounts_done"):
    st.success(t("accounts.done", username=state.get_value("accounts_done")))
    state.set_value("accounts_done", None)
accounts = accounts_frame(store)
live = active_sessions(store, limits=resources.settings().session_limits)
yes_no = {True: t("accounts.yes"), False: t("accounts.no")}
data.table(pd.DataFrame({
    t("accounts.username"): accounts["username"], t("accounts.display_name"): accounts["display_name"],
    t("accounts.role"): [tr(f"role.{r}") for r in accounts["role"]],
    t("accounts.active"): accounts["active"].map(yes_no),
    t("accounts.must_change"): accounts["must_change_password"].map(yes_no),
    t("accounts.sessions"): accounts["username"].map(lambda u: live.get(u, 0)),
}), use_container_width=True, hide_index=True)

st.subheader(t("accounts.manage"))
others = [u for u in accounts["username"] if u != user.username]
if not others:
    st.info(t("accounts.no_others"))
    st.stop()
who = data.selectbox(st, t("accounts.pick"), others, key="ac_who")
row = accounts.set_index("username").loc[who]
done = None
a1, a2 = st.columns(2)
with a1:
    new_role = data.selectbox(st, t("accounts.role"), ROLES, index=ROLES.index(row["role"]), key="ac_role",
                            format_func=lambda r: tr(f"role.{r}"))
    if st.button(t("accounts.set_role"), key="ac_set_role", disabled=new_role == row["role"]):
        done = lambda: set_role(store, user, who, new_role)  # noqa: E731
    if row["active"]:
        if st.button(t("accounts.disable"), key="ac_disable"):
            done = lambda: set_active(store, user, who, False)  # noqa: E731
    elif st.button(t("accounts.enable"), key="ac_enable"):
        done = lambda: set_active(store, user, who, True)  # noqa: E731
    if st.button(t("accounts.end_sessions", n=live.get(who, 0)), key="ac_end", disabled=not live.get(who)):
        done = lambda: revoke_all(store, user, who, why="ended_by_admin")  # noqa: E731
with a2:
    temporary = st.text_input(t("accounts.temporary_password"), type="password", key="ac_temp")
    if st.button(t("accounts.reset_password"), key="ac_reset", disabled=not temporary):
        done = lambda: reset_password(store, user, who, temporary)  # noqa: E731
if done is not None:
    try:
        done()
    except GwmapError as exc:
        st.error(t_error(exc))
    else:
        state.set_value("accounts_done", who)  # said after the rerun that shows the change
        st.rerun()
