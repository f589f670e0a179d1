"""A fresh server, every page URL opened anonymously before anyone has signed in: the sign-in form only.

Streamlit serves ``pages/*.py`` at their own URLs without running ``app.py``
until some session has called ``st.navigation``; this module's server is new,
so these visits are the first it serves.
"""

import pytest

from gwmap.config import PROJECT_ROOT
from tests.browser.conftest import OUTPUT

pytestmark = pytest.mark.browser

PAGES = sorted(p.stem for p in (PROJECT_ROOT / "pages").glob("*.py"))


def test_every_page_url_shows_only_the_sign_in_form(page, server):
    for name in PAGES:
        page.goto(f"{server}/{name}")
        page.get_by_label("用户名").wait_for(timeout=60_000)
        page.get_by_label("密码").wait_for(timeout=10_000)
        page.wait_for_timeout(1_500)  # let anything else the page would draw arrive
        body = page.locator("[data-testid=\"stMain\"]").inner_text()
        assert "冠县地下水监管一张图" in body, name
        for leak in ("371525", "XS2026", "下载", "Download", "取水权人", "操作日志", "admin"):
            assert leak not in body, (name, leak)
        assert page.locator('[data-testid="stDataFrame"]').count() == 0, name
        assert page.locator('[data-testid="stDownloadButton"]').count() == 0, name
        assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 0, name
        assert page.locator('[data-testid="stFileUploader"]').count() == 0, name
    page.screenshot(path=str(OUTPUT / "anonymous.png"))
    assert page.outside_requests == []
