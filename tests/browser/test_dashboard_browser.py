"""What a leader sees first: the dashboard with the cone on the map and the plan's targets, offline."""

import pytest

from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser


def test_dashboard_after_sign_in(page, server):
    sign_in(page, server, "leader", "gwmap-leader")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=120_000)
    page.get_by_text("比去年同期减少").first.wait_for(timeout=120_000)
    frame = map_frame(page, "extreme")
    assert frame.locator("img.leaflet-image-layer").count() == 1  # the surface under the cone
    assert frame.locator("path.leaflet-interactive").count() >= 18 + 1  # townships and the cone outline
    page.get_by_text("方案目标完成情况").wait_for(timeout=30_000)
    page.get_by_text("当前指标").first.wait_for(timeout=30_000)  # the page streams in; wait for it
    page.get_by_text("2023 年目标完成情况（截至 2023 年底）").first.wait_for(timeout=30_000)  # earlier years, folded
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUTPUT / "dashboard.png"))
    assert page.outside_requests == []
