"""What enforcement sees on the abstraction ledger: wells sized by their water, offline, and a suggested lead
accepted in one click with its snapshot attached."""

import pytest

from gwmap.demo import DEMO_LOADER, PLANTED_LEVEL_ANOMALY
from gwmap.store import Store, repo
from tests.browser.conftest import OUTPUT, map_frame, sign_in

pytestmark = pytest.mark.browser


def test_the_ledger_map_and_a_suggestion_accepted(page, server):
    from gwmap.demo_power import add_demo_power

    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    if not len(repo.counts(store)) or not store.engine.connect().exec_driver_sql(
            "select count(*) from power_records").scalar():
        add_demo_power(store, DEMO_LOADER)  # what init --demo adds
    sign_in(page, server, "enforce", "gwmap-enforce")
    page.get_by_role("link", name="取水一本账").click()
    frame = map_frame(page, "abstraction")
    drawn = frame.evaluate("() => window.gwmapCounts.abstraction")
    assert drawn > 1000  # every well that drew water in the year
    # circles of different sizes: the radius follows the volume
    radii = frame.evaluate("""() => { const out = new Set(); const m = Object.values(window).find(
        v => v && v._layers && v.getCenter); if (!m) return 0; m.eachLayer(l => { if (l.getRadius) out.add(
        Math.round(l.getRadius())); }); return out.size; }""")
    assert radii >= 5
    legend = frame.locator(".gw-legend").inner_text()
    assert "水表计量" in legend and "以电折水" in legend
    page.get_by_text("数据筛查线索（待人工确认）").scroll_into_view_if_needed()
    page.get_by_role("tab", name="水位下降明显快于周边 (1)").click()
    panel = page.get_by_role("tabpanel", name="水位下降明显快于周边 (1)")
    panel.get_by_role("button", name="确认，登记为线索").click()
    page.get_by_text("已登记线索").wait_for(timeout=60_000)
    leads = repo.leads_frame(store)
    new = leads[leads.source == "data_screening"]
    assert len(new) == 1
    mw = repo.monitoring_wells_frame(store).set_index("mw_code").loc[PLANTED_LEVEL_ANOMALY]
    assert abs(new.iloc[0].lon - mw.lon) < 1e-6
    page.get_by_text("机井取水量分布图").scroll_into_view_if_needed()
    page.wait_for_timeout(600)
    page.screenshot(path=str(OUTPUT / "abstraction.png"))
    assert page.outside_requests == []
    store.dispose()
