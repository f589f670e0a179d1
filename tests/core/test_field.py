"""The field page's core and API: the team's day, one-tap inspections stored once, conflicts kept, refusals."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import math
from datetime import datetime, time, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from gwmap import clock, web_field
from gwmap.cases import advance, distance_m
from gwmap.demo import ensure_demo_dispatch
from gwmap.dispatch import TeamCrew, day_targets, plan_day, save_dispatch, saved_dispatches
from gwmap.errors import InputDataError, PermissionDenied
from gwmap.field import parse_report, submit, today
from gwmap.io.routes import nav_links
from gwmap.store import sessions
from gwmap.store.models import AuditEvent, Dispatch, DispatchStop, Evidence, FieldSubmission, Lead, LeadStep, Well
from gwmap.store.users import CurrentUser, system_user

ENF = CurrentUser("enforce", "enforcement", "执法大队")
LEADER = CurrentUser("leader", "leader", "局领导")


def jpeg(colour=(120, 160, 90), size=(80, 60)) -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture
def day(demo_store):
    """The demo team's dispatch for today, as ``init --demo`` saves it."""
    dispatch_id = ensure_demo_dispatch(demo_store)
    return demo_store, dispatch_id


@pytest.fixture
def ev(tmp_path):
    """The demo copy's evidence folder (next to its database, as in a data dir)."""
    return tmp_path / "evidence"


def _first_lead(store, dispatch_id):
    with store.session() as s:
        ref = s.scalar(select(DispatchStop.ref).where(DispatchStop.dispatch_id == dispatch_id,
                                                      DispatchStop.ref.like("XS%")).order_by(DispatchStop.seq))
        lead = s.scalar(select(Lead).where(Lead.lead_code == ref))
        return lead.lead_code, lead.stage, lead.row_version, lead.lon, lead.lat


def _phone_clock():
    """09:15 today on a phone set to China time: within a day of now (a report a day off is flagged device_clock)."""
    return datetime.combine(clock.today(), time(9, 15), tzinfo=timezone(timedelta(hours=8)))


def _report(ref, outcome, stage, version, lon, lat, *, key="k" * 20, photos=1, accuracy=6, **extra):
    taken = _phone_clock()
    body = {"key": key, "ref": ref, "target": "lead", "outcome": outcome, "stage": stage, "version": version,
            "note": "门口有新管道", "lon": lon, "lat": lat, "accuracy": accuracy, "at": taken.isoformat(),
            "photos": [{"name": f"p{i}.jpg", "data": jpeg((40 * i, 90, 60)), "lon": lon, "lat": lat, "accuracy": accuracy,
                        "at": (taken - timedelta(minutes=1)).isoformat()} for i in range(photos)]}
    body.update(extra)
    return body


# ---------------------------------------------------------------- the day
def test_the_demo_team_has_todays_stops_in_order(day):
    store, dispatch_id = day
    assert dispatch_id is not None and ensure_demo_dispatch(store) is None  # once a day
    with store.session() as s:
        want = s.execute(select(DispatchStop.seq, DispatchStop.ref).where(DispatchStop.dispatch_id == dispatch_id)
                         .order_by(DispatchStop.seq)).all()
        assert s.scalar(select(Dispatch.day).where(Dispatch.id == dispatch_id)) == clock.today()
    got = today(store, ENF)
    assert got["team"]["name"] == "执法一组" and got["team"]["members"] == ["执法大队"]
    assert [(s["seq"], s["ref"]) for s in got["stops"]] == [tuple(r) for r in want] and len(want) >= 5
    assert got["next"] == 0 and not any(s["visited"] for s in got["stops"])
    first, second = got["stops"][0], got["stops"][1]
    assert second["leg_km"] == pytest.approx(distance_m(first["lon"], first["lat"], second["lon"], second["lat"]) / 1000,
                                             abs=0.051)
    lead = next(s for s in got["stops"] if s["target"] == "lead")
    assert set(lead["outcomes"]) == set(got["moves"][lead["stage"]])
    # someone not in the team sees no stops; a leader may not open the day at all
    assert today(store, CurrentUser("admin", "admin"))["stops"] == []
    with pytest.raises(PermissionDenied):
        today(store, LEADER)


def test_a_dispatch_names_its_team_and_members_who_can_go_out(demo_store):
    root = system_user("cli")
    targets = day_targets(demo_store).head(6)
    plan = plan_day(targets, teams=2, time_limit_s=0.5)
    with pytest.raises(InputDataError) as leader:
        save_dispatch(demo_store, root, plan, day=clock.today(), crews=[TeamCrew(1, "一组", ("enforce", "leader"))])
    assert leader.value.code == "err.dispatch.member" and leader.value.params["user"] == "leader"
    with pytest.raises(InputDataError) as twice:
        save_dispatch(demo_store, root, plan, day=clock.today(),
                      crews=[TeamCrew(1, "一组", ("enforce",)), TeamCrew(2, "二组", ("enforce",))])
    assert twice.value.code == "err.dispatch.member_twice"
    with demo_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Dispatch)) == 0  # refused: nothing saved
    did = save_dispatch(demo_store, root, plan, day=clock.today(), crews=[TeamCrew(2, "  东片  ", ("enforce", "admin"))])
    saved = saved_dispatches(demo_store, day=clock.today())
    teams = sorted(set(plan.stops["team"]))
    assert saved["dispatch_id"].tolist() == [did] * len(teams)
    by_team = saved.set_index("team")
    assert by_team.loc[2, "name"] == "东片" and by_team.loc[2, "members"] == "enforce,admin"
    assert by_team.loc[1, "name"] == "第1组" and by_team.loc[1, "members"] == ""
    assert by_team["stops"].sum() == len(plan.stops)
    assert today(demo_store, ENF)["team"]["team"] == 2


def test_navigation_links_carry_gcj02_and_bd09():
    # the published reference pair (WGS84 116.404, 39.915 -> GCJ-02 116.410244, 39.916404)
    links = nav_links(116.404, 39.915, "XS 1")
    assert "to=116.410244,39.916404,XS%201" in links["amap"] and links["amap"].startswith("https://uri.amap.com/navigation")
    assert "tocoord=39.916404,116.410244" in links["tencent"]
    # Baidu's published GCJ-02 -> BD-09 formula, written out here
    x, y = 116.41024449916938, 39.91640428150164
    xpi = math.pi * 3000.0 / 180.0
    z = math.hypot(x, y) + 0.00002 * math.sin(y * xpi)
    theta = math.atan2(y, x) + 0.000003 * math.cos(x * xpi)
    assert f"location={z * math.sin(theta) + 0.006:.6f},{z * math.cos(theta) + 0.0065:.6f}" in links["baidu"]
    assert "coord_type=bd09ll" in links["baidu"]


# ---------------------------------------------------------------- inspections
def test_an_inspection_is_stored_once_with_photos_positions_and_both_clocks(day, ev):
    store, dispatch_id = day
    ref, stage, version, lon, lat = _first_lead(store, dispatch_id)
    outcome = {"registered": "not_found", "inspected": "needs_case", "confirmed": "rectify", "rectifying": "fixed",
               "reinspected": "fixed"}[stage]
    body = _report(ref, outcome, stage, version, lon + 0.0001, lat, photos=2)
    first = submit(store, ENF, parse_report(body), evidence_dir=ev)
    again = submit(store, ENF, parse_report(body), evidence_dir=ev)
    assert first.status == "stored" and not first.replayed
    assert again.replayed and again.step_id == first.step_id
    with store.session() as s:
        steps = s.scalars(select(LeadStep).join(Lead).where(Lead.lead_code == ref).order_by(LeadStep.id)).all()
        last = steps[-1]
        assert last.id == first.step_id and last.by == "enforce" and last.note.endswith("门口有新管道")
        assert last.lon == pytest.approx(lon + 0.0001) and last.accuracy_m == 6
        assert sum(1 for st in steps if st.id == first.step_id) == 1
        ev = s.scalars(select(Evidence).where(Evidence.step_id == first.step_id).order_by(Evidence.id)).all()
        assert [e.sha256 for e in ev] == [hashlib.sha256(base64.b64decode(p["data"])).hexdigest() for p in body["photos"]]
        assert all(e.gps_source == "device" and e.accuracy_m == 6 and e.lat == pytest.approx(lat) for e in ev)
        row = s.scalar(select(FieldSubmission).where(FieldSubmission.key == body["key"]))
        assert s.scalar(select(func.count()).select_from(FieldSubmission)) == 1
        assert row.device_at == clock.local_to_utc(datetime.combine(clock.today(), time(9, 15))) and row.received_at is not None
        audited = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.table_name == "field_submissions"))
        assert audited == 1
    # the day now shows the stop as visited and moves on to the next one
    got = today(store, ENF)
    visited = [s["ref"] for s in got["stops"] if s["visited"]]
    assert ref in visited and got["stops"][got["next"]]["ref"] != ref


def test_a_case_moved_on_meanwhile_is_a_conflict_and_nothing_is_overwritten(day, ev):
    store, dispatch_id = day
    ref, stage, version, lon, lat = _first_lead(store, dispatch_id)
    # on the desktop, someone else moves the case first
    onward = {"registered": "inspected", "inspected": "confirmed", "confirmed": "rectifying",
              "rectifying": "reinspected", "reinspected": "closed"}[stage]
    advance(store, CurrentUser("admin", "admin"), ref, onward, note="desk", deadline=clock.today() + timedelta(days=9),
            evidence_dir=ev,
            expected_version=version)
    with store.session() as s:
        before = s.scalar(select(func.count()).select_from(LeadStep))
        now_stage = s.scalar(select(Lead.stage).where(Lead.lead_code == ref))
    outcome = next(iter(today(store, ENF)["moves"][stage]))
    got = submit(store, ENF, parse_report(_report(ref, outcome, stage, version, lon, lat)), evidence_dir=ev)
    assert got.status == "conflict" and got.detail["stage"] == now_stage == onward
    assert got.detail["actor"] == "admin" and got.detail["version_seen"] == version
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(LeadStep)) == before
        assert s.scalar(select(Lead.stage).where(Lead.lead_code == ref)) == onward
        kept = s.scalar(select(FieldSubmission).where(FieldSubmission.key == "k" * 20))
        assert kept.status == "conflict" and json.loads(kept.payload_json)["photos"][0]["sha256"]
    sha = json.loads(kept.payload_json)["photos"][0]["sha256"]
    assert hashlib.sha256((ev / sha).read_bytes()).hexdigest() == sha  # the photo is kept, by its hash


def test_a_far_or_rough_position_is_flagged(day, ev):
    store, dispatch_id = day
    ref, stage, version, lon, lat = _first_lead(store, dispatch_id)
    outcome = next(iter(today(store, ENF)["moves"][stage]))
    far = _report(ref, outcome, stage, version, lon + 0.02, lat, accuracy=80)  # ~1.8 km east, ±80 m
    got = submit(store, ENF, parse_report(far), evidence_dir=ev)
    assert got.status == "stored" and set(got.detail["flags"]) == {"far", "rough_position"}


def test_a_well_found_pumping_becomes_a_lead(demo_store, tmp_path):
    with demo_store.session() as s:
        well = s.scalar(select(Well).where(Well.status == "sealed_standby").limit(1))
        code, lon, lat = well.well_code, well.lon, well.lat
        leads_before = s.scalar(select(func.count()).select_from(Lead))
    body = {"key": "w" * 24, "ref": code, "target": "well", "outcome": "well_pumping", "lon": lon, "lat": lat,
            "accuracy": 5, "photos": [{"data": jpeg(), "lon": lon, "lat": lat}]}
    got = submit(demo_store, ENF, parse_report(body), evidence_dir=tmp_path)
    with demo_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == leads_before + 1
        lead = s.scalar(select(Lead).where(Lead.lead_code == got.detail["lead"]))
        assert lead.stage == "inspected" and lead.source == "patrol" and code in lead.description


@pytest.mark.parametrize("change, code", [
    ({"key": "short"}, "err.field.key"),
    ({"outcome": "burn_it"}, "err.field.outcome"),
    ({"lon": "NaN"}, "err.field.number"),
    ({"lat": 1e9}, "err.field.number"),
    ({"at": "yesterday"}, "err.field.time"),
    ({"photos": [{"data": "%%%"}]}, "err.field.photo"),
    ({"photos": [{"data": base64.b64encode(b"MZ\x90\x00 not a photo").decode()}]}, "err.evidence.type"),
    ({"photos": [{"data": jpeg()}] * 9}, "err.field.photos"),
    ({"note": "字" * 2001}, "err.field.note"),
])
def test_nonsense_from_a_phone_is_refused_with_its_reason(change, code):
    body = {**_report("XS1", "not_found", "registered", 1, 115.5, 36.5), **change}
    with pytest.raises(InputDataError) as err:
        parse_report(body)
    assert err.value.code == code


# ---------------------------------------------------------------- the API
def _call(method, path, *, body=b"", headers=None, cookie=None):
    from starlette.applications import Starlette

    app = Starlette(routes=web_field.field_routes())
    hdrs = {"host": "gw.local", **({"cookie": f"{sessions.COOKIE}={cookie}"} if cookie else {}), **(headers or {})}
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in hdrs.items()], "scheme": "http",
             "server": ("gw.local", 80), "client": ("10.1.2.3", 50000), "root_path": "", "http_version": "1.1"}
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(data) if data[:1] in (b"{", b"[") else data


@pytest.fixture
def api(day, monkeypatch, tmp_path):
    store, dispatch_id = day
    monkeypatch.setattr(web_field, "_store", lambda: store)
    monkeypatch.setenv("GWMAP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(web_field, "_API_RATE", web_field.RateLimiter(120, 60.0))

    def token(user):
        _, ticket = sessions.open_session(store, user)
        return sessions.redeem(store, ticket)

    return store, dispatch_id, token


def test_the_api_refuses_the_signed_out_a_leader_and_other_sites(api):
    store, _, token = api
    assert _call("GET", "/api/gwmap/field/today")[0] == 401
    status, body = _call("GET", "/api/gwmap/field/today", cookie=token(LEADER))
    assert status == 403 and body["error"] == "err.field.role" and "领导" in body["message"]
    enf = token(ENF)
    status, body = _call("POST", "/api/gwmap/field/inspections", cookie=enf, body=b"{}",
                         headers={"origin": "https://evil.example"})
    assert status == 403 and body["error"] == "err.field.origin"
    status, day = _call("GET", "/api/gwmap/field/today", cookie=enf)
    assert status == 200 and day["team"]["name"] == "执法一组" and day["outline"]["features"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(FieldSubmission)) == 0


def test_the_api_stores_a_replayed_inspection_once_and_says_why_it_refuses(api):
    store, dispatch_id, token = api
    enf = token(ENF)
    ref, stage, version, lon, lat = _first_lead(store, dispatch_id)
    outcome = next(iter(today(store, ENF)["moves"][stage]))
    raw = json.dumps(_report(ref, outcome, stage, version, lon, lat, key="a1" * 10)).encode()
    origin = {"origin": "http://gw.local", "content-type": "application/json"}
    first = _call("POST", "/api/gwmap/field/inspections", cookie=enf, body=raw, headers=origin)
    second = _call("POST", "/api/gwmap/field/inspections", cookie=enf, body=raw, headers=origin)
    assert first[0] == second[0] == 200 and second[1]["replayed"] and second[1]["step_id"] == first[1]["step_id"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(LeadStep).where(LeadStep.id == first[1]["step_id"])) == 1
        assert s.scalar(select(func.count()).select_from(FieldSubmission)) == 1
    status, body = _call("POST", "/api/gwmap/field/inspections", cookie=enf, body=b"{not json", headers=origin)
    assert status == 400 and body["error"] == "err.field.body" and "\n" not in body["message"]
    bad = json.dumps(_report(ref, outcome, stage, version, "东经115", lat, key="b2" * 10)).encode()
    status, body = _call("POST", "/api/gwmap/field/inspections", cookie=enf, body=bad, headers=origin)
    assert status == 400 and body["error"] == "err.field.number" and "东经115" in body["message"]
    status, body = _call("POST", "/api/gwmap/field/inspections", cookie=enf, headers={
        **origin, "content-length": str(web_field.MAX_BODY_BYTES + 1)})
    assert status == 413 and "40 MB" in body["message"]


def test_the_api_limits_the_request_rate(api, monkeypatch):
    _, _, token = api
    monkeypatch.setattr(web_field, "_API_RATE", web_field.RateLimiter(3, 60.0))
    enf = token(ENF)
    got = [_call("GET", "/api/gwmap/field/today", cookie=enf)[0] for _ in range(4)]
    assert got == [200, 200, 200, 429]


def test_the_page_carries_both_languages_and_escapes_them():
    status, html = _call("GET", "/field/")
    page = html.decode()
    assert status == 200 and '<html lang="zh">' in page
    start = page.index('id="gw-strings">') + len('id="gw-strings">')
    strings = json.loads(page[start:page.index("</script>", start)])
    assert strings["zh"]["fieldapp.title"] == "外业巡查" and strings["en"]["fieldapp.title"] == "Field inspections"
    assert set(strings["zh"]) == set(strings["en"])
