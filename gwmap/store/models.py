"""SQLAlchemy 2 models.  Geometries are GeoJSON text in WGS84, portable to SQLite and PostgreSQL.

Nothing is hard-deleted: records are archived or superseded, and every insert
and update writes an :class:`AuditEvent` (see :mod:`gwmap.store.audit`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from gwmap import clock

__all__ = [
    "Base", "Versioned", "CodeCounter", "User", "LoginThrottle", "AuditEvent", "BoundaryVersion", "Township", "Well",
    "Sealing", "Lead", "MonitoringWell", "Survey", "Measurement", "SurfaceRun", "ConeRun", "ColumnMapping",
    "LeadStep", "Evidence", "SealingPlan", "SealingPhoto",
    "Dispatch", "DispatchStop", "DispatchTeam", "FieldSubmission", "ReclaimedWater", "CountyProfileRow", "PlanTarget",
    "PowerLink",
]


class Base(DeclarativeBase):
    """Declarative base; subclasses with ``__audited__ = False`` skip the audit trail."""

    __audited__ = True


class Versioned:
    """An editable record with optimistic locking.

    ``row_version`` grows by one with every update (SQLAlchemy's
    ``version_id_col``: an UPDATE whose row changed meanwhile matches nothing
    and fails), and a form carries the version it showed, so a save from a
    stale form is refused with both values instead of silently reverting
    someone else's change.
    """

    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805
        return {"version_id_col": cls.__table__.c.row_version}


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    #: set when an administrator resets the password: the next sign-in must choose a new one
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class UserSession(Base):
    """A signed-in browser: the SHA-256 of its cookie token (never the token), and its time limits.

    Sign-ins, sign-outs and revocations are written to the audit trail by
    :mod:`gwmap.store.sessions`; the row itself changes on every visit
    (``last_seen_at``), so it is not audited row by row.
    """

    __tablename__ = "user_sessions"
    __audited__ = False
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    ticket_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")
    revoked_why: Mapped[str] = mapped_column(String(32), default="")


class LoginThrottle(Base):
    """Consecutive failed sign-ins per user name (known or not)."""

    __tablename__ = "login_throttle"
    __audited__ = False
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEvent(Base):
    """One change or refusal.

    Append-only: database triggers refuse UPDATE and DELETE, and each row
    carries the SHA-256 of its content chained to the row before
    (``python -m gwmap verify`` checks the chain).
    """

    __tablename__ = "audit_events"
    __audited__ = False
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # insert, update, denied, login_failed, ...
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    record_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    after: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # set by the database
    row_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # set by the database

    __table_args__ = (Index("ix_audit_events_table_id", "table_name", "id"),  # a table's newest change: one seek
                      Index("ix_audit_events_record", "table_name", "record_id", "id"))  # one record's history


class CodeCounter(Base):
    """The last number given out per code series (``lead:2026``), incremented atomically."""

    __tablename__ = "code_counters"
    __audited__ = False
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class BoundaryVersion(Versioned, Base):
    """One imported set of township boundaries; exactly one is current."""

    __tablename__ = "boundary_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    schematic: Mapped[bool] = mapped_column(Boolean, default=False)
    county_area_km2: Mapped[float] = mapped_column(Float)
    outline_geojson: Mapped[str] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    townships: Mapped[list[Township]] = relationship(back_populates="version", order_by="Township.code")


class Township(Base):
    __tablename__ = "townships"
    __table_args__ = (UniqueConstraint("version_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("boundary_versions.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    area_km2: Mapped[float] = mapped_column(Float)
    geometry_geojson: Mapped[str] = mapped_column(Text)
    version: Mapped[BoundaryVersion] = relationship(back_populates="townships")


class Well(Versioned, Base):
    """A registered abstraction well (取水井台账), DOMAIN.md §6."""

    __tablename__ = "wells"
    id: Mapped[int] = mapped_column(primary_key=True)
    well_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    township_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    village: Mapped[str] = mapped_column(String(64), default="")
    owner: Mapped[str] = mapped_column(String(128), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    depth_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    year_drilled: Mapped[int | None] = mapped_column(Integer, nullable=True)
    casing_diameter_mm: Mapped[int | None] = mapped_column(Integer, nullable=True)
    aquifer: Mapped[str] = mapped_column(String(16))
    use: Mapped[str] = mapped_column(String(32))
    permit_no: Mapped[str] = mapped_column(String(64), default="")
    permit_valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    permit_valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    permitted_m3_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    metering: Mapped[str] = mapped_column(String(32), default="")
    power_meter_no: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_wells_lon_lat", "lon", "lat"),  # a map view: one index range read
        # a map view's counts on a grid, answered from the index alone
        Index("ix_wells_map", "archived", "lon", "lat", "status", "township_code"),
        # the registry's roll-up by township, status and use, answered from the index alone
        Index("ix_wells_rollup", "archived", "township_code", "status", "use", "permitted_m3_per_year"),
        Index("ix_wells_permit_to", "permit_valid_to"),  # permits expiring soon: a range
        # the plan's deep wells in use by township, answered from the index alone
        Index("ix_wells_aquifer_status", "archived", "aquifer", "status", "township_code", "permitted_m3_per_year"),
    )


class Sealing(Versioned, Base):
    """A well's sealing under DB37/T 4634-2023 (DOMAIN.md §5)."""

    __tablename__ = "sealings"
    id: Mapped[int] = mapped_column(primary_key=True)
    well_id: Mapped[int] = mapped_column(ForeignKey("wells.id"), index=True)
    plan_year: Mapped[int] = mapped_column(Integer)
    disposition: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(32))
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    finished_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    method: Mapped[str] = mapped_column(String(32), default="")
    material: Mapped[str] = mapped_column(String(64), default="")
    contractor: Mapped[str] = mapped_column(String(128), default="")
    supervisor: Mapped[str] = mapped_column(String(128), default="")
    verdict: Mapped[str] = mapped_column(String(64), default="")
    cut_m3_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    work_done: Mapped[str] = mapped_column(Text, default="", server_default="")
    signed_contractor: Mapped[str] = mapped_column(String(64), default="", server_default="")
    signed_supervisor: Mapped[str] = mapped_column(String(64), default="", server_default="")
    signed_owner: Mapped[str] = mapped_column(String(64), default="", server_default="")
    signed_authority: Mapped[str] = mapped_column(String(64), default="", server_default="")
    reenabled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reenable_approval: Mapped[str] = mapped_column(String(64), default="", server_default="")
    well: Mapped[Well] = relationship()


class Lead(Versioned, Base):
    """A suspected case of illegal abstraction (违规取用地下水线索)."""

    __tablename__ = "leads"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_code: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    township_code: Mapped[str] = mapped_column(String(32), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(32), index=True)
    registered_on: Mapped[date] = mapped_column(Date)
    rectify_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class MonitoringWell(Versioned, Base):
    __tablename__ = "monitoring_wells"
    id: Mapped[int] = mapped_column(primary_key=True)
    mw_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    aquifer: Mapped[str] = mapped_column(String(16))
    ground_elev_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    mp_elev_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    township_code: Mapped[str] = mapped_column(String(32), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class Survey(Versioned, Base):
    """One water-level survey round for one aquifer; re-uploads make new versions."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("code", "aquifer", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))  # e.g. 2026-autumn
    year: Mapped[int] = mapped_column(Integer)
    season: Mapped[str] = mapped_column(String(16))
    aquifer: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    source_name: Mapped[str] = mapped_column(String(255), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class Measurement(Base):
    __tablename__ = "measurements"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    monitoring_well_id: Mapped[int] = mapped_column(ForeignKey("monitoring_wells.id"), index=True)
    measured_on: Mapped[date] = mapped_column(Date)
    depth_to_water_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    head_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    qc_flag: Mapped[str] = mapped_column(String(32), default="")
    method: Mapped[str] = mapped_column(String(32), default="", server_default="")
    observer: Mapped[str] = mapped_column(String(64), default="", server_default="")


class StationDay(Versioned, Base):
    """A monitoring well's day in a station series (automatic loggers, monthly manual readings).

    The mean of that day's ``readings`` readings.  The original file is kept by its SHA-256
    (``source_sha256``); a day imported again is corrected (audited).
    """

    __tablename__ = "station_days"
    __table_args__ = (UniqueConstraint("monitoring_well_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    monitoring_well_id: Mapped[int] = mapped_column(ForeignKey("monitoring_wells.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    depth_to_water_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    head_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    readings: Mapped[int] = mapped_column(Integer, default=1)
    source_sha256: Mapped[str] = mapped_column(String(64), default="")


class OverdraftZone(Versioned, Base):
    """An over-extraction zone (地下水超采区) as the province designated it.

    ``grade``: ``general`` (一般) or ``severe`` (严重); ``aquifer``: ``shallow``/``deep``, "" when the file does
    not say.

    A new file replaces the set: the old zones stay, marked not ``current`` (history, not deletion).
    """

    __tablename__ = "overdraft_zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    grade: Mapped[str] = mapped_column(String(16))
    aquifer: Mapped[str] = mapped_column(String(16), default="")
    area_km2: Mapped[float] = mapped_column(Float)
    geometry_geojson: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(256), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


class SurfaceRun(Base):
    """A computed water-table surface, keyed by the hash of the request that made it.

    Derived data (a cache with provenance), so not in the audit trail; the
    raster lives in the data dir as ``surfaces/<request_hash>.tif``.
    """

    __tablename__ = "surface_runs"
    __audited__ = False
    id: Mapped[int] = mapped_column(primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    value: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    params_json: Mapped[str] = mapped_column(Text)
    cv_json: Mapped[str] = mapped_column(Text)
    raster_path: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class ConeRun(Base):
    """A cone outline and its figures, with the parameters that made it."""

    __tablename__ = "cone_runs"
    __audited__ = False
    id: Mapped[int] = mapped_column(primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), unique=True)
    surface_run_id: Mapped[int] = mapped_column(ForeignKey("surface_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[float] = mapped_column(Float)
    area_km2: Mapped[float] = mapped_column(Float)
    outline_geojson: Mapped[str] = mapped_column(Text)
    by_township_json: Mapped[str] = mapped_column(Text)
    extreme_value: Mapped[float] = mapped_column(Float)
    extreme_lon: Mapped[float] = mapped_column(Float)
    extreme_lat: Mapped[float] = mapped_column(Float)
    params_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class ColumnMapping(Versioned, Base):
    """The survey column mapping last used for a source (file name pattern or data provider)."""

    __tablename__ = "column_mappings"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(128), unique=True)
    mapping_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, onupdate=clock.now)



class LeadStep(Base):
    """One step of a lead's lifecycle: who, when, what was found, the deadline set, where it was done."""

    __tablename__ = "lead_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    dispatch_id: Mapped[int | None] = mapped_column(ForeignKey("dispatches.id"), nullable=True)
    #: metres the phone said its position could be off (``navigator.geolocation``), for a step done in the field
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)


class Evidence(Base):
    """A photo or document fixed as evidence (证据固定), stored by SHA-256 and never overwritten."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("lead_steps.id"), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    gps_source: Mapped[str] = mapped_column(String(16), default="")  # exif, entered, none
    #: metres from the lead's position to where the photo says it was taken (None without a position);
    #: over :data:`gwmap.cases.FAR_M` the case file and the page carry a warning
    offset_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: metres the phone said its position could be off when the photo was taken (``gps_source="device"``)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)



class SealingPlan(Versioned, Base):
    """A year's sealing target: wells to seal and abstraction to cut (m³/yr)."""

    __tablename__ = "sealing_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    target_wells: Mapped[int] = mapped_column(Integer)
    target_cut_m3: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")


class SealingPhoto(Base):
    """A photo before or after the works, stored by SHA-256 like evidence."""

    __tablename__ = "sealing_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    sealing_id: Mapped[int] = mapped_column(ForeignKey("sealings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # before / after
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)



class Dispatch(Base):
    """A saved day of inspection routes (派单): the targets each team visits, in order."""

    __tablename__ = "dispatches"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    stops: Mapped[list[DispatchStop]] = relationship(back_populates="dispatch", order_by="DispatchStop.seq")


class DispatchStop(Base):
    __tablename__ = "dispatch_stops"
    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("dispatches.id"), index=True)
    team: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # lead, overdue, sealed_well, spot_check
    ref: Mapped[str] = mapped_column(String(32), index=True)  # lead code or well code
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    arrival: Mapped[str] = mapped_column(String(8), default="")
    dispatch: Mapped[Dispatch] = relationship(back_populates="stops")


class DispatchTeam(Base):
    """One team of a saved dispatch: its name and the accounts that go out with it (``members``, comma-separated)."""

    __tablename__ = "dispatch_teams"
    __table_args__ = (UniqueConstraint("dispatch_id", "team"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("dispatches.id"), index=True)
    team: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64), default="")
    members: Mapped[str] = mapped_column(String(1000), default="")


class FieldSubmission(Base):
    """What a phone sent from the field page, once per idempotency key (the phone's, made when the officer submits).

    ``status``: ``stored`` (the step it made is ``step_id``) or ``conflict`` (the case had moved on; the
    submission and its photos are kept here, nothing was written to the case).  ``device_at`` is the phone's
    clock at submission, ``received_at`` the server's.
    """

    __tablename__ = "field_submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    lead_code: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("lead_steps.id"), nullable=True)
    device_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    detail_json: Mapped[str] = mapped_column(Text, default="{}")



class ReclaimedWater(Versioned, Base):
    """Yearly reclaimed-water figures by use (m³): sewage treated and reclaimed water used."""

    __tablename__ = "reclaimed_water"
    __table_args__ = (UniqueConstraint("year", "use"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    use: Mapped[str] = mapped_column(String(32))  # industry, greening, ecological
    sewage_treated_m3: Mapped[float] = mapped_column(Float, default=0.0)
    reclaimed_used_m3: Mapped[float] = mapped_column(Float, default=0.0)


class PowerUpload(Base):
    """One uploaded file of monthly kWh (``kind="power"``) or of water-meter readings (``kind="meter"``).

    The original is kept by its SHA-256; a later upload's figures for the same meter and month (or well
    and date) supersede earlier ones, which stay stored (issue 13).
    """

    __tablename__ = "power_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    first_month: Mapped[str] = mapped_column(String(7), default="")
    last_month: Mapped[str] = mapped_column(String(7), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class PowerRecord(Base):
    """A meter's electricity in one month (以电折水: the grid company's record per account / meter)."""

    __tablename__ = "power_records"
    __table_args__ = (Index("ix_power_records_meter_month", "meter_no", "month", "upload_id"),
                      Index("ix_power_records_account_month", "account", "month", "upload_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("power_uploads.id"), index=True)
    account: Mapped[str] = mapped_column(String(32), default="")
    meter_no: Mapped[str] = mapped_column(String(32), default="")
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    kwh: Mapped[float] = mapped_column(Float)
    use_class: Mapped[str] = mapped_column(String(32), default="")
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    row: Mapped[int] = mapped_column(Integer)  # its row in the original file
    account_name: Mapped[str] = mapped_column(String(128), default="", server_default="")  # 户名
    address: Mapped[str] = mapped_column(String(255), default="", server_default="")  # 用电地址


class MeterReading(Base):
    """A water meter's reading (m³, cumulative) on a date.

    When the meter was replaced that day, ``reading_m3`` is the new meter's first reading and
    ``old_final_m3`` the old meter's last (旧表止码): the water up to that day is counted on the old meter.
    """

    __tablename__ = "meter_readings"
    __table_args__ = (Index("ix_meter_readings_well_date", "well_code", "read_on", "upload_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("power_uploads.id"), index=True)
    well_code: Mapped[str] = mapped_column(String(32))
    read_on: Mapped[date] = mapped_column(Date)
    reading_m3: Mapped[float] = mapped_column(Float)
    row: Mapped[int] = mapped_column(Integer)
    old_final_m3: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReclaimedPlant(Versioned, Base):
    """A sewage plant that supplies reclaimed water (再生水厂), with its capacity in t/d (issue 14)."""

    __tablename__ = "reclaimed_plants"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # county, township
    capacity_t_d: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class PlantMonth(Versioned, Base):
    """A plant's month: sewage treated, reclaimed water supplied (m³) and the effluent's quality class.

    ``effluent_class`` is the surface-water class of GB 3838-2002 the effluent met (I–V), or ``V+`` for
    worse than V (劣Ⅴ类); corrections are updates, kept in the audit trail.
    """

    __tablename__ = "plant_months"
    __table_args__ = (UniqueConstraint("plant_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plant_id: Mapped[int] = mapped_column(ForeignKey("reclaimed_plants.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    treated_m3: Mapped[float] = mapped_column(Float)
    reclaimed_m3: Mapped[float] = mapped_column(Float, default=0.0)
    effluent_class: Mapped[str] = mapped_column(String(4), default="")


class RainfallMonth(Versioned, Base):
    """A rain gauge's rainfall of one month (mm); corrections are updates, kept in the audit trail."""

    __tablename__ = "rainfall_months"
    __table_args__ = (UniqueConstraint("station", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    mm: Mapped[float] = mapped_column(Float)


class ReclaimedPipeline(Versioned, Base):
    """A reclaimed-water main (再生水管网), imported like a road network; capacity in m³/d."""

    __tablename__ = "reclaimed_pipelines"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    plant_id: Mapped[int | None] = mapped_column(ForeignKey("reclaimed_plants.id"), nullable=True)
    capacity_m3_d: Mapped[float] = mapped_column(Float)
    geojson: Mapped[str] = mapped_column(Text)  # LineString or MultiLineString, WGS84
    length_m: Mapped[float] = mapped_column(Float)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class ReclaimedUser(Versioned, Base):
    """Who takes reclaimed water: an enterprise, urban greening, road cleaning or ecological replenishment."""

    __tablename__ = "reclaimed_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    use: Mapped[str] = mapped_column(String(32))  # industry, greening, road_cleaning, ecological
    pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("reclaimed_pipelines.id"), nullable=True)
    water_user_id: Mapped[int | None] = mapped_column(ForeignKey("water_users.id"), nullable=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class ReclaimedUse(Versioned, Base):
    """Reclaimed water a user took in one month (m³)."""

    __tablename__ = "reclaimed_uses"
    __table_args__ = (UniqueConstraint("user_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("reclaimed_users.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    m3: Mapped[float] = mapped_column(Float)


class WaterUser(Versioned, Base):
    """A groundwater abstractor holding a permit (取水户), screened for 行政审批 (issue 14)."""

    __tablename__ = "water_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    industry: Mapped[str] = mapped_column(String(32))  # thermal_power, steel, nonferrous, paper, dyeing, ...
    permit_no: Mapped[str] = mapped_column(String(64), default="")
    permit_m3_per_year: Mapped[float] = mapped_column(Float, default=0.0)
    permit_expires: Mapped[date | None] = mapped_column(Date, nullable=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class ScreenDecision(Base):
    """What a person decided about a suggestion of the data screening (issue 13): accepted as a lead or dismissed.

    One decision per (year, reason, subject): the subject is the well code, meter number, account or
    monitoring well the suggestion is about.  The figures it showed are kept as JSON; an accepted one names
    its lead and the SHA-256 of the snapshot attached to it as evidence.
    """

    __tablename__ = "screen_decisions"
    __table_args__ = (UniqueConstraint("year", "reason", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # accepted, dismissed
    note: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[str] = mapped_column(Text, default="")  # JSON of the suggestion as shown
    lead_code: Mapped[str] = mapped_column(String(32), default="")
    snapshot_sha256: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    decided_by: Mapped[str] = mapped_column(String(64), default="")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: ignore what gwmap's models do not describe.

    PostGIS's ``spatial_ref_sys`` table and, on PostgreSQL, the generated PostGIS ``geom`` columns and their
    GiST indexes (migration 0011: the database derives them from lon/lat or GeoJSON, the models never
    read or write them).
    """
    if reflected and compare_to is None and (
            (type_ == "column" and name == "geom") or (type_ == "index" and name and name.endswith("_geom"))):
        return False
    return not (type_ == "table" and reflected and compare_to is None and name not in Base.metadata.tables)


class CountyProfileRow(Versioned, Base):
    """The county this database serves (one row): name, code, bureau, cone rule, time zone, standard, plan.

    Read through :func:`gwmap.county.profile`; the default county's profile when the row is missing.
    """

    __tablename__ = "county_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    adcode: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    bureau_name: Mapped[str] = mapped_column(String(128), default="")
    bureau_lon: Mapped[float] = mapped_column(Float)
    bureau_lat: Mapped[float] = mapped_column(Float)
    cone_kind: Mapped[str] = mapped_column(String(8), default="depth")
    cone_threshold_m: Mapped[float] = mapped_column(Float, default=12.0)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    sealing_standard: Mapped[str] = mapped_column(String(64), default="")
    plan_title: Mapped[str] = mapped_column(String(255), default="")


class PlanTarget(Versioned, Base):
    """One year's targets of the county's plan; a blank figure is no target that year.

    ``level_rise_m``: the mean rise of the water table (same season a year before) at least this;
    ``cone_area_km2``: the cone at most this; ``deep_stopped``: no deep well in use by the year's end.
    ``source`` names the document the figures come from.
    """

    __tablename__ = "plan_targets"
    __table_args__ = (UniqueConstraint("county_adcode", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_adcode: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    sealed_wells: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cut_m3: Mapped[float | None] = mapped_column(Float, nullable=True)
    reclaimed_used_m3: Mapped[float | None] = mapped_column(Float, nullable=True)
    reclaimed_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    deep_stopped: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    cone_area_km2: Mapped[float | None] = mapped_column(Float, nullable=True)
    level_rise_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(Text)


class PowerLink(Versioned, Base):
    """A grid-company account (户号) confirmed by a person as a well's: its kWh count as that well's.

    ``basis`` says how it was found: ``meter`` (the well's 电能表编号), ``owner_village`` (户名 = 井主 and the
    well's village in 用电地址), ``nearest`` (the nearest well to the account's position), ``manual``, ``file``.
    """

    __tablename__ = "power_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(32), unique=True)
    well_code: Mapped[str] = mapped_column(String(32), index=True)
    basis: Mapped[str] = mapped_column(String(16), default="manual")
    confirmed_by: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
