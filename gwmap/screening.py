"""Leads the data suggests (issue 13): a queue a person accepts or dismisses, never registered by itself.

Each suggestion carries its reason, the figures behind it and the data rows it rests on (upload and row
of the grid company's file, or the ledger's months), so whoever accepts it can show why in a hearing.

* ``power_after_sealing``: a filled or standby well whose meter still draws power after its sealing was
  accepted;
* ``unknown_meter``: an irrigation-class meter number the registry does not know;
* ``power_without_well``: an irrigation-class account with a position and no registered well within 200 m;
* ``over_permit``: a well whose months with readings alone drew more than 110% of its permitted volume in the year;
* ``expired_permit``: a well drawing after its permit ended;
* ``level_anomaly``: a monitoring well whose water level falls clearly faster than its neighbours' with no
  registered abstraction increase nearby to explain it.

A person accepts a suggestion (:func:`accept`: a lead with source 数据筛查 is registered and the snapshot of
the suggestion, its figures and data rows as a PDF, is attached to it as evidence) or dismisses it
with the reason (:func:`dismiss`).  Both are stored in ``screen_decisions`` and in the audit trail; a
decided suggestion leaves the queue.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.abstraction import latest_power
from gwmap.store.db import Store
from gwmap.store.models import Sealing, Well

__all__ = ["screen", "REASONS", "NO_WELL_RADIUS_M", "OVER_PERMIT_SHARE", "MIN_KWH", "level_anomalies", "subject",
           "queue", "decisions", "accept", "dismiss", "snapshot_pdf", "snapshot_rows", "figure_text", "TREND_YEARS",
           "NEIGHBOUR_RADIUS_M", "EXCESS_M_PER_YEAR", "NEARBY_M", "EXPLAINED_INCREASE"]

REASONS = ("power_after_sealing", "unknown_meter", "power_without_well", "over_permit", "expired_permit",
           "level_anomaly")
NO_WELL_RADIUS_M = 200.0
OVER_PERMIT_SHARE = 1.10
#: A month's kWh below this is a meter's standing loss or a light, not a pump running.
MIN_KWH = 30.0
#: level_anomaly: the trend is read over this many years up to the year screened, ...
TREND_YEARS = 4
#: ... against monitoring wells of the same aquifer within this distance (at least MIN_NEIGHBOURS of them) ...
NEIGHBOUR_RADIUS_M = 6000.0
MIN_NEIGHBOURS = 3
#: ... and is an anomaly when it falls faster than their weighted trend predicts by this much (m/yr) and by three
#: robust SDs of all such differences in the aquifer ...
EXCESS_M_PER_YEAR = 0.5
#: ... unless the ledger's abstraction within this distance grew by this share over the same years.
NEARBY_M = 1500.0
EXPLAINED_INCREASE = 0.20
_IRRIGATION = ("农业", "排灌", "灌溉", "irrigation", "agricultural")


def _irrigation(use_class: pd.Series) -> pd.Series:
    text = use_class.fillna("").astype(str).str.lower()
    # bool even when empty: an empty object Series would index columns, not rows
    return text.map(lambda v: v == "" or any(w in v for w in _IRRIGATION)).astype(bool)


def _month_end(month: str) -> date:
    return (pd.Timestamp(f"{month}-01") + pd.offsets.MonthEnd(0)).date()


def _rows(records: pd.DataFrame, limit: int = 24) -> list[dict]:
    return [{"upload_id": int(r.upload_id), "row": int(r.row), "month": r.month, "kwh": float(r.kwh)}
            for r in records.head(limit).itertuples()]


def screen(store: Store, *, year: int, today: date | None = None) -> list[dict]:
    """Every suggestion for ``year`` (power records of that year; the ledger of that year), strongest first."""
    from gwmap import clock
    from gwmap.ledger import ledger_inputs, monthly_ledger
    from gwmap.store.repo import wells_frame

    today = today or clock.today()
    registry = wells_frame(store)
    inputs = ledger_inputs(store, registry)  # read once for every year's ledger below

    def ledger_of(y: int) -> pd.DataFrame:
        return monthly_ledger(store, y, wells=registry, inputs=inputs)

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
        wx, wy = _xy(wells.lon.to_numpy(), wells.lat.to_numpy())
        for account, grp in placed.groupby("account"):
            lon, lat = float(grp.lon.iloc[0]), float(grp.lat.iloc[0])
            px, py = _xy(lon, lat)
            d = np.hypot(wx - px, wy - py)
            if d.min() > NO_WELL_RADIUS_M:
                out.append({"reason": "power_without_well", "account": account, "lon": lon, "lat": lat,
                            "figures": {"nearest_well_m": round(float(d.min())), "months": int(grp.month.nunique()),
                                        "kwh": round(float(grp.kwh.sum()), 1)}, "rows": _rows(grp)})

    # the ledger against the permit
    led = ledger_of(year)
    # (vectorised: a province's ledger has a million rows; only the wells that stand out are looped over)
    info = wells.set_index("well_code")
    months_by = led.groupby(["well_code", "source"]).size().unstack(fill_value=0)
    # evidence only from months with readings (meter or electricity): one read month plus eleven months
    # estimated by quota is no evidence of over-abstraction, and no farmer is visited for it
    read = led[led["source"] != "quota"]
    drawn = read.groupby("well_code")["m3"].sum().to_frame().join(info[["lon", "lat", "permitted"]], how="inner")
    drawn = drawn[(drawn["permitted"] > 0) & (drawn["m3"] > OVER_PERMIT_SHARE * drawn["permitted"])]
    for code, r in drawn.iterrows():
        sources = sorted(c for c in months_by.columns if months_by.at[code, c] > 0)
        out.append({"reason": "over_permit", "well_code": code, "lon": float(r.lon), "lat": float(r.lat),
                    "figures": {"m3": round(float(r.m3)), "permitted_m3": round(float(r.permitted)),
                                "months_read": int(months_by.loc[code].drop("quota", errors="ignore").sum()),
                                "share": round(float(r.m3 / r.permitted), 3), "sources": sources},
                    "rows": []})
    nonq = led.loc[led["source"] != "quota", ["well_code", "month", "m3"]].join(
        info[["lon", "lat", "permit_no", "permit_valid_to"]], on="well_code", how="inner").reset_index(drop=True)
    nonq = nonq[(nonq["permit_no"].fillna("") != "") & nonq["permit_valid_to"].notna()]
    ended = pd.to_datetime(nonq["permit_valid_to"]).dt.strftime("%Y-%m")
    late_all = nonq[(nonq["month"] > ended) & (nonq["m3"] > 0)]
    for code, late in late_all.groupby("well_code"):
        w = late.iloc[0]
        out.append({"reason": "expired_permit", "well_code": code, "lon": float(w.lon), "lat": float(w.lat),
                    "figures": {"permit_no": w.permit_no,
                                "valid_to": pd.Timestamp(w.permit_valid_to).date().isoformat(),
                                "months": len(late), "m3": round(float(late.m3.sum()))},
                    "rows": [{"month": m, "m3": round(float(v))} for m, v in zip(late.month, late.m3, strict=True)]})
    out += level_anomalies(store, year=year, ledger_of=lambda y: led if y == year else ledger_of(y))
    order = {r: i for i, r in enumerate(REASONS)}
    return sorted(out, key=lambda x: (order[x["reason"]], -float(x["figures"].get("kwh", x["figures"].get("m3", 0)))))


def _seasonal_sen(t_years: np.ndarray, v: np.ndarray, season: np.ndarray) -> float:
    """Sen's slope (units per year) from pairs of readings of the same season only.

    Spring with spring, autumn with autumn: the seasonal swing of an irrigated plain is not read as a trend.
    """
    i, j = np.triu_indices(len(v), k=1)
    ok = (season[i] == season[j]) & (t_years[j] - t_years[i] > 0.5)
    if not ok.any():
        return np.nan
    return float(np.median((v[j] - v[i])[ok] / (t_years[j] - t_years[i])[ok]))


def _xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Metres on the county's plane (:func:`gwmap.county.to_plane`)."""
    from gwmap.county import to_plane

    x, y = to_plane(lon, lat)
    return np.asarray(x, float), np.asarray(y, float)


def level_anomalies(store: Store, *, year: int, ledger_of=None) -> list[dict]:
    """Monitoring wells falling clearly faster than their neighbours with no abstraction increase to explain it.

    Each well's trend is the seasonal Sen slope of its depth to water over the ``TREND_YEARS`` years up to
    ``year`` (rejected readings left out; four readings at least).  It is compared with what the wells of the
    same aquifer within ``NEIGHBOUR_RADIUS_M`` predict there (inverse-distance-squared weighted mean of their
    slopes, three at least): an excess over ``EXCESS_M_PER_YEAR`` and over three robust standard deviations
    (1.4826 · MAD) of all wells' excesses in the aquifer is an anomaly, unless the ledger's abstraction
    within ``NEARBY_M`` grew by ``EXPLAINED_INCREASE`` or more from the first year of the window to ``year``.
    ``ledger_of(year)`` gives a year's monthly ledger (read only when a well stands out).
    """
    from gwmap.ledger import monthly_ledger
    from gwmap.store.models import Measurement, MonitoringWell, Survey

    first = year - TREND_YEARS + 1
    with store.engine.connect() as conn:
        m = pd.read_sql(select(MonitoringWell.mw_code, MonitoringWell.aquifer, MonitoringWell.lon, MonitoringWell.lat,
                               Measurement.measured_on, Measurement.depth_to_water_m, Survey.season, Survey.code)
                        .join(Measurement, Measurement.monitoring_well_id == MonitoringWell.id)
                        .join(Survey, Survey.id == Measurement.survey_id)
                        .where(~Survey.superseded, ~MonitoringWell.archived, Measurement.qc_flag == "",
                               Measurement.depth_to_water_m.is_not(None),
                               Survey.year >= first, Survey.year <= year), conn)
    if m.empty:
        return []
    t0 = pd.Timestamp(f"{first}-01-01")
    m["t"] = (pd.to_datetime(m["measured_on"]) - t0).dt.days / 365.25
    rows = []
    for (code, aquifer), g in m.groupby(["mw_code", "aquifer"]):
        if len(g) < 4:
            continue
        rows.append({"mw_code": code, "aquifer": aquifer, "lon": float(g.lon.iloc[0]), "lat": float(g.lat.iloc[0]),
                     "slope": _seasonal_sen(g.t.to_numpy(), g.depth_to_water_m.to_numpy(float), g.season.to_numpy()),
                     "n": len(g)})
    wells = pd.DataFrame(rows).dropna(subset=["slope"]) if rows else pd.DataFrame()
    if wells.empty:
        return []
    # each well's slope against what its neighbours' slopes predict there (inverse-distance weighted, same
    # aquifer): the residuals of a smooth regional change are small, a well that parts from it stands out;
    # the yardstick is the spread of all residuals of the aquifer (robust), not of the few neighbours
    x, y = _xy(wells.lon, wells.lat)
    slope = wells.slope.to_numpy()
    aq = wells.aquifer.to_numpy()
    expected = np.full(len(wells), np.nan)
    counts = np.zeros(len(wells), int)
    for k in range(len(wells)):
        d = np.hypot(x - x[k], y - y[k])
        near = (d <= NEIGHBOUR_RADIUS_M) & (d > 0) & (aq == aq[k])
        counts[k] = near.sum()
        if counts[k] >= MIN_NEIGHBOURS:
            w = 1.0 / np.maximum(d[near], 100.0) ** 2
            expected[k] = float(np.sum(w * slope[near]) / w.sum())
    resid = slope - expected
    candidates = []
    for a in np.unique(aq):
        these = np.flatnonzero((aq == a) & np.isfinite(resid))
        if len(these) < 2 * MIN_NEIGHBOURS:
            continue
        r = resid[these]
        spread = 1.4826 * float(np.median(np.abs(r - np.median(r))))
        for k in these[(r > EXCESS_M_PER_YEAR) & (r > 3 * spread)]:
            candidates.append((wells.iloc[k], float(expected[k]), spread, float(resid[k]), int(counts[k])))
    if not candidates:
        return []
    ledger_of = ledger_of or (lambda y: monthly_ledger(store, y))
    led_now, led_then = ledger_of(year), ledger_of(first)
    from gwmap.store.models import Well

    with store.session() as s:
        pos = pd.DataFrame(s.execute(select(Well.well_code, Well.lon, Well.lat).where(~Well.archived)).all(),
                           columns=["well_code", "lon", "lat"])
    wx, wy = _xy(pos.lon, pos.lat)
    now = led_now.groupby("well_code")["m3"].sum()
    then = led_then.groupby("well_code")["m3"].sum()
    out = []
    for w, median, spread, excess, n_near in candidates:
        mx, my = _xy([w.lon], [w.lat])
        close = pos.well_code[np.hypot(wx - mx[0], wy - my[0]) <= NEARBY_M]
        m3_now, m3_then = float(now.reindex(close).sum()), float(then.reindex(close).sum())
        change = (m3_now - m3_then) / m3_then if m3_then > 0 else (np.inf if m3_now > 0 else 0.0)
        if change >= EXPLAINED_INCREASE:
            continue  # more pumping nearby explains it: not a hidden well
        readings = m[m.mw_code == w.mw_code].sort_values("measured_on")
        out.append({"reason": "level_anomaly", "mw_code": w.mw_code, "lon": w.lon, "lat": w.lat,
                    "figures": {"aquifer": w.aquifer, "years": f"{first}–{year}",
                                "slope_m_per_year": round(float(w.slope), 2),
                                "neighbours_m_per_year": round(median, 2), "neighbours": n_near,
                                "spread_m_per_year": round(spread, 2),
                                "excess_m_per_year": round(float(excess), 2),
                                "nearby_wells": int(len(close)), "nearby_m3_first": round(m3_then),
                                "nearby_m3_last": round(m3_now),
                                "nearby_change": None if not np.isfinite(change) else round(float(change), 3)},
                    "rows": [{"survey": r.code, "measured_on": pd.Timestamp(r.measured_on).date().isoformat(),
                              "depth_to_water_m": round(float(r.depth_to_water_m), 2)}
                             for r in readings.itertuples()]})
    return sorted(out, key=lambda x: -x["figures"]["excess_m_per_year"])


def figure_text(key: str, value, tr) -> str:
    """A suggestion's figure as a person reads it: codes (sources, aquifer) in words, shares in percent."""
    if key == "sources":
        return tr("list.sep").join(tr(f"abs.source.{v}") for v in value)
    if key == "aquifer":
        return tr(f"vocab.aquifer.{value}")
    if key in ("share", "nearby_change") and value is not None:
        return f"{float(value):+.0%}" if key == "nearby_change" else f"{float(value):.0%}"
    if isinstance(value, float) and value.is_integer() or isinstance(value, int):
        return f"{value:,.0f}" if abs(value) >= 10_000 and key not in ("months", "neighbours") else str(value)
    return "—" if value is None else str(value)


def subject(suggestion: dict) -> str:
    """What a suggestion is about: the well, meter, account or monitoring well, as its decision is keyed."""
    for key in ("well_code", "mw_code", "meter_no", "account"):
        if suggestion.get(key):
            return str(suggestion[key])
    raise ValueError("a suggestion without a subject")


def decisions(store: Store, *, year: int | None = None) -> pd.DataFrame:
    """Decisions taken, newest first: year, reason, subject, decision, note, lead_code, decided_by/at."""
    from gwmap.store.models import ScreenDecision

    stmt = select(ScreenDecision.year, ScreenDecision.reason, ScreenDecision.subject, ScreenDecision.decision,
                  ScreenDecision.note, ScreenDecision.lead_code, ScreenDecision.snapshot_sha256,
                  ScreenDecision.decided_by, ScreenDecision.decided_at, ScreenDecision.figures)
    if year is not None:
        stmt = stmt.where(ScreenDecision.year == year)
    with store.engine.connect() as conn:
        return pd.read_sql(stmt.order_by(ScreenDecision.id.desc()), conn)


def queue(store: Store, *, year: int, today: date | None = None) -> list[dict]:
    """The suggestions of ``year`` nobody has decided on yet, strongest first."""
    done = decisions(store, year=year)
    taken = set(zip(done["reason"], done["subject"], strict=True))
    return [x for x in screen(store, year=year, today=today) if (x["reason"], subject(x)) not in taken]


def _find(store: Store, year: int, reason: str, subject_: str, today: date | None = None) -> dict:
    """The suggestion as the data show it now (a page's copy may be stale; the data decide)."""
    from gwmap.errors import NotFound

    for x in screen(store, year=year, today=today):
        if x["reason"] == reason and subject(x) == subject_:
            return x
    raise NotFound("err.screen.gone", "The data no longer suggest this.", reason=reason, subject=subject_)


def snapshot_rows(suggestion: dict, *, year: int, by: str, tr,
                  uploads: dict[int, tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str], list[list]]:
    """What the snapshot says: (item, value) pairs of the basis, and the data rows' header and rows."""
    from gwmap import clock
    from gwmap.clock import to_local

    basis = [(tr("screen.col.reason"), tr(f"screen.reason.{suggestion['reason']}")),
             (tr("screen.col.subject"), subject(suggestion)), (tr("screen.col.year"), str(year)),
             (tr("screen.col.position"), "" if suggestion.get("lon") is None
              else f"{suggestion['lon']:.6f}, {suggestion['lat']:.6f}")]
    for key, value in suggestion["figures"].items():
        basis.append((tr(f"screen.fig.{key}"), figure_text(key, value, tr)))
    basis += [(tr("screen.col.made_by"), by), (tr("screen.col.made_at"), f"{to_local(clock.now()):%Y-%m-%d %H:%M}")]
    for uid, (name, sha) in sorted(uploads.items()):
        basis.append((tr("screen.col.source_file", id=uid),
                      f"{name} · SHA-256 {sha}" if sha else f"{name} · {tr('screen.no_original')}"))
    rows = suggestion.get("rows") or []
    keys = list(rows[0]) if rows else []
    return basis, [tr(f"screen.row.{k}") for k in keys], [[r.get(k) for k in keys] for r in rows]


def snapshot_pdf(suggestion: dict, *, year: int, by: str, tr, uploads: dict[int, tuple[str, str]]) -> bytes:
    """The suggestion as evidence: an A4 PDF with the CJK font embedded.

    What was suggested and why, the figures, who accepted it when, the grid company's files by name and
    SHA-256, and every data row behind it with its row number in the original, so the rows can be found
    again in the file a hearing is shown.
    """
    import io
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from gwmap.fonts import pdf_font

    basis, header, rows = snapshot_rows(suggestion, year=year, by=by, tr=tr, uploads=uploads)
    font = pdf_font()
    h0 = ParagraphStyle("h0", fontName=font, fontSize=15, leading=22)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=18, spaceBefore=8)
    cell = ParagraphStyle("c", fontName=font, fontSize=9, leading=12)
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    title = f"{tr('screen.snapshot_name')}：{tr('screen.reason.' + suggestion['reason'])}（{subject(suggestion)}）"
    story = [Paragraph(escape(title), h0), Spacer(1, 6), Paragraph(escape(tr("screen.sheet.basis")), h2)]
    t1 = Table([[Paragraph(escape(k), cell), Paragraph(escape(v), cell)] for k, v in basis],
               colWidths=[5 * cm, 12 * cm])
    t1.setStyle(style)
    story.append(t1)
    if rows:
        story.append(Paragraph(escape(tr("screen.sheet.rows")), h2))
        t2 = Table([[Paragraph(escape(str(v)), cell) for v in header]]
                   + [[Paragraph(escape("" if v is None else str(v)), cell) for v in r] for r in rows], repeatRows=1)
        t2.setStyle(TableStyle([*style.getCommands(), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story.append(t2)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm,
                      bottomMargin=1.8 * cm, title=title).build(story)
    return buf.getvalue()


def _uploads(store: Store, suggestion: dict) -> dict[int, tuple[str, str]]:
    from gwmap.store.models import PowerUpload

    ids = sorted({int(r["upload_id"]) for r in suggestion.get("rows") or [] if "upload_id" in r})
    if not ids:
        return {}
    with store.session() as s:
        return {u.id: (u.source_name, u.source_sha256)
                for u in s.scalars(select(PowerUpload).where(PowerUpload.id.in_(ids)))}


def _description(suggestion: dict, tr) -> str:
    figures = tr("list.sep").join(f"{tr(f'screen.fig.{k}')} {figure_text(k, v, tr)}"
                                  for k, v in suggestion["figures"].items())
    return tr("screen.description", reason=tr(f"screen.reason.{suggestion['reason']}"), subject=subject(suggestion),
              figures=figures)


def accept(store: Store, user, *, year: int, reason: str, subject_: str, townships, outline, evidence_dir,
           note: str = "", lon: float | None = None, lat: float | None = None, tr=None,
           today: date | None = None) -> str:
    """Register a lead (source 数据筛查) from a suggestion, the snapshot attached as evidence; its code.

    The suggestion is looked up again in the data (not taken from the page), so what is registered is what
    the data show now.  ``lon``/``lat`` place a suggestion that has no position (a meter the registry does
    not know and the grid company gave no coordinates for).
    """
    import hashlib
    import json

    from sqlalchemy.exc import IntegrityError

    from gwmap.cases import register_lead
    from gwmap.errors import ConflictError, InputDataError
    from gwmap.i18n import translator
    from gwmap.io.files import store_file
    from gwmap.store.models import Evidence, ScreenDecision
    from gwmap.store.users import authorize

    authorize(store, user, "leads.edit", target=f"{reason}:{subject_}")
    tr = tr or translator("zh")
    found = _find(store, year, reason, subject_, today)
    lon = found.get("lon") if lon is None else lon
    lat = found.get("lat") if lat is None else lat
    if lon is None or lat is None:
        raise InputDataError("err.screen.no_position", "Give the position: the data have none.", subject=subject_)
    snap = snapshot_pdf(found, year=year, by=user.username, tr=tr, uploads=_uploads(store, found))
    sha = store_file(snap, evidence_dir)
    assert sha == hashlib.sha256(snap).hexdigest()
    filename = f"{tr('screen.snapshot_name')}_{tr('screen.reason.' + reason)}_{subject_}_{year}.pdf"

    def attach(s, lead, step):
        s.add(Evidence(lead_id=lead.id, step_id=step.id, sha256=sha, filename=filename[:255],
                       mime="application/pdf",
                       size_bytes=len(snap), uploaded_by=user.username, gps_source="none"))
        s.add(ScreenDecision(year=year, reason=reason, subject=subject_, decision="accepted", note=note.strip()[:2000],
                             figures=json.dumps(found["figures"], ensure_ascii=False, default=str),
                             lead_code=lead.lead_code, snapshot_sha256=sha, decided_by=user.username))
        try:
            s.flush()
        except IntegrityError:
            raise ConflictError("err.screen.decided", "Someone decided on this suggestion meanwhile.",
                                subject=subject_) from None

    description = _description(found, tr) + (f"\n{note.strip()}" if note.strip() else "")
    code, _ = register_lead(store, user, lon=float(lon), lat=float(lat), source="data_screening",
                            description=description, townships=townships, outline=outline, within=attach)
    return code


def dismiss(store: Store, user, *, year: int, reason: str, subject_: str, note: str,
            figures: dict | None = None) -> None:
    """Record that a suggestion was looked at and dismissed, and why (a reason is required)."""
    import json

    from sqlalchemy.exc import IntegrityError

    from gwmap.errors import ConflictError, InputDataError
    from gwmap.store.models import ScreenDecision
    from gwmap.store.users import authorize

    authorize(store, user, "leads.edit", target=f"{reason}:{subject_}")
    if not note.strip():
        raise InputDataError("err.screen.why", "Say why the suggestion is dismissed.")
    if reason not in REASONS:
        raise InputDataError("err.screen.reason", "Unknown reason.", reason=reason)
    try:
        with store.session(user) as s:
            s.add(ScreenDecision(year=year, reason=reason, subject=subject_[:64], decision="dismissed",
                                 note=note.strip()[:2000],
                                 figures=json.dumps(figures or {}, ensure_ascii=False, default=str),
                                 decided_by=user.username))
    except IntegrityError:
        raise ConflictError("err.screen.decided", "Someone decided on this suggestion meanwhile.",
                            subject=subject_) from None
