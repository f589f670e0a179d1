"""What a hydrologist sees: the surface page builds a coloured water table with contours, offline."""

import pytest

from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser


def test_surface_page_draws_the_water_table(page, server):
    sign_in(page, server, "hydro", "gwmap-hydro")
    page.get_by_role("link", name="水位面").click()
    page.get_by_role("button", name="生成水位面").click()
    page.get_by_text("外推区域占比").wait_for(timeout=90_000)
    frame = map_frame(page, "survey_wells")
    overlay = frame.locator("img.leaflet-image-layer")
    assert overlay.count() == 2  # the surface and the extrapolated mask; the kriging std is switched off
    assert all(overlay.nth(i).get_attribute("src").startswith("data:image/png;base64,") for i in range(2))
    assert frame.locator(".gw-contour-label").count() >= 5
    assert frame.evaluate("() => document.querySelector('img.leaflet-image-layer').naturalWidth") > 100
    assert frame.locator("path.leaflet-interactive").count() > 18 + 5  # townships and contour lines
    assert frame.evaluate("() => window.gwmapCounts.survey_wells") > 60  # the shallow wells of the survey
    assert "埋深" in frame.locator(".gw-legend").inner_text()
    frame_el = page.locator('iframe[title="streamlit_folium.st_folium"]')
    frame_el.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUTPUT / "surface.png"))
    assert page.outside_requests == []
