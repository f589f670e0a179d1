"""Database triggers that make the audit trail append-only, complete and tamper-evident.

Three kinds, on SQLite and PostgreSQL alike:

* ``audit_events`` refuses UPDATE and DELETE; every new row gets
  ``prev_hash`` (the ``row_hash`` of the row before) and ``row_hash`` (SHA-256
  of its own content and ``prev_hash``), computed by the database, so a row
  changed, removed or slipped in later breaks the chain (:func:`gwmap.store.verify.verify`).
* Every audited table records the writes the ORM's flush hook does not see
  (bulk ``update()``, ``Table.insert()``, raw SQL) as audit rows with the full
  row before and after; writes made by a flush are recorded by the hook
  (field-level before/after) and skipped here.
* Every audited table refuses DELETE: records are archived or superseded.

On SQLite the triggers call functions the app registers on each connection
(:func:`register_sqlite_functions`), so a write from outside gwmap (the
``sqlite3`` shell) is refused rather than left untraced.  On PostgreSQL the
app passes the actor and the flush marker as transaction settings
(``gwmap.actor``, ``gwmap.in_flush``); a write from ``psql`` is recorded with
its database role as the actor.

Re-run :func:`install` (idempotent) in any migration that adds a column to an
audited table, so the SQLite triggers list it.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Iterable

import sqlalchemy as sa

__all__ = ["AUDITED_TABLES", "install", "register_sqlite_functions", "chain_hash_sql", "ACTOR", "IN_FLUSH", "NOW"]

#: Tables whose changes are audited (``Base`` subclasses with ``__audited__``), as of the newest migration.
AUDITED_TABLES = (
    "users", "boundary_versions", "townships", "wells", "sealings", "leads", "monitoring_wells", "surveys",
    "measurements", "column_mappings", "lead_steps", "evidence", "sealing_plans", "sealing_photos", "dispatches",
    "dispatch_stops", "reclaimed_water", "power_uploads", "power_records", "meter_readings", "screen_decisions",
    "reclaimed_plants", "plant_months", "reclaimed_pipelines", "reclaimed_users", "reclaimed_uses", "water_users",
    "county_profiles", "plan_targets", "power_links", "dispatch_teams", "field_submissions", "rainfall_months",
    "station_days", "overdraft_zones",
)
_SECRET_COLUMNS = {"password_hash"}

#: The acting user's name, whether the ORM is flushing, and the clock, for SQLite's trigger functions.
ACTOR: contextvars.ContextVar[str] = contextvars.ContextVar("gwmap_actor", default="")
IN_FLUSH: contextvars.ContextVar[bool] = contextvars.ContextVar("gwmap_in_flush", default=False)
NOW: contextvars.ContextVar[object] = contextvars.ContextVar("gwmap_now", default=None)


def _sha256(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def _now_text() -> str:
    from gwmap import clock

    return clock.now().isoformat(sep=" ", timespec="microseconds")


def register_sqlite_functions(dbapi_conn) -> None:  # noqa: ANN001
    """The functions gwmap's SQLite triggers call (deterministic ones marked so)."""
    dbapi_conn.create_function("gwmap_sha256", 1, _sha256, deterministic=True)
    dbapi_conn.create_function("gwmap_actor", 0, lambda: ACTOR.get() or "sql")
    dbapi_conn.create_function("gwmap_in_flush", 0, lambda: 1 if IN_FLUSH.get() else 0)
    dbapi_conn.create_function("gwmap_now", 0, _now_text)


def chain_hash_sql(dialect: str, prefix: str = "") -> str:
    """SQL of a row's hash from its columns and its ``prev_hash`` (``prefix`` = ``NEW.`` in a trigger).

    The same expression is used by the trigger and by the check, so the text
    forms of values never need to agree with Python's.
    """
    p = prefix
    cols = ["prev_hash", "id", "at", "actor", "action", "table_name", "record_id", "before", "after"]
    if dialect == "postgresql":
        body = ", ".join(f"{p}{c}::text" if c in ("id", "at") else f"{p}{c}" for c in cols)
        return f"encode(sha256(convert_to(json_build_array({body})::text, 'UTF8')), 'hex')"
    body = ", ".join(f"{p}{c}" for c in cols)
    return f"gwmap_sha256(json_array({body}))"


def install(conn: sa.Connection, tables: Iterable[str] = AUDITED_TABLES) -> None:
    """Create (or re-create) every trigger on ``conn``'s database."""
    if conn.dialect.name == "postgresql":
        _install_pg(conn, tables)
    else:
        _install_sqlite(conn, tables)


def _install_sqlite(conn: sa.Connection, tables: Iterable[str]) -> None:
    ex = conn.exec_driver_sql
    for name in ("gwmap_audit_no_update", "gwmap_audit_no_delete", "gwmap_audit_no_forged_hash", "gwmap_audit_chain"):
        ex(f"DROP TRIGGER IF EXISTS {name}")
    ex("""CREATE TRIGGER gwmap_audit_no_forged_hash BEFORE INSERT ON audit_events
          WHEN NEW.prev_hash IS NOT NULL OR NEW.row_hash IS NOT NULL
          BEGIN SELECT RAISE(ABORT, 'gwmap: audit hashes are set by the database'); END""")
    ex(f"""CREATE TRIGGER gwmap_audit_chain AFTER INSERT ON audit_events
          BEGIN
            UPDATE audit_events SET prev_hash = (SELECT coalesce((SELECT row_hash FROM audit_events
                                                   WHERE id < NEW.id ORDER BY id DESC LIMIT 1), ''))
             WHERE id = NEW.id;
            UPDATE audit_events SET row_hash = {chain_hash_sql('sqlite')} WHERE id = NEW.id;
          END""")
    # the only update allowed is the chain trigger's own: filling the hashes of a new row, once
    ex(f"""CREATE TRIGGER gwmap_audit_no_update BEFORE UPDATE ON audit_events
          WHEN NOT (OLD.row_hash IS NULL
                    AND NEW.id = OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action
                    AND NEW.table_name IS OLD.table_name AND NEW.record_id IS OLD.record_id
                    AND NEW.before IS OLD.before AND NEW.after IS OLD.after
                    AND (NEW.row_hash IS NULL OR (NEW.prev_hash IS OLD.prev_hash
                                                  AND NEW.row_hash = {chain_hash_sql('sqlite', 'NEW.')})))
          BEGIN SELECT RAISE(ABORT, 'gwmap: the audit trail is append-only'); END""")
    ex("""CREATE TRIGGER gwmap_audit_no_delete BEFORE DELETE ON audit_events
          BEGIN SELECT RAISE(ABORT, 'gwmap: the audit trail is append-only'); END""")
    inspector = sa.inspect(conn)
    for table in tables:
        cols = [c["name"] for c in inspector.get_columns(table)]

        def obj(alias: str, cols=cols) -> str:
            return "json_object(" + ", ".join(
                f"'{c}', " + ("'***'" if c in _SECRET_COLUMNS else f"{alias}.{c}") for c in cols) + ")"

        for op in ("insert", "update", "delete"):
            ex(f"DROP TRIGGER IF EXISTS gwmap_{table}_{op}")
        ex(f"""CREATE TRIGGER gwmap_{table}_insert AFTER INSERT ON {table} WHEN gwmap_in_flush() = 0
              BEGIN INSERT INTO audit_events (at, actor, action, table_name, record_id, before, after)
                    VALUES (gwmap_now(), gwmap_actor(), 'insert', '{table}', NEW.id, NULL, {obj('NEW')}); END""")
        ex(f"""CREATE TRIGGER gwmap_{table}_update AFTER UPDATE ON {table} WHEN gwmap_in_flush() = 0
              BEGIN INSERT INTO audit_events (at, actor, action, table_name, record_id, before, after)
                    VALUES (gwmap_now(), gwmap_actor(), 'update', '{table}', NEW.id, {obj('OLD')}, {obj('NEW')}); END""")
        ex(f"""CREATE TRIGGER gwmap_{table}_delete BEFORE DELETE ON {table}
              BEGIN SELECT RAISE(ABORT, 'gwmap: records are never deleted ({table}); archive them instead'); END""")


def _install_pg(conn: sa.Connection, tables: Iterable[str]) -> None:
    ex = conn.exec_driver_sql
    ex(f"""CREATE OR REPLACE FUNCTION gwmap_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.prev_hash IS NOT NULL OR NEW.row_hash IS NOT NULL THEN
            RAISE EXCEPTION 'gwmap: audit hashes are set by the database';
          END IF;
          -- one writer at a time extends the chain; ids are taken under the lock so they follow the chain
          PERFORM pg_advisory_xact_lock(7215250001);
          NEW.id := nextval(pg_get_serial_sequence('audit_events', 'id'));
          NEW.prev_hash := coalesce((SELECT row_hash FROM audit_events ORDER BY id DESC LIMIT 1), '');
          NEW.row_hash := {chain_hash_sql('postgresql', 'NEW.')};
          RETURN NEW;
        END $$""")
    ex("""CREATE OR REPLACE FUNCTION gwmap_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'gwmap: %%', TG_ARGV[0];  -- %% : psycopg's escape of %
        END $$""")
    ex("""CREATE OR REPLACE FUNCTION gwmap_audit_dml() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          who text := coalesce(nullif(current_setting('gwmap.actor', true), ''), 'sql:' || session_user);
          b jsonb;
          a jsonb;
        BEGIN
          IF coalesce(current_setting('gwmap.in_flush', true), '') = '1' THEN
            RETURN NULL;
          END IF;
          a := to_jsonb(NEW) - 'geom';  -- PostGIS columns are generated from lon/lat or GeoJSON (0011)
          IF a ? 'password_hash' THEN a := jsonb_set(a, '{password_hash}', '"***"'); END IF;
          IF TG_OP = 'UPDATE' THEN
            b := to_jsonb(OLD) - 'geom';
            IF b ? 'password_hash' THEN b := jsonb_set(b, '{password_hash}', '"***"'); END IF;
          END IF;
          INSERT INTO audit_events (at, actor, action, table_name, record_id, before, after)
          VALUES (now() AT TIME ZONE 'UTC', who, lower(TG_OP), TG_TABLE_NAME, NEW.id::text, b::text, a::text);
          RETURN NULL;
        END $$""")
    # ids come from the sequence inside the trigger, under the lock (the column default would take one before it)
    ex("ALTER TABLE audit_events ALTER COLUMN id DROP DEFAULT")
    ex("DROP TRIGGER IF EXISTS gwmap_audit_chain ON audit_events")
    ex("CREATE TRIGGER gwmap_audit_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION gwmap_audit_chain()")
    ex("DROP TRIGGER IF EXISTS gwmap_audit_append_only ON audit_events")
    ex("""CREATE TRIGGER gwmap_audit_append_only BEFORE UPDATE OR DELETE ON audit_events
          FOR EACH ROW EXECUTE FUNCTION gwmap_refuse('the audit trail is append-only')""")
    ex("DROP TRIGGER IF EXISTS gwmap_audit_no_truncate ON audit_events")
    ex("""CREATE TRIGGER gwmap_audit_no_truncate BEFORE TRUNCATE ON audit_events
          FOR EACH STATEMENT EXECUTE FUNCTION gwmap_refuse('the audit trail is append-only')""")
    for table in tables:
        ex(f"DROP TRIGGER IF EXISTS gwmap_{table}_dml ON {table}")
        ex(f"""CREATE TRIGGER gwmap_{table}_dml AFTER INSERT OR UPDATE ON {table}
              FOR EACH ROW EXECUTE FUNCTION gwmap_audit_dml()""")
        ex(f"DROP TRIGGER IF EXISTS gwmap_{table}_no_delete ON {table}")
        ex(f"""CREATE TRIGGER gwmap_{table}_no_delete BEFORE DELETE ON {table}
              FOR EACH ROW EXECUTE FUNCTION gwmap_refuse('records are never deleted ({table}); archive them instead')""")
        ex(f"DROP TRIGGER IF EXISTS gwmap_{table}_no_truncate ON {table}")
        ex(f"""CREATE TRIGGER gwmap_{table}_no_truncate BEFORE TRUNCATE ON {table}
              FOR EACH STATEMENT EXECUTE FUNCTION gwmap_refuse('records are never deleted ({table})')""")


def backfill_chain(conn: sa.Connection) -> int:
    """Give rows written before the chain existed their hashes, in id order (migration only)."""
    dialect = conn.dialect.name
    ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM audit_events WHERE row_hash IS NULL ORDER BY id")]
    prev = conn.exec_driver_sql("SELECT row_hash FROM audit_events WHERE row_hash IS NOT NULL ORDER BY id DESC LIMIT 1")
    prev_hash = (prev.scalar() or "")
    expr = chain_hash_sql(dialect)
    for i in ids:
        conn.execute(sa.text("UPDATE audit_events SET prev_hash = :p WHERE id = :i"), {"p": prev_hash, "i": i})
        prev_hash = conn.execute(sa.text(f"SELECT {expr} FROM audit_events WHERE id = :i"), {"i": i}).scalar()
        conn.execute(sa.text("UPDATE audit_events SET row_hash = :h WHERE id = :i"), {"h": prev_hash, "i": i})
    return len(ids)
