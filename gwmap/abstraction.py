"""The abstraction ledger's data in (取水一本账, issue 13): monthly electricity per meter and water-meter readings.

Most irrigation wells have no water meter; Hebei and Shandong count their water from the pump's
electricity (以电折水): the grid company's monthly kWh per account or meter, times a coefficient in m³ per
kWh.  This module reads the grid company's file and the water-meter readings with the same rigour as a
survey: every problem is listed with its row and how to fix it, nothing is stored until the file is clean,
an upload stores whole or not at all, and the original is kept by its SHA-256.  A later upload's figure for
the same meter and month (or well and date) supersedes the earlier one, which stays stored.

The template's headers are read without mapping, in Chinese or English:

=========  ============  ==========================================
Chinese    English       content
=========  ============  ==========================================
户号       account       the grid company's account (one of the two)
电表号     meter_no      the meter's number (one of the two)
年月       month         YYYY-MM (also 2026/3, 2026年3月, a date)
用电量kWh  kwh           electricity in the month, kWh
用电类别   use_class     e.g. 农业排灌 (optional)
经度/纬度  lon/lat       the meter's position, WGS84 (optional, both)
=========  ============  ==========================================

Water-meter readings: 机井编号 / well_code, 抄表日期 / date, 读数m3 / reading_m3 (cumulative, m³).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap import clock
from gwmap.dates import parse_dates
from gwmap.errors import InputDataError
from gwmap.io.checks import (
    FIRST_MONTH,
    Problem,
    RowCheck,
    UploadCheck,
    find_columns,
    header_key,
    month_column,
    number_cells,
    template_xlsx,
    text_cells,
)
from gwmap.store.db import Store
from gwmap.store.models import MeterReading, PowerRecord, PowerUpload, Well
from gwmap.store.users import CurrentUser, authorize
from gwmap.store.validate import clean_text_problem

__all__ = ["POWER_COLUMNS", "METER_COLUMNS", "check_power", "check_meter_readings", "known_wells", "uploads_frame",
           "import_upload", "power_template_xlsx", "meter_template_xlsx", "read_upload", "latest_power",
           "kept_readings", "MAX_KWH_PER_MONTH", "match_report", "BILLING_DAY"]

#: field -> accepted headers (Chinese first), as in the template.
POWER_COLUMNS = {
    "account": ("户号", "account", "用户编号", "客户编号", "用户号"),
    "meter_no": ("电表号", "meter_no", "电能表编号", "表号", "电能表号", "资产编号"),
    "month": ("年月", "month", "电费年月", "账期", "电量年月"),
    "kwh": ("用电量kWh", "kwh", "用电量", "电量", "抄见电量", "结算电量", "用电量(千瓦时)"),
    "use_class": ("用电类别", "use_class"), "lon": ("经度", "lon"), "lat": ("纬度", "lat"),
    # the grid company's own monthly file: no month column but the reading's day, readings and multiplier
    "read_on": ("抄表日期", "read_on", "抄表时间"), "prev_reading": ("上月示数", "上次示数", "起码", "上月止码"),
    "this_reading": ("本月示数", "本次示数", "止码", "本月止码"), "multiplier": ("倍率", "综合倍率"),
    "account_name": ("户名", "用户名称", "客户名称"), "address": ("用电地址", "地址"),
}
#: A reading on or after this day of the month bills its own month; before it, the month before (the period
#: it closes lies mostly there).  Shown with every file read this way.
BILLING_DAY = 15
METER_COLUMNS = {"well_code": ("机井编号", "well_code"), "date": ("抄表日期", "date"),
                 "reading_m3": ("读数m3", "reading_m3"), "old_final_m3": ("旧表止码m3", "old_final_m3")}
#: A pump set far larger than any irrigation well's (200 kW for 31 days) is a typo, not a month.
MAX_KWH_PER_MONTH = 150_000.0
_ID_MAX = 32


def check_power(df: pd.DataFrame, *, outline=None, raw: bytes = b"", today: date | None = None) -> UploadCheck:
    """Check the grid company's monthly electricity file whole; every problem at once, with its row.

    ``outline``: the county outline (WGS84) that optional meter positions must lie in.
    """
    import hashlib

    import shapely

    today = today or clock.today()
    cols = find_columns(df, POWER_COLUMNS, ())
    missing = [POWER_COLUMNS[n][0] for n in ("month", "kwh") if n not in cols]
    if "month" not in cols and "read_on" in cols:
        missing.remove(POWER_COLUMNS["month"][0])  # the month each reading bills comes from its day
    if "kwh" not in cols and {"prev_reading", "this_reading"} <= set(cols):
        missing.remove(POWER_COLUMNS["kwh"][0])  # (this − last reading) × multiplier
    if missing:
        raise InputDataError("err.power.no_column", "Columns missing.", columns="、".join(missing),
                             found="、".join(map(str, df.columns)) or "—",
                             template="、".join(h[0] for h in POWER_COLUMNS.values()))
    if "account" not in cols and "meter_no" not in cols:
        raise InputDataError("err.power.no_id", "Neither account nor meter number.",
                             columns="、".join(map(str, df.columns)))
    n = len(df)
    rc = RowCheck(n, cols, POWER_COLUMNS)
    add, problems, bad, rownum = rc.add, rc.problems, rc.bad, rc.rownum  # bad is updated in place

    account = text_cells(df[cols["account"]]) if "account" in cols else pd.Series("", index=df.index)
    meter = text_cells(df[cols["meter_no"]]) if "meter_no" in cols else pd.Series("", index=df.index)
    add((account == "") & (meter == ""), "meter_no" if "meter_no" in cols else "account", "err.power.no_meter",
        meter)
    for name, values in (("account", account), ("meter_no", meter)):
        if name in cols:
            add(values.str.len() > _ID_MAX, name, "err.power.id_long", values, most=_ID_MAX)
            add(values.map(lambda v: clean_text_problem(v, multiline=False) is not None), name,
                "err.power.id_control", values)
    if "month" in cols:
        month_raw, month = month_column(rc, df, cols, today)
    else:
        month_raw, month = _billing_months(rc, df, cols, today)
    if "kwh" in cols:
        kwh_raw = text_cells(df[cols["kwh"]])
        kwh = number_cells(df[cols["kwh"]])
    else:
        kwh_raw = pd.Series("", index=df.index)
        kwh = pd.Series(np.nan, index=df.index)
    if {"prev_reading", "this_reading"} <= set(cols):
        prev, this = number_cells(df[cols["prev_reading"]]), number_cells(df[cols["this_reading"]])
        mult = number_cells(df[cols["multiplier"]]).fillna(1.0) if "multiplier" in cols else pd.Series(1.0, index=df.index)
        by_reading = (this - prev) * mult
        shown = text_cells(df[cols["this_reading"]])
        add(kwh.isna() & (prev.isna() | this.isna()), "this_reading", "err.power.readings", shown)
        add(kwh.isna() & by_reading.notna() & (by_reading < 0), "this_reading", "err.power.reading_back", shown,
            prev=text_cells(df[cols["prev_reading"]]).iloc[0] if n else "")
        off = kwh.notna() & by_reading.notna() & ((kwh - by_reading).abs() > np.maximum(1.0, 0.01 * kwh.abs()))
        add(off, "kwh", "err.power.kwh_readings", kwh_raw + " ≠ " + by_reading.round(1).astype(str))
        kwh_raw = kwh_raw.where(kwh.notna(), shown)
        kwh = kwh.fillna(by_reading.where(by_reading >= 0))
    add(kwh.isna() | ~np.isfinite(kwh.fillna(0)), "kwh", "err.power.kwh", kwh_raw)
    add(kwh.notna() & (kwh < 0), "kwh", "err.power.kwh_negative", kwh_raw)
    add(kwh > MAX_KWH_PER_MONTH, "kwh", "err.power.kwh_large", kwh_raw, most=f"{MAX_KWH_PER_MONTH:,.0f}")
    use_class = text_cells(df[cols["use_class"]]) if "use_class" in cols else pd.Series("", index=df.index)
    add(use_class.str.len() > 32, "use_class", "err.power.text_long", use_class, most=32)
    lon = number_cells(df[cols["lon"]]) if "lon" in cols else pd.Series(np.nan, index=df.index)
    lat = number_cells(df[cols["lat"]]) if "lat" in cols else pd.Series(np.nan, index=df.index)
    lon_raw = text_cells(df[cols["lon"]]) if "lon" in cols else pd.Series("", index=df.index)
    lat_raw = text_cells(df[cols["lat"]]) if "lat" in cols else pd.Series("", index=df.index)
    half = (lon_raw != "") ^ (lat_raw != "")
    add(half, "lon" if "lon" in cols else "lat", "err.power.half_position", lon_raw + " " + lat_raw)
    typed = (lon_raw != "") & (lat_raw != "")
    add(typed & (lon.isna() | lat.isna()), "lon", "err.power.position_number", lon_raw + " " + lat_raw)
    have = typed & lon.notna() & lat.notna()
    if outline is not None and have.any():
        inside = np.zeros(n, bool)
        idx = np.flatnonzero(have.to_numpy())
        inside[idx] = shapely.contains_xy(outline, lon.to_numpy()[idx], lat.to_numpy()[idx])
        swapped = np.zeros(n, bool)
        swapped[idx] = shapely.contains_xy(outline, lat.to_numpy()[idx], lon.to_numpy()[idx])
        add(have.to_numpy() & ~inside & swapped, "lon", "err.power.swapped", lon_raw + " " + lat_raw)
        add(have.to_numpy() & ~inside & ~swapped, "lon", "err.power.outside", lon_raw + " " + lat_raw)
    ident = meter.where(meter != "", "#" + account)
    dup = (~bad) & pd.Series(list(zip(ident, month, strict=True)), index=df.index).duplicated(keep=False).to_numpy()
    if dup.any():
        keys = pd.Series(list(zip(ident, month, strict=True)), index=df.index)
        first = {}
        for i in np.flatnonzero(dup):
            first.setdefault(keys.iloc[i], int(rownum[i]))
        later = [i for i in np.flatnonzero(dup) if first[keys.iloc[i]] != int(rownum[i])]
        for i in later:
            problems.append(Problem(int(rownum[i]), str(cols["month"]), str(month_raw.iloc[i]), "err.power.duplicate",
                                    {"first": first[keys.iloc[i]]}))
        bad[later] = True
    name = text_cells(df[cols["account_name"]]).str[:128] if "account_name" in cols else pd.Series("", index=df.index)
    address = text_cells(df[cols["address"]]).str[:255] if "address" in cols else pd.Series("", index=df.index)
    rows = pd.DataFrame({"row": rownum, "account": account, "meter_no": meter, "month": month, "kwh": kwh,
                         "use_class": use_class, "lon": lon.where(have), "lat": lat.where(have),
                         "account_name": name, "address": address})[~bad]
    problems.sort(key=lambda p: (p.row, p.column))
    return UploadCheck("power", rows.reset_index(drop=True), tuple(problems), hashlib.sha256(raw).hexdigest(), n,
                       dict(cols))


def check_meter_readings(df: pd.DataFrame, *, wells: set[str], raw: bytes = b"", today: date | None = None,
                         stored: pd.DataFrame | None = None) -> UploadCheck:
    """Check water-meter readings: known wells, real dates up to today, readings that never go down.

    ``stored`` (``well_code``, ``read_on``, ``reading_m3``, ``old_final_m3``): the readings already kept, so a
    quarterly file with one reading per well is checked against the last quarter's.  A reading lower than
    the one before is refused unless the row gives the replaced meter's last reading (旧表止码).
    """
    import hashlib

    today = today or clock.today()
    cols = find_columns(df, METER_COLUMNS, ("well_code", "date", "reading_m3"))
    n = len(df)
    rc = RowCheck(n, cols)
    add, problems, bad, rownum = rc.add, rc.problems, rc.bad, rc.rownum

    well = text_cells(df[cols["well_code"]])
    add(well == "", "well_code", "err.meter.no_well", well)
    add((well != "") & ~well.isin(wells), "well_code", "err.meter.unknown_well", well)
    when_raw = text_cells(df[cols["date"]])
    when = parse_dates(df[cols["date"]])
    add(when.isna(), "date", "err.meter.date", when_raw)
    add(when.notna() & ((when < pd.Timestamp("2000-01-01")) | (when > pd.Timestamp(today))), "date",
        "err.meter.date_range", when_raw, today=today.isoformat())
    reading_raw = text_cells(df[cols["reading_m3"]])
    reading = number_cells(df[cols["reading_m3"]])
    add(reading.isna() | ~np.isfinite(reading.fillna(0)), "reading_m3", "err.meter.reading", reading_raw)
    add(reading < 0, "reading_m3", "err.meter.reading_negative", reading_raw)
    # a replaced meter: the old meter's last reading (旧表止码) beside the new meter's first; optional column
    if "old_final_m3" in cols:
        final_raw = text_cells(df[cols["old_final_m3"]])
        final = number_cells(df[cols["old_final_m3"]])
        given = final_raw != ""
        add(given & (final.isna() | ~np.isfinite(final.fillna(0))), "old_final_m3", "err.meter.reading", final_raw)
        add(given & (final < 0), "old_final_m3", "err.meter.reading_negative", final_raw)
        final = final.where(given)
    else:
        final = pd.Series(np.nan, index=df.index)
    rows = pd.DataFrame({"row": rownum, "well_code": well, "read_on": when.dt.date, "reading_m3": reading,
                         "old_final_m3": final})[~bad]
    dup = rows.duplicated(["well_code", "read_on"], keep="first")
    for r in rows[dup].itertuples():
        first = rows[(rows.well_code == r.well_code) & (rows.read_on == r.read_on)]["row"].iloc[0]
        problems.append(Problem(int(r.row), str(cols["date"]), str(r.read_on), "err.meter.duplicate",
                                {"first": int(first)}))
    rows = rows[~dup]
    chain = rows
    if stored is not None and len(stored):
        # the kept readings of these wells are the ones before (a row of the file on a kept date corrects it)
        old = stored[stored["well_code"].isin(set(rows["well_code"]))][["well_code", "read_on", "reading_m3",
                                                                         "old_final_m3"]]
        old = old[~old.set_index(["well_code", "read_on"]).index.isin(rows.set_index(["well_code", "read_on"]).index)]
        chain = pd.concat([old.assign(row=0), rows], ignore_index=True)
    for code, grp in chain.sort_values(["well_code", "read_on"]).groupby("well_code"):
        # each reading against the one before: the old meter's last reading on a replacement, else the reading
        end = grp["old_final_m3"].fillna(grp["reading_m3"])
        falls = ((end - grp["reading_m3"].shift()) < 0) & (grp["row"] > 0)
        for r, e in zip(grp[falls.to_numpy()].itertuples(), end[falls.to_numpy()], strict=True):
            col = "old_final_m3" if pd.notna(r.old_final_m3) else "reading_m3"
            problems.append(Problem(int(r.row), str(cols[col]), f"{e:g}", "err.meter.goes_down", {"well": code}))
    problems.sort(key=lambda p: (p.row, p.column))
    bad_rows = {p.row for p in problems}
    rows = rows[~rows["row"].isin(bad_rows)]
    return UploadCheck("meter", rows.reset_index(drop=True), tuple(problems), hashlib.sha256(raw).hexdigest(), n)


def _billing_months(rc: RowCheck, df: pd.DataFrame, cols: dict[str, str], today: date) -> tuple[pd.Series, pd.Series]:
    """The month each reading bills, from its day (20250426 or a date).

    On or after :data:`BILLING_DAY` its own month, before it the month before.
    """
    raw = text_cells(df[cols["read_on"]])
    compact = raw.str.fullmatch(r"\d{8}")
    text = raw.where(~compact, raw.str[:4] + "-" + raw.str[4:6] + "-" + raw.str[6:8])
    days = parse_dates(text)
    month = pd.Series(np.nan, index=df.index, dtype=object)
    ok = days.notna()
    billed = days[ok].where(days[ok].dt.day >= BILLING_DAY, days[ok] - pd.DateOffset(months=1))
    month[ok] = billed.dt.strftime("%Y-%m")
    latest = f"{today.year:04d}-{today.month:02d}"
    rc.add(~ok, "read_on", "err.power.read_on", raw)
    rc.add(ok & ((month < FIRST_MONTH) | (month > latest)), "read_on", "err.power.month_range", raw,
           earliest=FIRST_MONTH, latest=latest)
    return raw, month


def read_upload(store: Store, raw: bytes, filename: str, *, kind: str, encoding: str | None = None,
                outline=None, today: date | None = None) -> UploadCheck:
    """Read a CSV (UTF-8 or GBK) or XLSX and check it as ``kind`` (``power`` or ``meter``)."""
    from gwmap.io.tables import read_table

    if kind not in ("power", "meter"):
        raise InputDataError("err.power.kind", "Unknown kind.", kind=kind)
    spec = POWER_COLUMNS if kind == "power" else METER_COLUMNS
    df, _ = read_table(raw, filename, encoding=encoding, header_key=header_key,
                       known_headers={header_key(h) for names in spec.values() for h in names})
    if not len(df):
        raise InputDataError("err.upload.empty", "The file is empty.", name=filename)
    if kind == "power":
        if outline is None:
            from gwmap.errors import NotFound
            from gwmap.store.repo import current_boundaries

            try:
                outline = current_boundaries(store)[2]
            except NotFound:
                outline = None
        return check_power(df, outline=outline, raw=raw, today=today)
    return check_meter_readings(df, wells=known_wells(store), raw=raw, today=today, stored=kept_readings(store))


def match_report(store: Store, check: UploadCheck) -> dict:
    """How much of a power file reaches the ledger: rows and kWh whose meter a registered well carries.

    ``unmatched_accounts`` lists each account (户号) no well can be found for, with its holder, address and
    kWh, largest first: what the page offers for linking.  Never "all rows usable" with nothing matched.
    """
    if check.kind != "power" or check.rows.empty:
        return {"matched_rows": 0, "unmatched_rows": 0, "matched_kwh": 0.0, "unmatched_kwh": 0.0,
                "unmatched_accounts": []}
    from gwmap.store.models import PowerLink

    with store.session() as s:
        meters = set(s.scalars(select(Well.power_meter_no).where(~Well.archived, Well.power_meter_no != "")))
        linked = set(s.scalars(select(PowerLink.account)))
    rows = check.rows
    hit = (rows["meter_no"].isin(meters) & (rows["meter_no"] != "")) | (rows["account"].isin(linked)
                                                                        & (rows["account"] != ""))
    miss = rows[~hit]
    ident = miss["account"].where(miss["account"] != "", "#" + miss["meter_no"])
    accounts = (miss.assign(ident=ident).groupby("ident", sort=False)
                .agg(account=("account", "first"), meter_no=("meter_no", "first"), name=("account_name", "first"),
                     address=("address", "first"), rows=("row", "size"), kwh=("kwh", "sum"))
                .sort_values("kwh", ascending=False))
    return {"matched_rows": int(hit.sum()), "unmatched_rows": int((~hit).sum()),
            "matched_kwh": round(float(rows.loc[hit, "kwh"].sum()), 1),
            "unmatched_kwh": round(float(miss["kwh"].sum()), 1),
            "billing_rule_day": BILLING_DAY if "read_on" in check.columns else None,
            "unmatched_accounts": [{k: (round(float(v), 1) if k == "kwh" else (int(v) if k == "rows" else v))
                                    for k, v in r.items()} for r in accounts.to_dict("records")]}


def kept_readings(store: Store) -> pd.DataFrame:
    """Each (well, date)'s reading as last uploaded."""
    with store.engine.connect() as conn:
        df = pd.read_sql(select(MeterReading.well_code, MeterReading.read_on, MeterReading.reading_m3,
                                MeterReading.old_final_m3, MeterReading.upload_id)
                         .join(PowerUpload, PowerUpload.id == MeterReading.upload_id)
                         .order_by(MeterReading.upload_id, MeterReading.id), conn)
    return df.drop_duplicates(["well_code", "read_on"], keep="last").sort_values(["well_code", "read_on"])


def known_wells(store: Store) -> set[str]:
    """The registry's well codes (not archived): what a meter reading may name."""
    with store.session() as s:
        return set(s.scalars(select(Well.well_code).where(~Well.archived)))


def import_upload(store: Store, user: CurrentUser, check: UploadCheck, *, source_name: str, raw: bytes,
                  uploads_dir: Path) -> int:
    """Store a clean upload in one transaction, keeping the original by SHA-256; returns the upload id."""
    import hashlib

    from gwmap.io.files import store_file

    authorize(store, user, "abstraction.import", target=source_name)
    if check.problems:
        raise InputDataError("err.power.has_errors", "Fix the errors first.", count=len(check.problems))
    if not len(check.rows):
        raise InputDataError("err.upload.empty", "Nothing to import.", name=source_name)
    if hashlib.sha256(raw).hexdigest() != check.sha256:
        raise InputDataError("err.power.changed", "The file is not the one checked.", name=source_name)
    sha = store_file(raw, uploads_dir, suffix=Path(source_name).suffix.lower()[:8])
    rows = check.rows
    months = rows["month"] if check.kind == "power" else pd.to_datetime(rows["read_on"]).dt.strftime("%Y-%m")
    with store.session(user) as s:
        up = PowerUpload(kind=check.kind, source_name=source_name[:255], source_sha256=sha, rows=len(rows),
                         first_month=str(months.min()), last_month=str(months.max()), created_by=user.username)
        s.add(up)
        s.flush()
        if check.kind == "power":
            s.add_all(PowerRecord(upload_id=up.id, account=r.account, meter_no=r.meter_no, month=r.month,
                                  kwh=float(r.kwh), use_class=r.use_class, account_name=r.account_name,
                                  address=r.address,
                                  lon=None if pd.isna(r.lon) else float(r.lon),
                                  lat=None if pd.isna(r.lat) else float(r.lat), row=int(r.row))
                      for r in rows.itertuples())
        else:
            s.add_all(MeterReading(upload_id=up.id, well_code=r.well_code, read_on=r.read_on,
                                   reading_m3=float(r.reading_m3), row=int(r.row),
                                   old_final_m3=None if pd.isna(r.old_final_m3) else float(r.old_final_m3))
                      for r in rows.itertuples())
        return up.id


def uploads_frame(store: Store) -> pd.DataFrame:
    """Every upload of power records or meter readings, newest first (the versions the ledger reads)."""
    with store.engine.connect() as conn:
        return pd.read_sql(select(PowerUpload.id, PowerUpload.kind, PowerUpload.source_name, PowerUpload.rows,
                                  PowerUpload.first_month, PowerUpload.last_month, PowerUpload.created_by,
                                  PowerUpload.created_at, PowerUpload.source_sha256)
                           .order_by(PowerUpload.id.desc()), conn)


def latest_power(store: Store, *, first_month: str | None = None, last_month: str | None = None) -> pd.DataFrame:
    """Each (meter or account, month)'s kWh as last uploaded.

    Columns: ``account``, ``meter_no``, ``month``, ``kwh``, ``use_class``, ``lon``, ``lat``, ``upload_id``, ``row``.
    The store filters by month (``ix_power_records_meter_month``); the newest upload per key wins.
    """
    stmt = select(PowerRecord.account, PowerRecord.meter_no, PowerRecord.month, PowerRecord.kwh,
                  PowerRecord.use_class, PowerRecord.lon, PowerRecord.lat, PowerRecord.upload_id, PowerRecord.row)
    if first_month:
        stmt = stmt.where(PowerRecord.month >= first_month)
    if last_month:
        stmt = stmt.where(PowerRecord.month <= last_month)
    with store.engine.connect() as conn:  # read_sql: no Row object per record (a third of the time)
        df = pd.read_sql(stmt.order_by(PowerRecord.upload_id, PowerRecord.id), conn)
    key = df["meter_no"].where(df["meter_no"] != "", "#" + df["account"])
    df = df[~pd.DataFrame({"k": key, "m": df["month"]}).duplicated(keep="last").to_numpy()]
    return df.sort_values(["meter_no", "account", "month"]).reset_index(drop=True)


def power_template_xlsx() -> bytes:
    """The grid company's file as gwmap reads it, with one example row."""
    from gwmap.county import active

    lon, lat = active().centre  # an example position inside the county
    return template_xlsx([h[0] for h in POWER_COLUMNS.values()],
                     ["3700123456", "372239092010", "2026-03", 1830, "农业排灌", round(lon, 6), round(lat, 6)])


def meter_template_xlsx() -> bytes:
    from gwmap.county import active

    return template_xlsx([h[0] for h in METER_COLUMNS.values()], [f"{active().adcode}001J0001", "2026-03-31", 152340, ""])
