"""The demo county's electricity and water-meter records, 2022 to October 2026 (issue 13), made with a fixed seed.

Each electricity-metered well draws a yearly volume (a share of its permit, falling 3% a year as the plan
bites), spread over the months as winter wheat and summer maize are watered in the North China Plain, and
its kWh is that volume divided by its true coefficient 367.1·η/H (η of its township's pump sets with a
spread, H its depth to water plus 8 m).  Forty of them also carry a water meter read at each month's end:
the calibration pairs the ledger learns η from.  Metered wells are read every quarter.  Planted among
them, for the screening (each named in :data:`PLANTED`): a well filled in its plan year whose meter still
draws, an irrigation account 1 km from any well, a meter number the registry does not know, a well
drawing 140% of its permit, and one drawing on an expired permit.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.ledger import EXTRA_LIFT_M, FALLBACK_DEPTH_M, LIFT_PER_KWH
from gwmap.store.db import Store
from gwmap.store.models import MeterReading, PowerRecord, PowerUpload, Sealing, Well
from gwmap.store.users import CurrentUser

__all__ = ["add_demo_power", "IRRIGATION_SHARE", "PLANTED", "LAST_MONTH"]

#: Share of a year's irrigation water by month (winter wheat: Mar–May; maize: Jun; pre-winter watering: Nov).
IRRIGATION_SHARE = (0.0, 0.02, 0.18, 0.22, 0.20, 0.12, 0.04, 0.03, 0.04, 0.05, 0.08, 0.02)
FIRST_YEAR = 2022
LAST_MONTH = "2026-10"  # the demo's day is 28 November 2026: October is the last whole month billed
CALIBRATED_WELLS = 40
#: reason -> the well code or meter number planted for it (filled in by add_demo_power).
PLANTED: dict[str, str] = {}


def _months() -> list[str]:
    out = []
    for y in range(FIRST_YEAR, 2027):
        for m in range(1, 13):
            if f"{y}-{m:02d}" <= LAST_MONTH:
                out.append(f"{y}-{m:02d}")
    return out


def add_demo_power(store: Store, user: CurrentUser, *, seed: int = 13) -> dict[str, int]:
    """Store the demo's power records and meter readings as two uploads (``demo:`` names, not kept as files)."""
    rng = np.random.default_rng(seed)
    months = _months()
    with store.session() as s:
        wells = pd.DataFrame(s.execute(select(
            Well.well_code, Well.township_code, Well.aquifer, Well.use, Well.metering, Well.power_meter_no,
            Well.permitted_m3_per_year, Well.status, Well.lon, Well.lat, Well.permit_valid_to)).all(),
            columns=["well_code", "township_code", "aquifer", "use", "metering", "power_meter_no", "permitted",
                     "status", "lon", "lat", "permit_valid_to"]).sort_values("well_code").reset_index(drop=True)
        sealed = {c: d.strftime("%Y-%m") for c, d in s.execute(
            select(Well.well_code, Sealing.accepted_on).join(Sealing, Sealing.well_id == Well.id)
            .where(Sealing.stage == "accepted", Sealing.accepted_on.is_not(None))).all()}
    elec = wells[(wells["metering"] == "electricity") & (wells["power_meter_no"] != "")].reset_index(drop=True)
    townships = sorted(elec["township_code"].unique())
    eta_tw = dict(zip(townships, rng.uniform(0.36, 0.54, len(townships)), strict=True))
    eta = np.clip(elec["township_code"].map(eta_tw).to_numpy() + rng.normal(0, 0.03, len(elec)), 0.25, 0.65)
    lift = elec["aquifer"].map(FALLBACK_DEPTH_M).to_numpy() + EXTRA_LIFT_M + rng.normal(0, 1.5, len(elec))
    coef = LIFT_PER_KWH * eta / lift  # m³ per kWh, the truth the ledger should recover
    share = rng.uniform(0.6, 1.0, len(elec))

    # the planted cases
    in_use = elec.index[elec["status"] == "in_use"].to_numpy()
    over = int(in_use[0])
    expired = next((i for i in in_use if pd.notna(elec.at[i, "permit_valid_to"])
                    and elec.at[i, "permit_valid_to"] < date(2026, 1, 1)), int(in_use[1]))
    share[over] = 1.4
    filled_after = [i for i in elec.index if elec.at[i, "well_code"] in sealed]
    still_draws = filled_after[0] if filled_after else None
    PLANTED.clear()
    PLANTED.update({"over_permit": elec.at[over, "well_code"], "expired_permit": elec.at[expired, "well_code"]})
    if still_draws is not None:
        PLANTED["power_after_sealing"] = elec.at[still_draws, "well_code"]

    power_rows, readings = [], []
    calibrated = set(rng.choice(in_use[2:], size=min(CALIBRATED_WELLS, len(in_use) - 2), replace=False).tolist())
    for i, w in elec.iterrows():
        cumulative = float(rng.integers(1_000, 50_000))
        for m in months:
            year, mo = int(m[:4]), int(m[5:])
            stop = sealed.get(w.well_code)  # the month its sealing was accepted
            if w.status != "in_use" and (stop is None or m > stop) and i != still_draws:
                continue  # sealed or out of use: the meter is quiet
            volume = (w.permitted or 0.0) * share[i] * (0.97 ** (year - FIRST_YEAR)) * IRRIGATION_SHARE[mo - 1]
            volume *= rng.uniform(0.85, 1.15)
            kwh = round(volume / coef[i], 1)
            power_rows.append((f"37{w.power_meter_no[-8:]}", w.power_meter_no, m, kwh, "农业排灌", None, None))
            if i in calibrated:
                cumulative += volume
                end = (pd.Timestamp(f"{m}-01") + pd.offsets.MonthEnd(0)).date()
                readings.append((w.well_code, end, round(cumulative, 1)))
    # an irrigation account with no well within 1 km, and a meter the registry does not know
    import shapely

    from gwmap.store.repo import current_boundaries

    outline = current_boundaries(store)[2]
    lonlat = wells[["lon", "lat"]].to_numpy()
    far = None
    for _ in range(2000):
        cand = rng.uniform([lonlat[:, 0].min(), lonlat[:, 1].min()], [lonlat[:, 0].max(), lonlat[:, 1].max()])
        d = np.hypot((lonlat[:, 0] - cand[0]) * 89_000, (lonlat[:, 1] - cand[1]) * 111_000).min()
        # inside the county (a grid company's position outside it is refused on upload) and 1 km from any well
        if d > 1_000 and shapely.contains_xy(outline, float(cand[0]), float(cand[1])):
            far = cand
            break
    for m in months[-22:]:  # January 2025 to October 2026
        mo = int(m[5:])
        kwh = round(40_000 * IRRIGATION_SHARE[mo - 1] / 9.0 + 50, 1)
        if far is not None:
            power_rows.append(("3799000001", "", m, kwh, "农业排灌", round(float(far[0]), 6), round(float(far[1]), 6)))
        power_rows.append(("3799000002", "372299999999", m, kwh, "农业排灌", None, None))
    PLANTED["power_without_well"] = "3799000001"
    PLANTED["unknown_meter"] = "372299999999"

    # metered wells read every quarter
    metered = wells[(wells["metering"] == "water_meter") & (wells["status"] == "in_use")]
    for w in metered.itertuples():
        cumulative = float(rng.integers(1_000, 80_000))
        per_year = (w.permitted or 0.0) * rng.uniform(0.5, 0.95)
        for y in range(FIRST_YEAR, 2027):
            for q_end in (3, 6, 9, 12):
                end = (pd.Timestamp(f"{y}-{q_end:02d}-01") + pd.offsets.MonthEnd(0)).date()
                if end > date(2026, 10, 31):
                    continue
                cumulative += per_year / 4 * rng.uniform(0.8, 1.2)
                readings.append((w.well_code, end, round(cumulative, 1)))

    with store.session(user) as s:
        up = PowerUpload(kind="power", source_name="demo: 国网冠县供电公司 农业排灌用电 2022-01至2026-10.csv",
                         source_sha256="", rows=len(power_rows), first_month=months[0], last_month=months[-1],
                         created_by=user.username)
        ur = PowerUpload(kind="meter", source_name="demo: 水表抄表记录 2022-2026.csv", source_sha256="",
                         rows=len(readings), first_month=months[0], last_month=months[-1], created_by=user.username)
        s.add_all([up, ur])
        s.flush()
        s.execute(PowerRecord.__table__.insert(), [
            {"upload_id": up.id, "account": a, "meter_no": mn, "month": m, "kwh": k, "use_class": uc, "lon": lo,
             "lat": la, "row": n + 2} for n, (a, mn, m, k, uc, lo, la) in enumerate(power_rows)])
        s.execute(MeterReading.__table__.insert(), [
            {"upload_id": ur.id, "well_code": c, "read_on": d, "reading_m3": v, "row": n + 2}
            for n, (c, d, v) in enumerate(readings)])
    return {"power_records": len(power_rows), "meter_readings": len(readings), "calibrated_wells": len(calibrated)}
