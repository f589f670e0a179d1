"""What a person sees: sign in, open the one-map, Leaflet draws townships and wells offline."""

import pytest

from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser


def test_one_map_draws_offline(page, server):
    sign_in(page, server, "leader", "gwmap-leader")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=60_000)  # the dashboard comes first
    page.get_by_role("link", name="一张图").click()
    page.get_by_text("冠县地下水监管一张图").first.wait_for(timeout=60_000)
    frame = map_frame(page, "monitoring")
    assert frame.evaluate("() => typeof L") == "object" and frame.evaluate("() => L.version") == "1.9.3"
    counts = frame.evaluate("() => window.gwmapCounts")
    # and the reclaimed-water system (issue 14): 4 plants and 6 users as points, 4 mains as lines
    assert counts == {"wells": 3000, "sealings": 54, "leads": 60, "monitoring": 120, "plants": 4,
                      "reclaimed_users": 6}
    # 18 township polygons, the 2 demo over-extraction zones and 4 mains as SVG paths, the township names as
    # labels, points on canvas
    assert frame.locator("path.leaflet-interactive").count() == 18 + 2 + 4
    assert frame.locator(".gw-tw-label").count() == 18
    assert "崇文街道" in frame.locator(".gw-tw-label").all_inner_texts()
    assert frame.locator("canvas").count() >= 1
    # the canvas really has pixels drawn on it
    painted = frame.evaluate("""() => Array.from(document.querySelectorAll('canvas')).some(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false; })""")
    assert painted
    assert frame.locator(".gw-legend").inner_text().count("示意边界") == 1
    # the attribution names Leaflet in plain text: no flag (an inline SVG in Leaflet 1.9's default prefix)
    attribution = frame.locator(".leaflet-control-attribution")
    assert attribution.inner_text().startswith("Leaflet") and attribution.locator("svg").count() == 0
    scale = frame.locator(".leaflet-control-scale-line")  # one metric line, no miles
    assert scale.count() == 1 and scale.inner_text().endswith(("km", " m"))
    page.wait_for_timeout(500)
    page.screenshot(path=str(OUTPUT / "onemap.png"), full_page=True)
    assert page.outside_requests == []


def test_clicking_a_well_opens_its_popup(page, server):
    sign_in(page, server, "admin", "gwmap-admin")
    page.get_by_role("link", name="一张图").click()
    frame = map_frame(page, "monitoring")
    # zoom onto an in-use well, then click it where a person would see it
    frame_el = page.locator('iframe[title="streamlit_folium.st_folium"]')
    frame_el.scroll_into_view_if_needed()
    code, x, y = frame.evaluate("""() => { const m = Object.values(window).find(v => v && v.options && v.options.crs);
        let hit = null; m.eachLayer(l => { if (!hit && l.gwRow && l.gwRow[2] === 0) hit = l; });
        m.setView(hit.getLatLng(), 17, {animate: false});
        const p = m.latLngToContainerPoint(hit.getLatLng()); return [hit.gwRow[3], p.x, p.y]; }""")
    page.wait_for_timeout(800)
    box = frame_el.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10_000)
    assert "机井编号" in popup.inner_text() and code in popup.inner_text()
    assert page.outside_requests == []


def test_wrong_password_is_refused(page, server):
    sign_in(page, server, "admin", "wrong-password", keep=False)
    page.get_by_text("用户名或密码不正确。").wait_for(timeout=30_000)


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 1100}, {"width": 390, "height": 844}])
def test_the_legend_never_covers_the_layer_control(browser, server, viewport):
    from tests.browser.conftest import sign_in as sign_in_on

    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    pg = ctx.new_page()
    try:
        sign_in_on(pg, server, "leader", "gwmap-leader")
        pg.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=60_000)
        pg.goto(server + "/onemap")
        frame = map_frame(pg, "monitoring")
        pg.wait_for_timeout(500)
        boxes = frame.evaluate("""() => ['.gw-legend', '.leaflet-control-layers'].map(s => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom]; })""")
        (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes
        overlap = max(0, min(r1, r2) - max(l1, l2)) * max(0, min(b1, b2) - max(t1, t2))
        assert overlap == 0, boxes
        size = frame.evaluate("() => [innerWidth, innerHeight]")
        assert all(0 <= v <= size[i % 2] + 1 for i, v in enumerate(boxes[0]))  # the legend is inside the map
    finally:
        ctx.close()
