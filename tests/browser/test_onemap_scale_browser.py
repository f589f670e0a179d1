"""The one-map above its point limit: counts on a grid for the county, each well once zoomed in.

The server draws at most 500 wells one by one (``GWMAP_MAP_POINTS``), so the demo's 3,000 wells
behave as 840,000 do with the default limit.
"""

import re

import pytest

from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser

SERVER_ENV = {"GWMAP_MAP_POINTS": "500"}


def test_grid_for_the_county_then_wells_once_zoomed_in(page, server):
    sign_in(page, server, "leader", "gwmap-leader")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=120_000)
    page.goto(f"{server}/onemap")
    page.get_by_text("按网格显示数量").first.wait_for(timeout=60_000)
    notice = page.get_by_text(re.compile(r"当前视野有 [\d,]+ 眼机井")).first.inner_text()
    assert int(re.search(r"有 ([\d,]+) 眼", notice).group(1).replace(",", "")) > 500
    frame = map_frame(page, "leads")
    cells = frame.locator("path.leaflet-interactive").count()
    assert cells > 18 + 50  # townships and the grid's cells
    page.screenshot(path=str(OUTPUT / "onemap_grid.png"))
    page.wait_for_timeout(3_000)  # the first view is reported back once; the page settles on it
    for _ in range(12):  # zoom in on the middle of the county until few enough wells are in view
        if page.get_by_text(re.compile(r"当前视野逐井显示")).count():
            break
        try:
            map_frame(page, "leads").locator(".leaflet-control-zoom-in").click(timeout=10_000)
        except Exception:  # the map was being redrawn for the last zoom: try again on the new one
            pass
        page.wait_for_timeout(3_000)
    shown = page.get_by_text(re.compile(r"当前视野逐井显示 [\d,]+ 眼机井")).first
    shown.wait_for(timeout=60_000)
    n = int(re.search(r"显示 ([\d,]+) 眼", shown.inner_text()).group(1).replace(",", ""))
    assert 0 < n <= 500
    frame = map_frame(page, "wells")
    assert frame.evaluate("() => window.gwmapCounts['wells']") == n  # drawn: the wells of the view, no more
    page.screenshot(path=str(OUTPUT / "onemap_zoomed.png"))
    assert page.outside_requests == []
