"""gwmap entry: page config, language switch, sign-in gate, navigation by role."""

import streamlit as st

from gwmap.config import PROJECT_ROOT
from gwmap.store.users import can
from gwmap.ui import data, shell, state
from gwmap.ui.i18n import t

data.county()  # the county's profile first: every title and message names it
st.set_page_config(page_title=t("app.title"), page_icon=str(PROJECT_ROOT / "static" / "favicon.png"), layout="wide")
nav_box = st.sidebar.container()  # the page links, at the top of the sidebar once someone has signed in
shell.language_switch()
shell.demo_banner()
resolved = shell.current_user()
user = resolved[0]
pages = [
    st.Page("pages/dashboard.py", title=t("nav.dashboard"), icon=":material/dashboard:", default=True,
            url_path="dashboard"),
    st.Page("pages/onemap.py", title=t("nav.onemap"), icon=":material/map:", url_path="onemap"),
    st.Page("pages/leads.py", title=t("nav.leads"), icon=":material/report:", url_path="leads"),
    st.Page("pages/routes.py", title=t("nav.routes"), icon=":material/route:", url_path="routes"),
    st.Page("pages/sealing.py", title=t("nav.sealing"), icon=":material/block:", url_path="sealing"),
    st.Page("pages/abstraction.py", title=t("nav.abstraction"), icon=":material/water_drop:", url_path="abstraction"),
    st.Page("pages/reclaimed.py", title=t("nav.reclaimed"), icon=":material/recycling:", url_path="reclaimed"),
    st.Page("pages/registry.py", title=t("nav.registry"), icon=":material/table_view:", url_path="registry"),
    st.Page("pages/surveys.py", title=t("nav.surveys"), icon=":material/water:", url_path="surveys"),
    st.Page("pages/surface.py", title=t("nav.surface"), icon=":material/layers:", url_path="surface"),
    st.Page("pages/cone.py", title=t("nav.cone"), icon=":material/trending_down:", url_path="cone"),
    st.Page("pages/boundaries.py", title=t("nav.boundaries"), icon=":material/polyline:", url_path="boundaries"),
    st.Page("pages/county.py", title=t("nav.county"), icon=":material/tune:", url_path="county"),
]
if user is None or can(user, "users.manage"):
    pages += [
        st.Page("pages/accounts.py", title=t("nav.accounts"), icon=":material/group:", url_path="accounts"),
        st.Page("pages/audit.py", title=t("nav.audit"), icon=":material/history:", url_path="audit"),
    ]
# The navigation runs before the sign-in gate and runs nothing: a deep link (/registry?well=…) opened signed
# out is still the page shown once the user has signed in.  Streamlit's own sidebar list is off
# (client.showSidebarNavigation = false: it would list the pages/ files before anyone signs in); the links are
# drawn here, for the signed-in user's pages only.
nav = st.navigation(pages, position="hidden")
user = shell.require_user(frame=False, resolved=resolved)  # the sign-in form and the end of the run if nobody
with nav_box:
    for page in pages:
        st.page_link(page, label=page.title, icon=page.icon)

st.sidebar.caption(t("app.signed_in_as", name=user.display_name, role=t(f"role.{user.role}")))
if st.sidebar.button(t("app.logout")):
    shell.sign_out(user)
    st.rerun()
with st.sidebar.expander(t("password.title")):
    shell.password_form(user)
if state.get_value("password_changed"):
    st.sidebar.success(t("password.changed"))
    state.set_value("password_changed", False)

nav.run()
