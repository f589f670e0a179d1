"""Route sheets for the road: GPX, KML, Excel, Word and PDF, and navigation links for phones."""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import quote
from xml.sax.saxutils import escape

import pandas as pd

from gwmap.crs import gcj02_to_bd09, wgs84_to_gcj02
from gwmap.fonts import pdf_font

__all__ = ["amap_link", "nav_links", "NAV_APPS", "gpx_bytes", "kml_bytes", "route_xlsx", "route_docx", "route_pdf"]

Translate = Callable[[str], str]


def amap_link(lon: float, lat: float, name: str) -> str:
    """A link that opens AMap (高德) at the stop; AMap wants GCJ-02, so the point is converted.

    >>> amap_link(115.5, 36.5, "JC001").startswith("https://uri.amap.com/marker?position=115.50")
    True
    """
    glon, glat = wgs84_to_gcj02(lon, lat)
    return f"https://uri.amap.com/marker?position={glon:.6f},{glat:.6f}&name={quote(str(name))}&coordinate=gaode"


#: The phone map apps the field page's 导航 opens, in the order offered.
NAV_APPS = ("amap", "baidu", "tencent")


def nav_links(lon: float, lat: float, name: str, *, app_name: str = "gwmap") -> dict[str, str]:
    """Links that open turn-by-turn navigation to a WGS84 point in AMap, Baidu and Tencent maps.

    Each app's web URI (it hands over to the app when installed, else opens its mobile web map):
    AMap (``uri.amap.com/navigation``) and Tencent (``apis.map.qq.com/uri/v1/routeplan``) take GCJ-02,
    Baidu's marker page (``api.map.baidu.com/marker``, whose 到这去 starts the route; its direction URI
    wants a start point) takes BD-09 (``coord_type=bd09ll``).  AMap and Tencent start from where the phone
    is.  ``app_name`` is the caller's name the apps ask for (``src``, ``referer``).

    >>> nav_links(115.5, 36.5, "XS1")["amap"].split("to=")[1][:10]
    '115.505911'
    """
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = gcj02_to_bd09(glon, glat)
    label, src = quote(str(name)), quote(app_name)
    return {
        "amap": f"https://uri.amap.com/navigation?to={glon:.6f},{glat:.6f},{label}&mode=car&coordinate=gaode"
                f"&callnative=1&src={src}",
        "baidu": f"https://api.map.baidu.com/marker?location={blat:.6f},{blon:.6f}&title={label}&content={label}"
                 f"&output=html&coord_type=bd09ll&src={src}",
        "tencent": f"https://apis.map.qq.com/uri/v1/routeplan?type=drive&to={label}&tocoord={glat:.6f},{glon:.6f}"
                   f"&referer={src}",
    }


def _where(r, names: dict[str, str]) -> str:
    """Township, village and what is there: how a team finds a stop on the printed sheet."""
    return " ".join(v for v in (names.get(r.township_code, ""), str(getattr(r, "village", "") or ""), str(r.label)) if v)


def _label(r, tr: Translate) -> str:
    return f"{r.team}-{r.seq} {tr('route.kind_name.' + r.kind)} {r.ref}"


def gpx_bytes(stops: pd.DataFrame, start: tuple[float, float], *, tr: Translate) -> bytes:
    """GPX 1.1: one waypoint per stop and one route per team (WGS84, as GPS units expect)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gpx version="1.1" creator="gwmap" xmlns="http://www.topografix.com/GPX/1/1">']
    for r in stops.itertuples():
        out.append(f'<wpt lat="{r.lat:.7f}" lon="{r.lon:.7f}"><name>{escape(_label(r, tr))}</name>'
                   f'<desc>{escape(_where(r, {}))} {r.arrival}</desc></wpt>')
    for team, grp in stops.groupby("team"):
        out.append(f"<rte><name>{escape(tr('route.team'))} {team}</name>")
        out.append(f'<rtept lat="{start[1]:.7f}" lon="{start[0]:.7f}"><name>{escape(tr("route.start"))}</name></rtept>')
        for r in grp.itertuples():
            out.append(f'<rtept lat="{r.lat:.7f}" lon="{r.lon:.7f}"><name>{escape(_label(r, tr))}</name></rtept>')
        out.append(f'<rtept lat="{start[1]:.7f}" lon="{start[0]:.7f}"><name>{escape(tr("route.start"))}</name></rtept>')
        out.append("</rte>")
    out.append("</gpx>")
    return "\n".join(out).encode("utf-8")


def kml_bytes(stops: pd.DataFrame, start: tuple[float, float], *, tr: Translate) -> bytes:
    """KML: placemarks for the stops and a line per team (opens in Google Earth, 奥维, QGIS)."""
    colors = ["ff1c1ae3", "ffb4781f", "ff2ca02c", "ff0e7fff", "ffbd6794", "ff4b568c"]
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
           f"<name>{escape(tr('route.title'))}</name>"]
    for team, grp in stops.groupby("team"):
        c = colors[(int(team) - 1) % len(colors)]
        out.append(f"<Folder><name>{escape(tr('route.team'))} {team}</name>")
        coords = [f"{start[0]:.7f},{start[1]:.7f}"] + [f"{r.lon:.7f},{r.lat:.7f}" for r in grp.itertuples()] + \
                 [f"{start[0]:.7f},{start[1]:.7f}"]
        out.append(f"<Placemark><name>{escape(tr('route.team'))} {team}</name><Style><LineStyle><color>{c}</color>"
                   f"<width>3</width></LineStyle></Style><LineString><coordinates>{' '.join(coords)}</coordinates>"
                   "</LineString></Placemark>")
        for r in grp.itertuples():
            out.append(f"<Placemark><name>{escape(_label(r, tr))}</name><description>{escape(_where(r, {}))} "
                       f"{r.arrival}</description><Point><coordinates>{r.lon:.7f},{r.lat:.7f}</coordinates></Point>"
                       "</Placemark>")
        out.append("</Folder>")
    out.append("</Document></kml>")
    return "\n".join(out).encode("utf-8")


def _sheet_rows(stops: pd.DataFrame, tr: Translate, names: dict[str, str]) -> pd.DataFrame:
    from gwmap.reports import safe_cell

    df = pd.DataFrame({
        tr("route.team"): stops["team"], tr("route.seq"): stops["seq"], tr("route.arrival"): stops["arrival"],
        tr("route.kind"): stops["kind"].map(lambda k: tr(f"route.kind_name.{k}")), tr("route.ref"): stops["ref"],
        tr("field.township"): [names.get(c, "") for c in stops["township_code"]],
        tr("field.village"): stops["village"] if "village" in stops.columns else "", tr("route.what"): stops["label"],
        tr("report.ledger.lon"): stops["lon"].round(6), tr("report.ledger.lat"): stops["lat"].round(6),
        tr("route.leg_km"): stops["leg_km"],
        tr("route.nav"): [amap_link(a, b, c) for a, b, c in zip(stops["lon"], stops["lat"], stops["ref"], strict=True)],
    })
    return df.map(safe_cell)


def route_xlsx(stops: pd.DataFrame, teams: pd.DataFrame, *, tr: Translate, names: dict[str, str]) -> bytes:
    """The route sheet in Excel: every stop with its coordinates and village, and AMap as a link to click."""
    buf = io.BytesIO()
    rows = _sheet_rows(stops, tr, names)
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        rows.to_excel(xw, sheet_name=tr("route.title")[:31], index=False)
        ws = xw.sheets[tr("route.title")[:31]]
        col = rows.columns.get_loc(tr("route.nav")) + 1
        links = [amap_link(a, b, c) for a, b, c in zip(stops["lon"], stops["lat"], stops["ref"], strict=True)]
        for i, url in enumerate(links, start=2):  # the cell reads "打开 / open"; the link is the cell's hyperlink
            cell = ws.cell(row=i, column=col, value=tr("routes.open_amap"))
            cell.hyperlink, cell.style = url, "Hyperlink"
        pd.DataFrame({tr("route.team"): teams["team"], tr("route.stops_col"): teams["stops"], tr("route.km"): teams["km"],
                      tr("route.hours"): teams["hours"], tr("route.back"): teams["back"]}).to_excel(
            xw, sheet_name=tr("route.summary")[:31], index=False)
    return buf.getvalue()


def route_docx(stops: pd.DataFrame, teams: pd.DataFrame, *, tr: Translate, names: dict[str, str], day: str) -> bytes:
    """A printable route sheet in Word: one table per team with a line to sign at each stop."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    st = doc.styles["Normal"]
    st.font.name = "SimSun"
    st.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    st.font.size = Pt(10)
    doc.add_heading(f"{tr('route.title')} {day}", level=1)
    for team, grp in stops.groupby("team"):
        s = teams[teams["team"] == team].iloc[0]
        doc.add_heading(f"{tr('route.team')} {team}：{s['stops']} {tr('route.stops')}，{s['km']} km，"
                        f"{tr('route.back')} {s['back']}", level=2)
        tbl = doc.add_table(rows=1, cols=6)
        tbl.style = "Table Grid"
        for c, h in zip(tbl.rows[0].cells, (tr("route.seq"), tr("route.arrival"), tr("route.kind"), tr("route.ref"),
                                            tr("route.what"), tr("route.signed")), strict=True):
            c.text = h
        for r in grp.itertuples():
            cells = tbl.add_row().cells
            cells[0].text, cells[1].text = str(r.seq), r.arrival
            cells[2].text, cells[3].text = tr(f"route.kind_name.{r.kind}"), r.ref
            cells[4].text = _where(r, names)
            cells[5].text = ""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def route_pdf(stops: pd.DataFrame, teams: pd.DataFrame, *, tr: Translate, names: dict[str, str], day: str) -> bytes:
    """The same route sheet as a PDF (A4)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = pdf_font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=18)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=12)
    story = [Paragraph(escape(f"{tr('route.title')} {day}"), h1), Spacer(1, 8)]
    for team, grp in stops.groupby("team"):
        s = teams[teams["team"] == team].iloc[0]
        story.append(Paragraph(escape(f"{tr('route.team')} {team}：{s['stops']} {tr('route.stops')}，{s['km']} km，"
                                      f"{tr('route.back')} {s['back']}"), h2))
        data = [[Paragraph(escape(h), body) for h in (tr("route.seq"), tr("route.arrival"), tr("route.kind"),
                                                        tr("route.ref"), tr("route.what"), tr("route.signed"))]]
        for r in grp.itertuples():
            data.append([Paragraph(escape(str(v)), body) for v in (
                r.seq, r.arrival, tr(f"route.kind_name.{r.kind}"), r.ref, _where(r, names), "")])
        tbl = Table(data, colWidths=[28, 40, 60, 80, 230, 60], repeatRows=1)
        tbl.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [tbl, Spacer(1, 10)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=36,
                      title=tr("route.title")).build(story)
    return buf.getvalue()
