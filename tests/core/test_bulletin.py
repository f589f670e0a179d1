"""The monthly bulletin prints the dashboard's figures, with the cone map and the area chart."""

import io
import zipfile

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


def tr(key):
    return translate(key, "zh")


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
    g = enforcement_glance(demo_store)
    assert f"未办结 {g['open']} 件，其中整改逾期 {g['overdue']} 件" in text
    targets_tbl = doc.tables[0]
    rows = {r.cells[0].text: r.cells[1].text for r in targets_tbl.rows[1:]}
    for t in plan_targets(demo_store):
        if t.unit == "m3":
            assert rows[tr(f"targets.{t.key}")] == f"{t.actual:,.0f}"
    assert len(doc.tables[1].rows) == 19  # the ranking: header and 18 townships
    enforcement = {r.cells[0].text: r.cells[1].text for r in doc.tables[2].rows}
    assert enforcement["整改逾期"] == str(g["overdue"]) and enforcement["未办结线索"] == str(g["open"])
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
