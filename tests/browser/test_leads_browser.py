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
