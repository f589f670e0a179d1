"""The demo county's automatic water-level loggers: twelve shallow monitoring wells read every day.

Since January 2024, so the quarter-on-year view (超采区水位变化) has a station series to judge.

Each logger's day follows its well's spring and autumn survey readings (drawn straight between them, so the
season's swing is the surveys' own) with the small scatter a pressure logger has (σ 3 cm), made with a fixed
seed; stored as the station import stores a series (:class:`gwmap.store.models.StationDay`, one reading a day).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.store.models import Measurement, MonitoringWell, StationDay, Survey

__all__ = ["LOGGER_WELLS", "FIRST_DAY", "LAST_DAY", "add_demo_series"]

LOGGER_WELLS = 12
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2026, 10, 31)  # the demo's day is 28 November 2026: the loggers were last read in November


def add_demo_series(session) -> int:  # noqa: ANN001 - the demo loader's session
    """Add the loggers' days; returns how many."""
    rng = np.random.default_rng(20240101)
    rows = session.execute(select(MonitoringWell.id, MonitoringWell.mw_code, Measurement.measured_on,
                                  Measurement.depth_to_water_m)
                           .join(Measurement, Measurement.monitoring_well_id == MonitoringWell.id)
                           .join(Survey, Survey.id == Measurement.survey_id)
                           .where(MonitoringWell.aquifer == "shallow", Measurement.qc_flag == "",
                                  Measurement.depth_to_water_m.is_not(None))).all()
    df = pd.DataFrame(rows, columns=["id", "mw_code", "day", "depth"])
    if df.empty:
        return 0
    full = df.groupby("id")["day"].nunique()
    complete = sorted(full[full >= full.max() - 1].index)  # measured in (nearly) every round
    wells = sorted(rng.choice(complete, size=min(LOGGER_WELLS, len(complete)), replace=False).tolist())
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D")
    n = 0
    for wid in wells:
        mine = df[df["id"] == wid].sort_values("day")
        x = pd.to_datetime(mine["day"]).to_numpy("datetime64[D]").astype(float)
        depth = np.interp(days.to_numpy("datetime64[D]").astype(float), x, mine["depth"].to_numpy(float))
        depth += rng.normal(0, 0.03, len(days))
        for d, v in zip(days, depth, strict=True):
            session.add(StationDay(monitoring_well_id=int(wid), day=d.date(), depth_to_water_m=round(float(v), 3),
                                   readings=1, source_sha256=""))
            n += 1
    return n
