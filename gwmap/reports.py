"""Exports of analysis results: Excel workbooks and GeoPackages with Chinese headers."""

from __future__ import annotations

import io
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from gwmap import clock
from gwmap.cases import FAR_M
from gwmap.cone import ConeResult
from gwmap.io.rasters import vector_bytes

__all__ = ["cone_workbook", "cone_geopackage", "safe_cell"]

Translate = Callable[[str], str]


def safe_cell(value):
    """Neutralise text that a spreadsheet would run as a formula (=, +, -, @ at the start).

    >>> safe_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> safe_cell(-3.5)
    -3.5
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters Excel cannot hold: shown, not a crash
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def _sheet(df: pd.DataFrame) -> pd.DataFrame:
    return df.map(safe_cell)


def cone_workbook(series: pd.DataFrame, cone: ConeResult, *, tr: Translate, names: dict[str, str]) -> bytes:
    """An .xlsx with the cone-area series, the chosen survey's township split, and the parameters."""
    s = pd.DataFrame({
        tr("cone.col.survey"): series["code"], tr("cone.col.area_km2"): series["area_km2"].round(2),
        tr("cone.col.extrapolated_km2"): series.get("area_extrapolated_km2", pd.Series(np.nan, series.index)).round(2),
        tr("cone.col.change_km2"): series["change_km2"].round(2), tr("cone.col.extreme"): series["extreme_value"].round(2),
    })
    for col, key, digits in (("extreme_change", "cone.col.extreme_change", 2), ("extreme_lon", "cone.col.extreme_lon", 6),
                             ("extreme_lat", "cone.col.extreme_lat", 6), ("centre_lon", "cone.col.centre_lon", 6),
                             ("centre_lat", "cone.col.centre_lat", 6), ("centre_shift_km", "cone.col.centre_shift_km", 2)):
        if col in series:  # the deepest point and the centre of each round, where the series has them
            s[tr(key)] = series[col].round(digits)
    split = pd.DataFrame({
        tr("field.code"): cone.by_township["code"], tr("field.township"): cone.by_township["code"].map(names),
        tr("cone.col.area_km2"): cone.by_township["area_km2"].round(3),
        tr("cone.col.share"): (100 * cone.by_township["share"]).round(1),
    })
    params = pd.DataFrame({tr("cone.col.param"): list(cone.params), tr("cone.col.value"): [
        str(v) for v in cone.params.values()]})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        _sheet(s).to_excel(xw, sheet_name=tr("cone.sheet.series")[:31], index=False)
        _sheet(split).to_excel(xw, sheet_name=tr("cone.sheet.split")[:31], index=False)
        _sheet(params).to_excel(xw, sheet_name=tr("cone.sheet.params")[:31], index=False)
    return buf.getvalue()


def cone_geopackage(cone: ConeResult, *, survey: str) -> bytes:
    """The cone outline with its area and parameters, as a GeoPackage (WGS84)."""
    gdf = gpd.GeoDataFrame({"survey": [survey], "kind": [cone.kind], "threshold": [cone.threshold],
                            "area_km2": [round(cone.area_km2, 3)],
                            "extrap_km2": [round(cone.area_extrapolated_km2, 3)],
                            "extreme": [round(cone.extreme_value, 3)],
                            "method": [cone.params.get("method", "")], "cell_m": [cone.params.get("cell_m", 0)]},
                           geometry=[cone.outline], crs=4326)
    return vector_bytes(gdf, "gpkg", layer="cone")


LEDGER_COLUMNS = (
    ("lead_code", "report.ledger.code"), ("source", "field.source"), ("lon", "report.ledger.lon"),
    ("lat", "report.ledger.lat"), ("township", "field.township"), ("description", "field.description"),
    ("registered_on", "field.registered_on"), ("inspected_on", "report.ledger.inspected_on"),
    ("confirmed_on", "report.ledger.confirmed_on"), ("dismissed_on", "report.ledger.dismissed_on"),
    ("rectify_deadline", "field.rectify_deadline"), ("reinspected_on", "report.ledger.reinspected_on"),
    ("closed_on", "report.ledger.closed_on"), ("finding", "report.ledger.finding"), ("stage_label", "field.stage"),
    ("days_left", "report.ledger.days_left"), ("evidence_count", "report.ledger.evidence"),
)


def work_ledger_xlsx(ledger: pd.DataFrame, *, tr: Translate, names: dict[str, str]) -> bytes:
    """The work ledger as Excel: one row per case, Chinese headers, overdue rows in red, formula-safe."""
    from openpyxl.styles import Font, PatternFill

    df = ledger.copy()
    df["source"] = df["source"].map(lambda v: tr(f"vocab.lead_source.{v}"))
    df["township"] = df["township_code"].map(names).fillna("")
    df["stage_label"] = [tr("map.legend.lead.overdue") if o else tr(f"vocab.lead_stage.{s}")
                         for s, o in zip(df["stage"], df["overdue"], strict=True)]
    out = pd.DataFrame({tr(label): df[col] for col, label in LEDGER_COLUMNS})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        _sheet(out).to_excel(xw, sheet_name=tr("report.ledger.sheet")[:31], index=False)
        ws = xw.sheets[tr("report.ledger.sheet")[:31]]
        ws.freeze_panes = "B2"
        red = PatternFill("solid", fgColor="FFC7CE")
        for i, overdue in enumerate(df["overdue"], start=2):
            if overdue:
                for cell in ws[i]:
                    cell.fill = red
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for col in ws.columns:
            ws.column_dimensions[col[0].column_letter].width = 14
    return buf.getvalue()


def case_docx(lead: pd.Series, steps: pd.DataFrame, evidence: pd.DataFrame, *, tr: Translate,
              township: str, photo: Callable[[str], bytes] | None = None) -> bytes:
    """One case file (案卷) as Word: the lead, every step with who and when, the evidence with SHA-256.

    With ``photo`` (SHA-256 → the stored bytes) each JPEG/PNG is embedded
    under its file name, SHA-256, time (county time), place and distance from
    the lead; one taken more than 500 m away is marked for checking.
    """
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    style.font.size = Pt(11)
    doc.add_heading(tr("report.case.title").format(code=lead["lead_code"]), level=1)
    info = doc.add_table(rows=0, cols=2)
    info.style = "Table Grid"
    for label, value in ((tr("field.source"), tr(f"vocab.lead_source.{lead['source']}")),
                         (tr("field.township"), township),
                         (tr("report.ledger.lon") + " / " + tr("report.ledger.lat"), f"{lead['lon']:.6f}, {lead['lat']:.6f}"),
                         (tr("field.description"), lead["description"]),
                         (tr("field.stage"), tr(f"vocab.lead_stage.{lead['stage']}")),
                         (tr("field.rectify_deadline"), str(lead["rectify_deadline"] or "—"))):
        row = info.add_row().cells
        row[0].text, row[1].text = str(label), str(value)
    doc.add_heading(tr("report.case.steps"), level=2)
    t = doc.add_table(rows=1, cols=4)
    t.style = "Table Grid"
    for cell, h in zip(t.rows[0].cells, (tr("field.stage"), tr("audit.at"), tr("audit.actor"),
                                         tr("report.ledger.finding")), strict=True):
        cell.text = h
    for r in steps.itertuples():
        cells = t.add_row().cells
        cells[0].text = tr(f"vocab.lead_stage.{r.stage}")
        cells[1].text = clock.to_local(pd.Timestamp(r.at)).strftime("%Y-%m-%d %H:%M")  # the county's time
        cells[2].text = str(r.by)
        cells[3].text = str(r.note or "") + (f"（{tr('field.rectify_deadline')}：{r.deadline}）" if r.deadline else "")
    doc.add_heading(tr("report.case.evidence"), level=2)
    e = doc.add_table(rows=1, cols=4)
    e.style = "Table Grid"
    for cell, h in zip(e.rows[0].cells, (tr("report.case.file"), tr("field.stage"), tr("report.case.gps"), "SHA-256"),
                       strict=True):
        cell.text = h
    far = tr("report.case.far").format(limit=f"{FAR_M:,.0f}")

    def place(r) -> str:
        if pd.isna(r.lon):
            return "—"
        where = f"{r.lon:.6f}, {r.lat:.6f}（{tr('vocab.gps_source.' + r.gps_source)}）"
        offset = getattr(r, "offset_m", None)
        if offset is not None and pd.notna(offset):
            where += f"，{tr('report.case.offset')} {offset:,.0f} m" + (f"（{far}）" if offset > FAR_M else "")
        return where

    for r in evidence.itertuples():
        cells = e.add_row().cells
        cells[0].text = str(r.filename)
        cells[1].text = tr(f"vocab.lead_stage.{r.stage}") if r.stage else ""
        cells[2].text = place(r)
        cells[3].text = r.sha256
    pictures = evidence[evidence["mime"].isin(["image/jpeg", "image/png"])] if photo is not None else evidence.head(0)
    if len(pictures):
        from docx.shared import Cm

        doc.add_heading(tr("report.case.photos"), level=2)
        for r in pictures.itertuples():
            when = r.taken_at if pd.notna(r.taken_at) else r.uploaded_at
            doc.add_picture(io.BytesIO(photo(r.sha256)), width=Cm(12))
            doc.add_paragraph(tr("report.case.photo_caption").format(
                file=r.filename, sha=r.sha256, place=place(r),
                at=clock.to_local(pd.Timestamp(when)).strftime("%Y-%m-%d %H:%M") if pd.notna(when) else "—"))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
