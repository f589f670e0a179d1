"""Wells and permits (取水井台账): edits with validation, role checks and audit."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from gwmap.errors import InputDataError, NotFound
from gwmap.store.db import Store
from gwmap.store.models import Well
from gwmap.store.users import CurrentUser, authorize
from gwmap.vocab import AQUIFERS, WELL_STATUSES, WELL_USES

logger = logging.getLogger(__name__)

__all__ = ["update_well", "EDITABLE_FIELDS"]

EDITABLE_FIELDS = (
    "name", "village", "owner", "depth_m", "year_drilled", "casing_diameter_mm", "aquifer", "use",
    "permit_no", "permit_valid_from", "permit_valid_to", "permitted_m3_per_year", "metering",
    "power_meter_no", "status",
)
_CHOICES = {"status": WELL_STATUSES, "use": WELL_USES, "aquifer": AQUIFERS}


def update_well(store: Store, user: CurrentUser, well_code: str, **changes: Any) -> dict[str, Any]:
    """Change fields of one well; returns the new values of the changed fields.

    Raises
    ------
    PermissionDenied
        Unless the user's role may edit wells (refusal audited).
    InputDataError
        Unknown field or value outside its vocabulary.
    NotFound
        No such well.

    """
    authorize(store, user, "wells.edit", target=well_code)
    for key, value in changes.items():
        if key not in EDITABLE_FIELDS:
            raise InputDataError("err.well.field", f"Field {key!r} cannot be edited.", field=key)
        if key in _CHOICES and value not in _CHOICES[key]:
            raise InputDataError("err.well.value", f"{key}={value!r} is not one of {_CHOICES[key]}.",
                                 field=key, value=str(value), choices=", ".join(_CHOICES[key]))
        if key == "depth_m" and value is not None and not (0 < float(value) < 2000):
            raise InputDataError("err.well.value", f"depth_m={value!r} is not a depth in metres.",
                                 field=key, value=str(value), choices="0–2000")
    with store.session(user.username) as s:
        well = s.scalar(select(Well).where(Well.well_code == well_code))
        if well is None:
            raise NotFound("err.well.not_found", f"No well {well_code!r}.", code=well_code)
        for key, value in changes.items():
            setattr(well, key, value)
    return changes


SEALED_STATUSES = ("sealed_standby", "filled", "converted_monitoring")


def summarize(wells, leads, *, township_code: str | None = None) -> dict[str, int]:
    """Counts shown over the one-map, for the county or one township.

    Returns ``wells`` (registered, not archived), ``sealed`` (filled, standby or
    converted), ``leads_open`` (not closed or dismissed), ``leads_overdue``.
    """
    if township_code:
        wells = wells[wells["township_code"] == township_code]
        leads = leads[leads["township_code"] == township_code]
    return {
        "wells": int(len(wells)),
        "sealed": int(wells["status"].isin(SEALED_STATUSES).sum()),
        "leads_open": int((~leads["stage"].isin(["closed", "dismissed"])).sum()),
        "leads_overdue": int(leads["overdue"].sum()),
    }
