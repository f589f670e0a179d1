"""The officer's day in the field: today's stops for the team, and inspections sent from a phone.

The field page (``static/field/``, served by :mod:`gwmap.web`) works offline: it keeps what the officer
submits on the phone and sends it when the network returns, each submission under an idempotency key
the phone makes.  This module is what the page's API calls: :func:`today` (the stops of the officer's
team for the day, with what to check, the allowed one-tap outcomes and navigation links) and
:func:`submit` (one inspection, validated like any other, stored once per key; if the case moved on
meanwhile the submission is kept as a conflict and nothing on the case is overwritten).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gwmap import clock
from gwmap.cases import FAR_M, advance, distance_m, register_lead
from gwmap.errors import ConflictError, InputDataError, NotFound
from gwmap.io.files import Attachment, check_upload, store_file
from gwmap.store.db import Store
from gwmap.store.models import FieldSubmission, Lead, LeadStep, Well
from gwmap.store.users import CurrentUser, authorize

logger = logging.getLogger(__name__)

__all__ = ["OUTCOMES", "WELL_OUTCOMES", "FieldReport", "Photo", "Receipt", "FieldLimits", "today", "parse_report",
           "submit", "submissions"]

#: One-tap outcomes per lead stage: outcome -> the stage it moves the case to.  A re-inspection that
#: finds the well still pumping sends the case back to rectification (with a new deadline).
OUTCOMES: dict[str, dict[str, str]] = {
    "registered": {"not_found": "inspected", "pumping": "inspected", "needs_case": "inspected"},
    "inspected": {"needs_case": "confirmed", "not_found": "dismissed"},
    "confirmed": {"rectify": "rectifying"},
    "rectifying": {"fixed": "reinspected", "pumping": "reinspected"},
    "reinspected": {"fixed": "closed", "pumping": "rectifying"},
}
#: At a well (a sealed well's re-check, a spot check): all in order, or water being drawn (a new lead).
WELL_OUTCOMES = ("well_ok", "well_pumping")
#: Days a rectification set from the field runs when the phone does not say.
DEFAULT_RECTIFY_DAYS = 30
MAX_PHOTOS = 8
MAX_PHOTO_BYTES = 6 * 2**20
MAX_NOTE = 2000
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class FieldLimits:
    """What the page holds a position and a photo to: accuracy (m), distance from the lead (m), photo size (px)."""

    accuracy_m: float = 30.0
    far_m: float = FAR_M
    photo_px: int = 1600
    max_photos: int = MAX_PHOTOS


@dataclass(frozen=True)
class Photo:
    """A photo from the phone's camera, shrunk on the phone, with where and when the phone says it was taken."""

    name: str
    data: bytes
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    taken_at: datetime | None = None  # UTC


@dataclass(frozen=True)
class FieldReport:
    """One inspection as the phone sent it (checked by :func:`parse_report`)."""

    key: str
    ref: str
    kind: str  # lead or well
    outcome: str
    stage_seen: str = ""
    version_seen: int | None = None
    note: str = ""
    lon: float | None = None
    lat: float | None = None
    accuracy_m: float | None = None
    device_at: datetime | None = None  # UTC
    deadline: date | None = None
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """What the phone is told: ``stored`` (``replayed`` when the key had been stored before) or ``conflict``."""

    key: str
    status: str
    ref: str
    stage: str = ""
    step_id: int | None = None
    replayed: bool = False
    detail: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"key": self.key, "status": self.status, "ref": self.ref, "stage": self.stage, "step_id": self.step_id,
                "replayed": self.replayed, "detail": self.detail}


def today(store: Store, user: CurrentUser, *, day: date | None = None, limits: FieldLimits = FieldLimits(),
          app_name: str = "gwmap") -> dict:
    """The officer's day: their team's stops of ``day`` (county time) in order, the next one first.

    Each stop carries its kind (what to check: a lead, an overdue rectification, a sealed well's
    re-check, a spot check; the page words it in the officer's language), the lead's description or
    the well's owner, the rectification deadline, the township and village, the straight-line distance from the
    previous stop (or the start), the lead's stage and row version (for the outcome buttons and the
    conflict check), whether it was already visited today, and navigation links.
    """
    authorize(store, user, "leads.edit", target="field day")
    from gwmap.cases import days_left
    from gwmap.dispatch import dispatch_stops, team_of
    from gwmap.io.routes import nav_links
    from gwmap.store.models import Dispatch
    from gwmap.store.models import User as UserRow

    day = day or clock.today()
    found = team_of(store, user.username, day)
    base = {"day": day.isoformat(), "user": {"name": user.username, "display": user.display_name},
            "limits": {"accuracy_m": limits.accuracy_m, "far_m": limits.far_m, "photo_px": limits.photo_px,
                       "max_photos": limits.max_photos},
            "moves": OUTCOMES, "team": None, "stops": [], "next": None}
    if found is None:
        return base
    dispatch_id, team, team_name, members = found
    stops = dispatch_stops(store, dispatch_id, team)
    refs = stops["ref"].tolist()
    since = clock.local_day_end_utc(day - timedelta(days=1))
    with store.session() as s:
        params = json.loads(s.scalar(select(Dispatch.params_json).where(Dispatch.id == dispatch_id)) or "{}")
        people = dict(s.execute(select(UserRow.username, UserRow.display_name)
                                .where(UserRow.username.in_(members))).all())
        leads = {r.lead_code: r for r in s.scalars(select(Lead).where(Lead.lead_code.in_(refs)))}
        wells = {r.well_code: r for r in s.scalars(select(Well).where(Well.well_code.in_(refs)))}
        visited = set(s.scalars(select(FieldSubmission.lead_code).where(FieldSubmission.lead_code.in_(refs),
                                                                          FieldSubmission.received_at >= since,
                                                                          FieldSubmission.status == "stored")))
        visited |= set(s.scalars(select(Lead.lead_code).join(LeadStep, LeadStep.lead_id == Lead.id)
                                 .where(Lead.lead_code.in_(refs), LeadStep.at >= since,
                                        LeadStep.stage != "registered")))
    start = params.get("start") or None
    prev = tuple(start) if start else None
    out = []
    for r in stops.itertuples():
        lead, well = leads.get(r.ref), wells.get(r.ref)
        stop = {"seq": int(r.seq), "kind": r.kind, "ref": r.ref, "lon": float(r.lon), "lat": float(r.lat),
                "arrival": r.arrival, "visited": r.ref in visited,
                "leg_km": None if prev is None else round(distance_m(prev[0], prev[1], r.lon, r.lat) / 1000, 1),
                "nav": nav_links(float(r.lon), float(r.lat), r.ref, app_name=app_name)}
        prev = (float(r.lon), float(r.lat))
        if lead is not None:
            left = days_left(lead.rectify_deadline, clock.today()) if lead.stage == "rectifying" else None
            stop.update(target="lead", stage=lead.stage, version=lead.row_version, label=lead.description,
                        township_code=lead.township_code, village="",
                        deadline=lead.rectify_deadline.isoformat() if lead.rectify_deadline else None,
                        days_left=left, outcomes=list(OUTCOMES.get(lead.stage, {})))
        elif well is not None:
            stop.update(target="well", stage=well.status, version=well.row_version, label=well.owner,
                        township_code=well.township_code, village=well.village or "", deadline=None, days_left=None,
                        outcomes=list(WELL_OUTCOMES))
        else:  # the record is gone from the registry since the dispatch was saved: show it, offer nothing
            stop.update(target="missing", stage="", version=None, label="", township_code="", village="",
                        deadline=None, days_left=None, outcomes=[])
        out.append(stop)
    if out:
        _villages_of_leads(store, out)
    nxt = next((i for i, st in enumerate(out) if not st["visited"] and st["outcomes"]), None)
    base.update(team={"dispatch_id": dispatch_id, "team": team, "name": team_name,
                      "members": [people.get(m) or m for m in members]},
                stops=out, next=nxt, start=start)
    return base


def _villages_of_leads(store: Store, stops: list[dict]) -> None:
    """A lead's village: that of the nearest registered well within 2 km (the route sheet's rule)."""
    import pandas as pd

    from gwmap.dispatch import _villages
    from gwmap.store.repo import wells_frame

    need = [s for s in stops if s["target"] == "lead"]
    if not need:
        return
    got = _villages(pd.DataFrame({"ref": [s["ref"] for s in need], "lon": [s["lon"] for s in need],
                                  "lat": [s["lat"] for s in need]}), wells_frame(store))
    for s, v in zip(need, got, strict=True):
        s["village"] = v


def _number(value, name: str, low: float, high: float) -> float | None:
    if value is None or value == "":
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not (math.isfinite(x) and low <= x <= high):
        raise InputDataError("err.field.number", f"{name} is not a number from {low} to {high}.", field=name,
                             value=str(value)[:40])
    return x


def _when(value, name: str) -> datetime | None:
    """An ISO time from the phone, in UTC without tzinfo (the store's convention)."""
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputDataError("err.field.time", f"{name} is not a time.", field=name, value=str(value)[:40]) from None
    if at.tzinfo is None:
        return clock.local_to_utc(at)
    return at.astimezone(UTC).replace(tzinfo=None)


def parse_report(body: dict, *, limits: FieldLimits = FieldLimits()) -> FieldReport:
    """Check what the phone sent, one message per problem; photos are decoded and must be JPEG or PNG.

    Raises
    ------
    InputDataError
        ``err.field.key``, ``err.field.outcome``, ``err.field.number``, ``err.field.time``,
        ``err.field.photos``, ``err.field.photo``, ``err.field.note``.

    """
    if not isinstance(body, dict):
        raise InputDataError("err.field.body", "The request is not an inspection.")
    key = str(body.get("key") or "")
    if not _KEY.match(key):
        raise InputDataError("err.field.key", "The submission has no valid key.")
    ref = str(body.get("ref") or "").strip()[:32]
    kind = str(body.get("target") or "lead")
    outcome = str(body.get("outcome") or "")
    allowed = set(WELL_OUTCOMES) if kind == "well" else {o for v in OUTCOMES.values() for o in v}
    if not ref or kind not in ("lead", "well") or outcome not in allowed:
        raise InputDataError("err.field.outcome", f"Unknown outcome {outcome!r}.", outcome=outcome[:32])
    note = str(body.get("note") or "")
    if len(note) > MAX_NOTE:
        raise InputDataError("err.field.note", "The note is too long.", limit=MAX_NOTE)
    version = body.get("version")
    raw_photos = body.get("photos") or []
    if not isinstance(raw_photos, list) or len(raw_photos) > limits.max_photos:
        raise InputDataError("err.field.photos", "Too many photos.", limit=limits.max_photos)
    photos = []
    for i, p in enumerate(raw_photos, start=1):
        if not isinstance(p, dict):
            raise InputDataError("err.field.photo", "A photo could not be read.", n=i)
        text = str(p.get("data") or "")
        text = text.split(",", 1)[1] if text.startswith("data:") else text
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InputDataError("err.field.photo", "A photo could not be read.", n=i) from None
        if len(data) > MAX_PHOTO_BYTES:
            raise InputDataError("err.field.photo_big", "A photo is too large.", n=i, limit_mb=MAX_PHOTO_BYTES // 2**20)
        name = Path(str(p.get("name") or f"photo-{i}.jpg")).name[:120] or f"photo-{i}.jpg"
        if check_upload(data, name) == "application/pdf":
            raise InputDataError("err.evidence.type", "Only JPEG and PNG photos.", name=name)
        photos.append(Photo(name, data, _number(p.get("lon"), "lon", -180, 180), _number(p.get("lat"), "lat", -90, 90),
                            _number(p.get("accuracy"), "accuracy", 0, 100_000), _when(p.get("at"), "photo time")))
    deadline = None
    if body.get("deadline"):
        try:
            deadline = date.fromisoformat(str(body["deadline"])[:10])
        except ValueError:
            raise InputDataError("err.field.time", "The deadline is not a date.", field="deadline",
                                 value=str(body["deadline"])[:20]) from None
    return FieldReport(
        key=key, ref=ref, kind=kind, outcome=outcome, stage_seen=str(body.get("stage") or "")[:32],
        version_seen=int(_number(version, "version", 1, 1e9)) if version not in (None, "") else None,
        note=note.strip(), lon=_number(body.get("lon"), "lon", -180, 180), lat=_number(body.get("lat"), "lat", -90, 90),
        accuracy_m=_number(body.get("accuracy"), "accuracy", 0, 100_000), device_at=_when(body.get("at"), "time"),
        deadline=deadline, photos=tuple(photos))


def _flags(report: FieldReport, lead_lon: float | None, lead_lat: float | None, limits: FieldLimits) -> list[str]:
    """What the desk should look at twice: a rough or missing position, far from the target, an odd clock."""
    flags = []
    if report.lon is None or report.lat is None:
        flags.append("no_position")
    else:
        if report.accuracy_m is None or report.accuracy_m > limits.accuracy_m:
            flags.append("rough_position")
        if lead_lon is not None and distance_m(lead_lon, lead_lat, report.lon, report.lat) > limits.far_m:
            flags.append("far")
    if report.device_at is not None and abs((report.device_at - clock.now()).total_seconds()) > 24 * 3600:
        flags.append("device_clock")
    return flags


def _payload(report: FieldReport, shas: list[str]) -> str:
    return json.dumps({
        "ref": report.ref, "target": report.kind, "outcome": report.outcome, "stage_seen": report.stage_seen,
        "version_seen": report.version_seen, "note": report.note, "lon": report.lon, "lat": report.lat,
        "accuracy_m": report.accuracy_m, "deadline": report.deadline.isoformat() if report.deadline else None,
        "photos": [{"name": p.name, "sha256": h, "lon": p.lon, "lat": p.lat, "accuracy_m": p.accuracy_m,
                    "taken_at": p.taken_at.isoformat() if p.taken_at else None} for p, h in zip(report.photos, shas,
                                                                                              strict=True)],
    }, ensure_ascii=False)


def _stored(s, key: str) -> FieldSubmission | None:
    return s.scalar(select(FieldSubmission).where(FieldSubmission.key == key))


def _receipt(row: FieldSubmission, *, replayed: bool) -> Receipt:
    detail = json.loads(row.detail_json or "{}")
    return Receipt(row.key, row.status, row.lead_code, detail.get("stage", ""), row.step_id, replayed, detail)


def submit(store: Store, user: CurrentUser, report: FieldReport, *, evidence_dir: Path,
           limits: FieldLimits = FieldLimits()) -> Receipt:
    """Store one inspection from the field page, once per ``report.key``.

    A key already stored returns its first receipt (``replayed``), whatever the second copy says.  At a
    lead the outcome moves the case one step (:data:`OUTCOMES`) with the note, the position and its
    accuracy, and the photos as evidence (hashed, each with the position and time the phone recorded);
    the phone's clock and the server's are both kept.  If the lead is no longer at the stage and version
    the phone showed, nothing on the case changes: the submission and its photos are kept as a
    ``conflict`` for the officer and the desk to see.  At a well, ``well_pumping`` registers a lead there
    and records the inspection on it; ``well_ok`` is recorded as the visit.
    """
    authorize(store, user, "leads.edit", target=report.ref)
    with store.session() as s:
        row = _stored(s, report.key)
        if row is not None:
            if row.username != user.username:
                raise InputDataError("err.field.key", "The submission has no valid key.")
            return _receipt(row, replayed=True)
    if report.kind == "well":
        return _submit_well(store, user, report, evidence_dir=evidence_dir, limits=limits)
    with store.session() as s:
        lead = s.scalar(select(Lead).where(Lead.lead_code == report.ref))
        if lead is None:
            raise NotFound("err.lead.not_found", f"No lead {report.ref!r}.", lead=report.ref)
        lead_lon, lead_lat, stage_now = lead.lon, lead.lat, lead.stage
    seen = report.stage_seen or stage_now
    to_stage = OUTCOMES.get(seen, {}).get(report.outcome)
    if to_stage is None:
        raise InputDataError("err.field.outcome", f"Outcome {report.outcome!r} is not a step from {seen}.",
                             outcome=report.outcome)
    deadline = report.deadline
    if to_stage == "rectifying" and deadline is None:
        deadline = clock.today() + timedelta(days=DEFAULT_RECTIFY_DAYS)
    flags = _flags(report, lead_lon, lead_lat, limits)
    attachments = _attachments(report)
    shas: list[str] = []

    def record(s, lead_row, step) -> None:  # noqa: ANN001
        s.add(FieldSubmission(key=report.key, username=user.username, lead_code=report.ref, outcome=report.outcome,
                              status="stored", step_id=step.id, device_at=report.device_at,
                              payload_json=_payload(report, shas),
                              detail_json=json.dumps({"stage": to_stage, "flags": flags}, ensure_ascii=False)))
        s.flush()  # a second copy of the same key racing this one fails here, and its step is rolled back

    shas[:] = [store_file(p.data, evidence_dir) for p in report.photos]
    note = _note(report)
    try:
        step_id = advance(store, user, report.ref, to_stage, note=note, deadline=deadline, evidence=attachments,
                          evidence_dir=evidence_dir, lon=report.lon, lat=report.lat, accuracy_m=report.accuracy_m,
                          expected_version=report.version_seen, within=record)
    except ConflictError as exc:
        return _keep_conflict(store, user, report, shas, exc.params.get("actor", "?"), exc.params.get("at", "?"))
    except InputDataError as exc:
        if exc.code == "err.lead.step":  # the case moved on (no version sent): kept, not forced
            return _keep_conflict(store, user, report, shas, "?", "?")
        raise
    except IntegrityError:
        with store.session() as s:
            row = _stored(s, report.key)
        if row is None:
            raise
        return _receipt(row, replayed=True)
    logger.info("field submission %s: %s %s -> %s (%s)", report.key, report.ref, report.outcome, to_stage, flags)
    return Receipt(report.key, "stored", report.ref, to_stage, step_id, False, {"stage": to_stage, "flags": flags})


def _attachments(report: FieldReport) -> list[Attachment]:
    """The photos as evidence, each with the position and time the phone recorded (EXIF GPS is stripped)."""
    return [Attachment(p.name, p.data, lon=p.lon, lat=p.lat, taken_at=p.taken_at, accuracy_m=p.accuracy_m,
                       source="device") for p in report.photos]


def _note(report: FieldReport) -> str:
    """The step's note: the outcome in words, then what the officer typed."""
    from gwmap.i18n import translator

    said = translator("zh")(f"fieldapp.outcome.{report.outcome}")
    return f"【{said}】{report.note}".strip()


def _keep_conflict(store: Store, user: CurrentUser, report: FieldReport, shas: list[str], actor: str,
                   at: str) -> Receipt:
    with store.session() as s:
        lead = s.scalar(select(Lead).where(Lead.lead_code == report.ref))
        now_stage, now_version = (lead.stage, lead.row_version) if lead else ("", None)
    detail = {"stage": now_stage, "version": now_version, "stage_seen": report.stage_seen,
              "version_seen": report.version_seen, "actor": actor, "at": at,
              "outcomes": list(OUTCOMES.get(now_stage, {}))}
    try:
        with store.session(user) as s:
            s.add(FieldSubmission(key=report.key, username=user.username, lead_code=report.ref, outcome=report.outcome,
                                  status="conflict", device_at=report.device_at, payload_json=_payload(report, shas),
                                  detail_json=json.dumps(detail, ensure_ascii=False)))
    except IntegrityError:
        with store.session() as s:
            return _receipt(_stored(s, report.key), replayed=True)
    logger.info("field submission %s on %s kept as a conflict (now %s)", report.key, report.ref, now_stage)
    return Receipt(report.key, "conflict", report.ref, now_stage, None, False, detail)


def _submit_well(store: Store, user: CurrentUser, report: FieldReport, *, evidence_dir: Path,
                 limits: FieldLimits) -> Receipt:
    with store.session() as s:
        well = s.scalar(select(Well).where(Well.well_code == report.ref))
        if well is None:
            raise NotFound("err.well.not_found", f"No well {report.ref!r}.", well=report.ref)
        w_lon, w_lat = well.lon, well.lat
    flags = _flags(report, w_lon, w_lat, limits)
    shas = [store_file(p.data, evidence_dir) for p in report.photos]
    if report.outcome == "well_ok":
        try:
            with store.session(user) as s:
                s.add(FieldSubmission(key=report.key, username=user.username, lead_code=report.ref,
                                      outcome=report.outcome, status="stored", device_at=report.device_at,
                                      payload_json=_payload(report, shas),
                                      detail_json=json.dumps({"stage": "visited", "flags": flags})))
        except IntegrityError:
            with store.session() as s:
                return _receipt(_stored(s, report.key), replayed=True)
        return Receipt(report.key, "stored", report.ref, "visited", None, False, {"stage": "visited", "flags": flags})
    from gwmap.store.repo import current_boundaries

    _, townships, _ = current_boundaries(store)
    code, _ = register_lead(store, user, lon=w_lon, lat=w_lat, source="patrol",
                            description=f"{report.ref}：{_note(report)}", townships=townships)
    attachments = _attachments(report)

    def record(s, lead_row, step) -> None:  # noqa: ANN001
        s.add(FieldSubmission(key=report.key, username=user.username, lead_code=report.ref, outcome=report.outcome,
                              status="stored", step_id=step.id, device_at=report.device_at,
                              payload_json=_payload(report, shas),
                              detail_json=json.dumps({"stage": "inspected", "lead": code, "flags": flags})))
        s.flush()

    step_id = advance(store, user, code, "inspected", note=_note(report), evidence=attachments,
                      evidence_dir=evidence_dir, lon=report.lon, lat=report.lat, accuracy_m=report.accuracy_m,
                      within=record)
    return Receipt(report.key, "stored", report.ref, "inspected", step_id, False,
                   {"stage": "inspected", "lead": code, "flags": flags})


def submissions(store: Store, *, username: str | None = None, status: str | None = None,
                ref: str | None = None) -> list[dict]:
    """What phones sent (newest first, at most 500): key, who, the lead or well, outcome, status, both clocks, detail."""
    q = select(FieldSubmission).order_by(FieldSubmission.id.desc())
    if ref:
        q = q.where(FieldSubmission.lead_code == ref)
    if username:
        q = q.where(FieldSubmission.username == username)
    if status:
        q = q.where(FieldSubmission.status == status)
    with store.session() as s:
        rows = s.scalars(q.limit(500)).all()
        return [{"key": r.key, "username": r.username, "ref": r.lead_code, "outcome": r.outcome, "status": r.status,
                 "step_id": r.step_id, "device_at": r.device_at, "received_at": r.received_at,
                 "detail": json.loads(r.detail_json or "{}")} for r in rows]
