"""Cached resources shared by the pages: settings, the store, static assets."""

from __future__ import annotations

import streamlit as st

from gwmap.config import PROJECT_ROOT, Settings, get_settings
from gwmap.maps import install_static_assets
from gwmap.store import Store, open_store

__all__ = ["settings", "store"]


@st.cache_resource(show_spinner=False)  # never "Running _boot()." in English
def _boot() -> tuple[Settings, Store, tuple[str, ...]]:
    s = get_settings()
    st_ = open_store(s)
    if s.demo:
        from gwmap.demo import ensure_demo_users, load_demo

        ensure_demo_users(st_)
        load_demo(st_, s.demo_data_dir, s.evidence_dir)
        disabled: list[str] = []
    else:  # the demo passwords are in the README: such accounts must not stay open
        from gwmap.store.users import disable_demo_accounts, disabled_demo_accounts

        disable_demo_accounts(st_)
        disabled = disabled_demo_accounts(st_)
    install_static_assets(PROJECT_ROOT / "static")
    return s, st_, tuple(disabled)


def settings() -> Settings:
    return _boot()[0]


def store() -> Store:
    return _boot()[1]


def disabled_demo_accounts() -> tuple[str, ...]:
    """Demo accounts found disabled at start outside demo mode (the sign-in page says so)."""
    return _boot()[2]


def basemap():
    """The basemap the settings ask for."""
    from gwmap.maps import Basemap

    s = settings()
    return Basemap(s.basemap, s.tianditu_key, s.tile_url)
