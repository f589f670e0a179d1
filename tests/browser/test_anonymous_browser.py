"""A fresh server, every page URL opened anonymously before anyone has signed in: the sign-in form only.

Streamlit would serve the ``pages/`` folder at its own URLs (raw file names in
the sidebar, ``app.py`` not run) until some session has called
``st.navigation``; gwmap's server has every URL run ``app.py`` from the start
(``gwmap.ui.launch.navigation_by_app``).  This module's server is new, so these
visits are the first it serves.
"""

import pytest

from gwmap.config import PROJECT_ROOT
from tests.browser.conftest import OUTPUT, sign_in

pytestmark = pytest.mark.browser

PAGES = sorted(p.stem for p in (PROJECT_ROOT / "pages").glob("*.py"))


def _only_the_sign_in_form(page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_label("用户名").wait_for(timeout=60_000)
    page.get_by_label("密码", exact=True).wait_for(timeout=10_000)
    page.wait_for_timeout(500)  # the form ends the run (st.stop): nothing drawn later can follow
    body = page.locator("[data-testid=\"stMain\"]").inner_text()
    assert "冠县地下水监管一张图" in body, name
    for leak in ("371525", "XS2026", "下载", "Download", "取水权人", "操作日志", "admin"):
        assert leak not in body, (name, leak)
    for testid in ("stDataFrame", "stDownloadButton", "stFileUploader", "stSidebarNav"):  # stSidebarNav: file names
        assert page.locator(f'[data-testid="{testid}"]').count() == 0, (name, testid)
    assert page.locator('iframe[title="streamlit_folium.st_folium"]').count() == 0, name


def test_each_page_checks_the_user_itself_when_streamlit_runs_it_alone(browser, tmp_path_factory, _demo_template):
    """``streamlit run app.py`` on a fresh server runs each ``pages/`` file alone (app.py's gate not run) until a
    visit to "/": every page shows the sign-in form by its own check, and no list of file names shows."""
    from tests.browser.conftest import start_server
    from tests.conftest import copy_demo

    data_dir = tmp_path_factory.mktemp("bare-data")
    copy_demo(_demo_template, data_dir)
    proc, url = start_server(data_dir, bare=True, log_name="bare.log")
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
    try:
        page = ctx.new_page()
        for name in PAGES:
            _only_the_sign_in_form(page, f"{url}/{name}", name)
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(timeout=20)


def test_every_page_url_shows_only_the_sign_in_form(page, server):
    for name in PAGES:
        _only_the_sign_in_form(page, f"{server}/{name}", name)
    page.screenshot(path=str(OUTPUT / "anonymous.png"))
    assert page.outside_requests == []


def test_markdown_in_an_owner_name_is_shown_as_text_and_fetches_nothing(page, server):
    """Runs after the anonymous visits: an owner typed as a Markdown image and HTML shows literally."""
    from gwmap.registry import update_well
    from gwmap.store import Store
    from gwmap.store.users import system_user

    owner = "![x](http://evil.example/p.png) <img src=http://evil.example/q.png> :red[注意]"
    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    try:
        update_well(store, system_user("admin"), "371525107J0001", owner=owner)
    finally:
        store.dispose()
    sign_in(page, server, "leader", "gwmap-leader")
    page.get_by_role("link", name="取水井台账").click()
    search = page.get_by_placeholder("机井编号、取水权人或村名")
    search.wait_for(timeout=60_000)
    search.fill("371525107J0001")
    search.press("Enter")
    page.get_by_text("300 米内", exact=False).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1_500)
    text = page.locator('[data-testid="stMain"]').inner_text()
    shown = text[text.find("取水权人:"):text.find("乡镇:", text.find("取水权人:"))]
    (OUTPUT / "owner_markdown.txt").write_text(shown)
    assert "![x](http://evil.example/p.png)" in text and ":red[注意]" in text, shown
    assert page.locator('[data-testid="stMain"] img[src*="evil.example"]').count() == 0
    page.screenshot(path=str(OUTPUT / "owner_markdown.png"))
    assert page.outside_requests == []
