"""The frame around every page: language switch, demo banner, sign-in, and the page gate.

The pages live in ``pages/``.  Every URL runs ``app.py``
(:func:`gwmap.ui.launch.navigation_by_app`), which draws the navigation by
role; Streamlit's own list of the folder's files is off
(``client.showSidebarNavigation = false``).  Still no page trusts that
``app.py`` checked the user (a test or a later layout may run it alone).
Every page starts with :func:`require_user`, which shows the sign-in form
(and nothing else) to an anonymous visitor, refuses a role that may not see
the page, and re-reads the account from the store so a disabled account or a changed role takes effect
on the next click.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid

import streamlit as st

from gwmap import web
from gwmap.errors import ConflictError, GwmapError
from gwmap.store import repo, sessions
from gwmap.store.users import CurrentUser, authenticate, authorize, can, change_password, must_change_password, refresh_user
from gwmap.ui import resources, state
from gwmap.ui.i18n import t, t_error

logger = logging.getLogger(__name__)

__all__ = ["field_link", "language_switch", "demo_banner", "sign_in_form", "sign_out", "password_form", "require_user",
           "install_error_handler", "show_conflict"]


LANG_COOKIE = "gwmap_lang"


def language_switch() -> None:
    """The 中文/English switch in the sidebar.

    The choice outlives a reload, a deep link and a second tab: the browser keeps it in a
    cookie (``gwmap_lang``, a preference, not a secret) that a new session reads first.
    """
    if state.LANG_KEY not in st.session_state:
        try:
            kept = st.context.cookies.get(LANG_COOKIE)
        except Exception:  # no browser behind this run (AppTest)
            kept = None
        state.set_lang(kept if kept in ("zh", "en") else "zh")
    st.sidebar.radio(t("app.language"), ["zh", "en"], key=state.LANG_KEY, horizontal=True,
                     format_func=lambda code: {"zh": "中文", "en": "English"}[code], on_change=_remember_language)
    if state.get_value("lang_changed"):
        state.set_value("lang_changed", False)
        lang = json.dumps(state.get_lang())
        st.html(f"<script>document.cookie = '{LANG_COOKIE}=' + {lang} + '; path=/; max-age=31536000; "
                "SameSite=Strict';</script>", unsafe_allow_javascript=True)


def _remember_language() -> None:
    state.set_value("lang_changed", True)


#: What a phone's browser says of itself (Android, iPhone, HarmonyOS, WeChat's browser on either).
_PHONE = re.compile(r"Mobi|Android|iPhone|iPod|HarmonyOS|MicroMessenger", re.IGNORECASE)


def field_link(user: CurrentUser) -> None:
    """The way to the field page for those who go out; an officer on a phone is taken there at once.

    The field page (``/field/``) is the officer's day on a phone (offline, camera, GPS); this Streamlit app
    needs a live connection.  ``?desk=1`` keeps the desktop pages on a phone (the field page links to it).
    """
    if not can(user, "leads.edit"):
        return
    st.link_button(t("dash.field_link"), "/field/", icon=":material/smartphone:")
    if st.query_params.get("desk") == "1":
        state.set_value("desk_on_phone", True)
    try:
        agent = st.context.headers.get("User-Agent", "")
    except Exception:  # no browser behind this run (AppTest)
        agent = ""
    if user.role == "enforcement" and _PHONE.search(agent or "") and not state.get_value("desk_on_phone"):
        # once the session cookie is set (the field page reads it): no second sign-in on the phone
        st.html("<script>Promise.resolve(window.gwmapToServer).then(function () {"
                " window.location.replace('/field/'); });</script>", unsafe_allow_javascript=True)


def demo_banner() -> None:
    settings = resources.settings()
    if settings.demo:
        st.warning(t("app.demo_banner"), icon=":material/science:")
    elif resources.disabled_demo_accounts():
        st.info(t("app.demo_accounts_disabled", names=", ".join(resources.disabled_demo_accounts())))


def sign_in_form() -> None:
    """The title and the sign-in form; a successful sign-in reruns the page."""
    store = resources.store()
    st.title(t("app.title"))
    if not repo.has_users(store):
        st.info(t("login.no_accounts"))
    with st.form("login"):
        st.subheader(t("login.title"))
        username = st.text_input(t("login.username"))
        password = st.text_input(t("login.password"), type="password")
        submitted = st.form_submit_button(t("login.submit"), type="primary")
    if submitted:
        try:
            user = authenticate(store, username, password)
        except GwmapError as exc:
            st.error(t_error(exc))
        else:
            session_id, ticket = sessions.open_session(store, user, limits=resources.settings().session_limits)
            state.set_user(user, session_id)
            state.set_value("session_ticket", ticket)  # handed to the browser on the next run, then forgotten
            st.rerun()


def password_form(user: CurrentUser) -> None:
    """The user's own password change: old, new, new again; every other session of theirs ends."""
    with st.form("password_change", clear_on_submit=True):
        st.subheader(t("password.title"))
        old = st.text_input(t("password.old"), type="password")
        new = st.text_input(t("password.new"), type="password")
        again = st.text_input(t("password.again"), type="password")
        submitted = st.form_submit_button(t("password.submit"), type="primary")
    if not submitted:
        return
    if new != again:
        st.error(t("password.mismatch"))
        return
    try:
        change_password(resources.store(), user, old, new, keep_session=state.get_session())
    except GwmapError as exc:
        st.error(t_error(exc))
    else:
        state.set_value("password_changed", True)
        st.rerun()


def _to_browser(path: str, body: str = "") -> None:
    """POST ``body`` to one of gwmap's endpoints from the page (same origin, never in the URL).

    The answer may set or clear the HttpOnly session cookie.  Where the app
    runs without the endpoints (plain ``streamlit run app.py``) nothing
    happens, and the sign-in lasts as long as the tab.
    """
    base = "/" + (st.get_option("server.baseUrlPath") or "").strip("/")
    url = json.dumps(base.rstrip("/") + path)
    # kept as window.gwmapToServer: a page that leaves at once (the phone's move to /field/) waits for it,
    # else the browser drops the request on leaving and the next page has no cookie
    st.html(f"<script>window.gwmapToServer = fetch({url}, {{method: 'POST', credentials: 'same-origin', "
            f"body: {json.dumps(body)}}}).catch(function () {{}});</script>", unsafe_allow_javascript=True)


def _localize_uploaders() -> None:
    """Overlay the file uploader's own English ("Upload", "50MB per file • CSV") with the user's language.

    The label above each uploader names the formats it takes; the limit is Streamlit's real one.
    """
    limit = int(st.get_option("server.maxUploadSize"))
    button, rule = (json.dumps(t(key, mb=limit), ensure_ascii=False) for key in ("upload.button", "upload.limit"))
    zone = '[data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
{zone} button [data-testid="stMarkdownContainer"] p {{font-size: 0}}
{zone} button [data-testid="stMarkdownContainer"] p::after {{content: {button}; font-size: 0.875rem}}
[data-testid="stFileUploaderDropzoneInstructions"] span {{font-size: 0}}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{content: {rule}; font-size: 0.75rem}}
[data-testid="InputInstructions"] {{display: none}}
</style>""")  # the last: Streamlit's English "Press Ctrl+Enter to submit form" under a form's fields


def _keep_drafts() -> None:
    """Have the browser keep what is typed into a form through a reload of the tab (``assets/drafts.js``)."""
    from gwmap.config import PROJECT_ROOT

    script = (PROJECT_ROOT / "gwmap" / "ui" / "assets" / "drafts.js").read_text(encoding="utf-8")
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(sessions.COOKIE)
    except Exception:  # no browser behind this run (AppTest): no cookie
        return None
    return token if isinstance(token, str) else None


def sign_out(user: CurrentUser) -> None:
    """End this tab's session in the store and have the browser drop its cookie."""
    session_id = state.get_session()
    if session_id is not None:
        sessions.revoke(resources.store(), user, session_id)
    state.set_user(None)
    state.set_value("signed_out", True)


def current_user() -> tuple[CurrentUser | None, bool]:
    """Who is signed in on this tab (or None), and whether a session has just ended.

    Ended: timed out, signed out elsewhere, or by an administrator.  Reads the session cookie on a
    reload, a deep link or a new tab.
    """
    install_error_handler()
    from gwmap.ui.data import run_memo

    store = resources.store()
    memo = run_memo()
    asked = (store.writes, state.get_user(), state.get_session(), state.get_value("signed_out"))
    if memo is not None and memo.get("user", (None,))[0] == asked:
        return memo["user"][1]  # app.py checked this run already; the page's own check reuses the answer
    limits = resources.settings().session_limits
    user = state.get_user()
    ended = False
    if user is not None and not sessions.alive(store, state.get_session(), limits=limits):
        state.set_user(None)  # timed out, signed out elsewhere, or ended by an administrator
        user, ended = None, True
    if user is None and not state.get_value("signed_out"):
        hit = sessions.resolve(store, _cookie_token(), limits=limits)  # a reload, a deep link, a second tab
        if hit is not None:
            user = hit[0]
            state.set_user(user, hit[1])
    if user is not None:
        fresh = refresh_user(store, user)
        if fresh != user:
            state.set_user(fresh)
            user = fresh
    if memo is not None:
        memo["user"] = ((store.writes, state.get_user(), state.get_session(), state.get_value("signed_out")),
                        (user, ended))
    return user, ended


def _must_change(store, username: str) -> bool:
    from gwmap.ui.data import run_memo

    memo = run_memo()
    key = ("must_change", store.writes, username)
    if memo is None or key not in memo:
        answer = must_change_password(store, username)
        if memo is None:
            return answer
        memo[key] = answer
    return memo[key]


def require_user(permission: str | None = None, *, target: str = "", frame: bool = True,
                 resolved: tuple[CurrentUser | None, bool] | None = None) -> CurrentUser:
    """The signed-in user, allowed ``permission``; otherwise the page ends here.

    Anonymous: the language switch, banner and sign-in form, nothing else.
    Signed in without the permission: a refusal (written to the audit trail).
    The account is read again from the store on every run, so a disabled
    account is signed out and a changed role applies at once.
    ``resolved``: what :func:`current_user` answered earlier in this run.
    """
    user, ended = resolved if resolved is not None else current_user()
    store = resources.store()
    from gwmap.ui import data

    data.county()  # every message, date and plane of this run follows the county's profile
    if user is None:
        if frame:  # a page run directly: app.py drew nothing
            language_switch()
            demo_banner()
        if ended:
            st.info(t("login.session_ended"))
        if state.get_value("signed_out"):
            _to_browser(web.SIGNOUT_PATH)
            st.html("<script>Object.keys(sessionStorage).filter(function (k) { return k.indexOf('gwmap-draft:') === 0; })"
                    ".forEach(function (k) { sessionStorage.removeItem(k); });</script>",
                    unsafe_allow_javascript=True)  # the drafts typed in this tab go with the sign-in
            state.set_value("signed_out", False)
        sign_in_form()
        st.stop()
    if _must_change(store, user.username):  # a reset password: choose a new one before anything else
        if frame:
            language_switch()
        st.info(t("password.must_change"))
        password_form(user)
        st.stop()
    _localize_uploaders()
    _keep_drafts()
    ticket = state.get_value("session_ticket")
    if ticket:
        _to_browser(web.SESSION_PATH, ticket)
        state.set_value("session_ticket", None)
    if permission is not None and not can(user, permission):
        try:
            authorize(store, user, permission, target=target)
        except GwmapError as exc:
            st.error(t_error(exc))
        st.stop()
    return user


def install_error_handler() -> None:
    """For this run: an error escaping the page shows in the user's language, never as a traceback.

    A :class:`GwmapError` shows its message; a bug is logged with an id and
    the user sees a message naming that id.  Set on Streamlit's script-run
    context (its ``on_script_error`` hook), so it covers a page run by
    ``st.navigation`` and a page run on its own (as the tests do) alike.
    With ``GWMAP_DEBUG=1`` (the tests set it) errors show as they are, so a bug fails its test.
    """
    if _debug():
        return
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.on_script_error = _on_error


def _on_error(exc: Exception) -> bool:
    if isinstance(exc, GwmapError):
        st.error(t_error(exc))
        return True
    error_id = uuid.uuid4().hex[:8]
    logger.error("unexpected error %s on a page", error_id, exc_info=exc)
    st.error(t("app.unexpected_error", id=error_id))
    return True  # Streamlit shows nothing more


def show_conflict(exc: ConflictError, field_label, *, vocab=None) -> None:
    """The stale-form refusal: who saved when, and each field's saved value beside the user's."""
    import pandas as pd

    st.error(t_error(exc))
    if exc.conflicts:
        show = vocab or (lambda f, v: "—" if v in (None, "") else str(v))
        st.dataframe(pd.DataFrame([{t("conflict.field"): field_label(f), t("conflict.saved"): show(f, saved),
                                    t("conflict.yours"): show(f, yours)} for f, saved, yours in exc.conflicts]),
                     hide_index=True)


def _debug() -> bool:
    return os.environ.get("GWMAP_DEBUG", "").strip() in {"1", "true", "yes"}
