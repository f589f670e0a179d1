"""Read whole sets of records (boundary versions, the one-map layers, the audit trail) and the store's checks.

Functions return pandas/geopandas frames in WGS84 so analysis and maps never
see SQL.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import geopandas as gpd
import pandas as pd
from shapely.geometry import shape
from sqlalchemy import func, select

from gwmap import clock
from gwmap.errors import NotFound
from gwmap.store.db import Store, insert_if_absent, unnoted
from gwmap.store.models import BoundaryVersion, Lead, MonitoringWell, Sealing, Township, Well

logger = logging.getLogger(__name__)

__all__ = [
    "BoundaryInfo", "current_boundaries", "boundary_history",
    "wells_frame", "sealings_frame", "leads_frame", "monitoring_wells_frame", "counts",
]

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class BoundaryInfo:
    """A stored boundary version (without geometries)."""

    id: int
    created_at: datetime
    created_by: str
    source_name: str
    schematic: bool
    county_area_km2: float
    township_count: int
    is_current: bool




def boundary_info(v: BoundaryVersion, n: int) -> BoundaryInfo:
    """A stored version as :class:`BoundaryInfo` (``n`` townships)."""
    return BoundaryInfo(v.id, v.created_at, v.created_by, v.source_name, v.schematic,
                        v.county_area_km2, n, v.is_current)


def current_boundaries(store: Store) -> tuple[BoundaryInfo, gpd.GeoDataFrame, object]:
    """The current version: its info, townships (code, name, area_km2, geometry) and outline.

    Raises
    ------
    NotFound
        If no boundaries were ever imported.

    """
    with store.session() as s:
        v = s.scalar(select(BoundaryVersion).where(BoundaryVersion.is_current).order_by(BoundaryVersion.id.desc()))
        if v is None:
            raise NotFound("err.boundary.none", "No boundaries are stored yet; import some first.")
        tws = list(v.townships)
        gdf = gpd.GeoDataFrame(
            {"code": [t.code for t in tws], "name": [t.name for t in tws], "area_km2": [t.area_km2 for t in tws]},
            geometry=[shape(json.loads(t.geometry_geojson)) for t in tws], crs=WGS84,
        )
        return boundary_info(v, len(tws)), gdf, shape(json.loads(v.outline_geojson))


def boundary_history(store: Store) -> list[BoundaryInfo]:
    """All versions, newest first."""
    with store.session() as s:
        n = dict(s.execute(select(Township.version_id, func.count()).group_by(Township.version_id)).all())
        return [boundary_info(v, n.get(v.id, 0))
                for v in s.scalars(select(BoundaryVersion).order_by(BoundaryVersion.id.desc()))]


def _frame(store: Store, stmt) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def wells_frame(store: Store) -> pd.DataFrame:
    """Registered wells that are not archived, one row each."""
    return _frame(store, select(Well).where(~Well.archived).order_by(Well.well_code))


def sealings_frame(store: Store) -> pd.DataFrame:
    """Sealings joined with their well's code, position, owner and township."""
    stmt = (select(Sealing, Well.well_code, Well.lon, Well.lat, Well.owner, Well.township_code, Well.aquifer)
            .join(Well, Sealing.well_id == Well.id).order_by(Sealing.plan_year, Well.well_code))
    return _frame(store, stmt)


def leads_frame(store: Store) -> pd.DataFrame:
    """Leads not archived, with ``overdue``: in rectification and past the deadline (by :mod:`gwmap.clock`)."""
    df = _frame(store, select(Lead).where(~Lead.archived).order_by(Lead.lead_code))
    deadline = pd.to_datetime(df["rectify_deadline"])
    df["overdue"] = (df["stage"] == "rectifying") & deadline.notna() & (deadline.dt.date < clock.today())
    return df


def monitoring_wells_frame(store: Store) -> pd.DataFrame:
    return _frame(store, select(MonitoringWell).where(~MonitoringWell.archived).order_by(MonitoringWell.mw_code))


def counts(store: Store) -> dict[str, int]:
    """How many records each layer has (for the home page and checks)."""
    with store.session() as s:
        return {
            "wells": s.scalar(select(func.count()).select_from(Well).where(~Well.archived)),
            "sealings": s.scalar(select(func.count()).select_from(Sealing)),
            "leads": s.scalar(select(func.count()).select_from(Lead).where(~Lead.archived)),
            "monitoring_wells": s.scalar(select(func.count()).select_from(MonitoringWell)),
        }












def check_version(s, record, expected_version: int | None, submitted: dict, *, table: str, key: str) -> None:
    """Refuse a save from a stale form: ``record`` was saved again since the form showed ``expected_version``.

    Raises :class:`~gwmap.errors.ConflictError` listing, for each submitted
    field whose stored value differs from the one submitted, the saved value
    and the user's; and who saved last, when.
    """
    if expected_version is None or record.row_version == int(expected_version):
        return
    from gwmap.errors import ConflictError
    from gwmap.store.models import AuditEvent

    last = s.execute(select(AuditEvent.actor, AuditEvent.at).where(
        AuditEvent.table_name == table, AuditEvent.record_id == str(record.id)).order_by(AuditEvent.id.desc())).first()
    conflicts = [(k, getattr(record, k), v) for k, v in submitted.items() if getattr(record, k) != v]
    raise ConflictError("err.conflict.stale", f"{key} was changed by {last.actor if last else '?'} after this form was "
                        "shown; nothing was saved.", conflicts=conflicts, record=key,
                        actor=last.actor if last else "?",
                        at=clock.to_local(last.at).strftime("%Y-%m-%d %H:%M") if last else "?")


def check_overwrite(record, new: dict, *, replace: bool, key: str) -> None:
    """An entry form for figures that already exist: refuse to overwrite different values unless ``replace``.

    Raises :class:`~gwmap.errors.ConflictError` listing each stored value beside the one entered, so
    two people entering the same year's figures cannot silently replace each other's.
    """
    if record is None or replace:
        return
    from gwmap.errors import ConflictError

    conflicts = [(k, getattr(record, k), v) for k, v in new.items() if getattr(record, k) != v]
    if conflicts:
        raise ConflictError("err.conflict.exists", f"{key} already holds other figures.", conflicts=conflicts,
                            record=key)


def next_number(s, series: str, *, floor: int = 0) -> int:
    """The next number of a code series (``lead:2026``), given out once, atomically, across processes.

    The counter row is created at ``floor`` (the highest number already used)
    the first time, then incremented with ``UPDATE … RETURNING`` inside the
    caller's transaction, whose row lock (PostgreSQL) or write lock (SQLite)
    makes two registrations at once get two numbers.
    """
    from sqlalchemy import update

    from gwmap.store.models import CodeCounter

    insert_if_absent(s, CodeCounter, "name", name=series, value=floor)
    return int(s.execute(update(CodeCounter).where(CodeCounter.name == series)
                         .values(value=CodeCounter.value + 1).returning(CodeCounter.value)).scalar_one())


def audit_frame(store: Store, *, limit: int = 500, table: str | None = None) -> pd.DataFrame:
    """The newest audit events (who, when, table, record, before, after)."""
    from gwmap.store.models import AuditEvent

    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if table:
        stmt = stmt.where(AuditEvent.table_name == table)
    return _frame(store, stmt)


@dataclass(frozen=True)
class AuditQuery:
    """Which audit events to show: any of these left empty matches everything.

    ``start``/``end`` are the county's calendar days (inclusive); ``record`` is
    a record's id or code exactly as stored.
    """

    actor: str = ""
    table: str = ""
    record: str = ""
    actions: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None

    def where(self):
        from gwmap.store.models import AuditEvent

        conds = []
        if self.actor:
            conds.append(AuditEvent.actor == self.actor)
        if self.table:
            conds.append(AuditEvent.table_name == self.table)
        if self.record:
            conds.append(AuditEvent.record_id == self.record.strip())
        if self.actions:
            conds.append(AuditEvent.action.in_(self.actions))
        if self.start:
            conds.append(AuditEvent.at >= clock.local_day_end_utc(self.start - timedelta(days=1)))
        if self.end:
            conds.append(AuditEvent.at < clock.local_day_end_utc(self.end))
        return conds


def audit_search(store: Store, query: AuditQuery = AuditQuery(), *, page: int = 1,
                 per_page: int = 100) -> tuple[pd.DataFrame, int]:
    """One page of the audit events matching ``query``, newest first, and how many match in all.

    Filtered, counted and paged by the database, over the whole history.
    """
    from gwmap.store.models import AuditEvent

    conds = query.where()
    with store.session() as s:
        total = int(s.scalar(select(func.count()).select_from(AuditEvent).where(*conds)) or 0)
    page = max(1, min(int(page), max(1, -(-total // per_page))))
    stmt = (select(AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.table_name,
                   AuditEvent.record_id, AuditEvent.before, AuditEvent.after)
            .where(*conds).order_by(AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return _frame(store, stmt), total


def audit_choices(store: Store) -> dict[str, list[str]]:
    """The actors, tables and actions that occur in the audit trail (for the filters)."""
    from gwmap.store.models import AuditEvent

    with store.session() as s:
        return {name: sorted(v for (v,) in s.execute(select(col).distinct()) if v)
                for name, col in (("actor", AuditEvent.actor), ("table", AuditEvent.table_name),
                                  ("action", AuditEvent.action))}


def describe_change(before: str | None, after: str | None) -> list[tuple[str, object, object]]:
    """The fields an audit event changed, as (field, before, after).

    An update lists the fields whose value changed; an insert or a refusal
    lists what was recorded; ``row_version`` (bookkeeping) is left out.

    >>> describe_change('{"owner": "王", "row_version": 1}', '{"owner": "李", "row_version": 2}')
    [('owner', '王', '李')]
    >>> describe_change(None, '{"failures": 3}')
    [('failures', None, 3)]
    """
    before = before if isinstance(before, str) and before else None  # a frame's missing value is NaN
    after = after if isinstance(after, str) and after else None

    def load(text):
        try:
            value = json.loads(text) if text else {}
        except ValueError:
            return {"": text}
        return value if isinstance(value, dict) else {"": value}

    b, a = load(before), load(after)
    keys = list(dict.fromkeys([*a, *b]))
    out = []
    for k in keys:
        if k in ("row_version",):
            continue
        if before and after and b.get(k) == a.get(k):
            continue
        out.append((k, b.get(k), a.get(k)))
    return out




def analyze(store: Store) -> None:
    """Refresh the query planner's statistics after a bulk load (SQLite: ``ANALYZE``; PostgreSQL: ``ANALYZE``).

    Without them SQLite takes the wrong index for the roll-up's expiring permits (1.7 s instead of 0.06 s
    at 840,000 wells).
    """
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


#: Tables kept without audit rows whose rows are only ever added: their newest id is their version.
APPEND_ONLY = ("surface_runs", "cone_runs", "audit_events")
#: Bookkeeping no answer a user sees is made from (sign-in throttling, sessions, number series): never a key.
NOT_DATA = ("login_throttle", "user_sessions", "code_counters")


def table_versions(store: Store, tables) -> dict[str, int]:
    """Each table's version, in one round trip (one index seek each).

    An audited table's is its newest audit id; an append-only one's (:data:`APPEND_ONLY`) its newest row id;
    bookkeeping (:data:`NOT_DATA`) has none.
    """
    from gwmap.store.models import AuditEvent, Base

    tables = tuple(t for t in dict.fromkeys(tables) if t not in NOT_DATA)
    if not tables:
        return {}
    newest = [select(func.max(Base.metadata.tables[t].c.id)).scalar_subquery() if t in APPEND_ONLY
              else select(func.max(AuditEvent.id)).where(AuditEvent.table_name == t).scalar_subquery()
              for t in tables]
    with unnoted(), store.session() as s:
        return {t: int(v or 0) for t, v in zip(tables, s.execute(select(*newest)).one(), strict=True)}


def has_users(store: Store) -> bool:
    from gwmap.store.models import User

    with store.session() as s:
        return bool(s.scalar(select(func.count()).select_from(User)))


def record_history(store: Store, table: str, record_id: int | str) -> pd.DataFrame:
    """Every audit event of one record, oldest first (who, when, what, before, after)."""
    from gwmap.store.models import AuditEvent

    stmt = (select(AuditEvent).where(AuditEvent.table_name == table, AuditEvent.record_id == str(record_id))
            .order_by(AuditEvent.id))
    return _frame(store, stmt)
