"""Tomorrow's sweep for two teams from the demo data: targets, routes, route sheets, and the link back."""

import io
import xml.etree.ElementTree as ET
from datetime import date, datetime

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from gwmap import clock
from gwmap.cases import advance, lead_steps
from gwmap.dispatch import day_targets, default_start, plan_day, save_dispatch
from gwmap.i18n import translate
from gwmap.io.routes import amap_link, gpx_bytes, kml_bytes, route_docx, route_pdf, route_xlsx
from gwmap.store import repo
from gwmap.store.users import CurrentUser

ENF = CurrentUser("enforce", "enforcement")
TODAY = date(2026, 11, 28)


def tr(key, **params):
    return translate(key, "zh", **params)


@pytest.fixture
def plan(demo_store):
    targets = day_targets(demo_store, sealed_months=24, spot_per_township=1, seed=1, today=TODAY)
    return targets, plan_day(targets, teams=2, hours=8, service_min=20, time_limit_s=2)


def test_targets_by_rule(demo_store):
    t = day_targets(demo_store, sealed_months=24, spot_per_township=2, seed=3, today=TODAY)
    leads = repo.leads_frame(demo_store)
    assert (t.kind == "overdue").sum() == int(leads.overdue.sum()) == 7
    assert set(t[t.kind == "overdue"].priority) == {3}
    assert (t.kind == "spot_check").sum() == 36 and t.ref.is_unique
    assert (t.kind == "sealed_well").sum() > 0


def test_two_teams_overdue_first(plan):
    targets, p = plan
    assert len(p.teams) == 2 and (p.teams.hours <= 8).all()
    visited = set(p.stops.ref)
    overdue = set(targets[targets.kind == "overdue"].ref)
    assert overdue <= visited  # the most urgent are never the ones left out
    assert len(visited) + len(p.dropped) == len(targets)
    assert (p.dropped.reason == "day_too_short").all()
    assert p.stops.groupby("team").arrival.apply(lambda a: list(a) == sorted(a)).all()


def test_route_sheets(plan, tmp_path):
    targets, p = plan
    names = {}
    gpx = ET.fromstring(gpx_bytes(p.stops, default_start(), tr=tr))
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(gpx.findall("g:wpt", ns)) == len(p.stops) and len(gpx.findall("g:rte", ns)) == 2
    kml = ET.fromstring(kml_bytes(p.stops, default_start(), tr=tr))
    assert len(kml.findall(".//{http://www.opengis.net/kml/2.2}Point")) == len(p.stops)
    raw = route_xlsx(p.stops, p.teams, tr=tr, names=names)
    sheet = pd.read_excel(io.BytesIO(raw))
    assert list(sheet.columns[:3]) == ["小组", "顺序", "预计到达"] and len(sheet) == len(p.stops)
    # each stop: its coordinates, its village, and AMap as a link to click (not a URL to copy)
    assert sheet["经度"].round(6).tolist() == p.stops["lon"].round(6).tolist()
    assert sheet["纬度"].round(6).tolist() == p.stops["lat"].round(6).tolist()
    assert sheet["村"].fillna("").tolist() == p.stops["village"].tolist() and sheet["村"].notna().any()
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(raw)).worksheets[0]
    col = [c.value for c in ws[1]].index("高德导航") + 1
    cells = [ws.cell(row=i, column=col) for i in range(2, len(p.stops) + 2)]
    assert all(c.value == "打开" and c.hyperlink.target.startswith("https://uri.amap.com/marker?position=")
               for c in cells)
    assert [c.hyperlink.target for c in cells] == [amap_link(a, b, c) for a, b, c in
                                                   zip(p.stops["lon"], p.stops["lat"], p.stops["ref"], strict=True)]
    import docx

    d = docx.Document(io.BytesIO(route_docx(p.stops, p.teams, tr=tr, names=names, day="2026-11-29")))
    assert len(d.tables) == 2 and "执法巡查路线单" in d.paragraphs[0].text
    pdf = route_pdf(p.stops, p.teams, tr=tr, names=names, day="2026-11-29")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_amap_link_is_in_gcj02():
    link = amap_link(115.5, 36.5, "JC001")
    lon, lat = (float(v) for v in link.split("position=")[1].split("&")[0].split(","))
    assert 0.004 < lon - 115.5 < 0.008 and 0.0 < lat - 36.5 < 0.002


def test_saved_dispatch_links_later_inspections(demo_store, plan, tmp_path):
    _, p = plan
    with clock.frozen(datetime(2026, 11, 29, 8)):
        did = save_dispatch(demo_store, ENF, p, day=date(2026, 11, 29))
        stages = repo.leads_frame(demo_store).set_index("lead_code").stage
        visits = {"registered": "inspected", "rectifying": "reinspected"}
        lead = next(r for r in p.stops.ref if r in stages.index and stages[r] in visits)  # overdue ones always are
        nxt = visits[stages[lead]]
        advance(demo_store, ENF, lead, nxt, note="按派单核查", evidence_dir=tmp_path)
    with demo_store.session() as s:
        from sqlalchemy import select

        from gwmap.store.models import LeadStep

        step = s.scalars(select(LeadStep).order_by(LeadStep.id.desc())).first()
    assert step.dispatch_id == did and step.stage == nxt and lead_steps(demo_store, lead).stage.iloc[-1] == nxt


def test_road_network_and_points_off_it(demo_store):
    targets = pd.DataFrame({"kind": ["lead", "lead", "lead"], "ref": ["A", "B", "C"], "label": ["", "", ""],
                            "lon": [115.45, 115.50, 115.75], "lat": [36.49, 36.49, 36.70], "township_code": ["", "", ""],
                            "priority": [2, 2, 2]})
    roads = gpd.GeoDataFrame(geometry=[LineString([(115.44, 36.485), (115.52, 36.49)])], crs=4326)
    p = plan_day(targets, start=(115.443, 36.485), teams=1, roads=roads, time_limit_s=0.5)
    assert set(p.stops.ref) == {"A", "B"} and list(p.dropped.ref) == ["C"] and p.dropped.reason.iloc[0] == "off_network"
    assert p.params["distances"] == "road_network"


def test_targets_without_coordinates_are_listed(demo_store):
    targets = pd.DataFrame({"kind": ["lead", "lead"], "ref": ["A", "B"], "label": ["", ""], "lon": [115.45, None],
                            "lat": [36.49, None], "township_code": ["", ""], "priority": [2, 2]})
    p = plan_day(targets, teams=1, time_limit_s=0.5)
    assert list(p.dropped.ref) == ["B"] and p.dropped.reason.iloc[0] == "no_coordinates"


def test_overdue_cases_are_visited_early(plan):
    _, p = plan
    overdue = p.stops[p.stops.kind == "overdue"]
    others = p.stops[p.stops.kind != "overdue"]
    # due by about the middle of an 08:30-16:30 day (a soft limit traded against kilometres)
    middle = lambda a: sorted(a)[len(a) // 2]  # noqa: E731
    assert (overdue.arrival <= "13:00").all() and middle(overdue.arrival) < middle(others.arrival)
