"""The audit trail cannot be bypassed or rewritten unnoticed; verify, backup and restore. SQLite and PostgreSQL."""

import json
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text, update

from gwmap import boundaries, clock
from gwmap.errors import InputDataError
from gwmap.store import Store, repo
from gwmap.store.backup import backup, restore
from gwmap.store.models import AuditEvent, Evidence, Lead, Well
from gwmap.store.users import CurrentUser, system_user
from gwmap.store.verify import verify

ROOT = system_user("cli")


def _well(code="W1", **kw):
    return Well(**{**dict(well_code=code, lon=115.5, lat=36.5, aquifer="shallow", use="irrigation", status="in_use"), **kw})


def _events(store, table):
    with store.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.table_name == table).order_by(AuditEvent.id)))


def test_bulk_core_and_raw_sql_writes_are_recorded_with_their_actor(store):
    with store.session(ROOT) as s:
        s.add(_well())
    with store.session(ROOT) as s:  # a bulk UPDATE bypasses the ORM's flush hook
        s.execute(update(Well).where(Well.well_code == "W1").values(status="filled"))
    with store.begin(ROOT) as conn:  # Table.insert() and raw SQL
        conn.execute(insert(Well.__table__).values(well_code="W2", lon=115.6, lat=36.4, aquifer="deep", use="industry",
                                                   status="in_use", name="", township_code="", village="", owner="",
                                                   permit_no="", metering="", power_meter_no="", archived=False))
        conn.execute(text("UPDATE wells SET owner = '王五' WHERE well_code = 'W2'"))
    ev = _events(store, "wells")
    assert [(e.action, e.actor) for e in ev] == [("insert", "cli"), ("update", "cli"), ("insert", "cli"), ("update", "cli")]
    assert json.loads(ev[1].before)["status"] == "in_use" and json.loads(ev[1].after)["status"] == "filled"
    assert json.loads(ev[3].after)["owner"] == "王五"
    # a write with no signed-in user is still recorded (never silently)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE wells SET owner = '赵六' WHERE well_code = 'W2'"))
    last = _events(store, "wells")[-1]
    assert last.action == "update" and last.actor.startswith("sql") and json.loads(last.after)["owner"] == "赵六"


def test_the_audit_table_is_append_only_and_records_are_never_deleted(store):
    with store.session(ROOT) as s:
        s.add(_well())
    for sql in ("UPDATE audit_events SET actor = 'someone' WHERE id = (SELECT min(id) FROM audit_events)",
                "DELETE FROM audit_events", "UPDATE audit_events SET row_hash = 'x'", "DELETE FROM wells"):
        with pytest.raises(Exception) as err:  # noqa: B017 - the database's own error, either backend
            with store.engine.begin() as conn:
                conn.execute(text(sql))
        assert "gwmap" in str(err.value), sql
    with pytest.raises(Exception) as err:  # a forged hash on a new row  # noqa: B017
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_events (at, actor, action, table_name, record_id, row_hash) "
                              "VALUES ('2026-01-01', 'x', 'insert', 'wells', '1', 'abc')"))
    assert "audit hashes are set by the database" in str(err.value)
    assert repo.counts(store)["wells"] == 1 and verify(store, Path("/nonexistent")).ok


def test_each_row_carries_the_hash_of_the_one_before(store):
    for i in range(3):
        with store.session(ROOT) as s:
            s.add(_well(f"W{i}"))
    with store.session() as s:
        rows = list(s.execute(select(AuditEvent.prev_hash, AuditEvent.row_hash).order_by(AuditEvent.id)))
    assert rows[0].prev_hash == "" and all(len(r.row_hash) == 64 for r in rows)
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))
    report = verify(store, Path("/nonexistent"))
    assert report.ok and report.audit_rows == 3 and report.head == rows[-1].row_hash


def _tamper(store, sql):
    """What someone with the database file would do: drop the guard, change a row."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER gwmap_audit_no_update"))
            conn.execute(text("DROP TRIGGER gwmap_audit_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text(sql))


@pytest.mark.parametrize("sql, problem", [
    ("UPDATE audit_events SET after = '{\"owner\": \"nobody\"}' WHERE id = (SELECT min(id) FROM audit_events)",
     "content_changed"),
    ("DELETE FROM audit_events WHERE id = (SELECT min(id) + 1 FROM audit_events)", "chain_broken"),
])
def test_verify_finds_a_changed_or_removed_row(store, sql, problem):
    for i in range(4):
        with store.session(ROOT) as s:
            s.add(_well(f"W{i}"))
    _tamper(store, sql)
    report = verify(store, Path("/nonexistent"))
    assert not report.ok and problem in {b["problem"] for b in report.chain_breaks}


def _evidence(demo_store, tmp_path):
    from gwmap.cases import advance
    from gwmap.io.files import Attachment
    from tests.core.test_cases import photo

    code = repo.leads_frame(demo_store).query("stage == 'registered'").lead_code.iloc[0]
    enf = CurrentUser("enforce", "enforcement")
    folder = tmp_path / "data" / "evidence"  # a data dir of its own, with the demo's photos
    shutil.copytree(tmp_path / "evidence", folder)
    advance(demo_store, enf, code, "inspected", note="现场核查", evidence=[
        Attachment("a.jpg", photo(115.5, 36.5)), Attachment("b.jpg", photo(colour=(1, 2, 3)))],
        evidence_dir=folder)
    return folder


def test_verify_checks_every_stored_file_and_the_hash_each_record_was_made_with(demo_store, tmp_path):
    folder = _evidence(demo_store, tmp_path)
    data_dir = folder.parent
    report = verify(demo_store, data_dir)
    with demo_store.session() as s:
        stored = s.scalars(select(Evidence).order_by(Evidence.id)).all()
    assert report.ok and report.files_checked == len(stored) > 2  # the demo's photos and the two just fixed
    first, second = stored[-2:]
    # a file changed on disk
    (folder / first.sha256).write_bytes(b"\xff\xd8\xff not the photo")
    # a record pointed at another file (raw SQL: recorded by the trigger, and caught here)
    with demo_store.engine.begin() as conn:
        conn.execute(text("UPDATE evidence SET sha256 = :b WHERE id = :i"), {"b": first.sha256, "i": second.id})
    report = verify(demo_store, data_dir)
    problems = {(p["id"], p["problem"]) for p in report.file_problems}
    assert (first.id, "file_changed") in problems and (second.id, "hash_changed_in_record") in problems
    assert report.chain_breaks == []  # the change itself is in the trail


def test_cli_verify_exits_non_zero_on_a_break(demo_db_path):
    from tests.core.test_cli import run

    r = run(["verify", "--json"], demo_db_path)
    assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True
    st = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    _tamper(st, "UPDATE audit_events SET actor = 'x' WHERE id = 5")
    st.dispose()
    r = run(["verify", "--json"], demo_db_path)
    assert r.returncode == 1 and json.loads(r.stdout)["chain_breaks"] == [{"id": 5, "problem": "content_changed"}]


def test_backup_then_restore_into_a_fresh_folder_verifies(demo_store, tmp_path):
    folder = _evidence(demo_store, tmp_path)
    data_dir = folder.parent
    # a change committed just before: a plain file copy of a WAL database can miss it; the online backup cannot
    with demo_store.session(ROOT) as s:
        s.scalar(select(Well).where(Well.well_code == "371525107J0001")).owner = "备份前一刻"
    out = tmp_path / "backups" / "gwmap-2026-11-29.zip"
    info = backup(demo_store, data_dir, out)
    with demo_store.session() as s:
        files = s.scalar(select(func.count()).select_from(Evidence))
    assert info.files == files > 2 and out.exists()
    target = tmp_path / "restored"
    url = f"sqlite:///{target / 'gwmap.sqlite'}"
    restored = restore(out, url, target)
    st = Store(url)
    try:
        report = verify(st, target)
        assert report.ok and report.files_checked == files and report.head == restored.audit_head
        assert repo.counts(st) == repo.counts(demo_store)
        assert repo.wells_frame(st).set_index("well_code").at["371525107J0001", "owner"] == "备份前一刻"
    finally:
        st.dispose()
    # a second restore onto data is refused unless forced
    with pytest.raises(InputDataError) as err:
        restore(out, url, target)
    assert err.value.code == "err.backup.not_empty"
    assert restore(out, url, target, force=True).files == files


def test_a_damaged_backup_is_refused_before_anything_is_written(demo_store, tmp_path):
    out = tmp_path / "b.zip"
    backup(demo_store, tmp_path / "nodata", out)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[:-10] + b"0123456789" if item.filename.startswith("database/") else data)
    target = tmp_path / "t"
    with pytest.raises(InputDataError) as err:
        restore(bad, f"sqlite:///{target / 'gwmap.sqlite'}", target)
    assert err.value.code == "err.backup.corrupt" and not (target / "gwmap.sqlite").exists()


def test_two_officers_registering_at_once_get_different_codes(demo_store):
    from gwmap.cases import register_lead

    enf = CurrentUser("enforce", "enforcement")

    def one(i):  # each officer's page reads the boundaries itself, as a page run does
        _, tw_i, outline_i = repo.current_boundaries(demo_store)
        return register_lead(demo_store, enf, lon=115.45 + i * 1e-3, lat=36.5, source="patrol",
                             description=f"并发 {i}", townships=tw_i, outline=outline_i)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(40)))
    assert len(set(codes)) == 40
    with demo_store.session() as s:
        assert s.scalar(select(Lead).where(Lead.lead_code == max(codes))) is not None


def test_an_atomic_write_leaves_the_old_file_when_it_fails(tmp_path, monkeypatch):
    import os

    from gwmap.io.files import store_file, write_atomic

    path = tmp_path / "a.bin"
    write_atomic(path, b"old")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        write_atomic(path, b"new content")
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.bin"]
    # a truncated file left by an old crash is replaced by the good copy
    sha = store_file(b"full photo bytes", tmp_path / "ev")
    (tmp_path / "ev" / sha).write_bytes(b"full ph")
    assert store_file(b"full photo bytes", tmp_path / "ev") == sha
    assert (tmp_path / "ev" / sha).read_bytes() == b"full photo bytes"


def test_backup_and_forced_restore_on_each_backend(store, tmp_path):
    with store.session(ROOT) as s:
        s.add(_well("W1"))
    out = tmp_path / "b.zip"
    info = backup(store, tmp_path / "data", out)
    with store.session(ROOT) as s:
        s.add(_well("W2"))
    url = store.url
    store.dispose()
    with pytest.raises(InputDataError):
        restore(out, url, tmp_path / "data")
    restore(out, url, tmp_path / "data", force=True)
    st = Store(url)
    try:
        assert list(repo.wells_frame(st).well_code) == ["W1"]
        report = verify(st, tmp_path / "data")
        assert report.ok and report.head == info.audit_head
        with st.session(ROOT) as s:  # the restored database keeps its guards
            s.add(_well("W3"))
        assert verify(st, tmp_path / "data").ok
    finally:
        st.dispose()


def test_lead_codes_stay_unique_under_parallel_registration_on_each_backend(store):
    import geopandas as gpd

    from gwmap.boundaries import prepare_boundaries
    from gwmap.cases import register_lead
    from gwmap.store.users import create_user
    from tests.conftest import DATA

    tw = gpd.read_file(DATA / "boundaries" / "townships.geojson")
    boundaries.save_boundaries(store, ROOT, prepare_boundaries(tw, name_field="name", code_field="code"), source_name="t")
    enf = create_user(store, ROOT, username="enf", password="Dz-xuncha-2026", role="enforcement")

    def one(i):
        _, tw_i, outline_i = repo.current_boundaries(store)
        return register_lead(store, enf, lon=115.45 + i * 1e-3, lat=36.5, source="patrol", description=f"并发 {i}",
                             townships=tw_i, outline=outline_i)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(24)))
    year = clock.today().year
    assert sorted(codes) == [f"XS{year}{n:04d}" for n in range(1, 25)]
