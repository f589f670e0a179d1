"""The monthly bulletin (月度通报): the dashboard's figures for a month, as a Word document with images.

The figures come from the same functions as the dashboard (:mod:`gwmap.targets`,
:mod:`gwmap.runs`), so the bulletin and the screen never disagree.  Images are
drawn with Pillow (a CJK font from the system: Noto CJK or WenQuanYi).
"""

from __future__ import annotations

import calendar
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from gwmap import clock
from gwmap.cone import ConeResult, describe_change
from gwmap.errors import InputDataError
from gwmap.fonts import image_font, pdf_font
from gwmap.reports import Translate
from gwmap.runs import dashboard_cone
from gwmap.store.db import Store
from gwmap.store.users import CurrentUser
from gwmap.surface import SurfaceResult

logger = logging.getLogger(__name__)

__all__ = ["Bulletin", "build_bulletin", "bulletin_docx", "bulletin_pdf", "cone_png", "area_chart_png"]

@dataclass(frozen=True)
class Bulletin:
    """Everything the bulletin prints, for one month."""

    month: str
    series: pd.DataFrame
    cone: ConeResult | None
    surface: SurfaceResult | None
    survey_code: str
    targets: list
    enforcement: dict
    ranking: pd.DataFrame
    names: dict = field(default_factory=dict)
    #: the month's reclaimed water (:func:`gwmap.reclaimed.month_figures`), None without plant records
    reclaimed: dict | None = None
    #: the latest shallow round by the month's end against the same round a year before (同期对比)
    levels: object | None = None
    #: pictures made for this bulletin, reused by the Word and the PDF file (one drawing, not two)
    drawn: dict = field(default_factory=dict, repr=False, compare=False)


def build_bulletin(store: Store, user: CurrentUser, *, month: str, townships: gpd.GeoDataFrame,
                   boundary_version: int, data_dir: Path) -> Bulletin:
    """The figures for ``month`` (``YYYY-MM``): surveys up to the month's end, cases as of its last day."""
    from gwmap.runs import VALUE_FOR_KIND, SurfaceRequest, cone_for, cone_series, surface_for
    from gwmap.targets import enforcement_glance, plan_targets, township_ranking

    try:
        year, mon = (int(v) for v in month.split("-"))
        end = date(year, mon, calendar.monthrange(year, mon)[1])
    except ValueError as exc:
        raise InputDataError("err.report.month", f"{month!r} is not YYYY-MM.", month=month) from exc
    rule = dashboard_cone()
    series = cone_series(store, user, townships=townships, boundary_version=boundary_version, data_dir=data_dir,
                         **rule)
    series = series[series["date"].dt.date <= end].reset_index(drop=True)
    cone = surf = None
    code = ""
    if len(series):
        last = series.iloc[-1]
        code = last["code"]
        req = SurfaceRequest(survey_id=int(last["survey_id"]), value=VALUE_FOR_KIND[rule["kind"]],
                             method=rule["method"], cell_m=rule["cell_m"])
        surf, run_id, _ = surface_for(store, user, req, townships=townships, boundary_version=boundary_version,
                                      data_dir=data_dir)
        cone, _ = cone_for(store, user, surf, run_id, kind=rule["kind"], threshold=rule["threshold"],
                           townships=townships)
    from gwmap.reclaimed import month_figures

    return Bulletin(month, series, cone, surf, code, plan_targets(store, today=end, cone_series=series),
                    enforcement_glance(store, today=end),
                    township_ranking(store, townships, cone_split=cone.by_township if cone else None, today=end),
                    dict(zip(townships["code"], townships["name"])), month_figures(store, month),
                    _levels_by(store, end, townships))


def _levels_by(store: Store, end: date, townships: gpd.GeoDataFrame):
    """The year-on-year change of the latest shallow round measured by ``end``, or None without two such rounds."""
    from gwmap.errors import GwmapError
    from gwmap.levels import same_round_before, year_on_year
    from gwmap.surveys import list_surveys, survey_date

    rounds = list_surveys(store)
    rounds = rounds[(rounds["aquifer"] == "shallow") & (rounds["code"].map(survey_date).dt.date <= end)]
    if rounds.empty:
        return None
    code = rounds.iloc[-1]["code"]
    if same_round_before(code) not in set(rounds["code"]):
        return None
    try:
        return year_on_year(store, code, townships=townships)
    except GwmapError:
        return None


def _nice_km(km: float) -> float:
    """The round length (1, 2 or 5 x 10^n km) at most ``km``.

    >>> _nice_km(13.7), _nice_km(0.8)
    (10.0, 0.5)
    """
    base = 10 ** np.floor(np.log10(km))
    return float(max(m for m in (1, 2, 5) if m * base <= km) * base)


def cone_png(b: Bulletin, townships: gpd.GeoDataFrame, *, width: int = 900,
             tr: Translate | None = None) -> bytes:
    """The cone map as a PNG: surface, township lines, the cone outline in red, north up.

    With a legend of the colour scale (depth in metres) and a scale bar of a round number of kilometres.
    Drawn once per bulletin, size and language (:attr:`Bulletin.drawn`).
    """
    key = ("cone", width, id(tr))
    if key not in b.drawn:
        b.drawn[key] = _cone_png(b, townships, width=width, tr=tr)
    return b.drawn[key]


def _cone_png(b: Bulletin, townships: gpd.GeoDataFrame, *, width: int, tr: Translate | None) -> bytes:
    from gwmap.maps import _ramp_rgba

    s = b.surface
    vals = s.values
    rgba = _ramp_rgba(vals, float(np.nanmin(vals)), float(np.nanmax(vals)))
    img = Image.fromarray(rgba, "RGBA")
    scale = width / img.width
    img = img.resize((width, int(img.height * scale)), Image.NEAREST)
    canvas = Image.new("RGBA", img.size, (255, 255, 255, 255))
    canvas.alpha_composite(img)
    draw = ImageDraw.Draw(canvas)
    inv = ~s.grid.transform

    def pix(coords):
        out = []
        for x, y in coords:
            c, r = inv @ (x, y)
            out.append((c * scale, r * scale))
        return out

    for geom in townships.to_crs(s.crs).geometry:
        for poly in getattr(geom, "geoms", [geom]):
            draw.line(pix(poly.exterior.coords), fill=(60, 60, 60, 255), width=1)
    if b.cone is not None and not b.cone.outline.is_empty:
        outline = gpd.GeoSeries([b.cone.outline], crs=4326).to_crs(s.crs).iloc[0]
        for poly in getattr(outline, "geoms", [outline]):
            draw.line(pix(poly.exterior.coords), fill=(178, 24, 43, 255), width=4)
    font, small = image_font(22), image_font(16)
    black = (0, 0, 0, 255)
    draw.text((12, 10), f"{b.cone.area_km2:.1f} km²" if b.cone else "", fill=black, font=font)
    draw.text((width - 40, 10), "N↑", fill=black, font=font)
    # legend: the colour ramp from the shallowest to the deepest value, with its title and ends
    vmin, vmax = float(np.nanmin(vals)), float(np.nanmax(vals))
    x0, y0, w, h = width - 250, canvas.height - 80, 220, 16
    ramp = _ramp_rgba(np.linspace(vmin, vmax, w)[None, :].repeat(h, axis=0), vmin, vmax, opacity=1.0)
    draw.rectangle((x0 - 10, y0 - 34, x0 + w + 10, y0 + h + 28), fill=(255, 255, 255, 235))
    canvas.alpha_composite(Image.fromarray(ramp, "RGBA"), (x0, y0))
    draw.text((x0, y0 - 28), (tr or _zh)("bulletin.legend_depth"), fill=black, font=small)
    draw.text((x0, y0 + h + 4), f"{vmin:.1f}", fill=black, font=small)
    draw.text((x0 + w - 40, y0 + h + 4), f"{vmax:.1f}", fill=black, font=small)
    # scale bar: a round number of kilometres
    px_per_km = 1000.0 / s.grid.cell_m * scale
    km = _nice_km(0.25 * width / px_per_km)
    bar = km * px_per_km
    bx, by = 20, canvas.height - 30
    draw.rectangle((bx - 8, by - 30, bx + bar + 60, by + 12), fill=(255, 255, 255, 235))
    draw.line((bx, by, bx + bar, by), fill=black, width=4)
    for x in (bx, bx + bar):
        draw.line((x, by - 8, x, by + 4), fill=black, width=2)
    draw.text((bx + bar + 8, by - 22), f"{km:g} km", fill=black, font=small)
    buf = io.BytesIO()
    canvas.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def _zh(key: str) -> str:
    from gwmap.i18n import translate

    return translate(key, "zh")


def area_chart_png(series: pd.DataFrame, *, title: str, width: int = 900, height: int = 420) -> bytes:
    """The cone area through time as a PNG line chart with Chinese labels."""
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    font, small = image_font(22), image_font(16)
    left, right, top, bottom = 80, width - 30, 50, height - 60
    d.text((left, 10), title, fill="black", font=font)
    ymax = max(float(series["area_km2"].max()) * 1.1, 1.0)
    t = pd.to_datetime(series["date"]).map(pd.Timestamp.toordinal).to_numpy(float)
    t0, t1 = t.min(), max(t.max(), t.min() + 1)
    x = left + (t - t0) / (t1 - t0) * (right - left)
    y = bottom - series["area_km2"].to_numpy(float) / ymax * (bottom - top)
    d.line([(left, top), (left, bottom), (right, bottom)], fill="black", width=2)
    for k in range(0, 5):
        v = ymax * k / 4
        yy = bottom - v / ymax * (bottom - top)
        d.line([(left - 5, yy), (right, yy)], fill=(225, 225, 225), width=1)
        d.text((8, yy - 10), f"{v:.0f}", fill="black", font=small)
    for yr in sorted(set(pd.to_datetime(series["date"]).dt.year)):
        xx = left + (date(yr, 1, 1).toordinal() - t0) / (t1 - t0) * (right - left)
        if left <= xx <= right:
            d.text((xx - 18, bottom + 10), str(yr), fill="black", font=small)
    d.line(list(zip(x, y, strict=True)), fill=(33, 102, 172), width=3)
    for xx, yy in zip(x, y, strict=True):
        d.ellipse([xx - 4, yy - 4, xx + 4, yy + 4], fill=(33, 102, 172))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def summary_text(b: Bulletin, tr, lang: str = "zh") -> str:
    """The opening paragraph, written from the figures."""
    from gwmap.i18n import survey_label

    parts = []
    if b.cone is not None:
        change = b.series.iloc[-1]["change_km2"]
        code, params = describe_change(change)
        parts.append(tr("bulletin.cone").format(survey=survey_label(b.survey_code, lang), area=f"{b.cone.area_km2:.1f}")
                     + tr(code).format(**params))
    if b.levels is not None:
        parts.append(levels_sentence(b.levels, tr, lang))
        parts += rain_lines(b, tr)[:-1] if b.levels.rainfall is not None else rain_lines(b, tr)
    e = b.enforcement
    parts.append(tr("bulletin.enforcement").format(open=e["open"], overdue=e["overdue"], closed=e["closed_this_month"],
                                                   month=_month_label(b.month, tr), day=_month_end(b.month).isoformat()))
    if b.reclaimed is not None:
        r = b.reclaimed
        wan = 1e4 if lang == "zh" else 1e6
        y, m = r["month"].split("-")
        parts.append(tr("bulletin.reclaimed").format(year=y, month=int(m),
            used=f"{r['used_m3'] / wan:,.1f}" if lang == "zh" else f"{r['used_m3'] / wan:,.2f}",
            treated=f"{r['treated_m3'] / wan:,.1f}" if lang == "zh" else f"{r['treated_m3'] / wan:,.2f}",
            rate=f"{r['rate']:.0%}", ytd=f"{r['ytd_used_m3'] / wan:,.1f}" if lang == "zh" else f"{r['ytd_used_m3'] / wan:,.2f}",
            ytd_rate=f"{r['ytd_rate']:.0%}"))
        if r["bad_effluent"]:
            parts.append(tr("bulletin.bad_effluent").format(plants=tr("list.sep").join(r["bad_effluent"])))
    judged = [x for x in b.targets.this_year if x.goal is not None]
    if judged:
        parts.append(tr("bulletin.targets").format(met=sum(1 for x in judged if x.met), total=len(judged)))
    else:  # never an earlier year's targets in this year's place
        parts.append(tr("targets.none_for_year", year=b.targets.year).split("。")[0].split(". ")[0]
                     + ("。" if lang == "zh" else ". "))
    # Chinese sentences run on after their 。; English ones need the space after the full stop
    return ("" if lang == "zh" else " ").join(p.strip() if lang != "zh" else p for p in parts)


def rain_lines(b: Bulletin, tr) -> list[str]:  # noqa: ANN001
    """The rainfall beside the year-on-year change (:func:`gwmap.rainfall.effect_lines`); the method last."""
    from gwmap.rainfall import effect_lines

    return effect_lines(b.levels.rainfall, tr, month_label=lambda m: _month_label(m, tr))


def levels_sentence(lc, tr, lang: str = "zh") -> str:  # noqa: ANN001
    """The year-on-year sentence of the ministry's bulletins: mean change, wells and area by class."""
    from gwmap.i18n import survey_label

    c = lc.county
    rise = c["mean_change_m"]
    key = "bulletin.levels_rose" if rise > 0 else "bulletin.levels_fell" if rise < 0 else "bulletin.levels_held"

    def pct(v) -> str:
        return "—" if pd.isna(v) else f"{100 * v:.0f}%"

    return tr(key).format(after=survey_label(lc.round, lang), before=survey_label(lc.compare, lang), wells=c["wells"],
                          change=f"{abs(rise):.2f}", rising=c["rising"], stable=c["stable"], falling=c["falling"],
                          band=f"{lc.band_m:g}", area_rising=pct(c["share_rising"]),
                          area_stable=pct(c["share_stable"]), area_falling=pct(c["share_falling"]))


def _levels_rows(lc, tr) -> list[list[str]]:  # noqa: ANN001
    """The year-on-year table: the county, then each township with wells in both rounds."""
    def pct(v) -> str:
        return "" if pd.isna(v) else f"{100 * v:.0f}"

    rows = [[tr("field.township"), tr("levels.wells"), tr("levels.col.rise_m"), tr("levels.col.classes"),
             tr("levels.col.rising_area"), tr("levels.col.falling_area")]]
    county = {"name": tr("surveys.county"), **lc.county}
    for r in [county, *lc.townships.to_dict("records")]:
        if not r["wells"]:
            continue
        rows.append([r["name"], str(r["wells"]), f"{r['mean_change_m']:+.2f}",
                     f"{r['rising']} / {r['stable']} / {r['falling']}", pct(r["share_rising"]), pct(r["share_falling"])])
    return rows


_FMT = {"wells": "{:,.0f}", "m3": "{:,.0f}", "share": "{:.0%}", "m": "{:+.2f}", "km2": "{:,.1f}"}


def _target_rows(b: Bulletin, tr) -> list[list[str]]:  # noqa: ANN001
    """The targets table: this year's targets (goal and status), then the figures shown without a goal."""
    rows = []
    for x in b.targets:
        fmt = _FMT[x.unit]
        goal = "" if x.goal is None else (tr("county.deep_stopped_is.yes") if x.key == "deep_stopped"
                                          else fmt.format(x.goal))
        status = "" if x.met is None else tr("dash.met") if x.met else tr("dash.not_met")
        rows.append([tr(f"targets.{x.key}", year=x.year), fmt.format(x.actual) if pd.notna(x.actual) else "—",
                     goal, status])
    return rows


def _month_end(month: str) -> date:
    year, mon = (int(v) for v in month.split("-"))
    return date(year, mon, calendar.monthrange(year, mon)[1])


def _month_label(month: str, tr) -> str:  # noqa: ANN001
    return tr("dash.month_label").format(year=month[:4], month=int(month[5:]))


def _enforcement_rows(b: Bulletin, tr) -> list[tuple[str, int]]:  # noqa: ANN001
    """Each figure names its day or month: the bulletin of November says November's closures."""
    e, day = b.enforcement, _month_end(b.month).isoformat()
    return [(tr("dash.open_at").format(day=day), e["open"]), (tr("dash.overdue_at").format(day=day), e["overdue"]),
            (tr("dash.closed_in").format(month=_month_label(b.month, tr)), e["closed_this_month"])]


def bulletin_docx(b: Bulletin, townships: gpd.GeoDataFrame, *, tr, lang: str = "zh") -> bytes:
    """The bulletin as Word: title, summary, cone map, area chart, targets, ranking, enforcement."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    st = doc.styles["Normal"]
    st.font.name = "SimSun"
    st.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    st.font.size = Pt(11)
    y, m = b.month.split("-")
    doc.add_heading(tr("bulletin.title", year=y, month=int(m)), level=0)
    doc.add_paragraph(tr("bulletin.made").format(date=clock.today().isoformat()))
    doc.add_paragraph(summary_text(b, tr, lang))
    if b.cone is not None:
        doc.add_heading(tr("bulletin.cone_map"), level=2)
        doc.add_picture(io.BytesIO(cone_png(b, townships, tr=tr)), width=Cm(15))
        doc.add_picture(io.BytesIO(area_chart_png(b.series, title=tr("cone.col.area_km2"))), width=Cm(15))
    doc.add_heading(tr("dash.targets"), level=2)
    tbl = doc.add_table(rows=1, cols=4)
    tbl.style = "Table Grid"
    for c, h in zip(tbl.rows[0].cells, (tr("bulletin.item"), tr("dash.actual"), tr("dash.goal"), tr("bulletin.status")),
                    strict=True):
        c.text = h
    for row in _target_rows(b, tr):
        for c, text in zip(tbl.add_row().cells, row, strict=True):
            c.text = text
    if b.levels is not None:
        doc.add_heading(tr("levels.header"), level=2)
        doc.add_paragraph(levels_sentence(b.levels, tr, lang))
        rows = _levels_rows(b.levels, tr)
        tbl = doc.add_table(rows=0, cols=len(rows[0]))
        tbl.style = "Table Grid"
        for row in rows:
            for c, text in zip(tbl.add_row().cells, row, strict=True):
                c.text = text
        if b.levels.rainfall is not None:  # how the rain part was found, under the table
            doc.add_paragraph(rain_lines(b, tr)[-1]).runs[0].font.size = Pt(9)
    doc.add_heading(tr("dash.ranking"), level=2)
    r = b.ranking
    tbl = doc.add_table(rows=1, cols=6)
    tbl.style = "Table Grid"
    for c, h in zip(tbl.rows[0].cells, (tr("dash.rank"), tr("field.township"), tr("dash.level_rise"),
                                        tr("dash.cone_share"), tr("dash.open"), tr("dash.overdue")), strict=True):
        c.text = h
    for row in r.itertuples():
        cells = tbl.add_row().cells
        cells[0].text = "" if pd.isna(row.rank) else str(int(row.rank))
        cells[1].text = row.name + (f"（{tr('dash.mark_is.' + row.mark)}）" if row.mark else "")
        cells[2].text = "" if pd.isna(row.level_rise_m) else f"{row.level_rise_m:+.2f}"
        cells[3].text = f"{100 * row.cone_share:.1f}"
        cells[4].text, cells[5].text = str(row.open_cases), str(row.overdue_cases)
    doc.add_heading(tr("dash.enforcement"), level=2)
    tbl = doc.add_table(rows=0, cols=2)
    tbl.style = "Table Grid"
    for label, value in _enforcement_rows(b, tr):
        cells = tbl.add_row().cells
        cells[0].text, cells[1].text = label, str(value)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def bulletin_pdf(b: Bulletin, townships: gpd.GeoDataFrame, *, tr, lang: str = "zh") -> bytes:
    """The bulletin as PDF (A4) with the same content; the CJK font is embedded when a TrueType one is installed."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image as RLImage
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


    font = pdf_font()
    h0 = ParagraphStyle("h0", fontName=font, fontSize=17, leading=24)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=13, leading=19, spaceBefore=8)
    body = ParagraphStyle("b", fontName=font, fontSize=10.5, leading=16)
    cell = ParagraphStyle("c", fontName=font, fontSize=9, leading=12)
    y, m = b.month.split("-")
    story = [Paragraph(escape(tr("bulletin.title", year=y, month=int(m))), h0),
             Paragraph(escape(tr("bulletin.made").format(date=clock.today().isoformat())), body), Spacer(1, 6),
             Paragraph(escape(summary_text(b, tr, lang)), body)]
    if b.cone is not None:
        story.append(Paragraph(escape(tr("bulletin.cone_map")), h2))
        for png, height in ((cone_png(b, townships, tr=tr), 11.5),
                            (area_chart_png(b.series, title=tr("cone.col.area_km2")), 6.5)):
            img = RLImage(io.BytesIO(png))
            img.drawWidth, img.drawHeight = 16 * cm, height * cm
            story.append(img)
    rows = [[tr("bulletin.item"), tr("dash.actual"), tr("dash.goal"), tr("bulletin.status")]]
    rows += _target_rows(b, tr)
    rank = [[tr("dash.rank"), tr("field.township"), tr("dash.level_rise"), tr("dash.cone_share"), tr("dash.open"),
             tr("dash.overdue")]]
    rank += [["" if pd.isna(r.rank) else str(int(r.rank)),
              r.name + (f"（{tr('dash.mark_is.' + r.mark)}）" if r.mark else ""),
              "" if pd.isna(r.level_rise_m) else f"{r.level_rise_m:+.2f}", f"{100 * r.cone_share:.1f}",
              str(r.open_cases), str(r.overdue_cases)] for r in b.ranking.itertuples()]
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                        ("VALIGN", (0, 0), (-1, -1), "TOP")])
    enf = [[label, str(v)] for label, v in _enforcement_rows(b, tr)]
    tables = [(tr("dash.targets"), rows, [8 * cm, 3 * cm, 3 * cm, 2 * cm])]
    if b.levels is not None:
        tables.append((tr("levels.header"), _levels_rows(b.levels, tr),
                       [3.6 * cm, 2 * cm, 3.2 * cm, 3.2 * cm, 2 * cm, 2 * cm]))
    for title, data, widths in (*tables,
                                (tr("dash.ranking"), rank, [1.2 * cm, 4.2 * cm, 3 * cm, 2.8 * cm, 2.4 * cm, 2.4 * cm]),
                                (tr("dash.enforcement"), enf, [6 * cm, 3 * cm])):
        story.append(Paragraph(escape(title), h2))
        tbl = Table([[Paragraph(escape(str(v)), cell) for v in row] for row in data], colWidths=widths, repeatRows=1)
        tbl.setStyle(style)
        story.append(tbl)
        if title == tr("levels.header") and b.levels.rainfall is not None:
            story.append(Paragraph(escape(rain_lines(b, tr)[-1]), cell))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.8 * cm, bottomMargin=1.8 * cm,
                      title=tr("bulletin.title", year=y, month=int(m))).build(story)
    return buf.getvalue()
