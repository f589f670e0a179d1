"""Leads the data suggests (issue 13): a queue a person accepts or dismisses, never registered by itself.

Each suggestion carries its reason, the figures behind it and the data rows it rests on (upload and row
of the grid company's file, or the ledger's months), so whoever accepts it can show why in a hearing.

* ``power_after_sealing``: a filled or standby well whose meter still draws power after its sealing was
  accepted;
* ``unknown_meter``: an irrigation-class meter number the registry does not know;
* ``power_without_well``: an irrigation-class account with a position and no registered well within 200 m;
* ``over_permit``: a well that drew more than 110% of its permitted volume in the year;
* ``expired_permit``: a well drawing after its permit ended.

(``level_anomaly``, a monitoring well falling faster than its neighbours, is still to come.)
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.abstraction import latest_power
from gwmap.store.db import Store
from gwmap.store.models import Sealing, Well

__all__ = ["screen", "REASONS", "NO_WELL_RADIUS_M", "OVER_PERMIT_SHARE", "MIN_KWH"]

REASONS = ("power_after_sealing", "unknown_meter", "power_without_well", "over_permit", "expired_permit")
NO_WELL_RADIUS_M = 200.0
OVER_PERMIT_SHARE = 1.10
#: A month's kWh below this is a meter's standing loss or a light, not a pump running.
MIN_KWH = 30.0
_IRRIGATION = ("农业", "排灌", "灌溉", "irrigation", "agricultural")


def _irrigation(use_class: pd.Series) -> pd.Series:
    text = use_class.fillna("").str.lower()
    return text.map(lambda v: v == "" or any(w in v for w in _IRRIGATION))


def _month_end(month: str) -> date:
    return (pd.Timestamp(f"{month}-01") + pd.offsets.MonthEnd(0)).date()


def _rows(records: pd.DataFrame, limit: int = 24) -> list[dict]:
    return [{"upload_id": int(r.upload_id), "row": int(r.row), "month": r.month, "kwh": float(r.kwh)}
            for r in records.head(limit).itertuples()]


def screen(store: Store, *, year: int, today: date | None = None) -> list[dict]:
    """Every suggestion for ``year`` (power records of that year; the ledger of that year), strongest first."""
    from gwmap import clock
    from gwmap.ledger import monthly_ledger

    today = today or clock.today()
    first, last = f"{year}-01", f"{year}-12"
    power = latest_power(store, first_month=first, last_month=last)
    with store.session() as s:
        wells = pd.DataFrame(s.execute(select(
            Well.well_code, Well.lon, Well.lat, Well.status, Well.power_meter_no, Well.permit_no, Well.permit_valid_to,
            Well.permitted_m3_per_year, Well.township_code).where(~Well.archived)).all(),
            columns=["well_code", "lon", "lat", "status", "power_meter_no", "permit_no", "permit_valid_to",
                     "permitted", "township_code"])
        sealed = pd.DataFrame(s.execute(select(Well.well_code, Sealing.accepted_on, Sealing.disposition)
                                        .join(Sealing, Sealing.well_id == Well.id)
                                        .where(Sealing.accepted_on.is_not(None), Sealing.reenabled_on.is_(None))).all(),
                              columns=["well_code", "accepted_on", "disposition"])
    out: list[dict] = []
    by_meter = wells[wells["power_meter_no"] != ""].set_index("power_meter_no")
    running = power[power["kwh"] >= MIN_KWH]

    # a sealed well's meter still drawing
    for r in sealed.itertuples():
        w = wells[wells.well_code == r.well_code]
        if w.empty or not w.iloc[0].power_meter_no:
            continue
        w = w.iloc[0]
        after = running[(running.meter_no == w.power_meter_no)
                        & (running.month > pd.Timestamp(r.accepted_on).strftime("%Y-%m"))]
        if len(after):
            out.append({"reason": "power_after_sealing", "well_code": w.well_code, "meter_no": w.power_meter_no,
                        "lon": float(w.lon), "lat": float(w.lat),
                        "figures": {"sealed_on": r.accepted_on.isoformat(), "months": len(after),
                                    "kwh": round(float(after.kwh.sum()), 1)}, "rows": _rows(after)})

    # irrigation meters and accounts the registry cannot place
    irrigation = running[_irrigation(running.use_class).to_numpy()]
    unknown = irrigation[(irrigation.meter_no != "") & ~irrigation.meter_no.isin(by_meter.index)]
    for meter, grp in unknown.groupby("meter_no"):
        pos = grp.dropna(subset=["lon", "lat"])
        out.append({"reason": "unknown_meter", "meter_no": meter, "account": grp.account.iloc[0],
                    "lon": float(pos.lon.iloc[0]) if len(pos) else None, "lat": float(pos.lat.iloc[0]) if len(pos) else None,
                    "figures": {"months": int(grp.month.nunique()), "kwh": round(float(grp.kwh.sum()), 1)},
                    "rows": _rows(grp)})
    placed = irrigation[(irrigation.meter_no == "") & irrigation.lon.notna() & irrigation.lat.notna()]
    if len(placed) and len(wells):
        wx = wells.lon.to_numpy() * 111_320 * np.cos(np.radians(36.5))
        wy = wells.lat.to_numpy() * 110_570
        for account, grp in placed.groupby("account"):
            lon, lat = float(grp.lon.iloc[0]), float(grp.lat.iloc[0])
            d = np.hypot(wx - lon * 111_320 * np.cos(np.radians(36.5)), wy - lat * 110_570)
            if d.min() > NO_WELL_RADIUS_M:
                out.append({"reason": "power_without_well", "account": account, "lon": lon, "lat": lat,
                            "figures": {"nearest_well_m": round(float(d.min())), "months": int(grp.month.nunique()),
                                        "kwh": round(float(grp.kwh.sum()), 1)}, "rows": _rows(grp)})

    # the ledger against the permit
    led = monthly_ledger(store, year)
    drawn = led.groupby("well_code").agg(m3=("m3", "sum"), sources=("source", lambda s: sorted(set(s))))
    info = wells.set_index("well_code")
    for code, r in drawn.iterrows():
        if code not in info.index:
            continue
        w = info.loc[code]
        if "quota" in r.sources and len(r.sources) == 1:
            continue  # a quota estimate cannot exceed the permit it is made from
        if pd.notna(w.permitted) and w.permitted > 0 and r.m3 > OVER_PERMIT_SHARE * w.permitted:
            out.append({"reason": "over_permit", "well_code": code, "lon": float(w.lon), "lat": float(w.lat),
                        "figures": {"m3": round(float(r.m3)), "permitted_m3": round(float(w.permitted)),
                                    "share": round(float(r.m3 / w.permitted), 3), "sources": r.sources},
                        "rows": []})
    for code, grp in led[led.source != "quota"].groupby("well_code"):
        w = info.loc[code] if code in info.index else None
        if w is None or not w.permit_no or pd.isna(w.permit_valid_to):
            continue
        ended = pd.Timestamp(w.permit_valid_to).strftime("%Y-%m")
        late = grp[(grp.month > ended) & (grp.m3 > 0)]
        if len(late):
            out.append({"reason": "expired_permit", "well_code": code, "lon": float(w.lon), "lat": float(w.lat),
                        "figures": {"permit_no": w.permit_no, "valid_to": pd.Timestamp(w.permit_valid_to).date().isoformat(),
                                    "months": len(late), "m3": round(float(late.m3.sum()))},
                        "rows": [{"month": m, "m3": round(float(v))} for m, v in zip(late.month, late.m3, strict=True)]})
    order = {r: i for i, r in enumerate(REASONS)}
    return sorted(out, key=lambda x: (order[x["reason"]], -float(x["figures"].get("kwh", x["figures"].get("m3", 0)))))
