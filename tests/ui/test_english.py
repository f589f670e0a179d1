"""Each page once in English: what it shows in Chinese, it shows in English.

The page tests check behaviour in Chinese.  Here each page is opened in both languages as an administrator
(who sees every page); every heading, subheading, button, caption, metric and widget label the Chinese page
shows that is a catalog message (found by its Chinese text) must appear as that message's English text on
the English page, and no text on the English page may be a Chinese catalog message.
"""

from __future__ import annotations

import re

import pytest
import streamlit as st

from gwmap.config import PROJECT_ROOT
from gwmap.i18n import catalog, placeholders, translate
from gwmap.store.users import CurrentUser
from tests.ui.conftest import app_opener

CJK = re.compile(r"[\u4e00-\u9fff]")
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
    county = {"county", "adcode", "plan"}  # filled from the county profile: a message that needs no other value
    fixed = [k for k, v in catalog("zh").items()
             if placeholders(v) <= county and placeholders(catalog("en").get(k, "")) <= county]
    zh_of = {k: translate(k, "zh") for k in fixed}
    en_catalog = {k: translate(k, "en") for k in fixed}
    by_text: dict[str, set[str]] = {}  # a Chinese text -> the messages that read so (several may)
    for k in fixed:
        if zh_of[k] != en_catalog[k]:
            by_text.setdefault(zh_of[k], set()).add(k)
    zh = _texts(make_app("zh", ADMIN, f"pages/{page}"))
    en_at = make_app("en", ADMIN, f"pages/{page}")
    en = set(_texts(en_at))
    found = [t for t in zh if t in by_text]
    assert found, f"{page}: no catalog message found on the Chinese page"
    assert [t for t in found if not any(en_catalog[k] in en for k in by_text[t])] == []
    assert [t for t in en if t in by_text] == []  # nothing left in Chinese
    labels = [e.value for kind in ("title", "header", "subheader") for e in getattr(en_at, kind)]
    labels += [b.label for b in en_at.button] + [m.label for m in en_at.metric]
    labels += [w.label for kind in ("selectbox", "text_input", "number_input", "radio", "checkbox", "multiselect")
               for w in getattr(en_at, kind) if w.label != "语言 / Language"]
    # headings and labels in English (a Chinese term may stand in brackets as a gloss: "Permit screening (行政审批)")
    assert [t for t in labels if CJK.search(re.sub(r"\([^)]*\)", "", t))] == []
