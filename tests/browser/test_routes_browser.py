"""What an enforcement officer sees: tomorrow's routes for two teams drawn as numbered stops, offline."""

import pytest

from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser


def test_route_page_draws_numbered_stops(page, server):
    sign_in(page, server, "enforce", "gwmap-enforce")
    page.get_by_role("link", name="巡查路线").click()
    page.get_by_role("button", name="规划路线").click()
    # the solver's progress is shown while it works (a bar with what it is doing), then gives way to the plan
    bar = page.locator('[data-testid="stProgress"]')
    bar.wait_for(timeout=10_000)
    assert "正在" in bar.inner_text() or "路线已排好" in bar.inner_text()
    page.get_by_text("个小组共").wait_for(timeout=90_000)
    assert page.locator('[data-testid="stProgress"]').count() == 0
    frame = map_frame(page, selector=".gw-stop")
    stops = frame.locator(".gw-stop")
    assert stops.count() >= 10
    assert "1" in stops.all_inner_texts()
    assert frame.locator("path.leaflet-interactive").count() >= 18 + 2  # townships and two team lines
    page.locator('iframe[title="streamlit_folium.st_folium"]').scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUTPUT / "routes.png"))
    assert page.outside_requests == []
