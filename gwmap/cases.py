"""Suspected illegal abstraction (违规取用地下水线索): register, inspect, confirm, rectify, close.

The lifecycle follows the plan's task 10: 登记 registered → 核查 inspected →
认定 confirmed or 排除 dismissed → 整改 rectification with a deadline → 复查
re-inspected → 销号 closed.  Every step keeps who, when, the finding and where;
evidence (证据固定) is stored by SHA-256 and never overwritten, and a case
cannot be closed without evidence of the rectification.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select

from gwmap import clock
from gwmap.crs import area_crs, gcj02_to_wgs84
from gwmap.errors import InputDataError, NotFound
from gwmap.io.files import MAX_PHOTO_MB, Attachment, check_upload, store_file
from gwmap.store.db import Store
from gwmap.store.models import Evidence, Lead, LeadStep
from gwmap.store.repo import check_version, next_number
from gwmap.store.users import CurrentUser, authorize
from gwmap.vocab import LEAD_SOURCES, OPEN_LEAD_STAGES

logger = logging.getLogger(__name__)

__all__ = [
    "TRANSITIONS", "MAX_EVIDENCE_MB", "register_lead", "advance", "lead_steps", "lead_evidence",
    "days_left", "integrity_check", "read_evidence", "nearby_open_leads", "DUPLICATE_RADIUS_M",
]

#: Which stage may follow which.  A re-inspection that finds the fix incomplete goes back to rectifying.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "registered": ("inspected",),
    "inspected": ("confirmed", "dismissed"),
    "confirmed": ("rectifying",),
    "rectifying": ("reinspected",),
    "reinspected": ("closed", "rectifying"),
    "dismissed": (),
    "closed": (),
}
MAX_EVIDENCE_MB = MAX_PHOTO_MB
DUPLICATE_RADIUS_M = 50.0
#: evidence taken farther than this from its lead gets a warning (page, case file)
FAR_M = 500.0


def exif_position(data: bytes) -> tuple[float | None, float | None, datetime | None]:
    """GPS position and time from a JPEG's EXIF, when the camera wrote them."""
    from PIL import ExifTags, Image

    try:
        img = Image.open(io.BytesIO(data))
        exif = img.getexif()
    except Exception:  # a broken image has no usable EXIF; the file is still kept as evidence
        return None, None, None
    taken = None
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    raw_time = sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if raw_time:
        # a camera writes its own wall-clock time; stored in UTC like every time, read by the offset it
        # wrote (OffsetTimeOriginal, e.g. "+08:00") or else as the county's time
        offset = str(sub.get(ExifTags.Base.OffsetTimeOriginal) or sub.get(ExifTags.Base.OffsetTime) or "").strip()
        try:
            local = datetime.strptime(str(raw_time).strip(), "%Y:%m:%d %H:%M:%S")
            if offset[:1] in "+-" and len(offset) >= 6:
                at = datetime.strptime(f"{raw_time} {offset.replace(':', '')}", "%Y:%m:%d %H:%M:%S %z")
                taken = at.astimezone(UTC).replace(tzinfo=None)
            else:
                taken = clock.local_to_utc(local)
        except ValueError:
            taken = None
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if not gps or 2 not in gps or 4 not in gps:
        return None, None, taken

    def deg(v) -> float:
        d, m, s = (float(x) for x in v)
        return d + m / 60 + s / 3600

    lat = deg(gps[2]) * (-1 if gps.get(1) in ("S", b"S") else 1)
    lon = deg(gps[4]) * (-1 if gps.get(3) in ("W", b"W") else 1)
    return lon, lat, taken


def read_evidence(evidence_dir: Path, sha256: str) -> bytes:
    """The stored bytes of one evidence file."""
    path = evidence_dir / sha256
    if not path.exists():
        raise NotFound("err.evidence.missing", "The evidence file is missing.", sha=sha256[:12])
    return path.read_bytes()


def nearby_open_leads(store: Store, lon: float, lat: float, *, radius_m: float = DUPLICATE_RADIUS_M,
                      open_only: bool = True) -> list[str]:
    """Codes of (open) leads within ``radius_m`` metres: possible duplicates, or a well's leads."""
    stmt = select(Lead.lead_code, Lead.lon, Lead.lat).where(~Lead.archived)
    if open_only:
        stmt = stmt.where(Lead.stage.in_(OPEN_LEAD_STAGES))
    with store.session() as s:
        rows = s.execute(stmt).all()
    if not rows:
        return []
    pts = gpd.GeoSeries(gpd.points_from_xy([r[1] for r in rows] + [lon], [r[2] for r in rows] + [lat]),
                        crs=4326).to_crs(area_crs())
    d = pts.iloc[:-1].distance(pts.iloc[-1]).to_numpy()
    return [rows[i][0] for i in np.flatnonzero(d <= radius_m)]


def register_lead(store: Store, user: CurrentUser, *, lon: float, lat: float, source: str, description: str,
                  townships: gpd.GeoDataFrame, outline=None, gcj02: bool = False,
                  within=None) -> tuple[str, list[str]]:
    """Register a lead; returns its code and the codes of open leads within 50 m (possible duplicates).

    ``gcj02`` says the position came from a phone map (AMap/Tencent) and is
    converted to WGS84.  The township is filled in from the boundaries.  ``within(session, lead, step)``
    runs in the same transaction (the screening queue attaches its snapshot and records its decision
    there: the lead and the decision are stored together or not at all).
    """
    authorize(store, user, "leads.edit", target="new lead")
    if source not in LEAD_SOURCES:
        raise InputDataError("err.lead.source", f"Unknown source {source!r}.", source=source)
    if not description.strip():
        raise InputDataError("err.lead.description", "Describe what was seen.")
    if gcj02:
        lon, lat = gcj02_to_wgs84(lon, lat)
    # on a copy: contains_xy prepares its geometry in place, and GEOS's lazy preparation is not thread-safe
    # when sessions share one outline object
    if outline is not None and not shapely.contains_xy(shapely.from_wkb(shapely.to_wkb(outline)), lon, lat):
        raise InputDataError("err.survey.outside", "The position is outside the county.")
    hit = townships[townships.geometry.contains(shapely.Point(lon, lat))]
    dups = nearby_open_leads(store, lon, lat)
    today = clock.today()
    with store.session(user) as s:
        prefix = f"XS{today.year}"
        used = s.scalar(select(func.max(Lead.lead_code)).where(Lead.lead_code.like(f"{prefix}%")))
        floor = int(used[len(prefix):]) if used and used[len(prefix):].isdigit() else 0
        code = f"{prefix}{next_number(s, f'lead:{today.year}', floor=floor):04d}"
        lead = Lead(lead_code=code, source=source, lon=round(float(lon), 7), lat=round(float(lat), 7),
                    township_code=hit["code"].iloc[0] if len(hit) else "", description=description.strip()[:2000],
                    stage="registered", registered_on=today)
        s.add(lead)
        s.flush()
        step = LeadStep(lead_id=lead.id, stage="registered", by=user.username, note=description.strip()[:2000],
                        lon=lead.lon, lat=lead.lat)
        s.add(step)
        if within is not None:
            s.flush()
            within(s, lead, step)
    return code, dups


def _stage_before(to_stage: str) -> str:
    """A stage from which ``to_stage`` is a step (what a form offering it showed)."""
    return next((k for k, v in TRANSITIONS.items() if to_stage in v), "")


def advance(store: Store, user: CurrentUser, lead_code: str, to_stage: str, *, note: str = "",
            deadline: date | None = None, evidence: list[Attachment] | None = None,
            evidence_dir: Path, lon: float | None = None, lat: float | None = None,
            expected_version: int | None = None, accuracy_m: float | None = None, within=None) -> int:
    """Move a lead to its next stage with the finding, evidence and (for rectification) a deadline.

    ``expected_version`` is the lead's ``row_version`` the form showed; if the
    case moved on since, the step is refused (:class:`~gwmap.errors.ConflictError`).
    ``within(session, lead, step)`` runs in the same transaction (the field page records its submission
    there: the step and the record that it was received are stored together or not at all).

    Raises
    ------
    InputDataError
        A step out of order, a rectification without a future deadline, a
        close without evidence of the fix, a file that is not a photo or PDF
        or is over 50 MB.

    """
    authorize(store, user, "leads.edit", target=lead_code)
    evidence = evidence or []
    checked = []
    for f in evidence:
        checked.append((f, check_upload(f.data, f.filename)))
    today = clock.today()
    with store.session(user) as s:
        lead = s.scalar(select(Lead).where(Lead.lead_code == lead_code))
        if lead is None:
            raise NotFound("err.lead.not_found", f"No lead {lead_code!r}.", lead=lead_code)
        check_version(s, lead, expected_version, {"stage": _stage_before(to_stage)}, table="leads", key=lead_code)
        if to_stage not in TRANSITIONS.get(lead.stage, ()):
            raise InputDataError("err.lead.step", f"{lead.stage} cannot go to {to_stage}.", lead=lead_code,
                                 now=lead.stage, to=to_stage)
        if to_stage == "rectifying" and (deadline is None or deadline <= today):
            raise InputDataError("err.lead.deadline", "A rectification needs a deadline after today.")
        if to_stage == "rectifying" and deadline > today + timedelta(days=366):
            raise InputDataError("err.lead.deadline_far", "The deadline is more than a year off.",
                                 deadline=deadline.isoformat(), latest=(today + timedelta(days=366)).isoformat())
        if to_stage == "closed":
            reinspect = s.scalar(select(LeadStep).where(LeadStep.lead_id == lead.id, LeadStep.stage == "reinspected")
                                 .order_by(LeadStep.id.desc()))
            proof = s.scalar(select(func.count()).select_from(Evidence).where(Evidence.step_id == reinspect.id)) \
                if reinspect else 0
            if not proof and not checked:
                raise InputDataError("err.lead.no_proof", "A case cannot be closed without evidence of the fix.")
        from gwmap.dispatch import dispatch_for_lead

        visit = to_stage in ("inspected", "reinspected")
        step = LeadStep(lead_id=lead.id, stage=to_stage, by=user.username, note=note.strip()[:4000],
                        deadline=deadline if to_stage == "rectifying" else None, lon=lon, lat=lat,
                        accuracy_m=accuracy_m, dispatch_id=dispatch_for_lead(s, lead_code, today) if visit else None)
        s.add(step)
        s.flush()
        for f, mime in checked:
            sha = store_file(f.data, evidence_dir)
            e_lon, e_lat, taken = exif_position(f.data) if mime == "image/jpeg" else (None, None, None)
            source = "exif" if e_lon is not None else ((f.source or "entered") if f.lon is not None else "none")
            p_lon = e_lon if e_lon is not None else f.lon
            p_lat = e_lat if e_lat is not None else f.lat
            s.add(Evidence(lead_id=lead.id, step_id=step.id, sha256=sha, filename=Path(f.filename).name[:255],
                           mime=mime, size_bytes=len(f.data), uploaded_by=user.username, taken_at=taken or f.taken_at,
                           lon=p_lon, lat=p_lat, gps_source=source,
                           accuracy_m=None if e_lon is not None else f.accuracy_m,
                           offset_m=None if p_lon is None else round(distance_m(lead.lon, lead.lat, p_lon, p_lat), 1)))
        lead.stage = to_stage
        if to_stage == "rectifying":
            lead.rectify_deadline = deadline
        if within is not None:
            s.flush()
            within(s, lead, step)
        return step.id


def lead_steps(store: Store, lead_code: str) -> pd.DataFrame:
    """The steps of one lead, oldest first."""
    with store.session() as s:
        rows = s.execute(select(LeadStep.id, LeadStep.stage, LeadStep.at, LeadStep.by, LeadStep.note,
                                LeadStep.deadline, LeadStep.lon, LeadStep.lat)
                         .join(Lead, Lead.id == LeadStep.lead_id).where(Lead.lead_code == lead_code)
                         .order_by(LeadStep.id)).all()
    return pd.DataFrame(rows, columns=["id", "stage", "at", "by", "note", "deadline", "lon", "lat"])


def lead_evidence(store: Store, lead_code: str | None = None) -> pd.DataFrame:
    """Evidence of one lead (or all), with the step it belongs to."""
    stmt = (select(Lead.lead_code, Evidence.id, Evidence.step_id, LeadStep.stage, Evidence.filename, Evidence.mime,
                   Evidence.size_bytes, Evidence.sha256, Evidence.uploaded_at, Evidence.uploaded_by,
                   Evidence.taken_at, Evidence.lon, Evidence.lat, Evidence.gps_source, Evidence.offset_m)
            .join(Lead, Lead.id == Evidence.lead_id).join(LeadStep, LeadStep.id == Evidence.step_id, isouter=True)
            .order_by(Evidence.id))
    if lead_code:
        stmt = stmt.where(Lead.lead_code == lead_code)
    with store.session() as s:
        rows = s.execute(stmt).all()
    return pd.DataFrame(rows, columns=["lead_code", "id", "step_id", "stage", "filename", "mime", "size_bytes",
                                       "sha256", "uploaded_at", "uploaded_by", "taken_at", "lon", "lat",
                                       "gps_source", "offset_m"])


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine; well within a metre at county scale).

    >>> round(distance_m(115.5, 36.5, 115.5, 36.51))
    1112
    """
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def far_evidence(evidence: pd.DataFrame) -> pd.DataFrame:
    """The evidence whose recorded position lies more than :data:`FAR_M` from its lead."""
    return evidence[evidence["offset_m"].notna() & (evidence["offset_m"] > FAR_M)]


def days_left(deadline, today: date | None = None) -> int | None:
    """Days until a deadline (negative when overdue).

    >>> days_left(date(2026, 12, 1), date(2026, 11, 28))
    3
    """
    if deadline is None or pd.isna(deadline):
        return None
    return (pd.Timestamp(deadline).date() - (today or clock.today())).days


def integrity_check(store: Store, evidence_dir: Path) -> pd.DataFrame:
    """Evidence that no longer holds: ``problem`` is missing, changed or record_changed.

    A file missing or no longer matching its SHA-256, or a record pointed at
    another file after it was made (its hash differs from the one in its
    audit insert).
    """
    from gwmap.store.verify import created_hashes

    ev = lead_evidence(store)
    made_with = created_hashes(store, "evidence")
    bad = []
    for r in ev.itertuples():
        path = evidence_dir / r.sha256
        if made_with.get(str(r.id), r.sha256) != r.sha256:
            bad.append((r.lead_code, r.filename, r.sha256, "record_changed"))
        elif not path.exists():
            bad.append((r.lead_code, r.filename, r.sha256, "missing"))
        elif hashlib.sha256(path.read_bytes()).hexdigest() != r.sha256:
            bad.append((r.lead_code, r.filename, r.sha256, "changed"))
    return pd.DataFrame(bad, columns=["lead_code", "filename", "sha256", "problem"])


def _as_of(leads: pd.DataFrame, steps: pd.DataFrame, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leads and steps as they stood at the end of ``as_of`` (county time)."""
    all_steps = steps
    steps = steps[steps["at"] < clock.local_day_end_utc(as_of)]
    leads = leads[pd.to_datetime(leads["registered_on"]) <= pd.Timestamp(as_of)].copy()
    last = steps.groupby("lead_code")["stage"].last()
    deadline = steps[steps["stage"] == "rectifying"].groupby("lead_code")["deadline"].last()
    # a lead with no steps at all (taken over from an older ledger) has no history: its recorded stage stands
    recorded = leads["lead_code"].isin(set(all_steps["lead_code"]))
    leads.loc[recorded, "stage"] = leads.loc[recorded, "lead_code"].map(last).fillna("registered")
    leads.loc[recorded, "rectify_deadline"] = leads.loc[recorded, "lead_code"].map(deadline)
    due = pd.to_datetime(leads["rectify_deadline"])
    leads["overdue"] = (leads["stage"] == "rectifying") & due.notna() & (due < pd.Timestamp(as_of))
    return leads, steps


def work_ledger(store: Store, *, today: date | None = None, as_of: date | None = None) -> pd.DataFrame:
    """The work ledger (工作台账): one row per lead with the date of each step, deadline, days left, evidence count.

    ``as_of`` gives the ledger as it stood at the end of that day (county time),
    from the steps' history: leads registered later are left out, and each
    lead's stage, deadline and overdue flag are those of its last step by then,
    so a month's figures are the same whenever they are made.
    """
    from gwmap.store.repo import leads_frame

    today = as_of or today or clock.today()
    leads = leads_frame(store)
    with store.session() as s:
        steps = pd.DataFrame(s.execute(select(Lead.lead_code, LeadStep.stage, LeadStep.at, LeadStep.note,
                                              LeadStep.deadline)
                                       .join(Lead, Lead.id == LeadStep.lead_id).order_by(LeadStep.id)).all(),
                             columns=["lead_code", "stage", "at", "note", "deadline"])
        count_q = select(Lead.lead_code, func.count(Evidence.id)).join(Evidence, Evidence.lead_id == Lead.id)
        if as_of is not None:  # evidence fixed by the end of that day
            count_q = count_q.where(Evidence.uploaded_at < clock.local_day_end_utc(as_of))
        counts = dict(s.execute(count_q.group_by(Lead.lead_code)).all())
    if as_of is not None:
        leads, steps = _as_of(leads, steps, as_of)
    first = steps.groupby(["lead_code", "stage"])["at"].min().unstack() if len(steps) else pd.DataFrame()
    finding = steps[steps.stage == "inspected"].groupby("lead_code")["note"].last() if len(steps) else pd.Series()
    out = leads[["lead_code", "source", "lon", "lat", "township_code", "description", "stage", "registered_on",
                 "rectify_deadline", "overdue", "row_version"]].copy()
    for stage in ("inspected", "confirmed", "dismissed", "rectifying", "reinspected", "closed"):
        when = first[stage].to_dict() if stage in first else {}
        out[f"{stage}_on"] = [clock.to_local(when[c]).date() if pd.notna(when.get(c)) else None  # the county's day
                              for c in out["lead_code"]]
    found = finding.to_dict()
    out["finding"] = [found.get(c, "") for c in out["lead_code"]]
    out["days_left"] = pd.array([days_left(d, today) if st == "rectifying" else None
                                 for d, st in zip(out["rectify_deadline"], out["stage"], strict=True)], dtype="Int64")
    out["evidence_count"] = out["lead_code"].map(counts).fillna(0).astype(int)
    return out
