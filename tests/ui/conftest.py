"""Opening the app in AppTest as a signed-in user on a data dir (shared by the page tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from gwmap.config import PROJECT_ROOT
from gwmap.store import Store
from gwmap.store.users import CurrentUser
from gwmap.ui.launch import navigation_by_app
from gwmap.ui.state import LANG_KEY
from tests.conftest import signed_in

navigation_by_app()  # as serve.py: every run is app.py's, never Streamlit's pages-folder mode


def app_opener(data_dir: Path, monkeypatch, *, timeout: float = 90):
    """``make(lang, user=None, page=None)``: app.py run once in ``lang`` on ``data_dir`` (the demo mode on).

    With a ``user`` the session is signed in as the sign-in form does; with a ``page`` that page is opened
    directly, as a link would, without running the home page first.  Streamlit's caches start empty.
    """
    monkeypatch.setenv("GWMAP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GWMAP_DEMO", "1")
    monkeypatch.delenv("GWMAP_DATABASE_URL", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()

    def make(lang: str, user: CurrentUser | None = None, page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=timeout)
        at.session_state[LANG_KEY] = lang
        if user is not None:
            signed_in(at, Store(f"sqlite:///{data_dir / 'gwmap.sqlite'}"), user)
        if page:
            at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
        return at

    return make


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """The file names the pages offer for download, in order (Streamlit keeps them off the element)."""
    from streamlit.delta_generator import DeltaGenerator

    names: list[str] = []
    offer = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        names.append(file_name)
        return offer(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    return names
