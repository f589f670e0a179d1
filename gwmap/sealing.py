"""Well sealing (封井) under Shandong's DB37/T 4634-2023: plans, works, acceptance, re-enabling, progress.

A sealing is planned, its works are done (the well's status follows the
disposition: 机井封填 → filled, 封存备用 → sealed standby, 改建监测井 → converted
to monitoring), then accepted (封停验收) with the record the standard asks for:
dates, method and material, work done, verdict, the signatures of contractor,
supervisor, owner and authority, and photos before and after.  The abstraction
cut credited is the well's permitted annual volume.  A standby well is
re-enabled (机井启用) only with an approved application.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap import clock
from gwmap.county import active
from gwmap.errors import InputDataError, NotFound
from gwmap.io.files import Attachment, check_upload, store_file
from gwmap.store.db import Store
from gwmap.store.models import PlanTarget, Sealing, SealingPhoto, Well
from gwmap.store.users import CurrentUser, authorize
from gwmap.vocab import DISPOSITIONS

logger = logging.getLogger(__name__)

__all__ = ["METHODS", "STATUS_AFTER", "Acceptance", "plan_sealing", "record_works", "accept",
           "reenable", "progress", "progress_for_year", "sealing_photos"]

#: Works methods: clay backfill (shallow), pressure grouting (deep), cap and lock (standby / monitoring).
METHODS = ("clay_backfill", "pressure_grouting", "cap_and_lock")
STATUS_AFTER = {"fill": "filled", "standby": "sealed_standby", "convert_monitoring": "converted_monitoring"}


@dataclass(frozen=True)
class Acceptance:
    """The acceptance record (封停验收) of DB37/T 4634-2023."""

    accepted_on: date
    verdict: str
    contractor: str
    supervisor: str
    owner: str
    authority: str


def plan_sealing(store: Store, user: CurrentUser, *, well_code: str, year: int, disposition: str) -> int:
    """Put a well in a year's plan; returns the sealing id."""
    authorize(store, user, "sealings.edit", target=well_code)
    if disposition not in DISPOSITIONS:
        raise InputDataError("err.sealing.disposition", f"Unknown disposition {disposition!r}.", value=disposition)
    with store.session(user) as s:
        well = s.scalar(select(Well).where(Well.well_code == well_code))
        if well is None:
            raise NotFound("err.well.not_found", f"No well {well_code!r}.", well=well_code)
        if well.status != "in_use":
            raise InputDataError("err.sealing.not_in_use", "Only a well in use can be planned for sealing.",
                                 well=well_code)
        open_ = s.scalar(select(Sealing).where(Sealing.well_id == well.id, Sealing.stage != "accepted",
                                               Sealing.reenabled_on.is_(None)))
        if open_ is not None:
            raise InputDataError("err.sealing.already", "The well is already in a plan.", well=well_code,
                                 year=open_.plan_year)
        sealing = Sealing(well_id=well.id, plan_year=year, disposition=disposition, stage="planned",
                          cut_m3_per_year=well.permitted_m3_per_year)
        s.add(sealing)
        s.flush()
        return sealing.id


def _photos(s, sealing_id: int, photos: list[Attachment], user: CurrentUser, photo_dir: Path) -> None:
    """Store a sealing's photos; one without a ``kind`` shows the well before the works."""
    for p in photos:
        mime = check_upload(p.data, p.filename)
        s.add(SealingPhoto(sealing_id=sealing_id, kind=p.kind or "before", sha256=store_file(p.data, photo_dir),
                           filename=Path(p.filename).name[:255], mime=mime, size_bytes=len(p.data),
                           uploaded_by=user.username, lon=p.lon, lat=p.lat))


def record_works(store: Store, user: CurrentUser, sealing_id: int, *, started_on: date, finished_on: date,
                 method: str, material: str, work_done: str, contractor: str, supervisor: str,
                 photos: list[Attachment], photo_dir: Path) -> None:
    """Record the works; the well's status becomes that of the disposition."""
    authorize(store, user, "sealings.edit", target=f"sealing {sealing_id}")
    if method not in METHODS:
        raise InputDataError("err.sealing.method", f"Unknown method {method!r}.", value=method)
    if finished_on < started_on or finished_on > clock.today():
        raise InputDataError("err.sealing.dates", "The works must end after they start and not in the future.")
    with store.session(user) as s:
        sealing = s.get(Sealing, int(sealing_id))
        if sealing is None or sealing.stage != "planned":
            raise InputDataError("err.sealing.stage", "Only a planned sealing can get its works recorded.",
                                 stage=getattr(sealing, "stage", ""))
        _photos(s, sealing.id, photos, user, photo_dir)
        sealing.started_on, sealing.finished_on = started_on, finished_on
        sealing.method, sealing.material, sealing.work_done = method, material.strip(), work_done.strip()
        sealing.contractor, sealing.supervisor = contractor.strip(), supervisor.strip()
        sealing.stage = "works_done"
        sealing.well.status = STATUS_AFTER[sealing.disposition]


def accept(store: Store, user: CurrentUser, sealing_id: int, record: Acceptance, *, photos: list[Attachment],
           photo_dir: Path) -> None:
    """Accept the works (封停验收): needs photos before and after and all four signatures."""
    authorize(store, user, "sealings.edit", target=f"sealing {sealing_id}")
    missing = [k for k in ("contractor", "supervisor", "owner", "authority") if not getattr(record, k).strip()]
    if missing:
        raise InputDataError("err.sealing.signatures", "Every party must sign.", missing=", ".join(missing))
    with store.session(user) as s:
        sealing = s.get(Sealing, int(sealing_id))
        if sealing is None or sealing.stage != "works_done":
            raise InputDataError("err.sealing.stage", "Only finished works can be accepted.",
                                 stage=getattr(sealing, "stage", ""))
        _photos(s, sealing.id, photos, user, photo_dir)
        s.flush()
        kinds = set(s.scalars(select(SealingPhoto.kind).where(SealingPhoto.sealing_id == sealing.id)))
        if not {"before", "after"} <= kinds:
            raise InputDataError("err.sealing.photos", "Photos before and after the works are required.")
        if record.accepted_on < sealing.finished_on or record.accepted_on > clock.today():
            raise InputDataError("err.sealing.dates", "Acceptance cannot come before the works end, or in the future.")
        sealing.accepted_on, sealing.verdict = record.accepted_on, record.verdict.strip()
        sealing.signed_contractor, sealing.signed_supervisor = record.contractor.strip(), record.supervisor.strip()
        sealing.signed_owner, sealing.signed_authority = record.owner.strip(), record.authority.strip()
        sealing.stage = "accepted"
        sealing.cut_m3_per_year = sealing.well.permitted_m3_per_year


def reenable(store: Store, user: CurrentUser, *, well_code: str, approval_no: str, approved_on: date) -> None:
    """Put a sealed-standby well back in use (机井启用), only with an approved application."""
    authorize(store, user, "sealings.edit", target=well_code)
    if not approval_no.strip():
        raise InputDataError("err.sealing.approval", "Re-enabling needs the number of the approved application.")
    with store.session(user) as s:
        well = s.scalar(select(Well).where(Well.well_code == well_code))
        if well is None or well.status != "sealed_standby":
            raise InputDataError("err.sealing.not_standby", "Only a sealed standby well can be re-enabled.",
                                 well=well_code)
        sealing = s.scalar(select(Sealing).where(Sealing.well_id == well.id).order_by(Sealing.id.desc()))
        if sealing is not None:
            sealing.reenabled_on, sealing.reenable_approval = approved_on, approval_no.strip()
        else:  # registered as standby before gwmap kept its sealing: the approval goes into the audit trail
            from gwmap.store.audit import write_event

            write_event(s, actor=user.username, action="reenable", table="wells", record_id=well.id,
                        after={"reenable_approval": approval_no.strip(), "reenabled_on": approved_on.isoformat()})
        well.status = "in_use"


def sealing_photos(store: Store, sealing_id: int) -> pd.DataFrame:
    with store.session() as s:
        rows = s.execute(select(SealingPhoto.kind, SealingPhoto.filename, SealingPhoto.sha256, SealingPhoto.uploaded_at,
                                SealingPhoto.uploaded_by).where(SealingPhoto.sealing_id == int(sealing_id))).all()
    return pd.DataFrame(rows, columns=["kind", "filename", "sha256", "uploaded_at", "uploaded_by"])


def progress(store: Store, *, as_of: date | None = None) -> pd.DataFrame:
    """Per plan year: targets, wells planned / works done / accepted, abstraction cut credited (accepted only).

    A re-enabled well no longer counts: its cut is given back.  ``as_of``
    gives the figures as they stood at the end of that day, from the works'
    and acceptances' dates (a bulletin for a past month).
    """
    with store.session() as s:
        plans = pd.DataFrame(s.execute(select(PlanTarget.year, PlanTarget.sealed_wells, PlanTarget.cut_m3)
                                       .where(PlanTarget.county_adcode == active().adcode)
                                       .where((PlanTarget.sealed_wells.is_not(None)) | (PlanTarget.cut_m3.is_not(None))))
                             .all(), columns=["year", "target_wells", "target_cut_m3"])
        rows = pd.DataFrame(s.execute(select(Sealing.plan_year, Sealing.stage, Sealing.cut_m3_per_year,
                                             Sealing.reenabled_on, Sealing.finished_on, Sealing.accepted_on)).all(),
                            columns=["year", "stage", "cut", "reenabled_on", "finished_on", "accepted_on"])
    if as_of is not None:
        plans = plans[plans["year"] <= as_of.year]
        rows = rows[rows["year"] <= as_of.year].copy()
        by = {c: pd.to_datetime(rows[c]) for c in ("reenabled_on", "finished_on", "accepted_on")}
        done = lambda c: by[c].notna() & (by[c] <= pd.Timestamp(as_of))  # noqa: E731
        rows["stage"] = np.where(done("accepted_on"), "accepted", np.where(done("finished_on"), "works_done",
                                 np.where(rows["stage"].isin(["works_done", "accepted"]), "planned", rows["stage"])))
        rows["reenabled_on"] = rows["reenabled_on"].where(done("reenabled_on"), None)
    rows = rows[rows["reenabled_on"].isna()]
    g = rows.groupby("year")
    out = pd.DataFrame({
        "planned": g.size(),
        "works_done": g["stage"].apply(lambda s_: int(s_.isin(["works_done", "accepted"]).sum())),
        "accepted": g["stage"].apply(lambda s_: int((s_ == "accepted").sum())),
        "cut_m3": rows[rows["stage"] == "accepted"].groupby("year")["cut"].sum(),
    }).fillna(0)
    out = plans.set_index("year").join(out, how="outer").fillna(0).reset_index().sort_values("year")
    out["wells_share"] = out["accepted"] / out["target_wells"].where(out["target_wells"] > 0)
    out["cut_share"] = out["cut_m3"] / out["target_cut_m3"].where(out["target_cut_m3"] > 0)
    return out.astype({"planned": int, "works_done": int, "accepted": int, "target_wells": int})


def progress_for_year(store: Store, year: int | None = None):
    """The progress row of ``year`` (default: the latest plan year not after today), or None."""
    prog = progress(store)
    if prog.empty:
        return None
    year = year or clock.today().year
    rows = prog[prog["year"] <= year]
    return (rows if len(rows) else prog).iloc[-1]
