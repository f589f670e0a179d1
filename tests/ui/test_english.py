"""Each page once in English: what it shows in Chinese, it shows in English.

The page tests check behaviour in Chinese.  Here each page is opened in both languages as an administrator
(who sees every page); every heading, subheading, button, caption, metric and widget label the Chinese page
shows that is a catalog message (found by its Chinese text) must appear as that message's English text on
the English page, and no text on the English page may be a Chinese catalog message.
"""

from __future__ import annotations

import pytest
import streamlit as st

from gwmap.config import PROJECT_ROOT
from gwmap.i18n import catalog
from gwmap.store.users import CurrentUser
from tests.ui.conftest import app_opener

ADMIN = CurrentUser("admin", "admin", "系统管理员")
PAGES = sorted(p.name for p in (PROJECT_ROOT / "pages").glob("*.py"))


def _texts(at) -> list[str]:
    out = []
    for kind in ("title", "header", "subheader", "caption", "button", "info", "warning", "success", "error"):
        out += [str(e.value if kind != "button" else e.label) for e in getattr(at, kind)]
    out += [m.label for m in at.metric]
    for kind in ("selectbox", "text_input", "number_input", "radio", "checkbox", "multiselect", "date_input"):
        out += [w.label for w in getattr(at, kind)]
    return [t for t in out if t]


@pytest.fixture
def make_app(demo_db_path, monkeypatch):
    yield app_opener(demo_db_path, monkeypatch)
    st.cache_resource.clear()


@pytest.mark.parametrize("page", PAGES)
def test_the_page_in_english_says_in_english_what_it_says_in_chinese(make_app, page):
    zh_catalog, en_catalog = catalog("zh"), catalog("en")
    by_text = {v: k for k, v in zh_catalog.items() if "{" not in v and v != en_catalog.get(k)}
    zh = _texts(make_app("zh", ADMIN, f"pages/{page}"))
    en = set(_texts(make_app("en", ADMIN, f"pages/{page}")))
    keys = [by_text[t] for t in zh if t in by_text]
    assert keys, f"{page}: no catalog message found on the Chinese page"
    assert [k for k in keys if en_catalog[k] not in en] == []
    assert [t for t in en if t in by_text] == []  # nothing left in Chinese
