"""What the approval office sees: the reclaimed-water system and the permit holders by verdict, offline, and
the answer for a candidate site clicked on the map."""

import pytest

from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser


def test_a_candidate_site_clicked_on_the_map_gets_its_verdict(page, server):
    sign_in(page, server, "leader", "gwmap-leader")
    page.get_by_role("link", name="再生水与取水许可").click()
    frame = map_frame(page, "water_users")
    counts = frame.evaluate("() => window.gwmapCounts")
    assert counts["water_users"] == 20 and counts["plants"] == 4 and counts["reclaimed_users"] == 6
    legend = frame.locator(".gw-legend").inner_text()
    assert "再生水管网" in legend and "限批" in legend
    # a click on an empty spot 1.7 km north of the industrial park's main: a thermal power plant (the default industry)
    frame_el = page.locator('iframe[title="streamlit_folium.st_folium"]')
    frame_el.scroll_into_view_if_needed()
    point = frame.evaluate("""() => { const m = Object.values(window).find(v => v instanceof L.Map);
        const p = m.latLngToContainerPoint([36.485, 115.49]); return [p.x, p.y]; }""")
    box = frame_el.bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    answer = page.get_by_text("拟建项目（115.4")
    answer.wait_for(timeout=60_000)
    text = answer.inner_text()
    assert "火电" in text and "限批" in text and "在 2,000 m 内" in text
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUTPUT / "reclaimed.png"))
    assert page.outside_requests == []
