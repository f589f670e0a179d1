"""What an enforcement officer does: click the map to place a lead, register it, and see it listed."""

import re

import pytest

from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser


def test_register_a_lead_by_clicking_the_map(page, server):
    sign_in(page, server, "enforce", "gwmap-enforce")
    page.get_by_role("link", name="违规取水线索").click()
    map_frame(page, "leads")
    frame_el = page.locator('iframe[title="streamlit_folium.st_folium"]')
    frame_el.scroll_into_view_if_needed()
    box = frame_el.bounding_box()
    # click an empty spot near the middle of the county
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    lon_input = page.get_by_label("经度")
    for _ in range(60):
        if lon_input.count() and abs(float(lon_input.first.input_value() or 0) - 115.5) > 1e-9:
            break
        page.wait_for_timeout(500)
    lon = float(lon_input.first.input_value())
    assert 115.2 < lon < 115.8 and lon != 115.5  # filled from the click, not the default
    page.get_by_label("情况描述").fill("巡查发现田间新井")
    page.get_by_role("button", name="登记", exact=True).click()
    msg = page.get_by_text(re.compile(r"已登记线索 XS\d{8}"))
    msg.wait_for(timeout=30_000)
    code = re.search(r"XS\d{8}", msg.inner_text()).group(0)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(OUTPUT / "leads.png"))
    assert page.outside_requests == []
    assert code


def test_a_closed_demo_case_shows_its_history_and_site_photos(page, server):
    from sqlalchemy import select

    from gwmap.store import Store
    from gwmap.store.models import Lead

    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    with store.session() as s:
        code = s.scalar(select(Lead.lead_code).where(Lead.stage == "closed").order_by(Lead.lead_code))
    store.dispose()
    sign_in(page, server, "leader", "gwmap-leader")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=60_000)
    page.goto(f"{server}/leads?lead={code}")
    photos = page.locator('[data-testid="stMain"] [data-testid="stImage"] img')
    photos.first.wait_for(timeout=60_000)
    assert photos.count() == 2
    assert all(photos.nth(i).evaluate("img => img.naturalWidth") == 800 for i in range(2))  # drawn, loaded, local
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "复查" in text and "销号" in text
    photos.first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUTPUT / "closed_case.png"), full_page=False)
    assert page.outside_requests == []
