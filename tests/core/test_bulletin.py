"""The monthly bulletin prints the dashboard's figures, with the cone map and the area chart."""

import io
import zipfile
from datetime import date

import docx
import numpy as np
import pytest
from PIL import Image

from gwmap.bulletin import build_bulletin, bulletin_docx
from gwmap.i18n import translate
from gwmap.store import repo
from gwmap.store.users import CurrentUser
from gwmap.targets import enforcement_glance, plan_targets

LEADER = CurrentUser("leader", "leader")


def tr(key, **params):
    return translate(key, "zh", **params)


@pytest.fixture
def bulletin(demo_store, tmp_path):
    info, tw, _ = repo.current_boundaries(demo_store)
    b = build_bulletin(demo_store, LEADER, month="2026-11", townships=tw, boundary_version=info.id, data_dir=tmp_path)
    return b, tw


def test_figures_equal_the_dashboards(demo_store, bulletin):
    b, tw = bulletin
    doc = docx.Document(io.BytesIO(bulletin_docx(b, tw, tr=tr)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "冠县地下水超采治理月度通报（2026年11月）"
    area = b.series.iloc[-1]["area_km2"]
    change = b.series.iloc[-1]["change_km2"]
    assert f"2026年秋季）浅层漏斗区面积 {area:.1f} km²，比去年同期减少 {abs(change):.1f} km²" in text
    g = enforcement_glance(demo_store, today=date(2026, 11, 30))  # the month's figures, as of its last day
    assert f"截至 2026-11-30，违规取水线索未办结 {g['open']} 件，其中整改逾期 {g['overdue']} 件；2026年11月销号 " \
           f"{g['closed_this_month']} 件" in text
    targets_tbl = doc.tables[0]
    rows = {r.cells[0].text: r.cells[1].text for r in targets_tbl.rows[1:]}
    for t in plan_targets(demo_store):
        if t.unit == "m3":
            assert rows[tr(f"targets.{t.key}", year=t.year)] == f"{t.actual:,.0f}"
    ranking = next(t for t in doc.tables if t.rows[0].cells[0].text == tr("dash.rank"))
    assert len(ranking.rows) == 19  # the ranking: header and 18 townships
    enforcement = {r.cells[0].text: r.cells[1].text for r in doc.tables[-1].rows}
    assert enforcement["整改逾期（截至 2026-11-30）"] == str(g["overdue"])
    assert enforcement["未办结线索（截至 2026-11-30）"] == str(g["open"])
    assert enforcement["2026年11月销号"] == str(g["closed_this_month"])
    assert doc.paragraphs[1].text.startswith("编发日期：")


def test_images_are_drawn(bulletin):
    b, tw = bulletin
    media = [n for n in zipfile.ZipFile(io.BytesIO(bulletin_docx(b, tw, tr=tr))).namelist() if n.startswith("word/media/")]
    assert len(media) == 2
    with zipfile.ZipFile(io.BytesIO(bulletin_docx(b, tw, tr=tr))) as z:
        for name in media:
            img = np.asarray(Image.open(io.BytesIO(z.read(name))).convert("L"))
            assert img.std() > 10  # not blank


def test_a_month_before_any_survey_has_no_cone(demo_store, tmp_path):
    info, tw, _ = repo.current_boundaries(demo_store)
    b = build_bulletin(demo_store, LEADER, month="2018-12", townships=tw, boundary_version=info.id, data_dir=tmp_path)
    assert b.cone is None and b.series.empty
    assert "冠县地下水超采治理月度通报" in docx.Document(io.BytesIO(bulletin_docx(b, tw, tr=tr))).paragraphs[0].text


def test_pdf_embeds_its_font_and_its_first_page_is_not_blank(bulletin, tmp_path):
    import shutil
    import subprocess

    from gwmap.bulletin import bulletin_pdf

    b, tw = bulletin
    pdf = bulletin_pdf(b, tw, tr=tr)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils not installed (make test installs it)")
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    from pathlib import Path

    if Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists():  # make test installs it
        assert any("WenQuanYi" in ln and " yes " in ln for ln in fonts.splitlines())  # the CJK font is embedded
    else:
        assert "STSong" in fonts
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    page = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("L"))
    assert page.std() > 20 and (page < 128).mean() > 0.02  # text, map and chart drawn


def test_a_months_figures_stay_the_same_after_it(demo_store, tmp_path):
    """October's figures made at 23:30 on 31 October equal those made in December, after November's work;
    本月销号 counts the closures within each month, and a lead's stage on a day comes from its steps."""
    from datetime import date, datetime

    from gwmap import clock
    from gwmap.cases import advance, register_lead, work_ledger
    from gwmap.io.files import Attachment
    from gwmap.targets import township_ranking

    enf = CurrentUser("enforce", "enforcement")
    _, tw, outline = repo.current_boundaries(demo_store)
    ev = tmp_path / "evidence"
    pdf = [Attachment("整改报告.pdf", b"%PDF-1.4 x")]

    def new(lon, lat):
        return register_lead(demo_store, enf, lon=lon, lat=lat, source="patrol", description="疑似新打机井",
                             townships=tw, outline=outline)[0]

    def to_rectifying(code, deadline):
        advance(demo_store, enf, code, "inspected", note="机井在用", evidence_dir=ev)
        advance(demo_store, enf, code, "confirmed", evidence_dir=ev)
        advance(demo_store, enf, code, "rectifying", deadline=deadline, evidence_dir=ev)

    # the demo's own cases closed some in these months: the test's cases come on top
    base = {m: enforcement_glance(demo_store, today=date(2026, m, 30 if m == 11 else 31)) for m in (10, 11)}
    with clock.frozen(datetime(2026, 10, 10, 1, 0)):
        a, c = new(115.498, 36.564), new(115.40, 36.45)
        to_rectifying(a, date(2026, 10, 24))
    with clock.frozen(datetime(2026, 10, 25, 2, 0)):
        advance(demo_store, enf, a, "reinspected", note="已封填", evidence_dir=ev)
        advance(demo_store, enf, a, "closed", evidence_dir=ev, evidence=pdf)
    with clock.frozen(datetime(2026, 10, 31, 15, 30)):  # 23:30 on 31 October in Beijing
        to_rectifying(c, date(2026, 11, 10))
        then = enforcement_glance(demo_store)
        rank_then = township_ranking(demo_store, tw)[["code", "open_cases", "overdue_cases", "sealed"]]
        targets_then = [(t.key, f"{t.actual:.6g}", t.due, t.met) for t in plan_targets(demo_store)]
    with clock.frozen(datetime(2026, 10, 31, 16, 30)):  # 00:30 on 1 November in Beijing: a November lead
        d = new(115.55, 36.60)
    with clock.frozen(datetime(2026, 11, 20, 2, 0)):
        advance(demo_store, enf, c, "reinspected", note="已整改", evidence_dir=ev)
        advance(demo_store, enf, c, "closed", evidence_dir=ev, evidence=pdf)
        new(115.45, 36.50)
    with clock.frozen(datetime(2026, 12, 5, 2, 0)):
        october = date(2026, 10, 31)
        assert enforcement_glance(demo_store, today=october) == then
        assert township_ranking(demo_store, tw, today=october)[rank_then.columns].equals(rank_then)
        assert [(t.key, f"{t.actual:.6g}", t.due, t.met) for t in plan_targets(demo_store, today=october)] \
            == targets_then
        november = enforcement_glance(demo_store, today=date(2026, 11, 30))
    # a closed in October, c in November
    assert then["closed_this_month"] == base[10]["closed_this_month"] + 1
    assert november["closed_this_month"] == base[11]["closed_this_month"] + 1
    assert then["open"] == base[10]["open"] + 1  # c (a was closed)
    assert november["open"] == base[11]["open"] + 2  # d and e (c was closed)
    rows = {day: work_ledger(demo_store, as_of=day).set_index("lead_code") for day in
            (date(2026, 10, 31), date(2026, 11, 15), date(2026, 11, 30))}
    assert d not in rows[date(2026, 10, 31)].index and d in rows[date(2026, 11, 15)].index
    assert rows[date(2026, 10, 31)].at[c, "stage"] == "rectifying" and not rows[date(2026, 10, 31)].at[c, "overdue"]
    assert rows[date(2026, 11, 15)].at[c, "overdue"] and rows[date(2026, 11, 15)].at[c, "days_left"] == -5
    assert rows[date(2026, 11, 30)].at[c, "stage"] == "closed"
    assert rows[date(2026, 10, 31)].at[a, "closed_on"] == date(2026, 10, 25)


def test_sealing_progress_on_a_past_day_counts_acceptances_by_then(demo_store):
    from datetime import date

    import pandas as pd

    from gwmap.sealing import progress

    seal = repo.sealings_frame(demo_store)
    day = date(2023, 6, 30)
    accepted = pd.to_datetime(seal["accepted_on"])
    by_then = seal[(seal["plan_year"] == 2023) & accepted.notna() & (accepted <= pd.Timestamp(day))]
    row = progress(demo_store, as_of=day).set_index("year").loc[2023]
    assert row["accepted"] == len(by_then) < progress(demo_store).set_index("year").at[2023, "accepted"]
    assert row["cut_m3"] == pytest.approx(by_then["cut_m3_per_year"].sum())
    assert 2024 not in progress(demo_store, as_of=day).set_index("year").index


def test_the_cone_map_has_a_legend_and_a_scale_bar(bulletin):
    from gwmap.bulletin import cone_png

    b, tw = bulletin
    img = np.asarray(Image.open(io.BytesIO(cone_png(b, tw, tr=tr))).convert("RGB")).astype(int)
    h, w, _ = img.shape
    legend = img[h - 80:h - 64, w - 250:w - 30]  # the colour ramp: its two ends differ, each row the same
    assert np.abs(legend[8, 0] - legend[8, -1]).sum() > 100 and (legend[0] == legend[-1]).all()
    bar = img[h - 31:h - 29, 24:60]  # the scale bar's thick black line
    assert (bar < 40).all()
    # the bar is a round number of km long: its length in pixels matches the grid's cells
    row = (img[h - 30, :, :] < 40).all(axis=1)
    length_px = np.flatnonzero(row[:w // 2]).max() - 20
    km_per_px = b.surface.grid.cell_m * b.surface.values.shape[1] / w / 1000
    assert round(length_px * km_per_px, 1) in (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)


def test_the_bulletin_has_the_reclaimed_water_of_its_latest_reported_month(demo_store, bulletin):
    """November's bulletin: the plants have reported up to October; the lines name October and its figures."""
    from gwmap.reclaimed import utilisation

    b, tw = bulletin
    oct_ = utilisation(demo_store, by="month").set_index("period").loc["2026-10"]
    year = utilisation(demo_store).set_index("period").loc[2026]
    assert b.reclaimed["month"] == "2026-10" and b.reclaimed["used_m3"] == pytest.approx(oct_.used_m3)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(bulletin_docx(b, tw, tr=tr))).paragraphs)
    assert (f"2026年10月再生水利用 {oct_.used_m3 / 1e4:,.1f} 万m³，污水处理 {oct_.treated_m3 / 1e4:,.1f} 万m³，"
            f"利用率 {oct_.rate:.0%}；年内累计利用 {year.used_m3 / 1e4:,.1f} 万m³，利用率 {year.rate:.0%}。") in text
    assert "劣于" not in text


def test_a_month_with_bad_effluent_says_so(demo_store, tmp_path):
    from gwmap.bulletin import summary_text
    from gwmap.demo_reclaimed import BAD_EFFLUENT

    info, tw, _ = repo.current_boundaries(demo_store)
    b = build_bulletin(demo_store, LEADER, month=BAD_EFFLUENT[1], townships=tw, boundary_version=info.id,
                       data_dir=tmp_path)
    assert b.reclaimed["bad_effluent"] == ["东古城镇污水处理厂"]
    assert "出水劣于地表水Ⅴ类：东古城镇污水处理厂" in summary_text(b, tr)
    assert "Effluent worse than surface-water class V: 东古城镇污水处理厂" in summary_text(
        b, lambda k: translate(k, "en"), "en")


def test_the_bulletin_reads_levels_year_on_year_as_the_ministry_does(demo_store, bulletin, tmp_path):
    from tests.core.test_levels import _pairs

    b, tw = bulletin
    pairs = _pairs(demo_store, "2026-autumn", "2025-autumn")  # November's latest round and the same a year before
    rise = pairs["before"] - pairs["after"]
    doc = docx.Document(io.BytesIO(bulletin_docx(b, tw, tr=tr)))
    text = "\n".join(p.text for p in doc.paragraphs)
    said = (f"2026年秋季与2025年秋季同期相比，浅层 {len(pairs)} 眼同井平均水位"
            + (f"上升 {rise.mean():.2f} m" if rise.mean() > 0 else f"下降 {-rise.mean():.2f} m")
            + f"：上升 {(rise > 0.5).sum()} 眼、稳定 {((rise >= -0.5) & (rise <= 0.5)).sum()} 眼、下降 {(rise < -0.5).sum()} 眼")
    assert said in text and "地下水位同期对比" in [p.text for p in doc.paragraphs]
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "乡镇" and "上升/稳定/下降（眼）" in
                 [c.text for c in t.rows[0].cells])
    county = table.rows[1].cells
    assert county[0].text == "全县" and county[1].text == str(len(pairs)) and county[2].text == f"{rise.mean():+.2f}"
    # a month before any autumn round has the spring one against the spring before
    info, _, _ = repo.current_boundaries(demo_store)
    june = build_bulletin(demo_store, LEADER, month="2026-06", townships=tw, boundary_version=info.id, data_dir=tmp_path)
    assert (june.levels.round, june.levels.compare) == ("2026-spring", "2025-spring")
