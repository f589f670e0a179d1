"""Typed accessors for ``st.session_state``; no page uses raw string keys."""

from __future__ import annotations

import streamlit as st

from gwmap.store.users import CurrentUser

__all__ = ["get_lang", "set_lang", "get_user", "set_user", "get_session", "LANG_KEY", "USER_KEY", "SESSION_KEY"]

LANG_KEY = "gwmap_lang"
USER_KEY = "gwmap_user"
SESSION_KEY = "gwmap_session_id"


def get_lang() -> str:
    return st.session_state.get(LANG_KEY, "zh")


def set_lang(lang: str) -> None:
    st.session_state[LANG_KEY] = lang if lang in ("zh", "en") else "zh"


def get_user() -> CurrentUser | None:
    return st.session_state.get(USER_KEY)


def set_user(user: CurrentUser | None, session_id: int | None = None) -> None:
    """Sign this tab in as ``user`` holding the stored session ``session_id``; None signs it out."""
    if user is None:
        st.session_state.pop(USER_KEY, None)
        st.session_state.pop(SESSION_KEY, None)
    else:
        st.session_state[USER_KEY] = user
        if session_id is not None:
            st.session_state[SESSION_KEY] = session_id


def get_session() -> int | None:
    """The id of the stored session this tab is signed in with."""
    return st.session_state.get(SESSION_KEY)


def get_value(name: str, default=None):
    """A page's remembered value (namespaced so pages cannot collide with widget keys)."""
    return st.session_state.get(f"gwmap_val_{name}", default)


def set_value(name: str, value) -> None:
    st.session_state[f"gwmap_val_{name}"] = value


def version_shown(form: str, current: int) -> int:
    """The record version the user's form was drawn with: the one of the previous run.

    A form's submit reruns the page, which reads the record afresh; the
    version that counts for optimistic locking is the one on screen when the
    user pressed the button, i.e. the one this function remembered last run.
    """
    key = f"gwmap_ver_{form}"
    shown = st.session_state.get(key, current)
    st.session_state[key] = current
    return shown


def linked_choice(param: str, key: str, options: list[str], known: set[str] | None = None) -> list[str]:
    """Let the URL's ``?param=value`` choose the value of the selectbox ``key`` (a deep link, a reload).

    Call before drawing the selectbox with the returned options, and
    :func:`link` after it.  A value from the URL that ``known`` holds but the
    page's filters left out of ``options`` is added, so a link always opens
    its record.  A URL value the user has since changed away from is not
    applied again.
    """
    wanted = st.query_params.get(param)
    options = list(options)
    if not wanted or wanted == st.session_state.get(f"gwmap_link_{param}"):
        return options  # no link, or the one this page wrote itself: the user's filters and choice rule
    if wanted not in options and known is not None and wanted in known:
        options.insert(0, wanted)
    if wanted in options:
        st.session_state[key] = wanted
    return options


def link(param: str, value: str | None) -> None:
    """Keep ``?param=value`` in the URL naming what the page shows (so a reload or a copied link opens it)."""
    st.session_state[f"gwmap_link_{param}"] = value
    if value is None:
        st.query_params.pop(param, None)
    elif st.query_params.get(param) != value:
        st.query_params[param] = value
