"""Store: migrations, audit trail, no hard deletes, boundary versions. Runs on SQLite and PostgreSQL."""

import json

import geopandas as gpd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from gwmap import boundaries
from gwmap.boundaries import prepare_boundaries
from gwmap.errors import GwmapError, InputDataError, PermissionDenied
from gwmap.store import repo
from gwmap.store.models import AuditEvent, Base, Well, include_object
from gwmap.store.users import CurrentUser, system_user
from tests.conftest import DATA

ADMIN = system_user("admin1")


def test_migrations_match_the_models(store):
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(store):
    store.migrate()
    assert repo.counts(store)["wells"] == 0


def _well(code="W1", **kw):
    values = dict(well_code=code, lon=115.5, lat=36.5, aquifer="shallow", use="irrigation", status="in_use")
    values.update(kw)
    return Well(**values)


def _events(store, table):
    with store.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.table_name == table).order_by(AuditEvent.id)))


def test_insert_and_update_write_who_what_before_after(store):
    with store.session(system_user("hydro1")) as s:
        s.add(_well(owner="张三"))
    with store.session(system_user("hydro2")) as s:
        w = s.scalar(select(Well).where(Well.well_code == "W1"))
        w.owner = "李四"
        w.status = "filled"
    ins, upd = _events(store, "wells")
    assert (ins.actor, ins.action) == ("hydro1", "insert")
    assert json.loads(ins.after)["owner"] == "张三"
    assert (upd.actor, upd.action, upd.record_id) == ("hydro2", "update", ins.record_id)
    assert json.loads(upd.before) == {"owner": "张三", "status": "in_use"}
    assert json.loads(upd.after) == {"owner": "李四", "status": "filled"}


def test_change_without_a_user_is_refused_and_nothing_lands(store):
    with pytest.raises(GwmapError) as err:
        with store.session() as s:
            s.add(_well())
    assert err.value.code == "err.store.no_actor"
    assert repo.counts(store)["wells"] == 0


def test_hard_delete_is_refused(store):
    with store.session(system_user("a")) as s:
        s.add(_well())
    with pytest.raises(GwmapError) as err:
        with store.session(system_user("a")) as s:
            s.delete(s.scalar(select(Well)))
    assert err.value.code == "err.store.no_delete"
    assert repo.counts(store)["wells"] == 1


def _prepared(path=DATA / "boundaries" / "townships.geojson"):
    return prepare_boundaries(gpd.read_file(path), name_field="name", code_field="code")


def test_new_boundary_version_supersedes_and_keeps_history(store):
    first = boundaries.save_boundaries(store, ADMIN, _prepared(), source_name="v1.geojson", schematic=True)
    second = boundaries.save_boundaries(store, ADMIN, _prepared(DATA / "boundaries" / "county.geojson"),
                                  source_name="county.geojson")
    info, tw, outline = repo.current_boundaries(store)
    assert info.id == second.id and len(tw) == 1 and info.county_area_km2 == pytest.approx(1161, abs=5)
    hist = repo.boundary_history(store)
    assert [(h.id, h.is_current, h.township_count) for h in hist] == [(second.id, True, 1), (first.id, False, 18)]
    flips = [json.loads(e.after) for e in _events(store, "boundary_versions") if e.action == "update"]
    assert flips == [{"is_current": False}]


def test_a_bad_file_leaves_the_stored_boundaries_as_they_were(store):
    boundaries.save_boundaries(store, ADMIN, _prepared(), source_name="v1.geojson")
    with pytest.raises(InputDataError):
        boundaries.import_boundary_file(store, ADMIN, b"garbage", "x.zip", crs=None, name_field="name", code_field=None)
    info, tw, _ = repo.current_boundaries(store)
    assert info.source_name == "v1.geojson" and len(tw) == 18
    assert len(repo.boundary_history(store)) == 1


def test_only_admins_import_boundaries_and_refusals_are_audited(store):
    leader = CurrentUser("boss", "leader")
    data = (DATA / "boundaries" / "townships.geojson").read_bytes()
    with pytest.raises(PermissionDenied):
        boundaries.import_boundary_file(store, leader, data, "t.geojson", crs=None, name_field="name", code_field="code")
    denied = [e for e in _events(store, "boundaries") if e.action == "denied"]
    assert len(denied) == 1 and denied[0].actor == "boss"
    assert repo.boundary_history(store) == []
    info, notes, change = boundaries.import_boundary_file(store, ADMIN, data, "t.geojson", crs=None, name_field="name",
                                                    code_field="code")
    assert info.township_count == 18 and len(change.table) == 18


@pytest.mark.parametrize("field, value, code", [
    ("well_code", "W" * 40, "err.value.too_long"),
    ("owner", "王" * 129, "err.value.too_long"),
    ("well_code", "W\u202e1", "err.value.control"),
    ("lon", float("nan"), "err.value.not_finite"),
    ("lat", 1e9, "err.value.lat"),
    ("year_drilled", 99999, "err.value.year"),
])
def test_impossible_values_are_refused_alike_on_each_backend(store, field, value, code):
    with pytest.raises(InputDataError) as err:
        with store.session(system_user("cli")) as s:
            s.add(_well(**{field: value}))
    assert err.value.code == code and err.value.params["field"] == field
    assert repo.counts(store)["wells"] == 0


def test_audit_search_filters_counts_and_pages_in_the_database(store):
    from datetime import date, datetime

    from gwmap import clock
    from gwmap.store import repo
    from gwmap.store.audit import write_event

    with clock.frozen(datetime(2026, 10, 31, 15, 30)):  # 23:30 on 31 October in Beijing
        with store.session(write=True) as s:
            for i in range(250):
                write_event(s, actor="li" if i % 2 else "wang", action="login_failed", table="users", record_id="li",
                            after={"failures": i})
    with clock.frozen(datetime(2026, 10, 31, 16, 30)):  # 00:30 on 1 November
        with store.session(write=True) as s:
            write_event(s, actor="wang", action="denied", table="wells", record_id="7", after={"permission": "x"})
    everything, total = repo.audit_search(store, per_page=100)
    assert total >= 251 and len(everything) == 100 and everything["id"].is_monotonic_decreasing
    last, _ = repo.audit_search(store, page=99, per_page=100)  # past the end: the last page
    assert len(last) == total - 100 * (-(-total // 100) - 1)
    li, n = repo.audit_search(store, repo.AuditQuery(actor="li", actions=("login_failed",)), per_page=50)
    assert n == 125 and set(li["actor"]) == {"li"}
    october, n = repo.audit_search(store, repo.AuditQuery(actor="wang", start=date(2026, 10, 31), end=date(2026, 10, 31)))
    assert n == 125 and "denied" not in set(october["action"])  # the county's day, not UTC's
    november, n = repo.audit_search(store, repo.AuditQuery(start=date(2026, 11, 1), table="wells", record="7"))
    assert n == 1 and november["action"].iloc[0] == "denied"
    assert {"li", "wang"} <= set(repo.audit_choices(store)["actor"])


def test_a_tables_version_moves_only_with_its_own_changes(demo_store):
    """Cache keys: a failed sign-in or a new lead leaves the wells' version (and their cached frame) alone."""
    from gwmap.errors import AuthError
    from gwmap.registry import update_well
    from gwmap.store.repo import table_versions
    from gwmap.store.users import authenticate, system_user

    before = table_versions(demo_store, ["wells", "leads", "surface_runs", "user_sessions"])
    assert "user_sessions" not in before  # bookkeeping keys nothing
    with pytest.raises(AuthError):
        authenticate(demo_store, "leader", "wrong password")
    assert table_versions(demo_store, ["wells", "leads", "surface_runs"]) == before
    update_well(demo_store, system_user("admin"), "371525107J0001", owner="新户主")
    after = table_versions(demo_store, ["wells", "leads", "surface_runs"])
    assert after["wells"] > before["wells"] and after["leads"] == before["leads"]
    assert after["surface_runs"] == before["surface_runs"]


def test_the_store_names_the_tables_an_answer_was_read_from(demo_store):
    """What a cache keys on comes from the SQL: the work ledger reads leads, steps and evidence, nothing else."""
    from datetime import date

    from gwmap.cases import work_ledger

    with demo_store.reading() as seen:
        work_ledger(demo_store, today=date(2026, 12, 2))
    assert seen == {"leads", "lead_steps", "evidence"}
    with demo_store.reading() as outer:
        repo.wells_frame(demo_store)
        with demo_store.reading() as inner:
            repo.leads_frame(demo_store)
    assert inner == {"leads"} and outer == {"wells", "leads"}


def test_postgis_keeps_geometry_columns_in_step_with_the_data(store):
    """PostgreSQL: wells and townships carry PostGIS geometry (WGS84, GiST-indexed) that follows every
    write; a map view's box is answered through it; the audit trail records the data, not the geometry."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("PostGIS columns exist on PostgreSQL only")
    from sqlalchemy import text

    from gwmap import registry
    from gwmap.membership import township_of

    boundaries.save_boundaries(store, ADMIN, _prepared(), source_name="v1.geojson")
    with store.session(system_user("hydro1")) as s:
        s.add_all([_well("W1", lon=115.45, lat=36.50), _well("W2", lon=115.60, lat=36.60)])
    with store.session(system_user("hydro1")) as s:
        s.scalar(select(Well).where(Well.well_code == "W2")).lon = 115.62
    with store.engine.connect() as c:
        geo = dict(c.execute(text("SELECT well_code, ST_AsText(geom) FROM wells")).all())
        srid = c.execute(text("SELECT Find_SRID('public', 'wells', 'geom')")).scalar()
        gist = c.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_wells_geom'")).scalar()
        # point in polygon in the store agrees with the app's own (shapely) answer
        in_db = c.execute(text("""SELECT w.well_code, t.code FROM wells w JOIN townships t ON ST_Covers(t.geom, w.geom)
                                  JOIN boundary_versions v ON v.id = t.version_id AND v.is_current""")).all()
        county_km2 = c.execute(text("SELECT ST_Area(geom::geography) / 1e6 FROM boundary_versions")).scalar()
    assert geo == {"W1": "POINT(115.45 36.5)", "W2": "POINT(115.62 36.6)"}
    assert srid == 4326 and "gist" in gist.lower()
    _, tw, _ = repo.current_boundaries(store)
    assert dict(in_db) == dict(zip(["W1", "W2"], township_of(tw, [115.45, 115.62], [36.5, 36.6]), strict=True))
    assert county_km2 == pytest.approx(1161, rel=0.02)
    rows, n = registry.map_wells(store, bounds=(115.61, 36.55, 115.7, 36.7))
    assert n == 1 and rows["well_code"].tolist() == ["W2"]
    assert all("geom" not in json.loads(e.after) for e in _events(store, "wells"))
