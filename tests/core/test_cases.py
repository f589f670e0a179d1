"""A lead from registration to closure, as an enforcement team runs it; evidence fixed by SHA-256."""

import hashlib
import io
from datetime import date, datetime, timedelta

import pytest
from PIL import ExifTags, Image

from gwmap import clock
from gwmap.cases import advance, days_left, integrity_check, lead_evidence, lead_steps, register_lead
from gwmap.crs import wgs84_to_gcj02
from gwmap.errors import InputDataError, PermissionDenied
from gwmap.io.files import Attachment
from gwmap.store import repo
from gwmap.store.users import CurrentUser

ENF = CurrentUser("enforce", "enforcement")
T0 = datetime(2026, 11, 28, 9, 0)


def photo(lon=None, lat=None, colour=(120, 160, 90)) -> bytes:
    img = Image.new("RGB", (64, 48), colour)
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2026:11:28 10:15:00"
    if lon is not None:
        def dms(v):
            d = int(v)
            m = int((v - d) * 60)
            return (float(d), float(m), round((v - d - m / 60) * 3600, 4))
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


@pytest.fixture
def ctx(demo_store, tmp_path):
    _, tw, outline = repo.current_boundaries(demo_store)
    return dict(townships=tw, outline=outline), tmp_path / "evidence"


def test_the_whole_lifecycle(demo_store, ctx):
    kw, ev_dir = ctx
    with clock.frozen(T0):
        code, dups = register_lead(demo_store, ENF, lon=115.498, lat=36.564, source="patrol",
                                   description="田间新打机井，无许可", **kw)
        assert code.startswith("XS2026") and dups == []
        leads = repo.leads_frame(demo_store).set_index("lead_code")
        assert leads.at[code, "township_code"] == "371525107"  # 店子镇, from the boundaries
        advance(demo_store, ENF, code, "inspected", note="现场核实：机井在用，无计量", evidence_dir=ev_dir,
                evidence=[Attachment("现场1.jpg", photo(115.4981, 36.5641)),
                          Attachment("现场2.jpg", photo(colour=(10, 20, 30)), lon=115.498, lat=36.564)])
        advance(demo_store, ENF, code, "confirmed", note="认定违规取水", evidence_dir=ev_dir)
        advance(demo_store, ENF, code, "rectifying", note="限期封填", deadline=date(2026, 12, 28), evidence_dir=ev_dir)
        assert not repo.leads_frame(demo_store).set_index("lead_code").at[code, "overdue"]
    with clock.frozen(T0 + timedelta(days=31)):
        leads = repo.leads_frame(demo_store).set_index("lead_code")
        assert leads.at[code, "overdue"] and days_left(leads.at[code, "rectify_deadline"]) == -1
        advance(demo_store, ENF, code, "reinspected", note="已封填", evidence_dir=ev_dir,
                evidence=[Attachment("封填后.jpg", photo(115.4981, 36.5641, (200, 200, 200)))])
        advance(demo_store, ENF, code, "closed", note="销号", evidence_dir=ev_dir)
    steps = lead_steps(demo_store, code)
    assert list(steps.stage) == ["registered", "inspected", "confirmed", "rectifying", "reinspected", "closed"]
    assert set(steps.by) == {"enforce"}
    ev = lead_evidence(demo_store, code)
    assert len(ev) == 3 and list(ev.gps_source) == ["exif", "entered", "exif"]
    assert ev.lon.iloc[0] == pytest.approx(115.4981, abs=1e-5)
    assert ev.taken_at.iloc[0] == datetime(2026, 11, 28, 2, 15)  # 10:15 on the camera in Beijing, stored in UTC
    for r in ev.itertuples():
        assert hashlib.sha256((ev_dir / r.sha256).read_bytes()).hexdigest() == r.sha256
    assert integrity_check(demo_store, ev_dir).empty


def _to_rectifying(store, kw, ev_dir):
    with clock.frozen(T0):
        code, _ = register_lead(store, ENF, lon=115.40, lat=36.60, source="public_report", description="夜间抽水", **kw)
        for stage in ("inspected", "confirmed"):
            advance(store, ENF, code, stage, evidence_dir=ev_dir)
        advance(store, ENF, code, "rectifying", deadline=date(2027, 1, 1), evidence_dir=ev_dir)
        advance(store, ENF, code, "reinspected", note="未见整改证据", evidence_dir=ev_dir)
    return code


def test_no_close_without_evidence_of_the_fix(demo_store, ctx):
    kw, ev_dir = ctx
    code = _to_rectifying(demo_store, kw, ev_dir)
    with pytest.raises(InputDataError) as err:
        advance(demo_store, ENF, code, "closed", evidence_dir=ev_dir)
    assert err.value.code == "err.lead.no_proof"
    advance(demo_store, ENF, code, "closed", evidence_dir=ev_dir, evidence=[Attachment("整改报告.pdf", b"%PDF-1.4 x")])
    assert repo.leads_frame(demo_store).set_index("lead_code").at[code, "stage"] == "closed"


@pytest.mark.parametrize("stage, kwargs, code", [
    ("closed", {}, "err.lead.step"),
    ("inspected", {"evidence": [Attachment("照片.jpg", b"MZ\x90\x00 this is an exe")]}, "err.evidence.type"),
    ("inspected", {"evidence": [Attachment("大.jpg", b"\xff\xd8\xff" + b"0" * (51 * 2**20))]}, "err.upload.too_large"),
])
def test_bad_steps_and_files_are_refused(demo_store, ctx, stage, kwargs, code):
    kw, ev_dir = ctx
    lead, _ = register_lead(demo_store, ENF, lon=115.45, lat=36.45, source="patrol", description="x", **kw)
    with pytest.raises(InputDataError) as err:
        advance(demo_store, ENF, lead, stage, evidence_dir=ev_dir, **kwargs)
    assert err.value.code == code
    assert repo.leads_frame(demo_store).set_index("lead_code").at[lead, "stage"] == "registered"


def test_rectification_needs_a_future_deadline(demo_store, ctx):
    kw, ev_dir = ctx
    with clock.frozen(T0):
        lead, _ = register_lead(demo_store, ENF, lon=115.45, lat=36.45, source="patrol", description="x", **kw)
        advance(demo_store, ENF, lead, "inspected", evidence_dir=ev_dir)
        advance(demo_store, ENF, lead, "confirmed", evidence_dir=ev_dir)
        with pytest.raises(InputDataError) as err:
            advance(demo_store, ENF, lead, "rectifying", deadline=date(2026, 11, 1), evidence_dir=ev_dir)
    assert err.value.code == "err.lead.deadline"


def test_a_lead_within_50_m_of_an_open_one_is_flagged(demo_store, ctx):
    kw, _ = ctx
    first, _ = register_lead(demo_store, ENF, lon=115.6, lat=36.5, source="patrol", description="a", **kw)
    _, dups = register_lead(demo_store, ENF, lon=115.6003, lat=36.5001, source="patrol", description="b", **kw)
    assert first in dups
    _, far = register_lead(demo_store, ENF, lon=115.61, lat=36.5, source="patrol", description="c", **kw)
    assert first not in far


def test_phone_map_positions_are_converted(demo_store, ctx):
    kw, _ = ctx
    glon, glat = wgs84_to_gcj02(115.5, 36.55)
    code, _ = register_lead(demo_store, ENF, lon=glon, lat=glat, source="public_report", description="x",
                            gcj02=True, **kw)
    lead = repo.leads_frame(demo_store).set_index("lead_code").loc[code]
    assert lead.lon == pytest.approx(115.5, abs=1e-6) and lead.lat == pytest.approx(36.55, abs=1e-6)


def test_leader_reads_but_cannot_register(demo_store, ctx):
    kw, _ = ctx
    with pytest.raises(PermissionDenied):
        register_lead(demo_store, CurrentUser("boss", "leader"), lon=115.5, lat=36.5, source="patrol",
                      description="x", **kw)
    assert (repo.audit_frame(demo_store, limit=1).action == "denied").all()


def test_integrity_check_reports_a_changed_file(demo_store, ctx):
    kw, ev_dir = ctx
    code, _ = register_lead(demo_store, ENF, lon=115.45, lat=36.45, source="patrol", description="x", **kw)
    advance(demo_store, ENF, code, "inspected", evidence_dir=ev_dir, evidence=[Attachment("a.png", photo_png())])
    sha = lead_evidence(demo_store, code).sha256.iloc[0]
    (ev_dir / sha).write_bytes(b"tampered")
    bad = integrity_check(demo_store, ev_dir)
    assert list(bad.problem) == ["changed"] and bad.lead_code.iloc[0] == code


def photo_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buf, "PNG")
    return buf.getvalue()


def _tr(key):
    from gwmap.i18n import translate

    return translate(key, "zh")


def test_ledger_and_case_file(demo_store, ctx):
    import docx
    import openpyxl

    from gwmap.cases import work_ledger
    from gwmap.reports import case_docx, work_ledger_xlsx

    kw, ev_dir = ctx
    code = _to_rectifying(demo_store, kw, ev_dir)
    advance(demo_store, ENF, code, "closed", evidence_dir=ev_dir, evidence=[Attachment("整改.jpg", photo())])
    with clock.frozen(T0 + timedelta(days=40)):
        led = work_ledger(demo_store)
    assert len(led) == 61 and led.set_index("lead_code").at[code, "closed_on"] == clock.today()
    row = led.set_index("lead_code").loc[code]
    assert row.inspected_on == T0.date() and row.evidence_count == 1 and row.stage == "closed"
    names = dict(zip(kw["townships"].code, kw["townships"].name))
    wb = openpyxl.load_workbook(io.BytesIO(work_ledger_xlsx(led, tr=_tr, names=names)))
    ws = wb["工作台账"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["线索编号", "来源", "经度"] and "证据数" in headers and ws.max_row == 62
    overdue_rows = [i for i, o in enumerate(led.overdue, start=2) if o]
    assert overdue_rows and ws.cell(overdue_rows[0], 1).fill.fgColor.rgb.endswith("FFC7CE")
    lead = repo.leads_frame(demo_store).set_index("lead_code").loc[code]
    lead["lead_code"] = code
    doc = docx.Document(io.BytesIO(case_docx(lead, lead_steps(demo_store, code), lead_evidence(demo_store, code),
                                            tr=_tr, township=names.get(lead.township_code, ""))))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert code in text and "销号" in cells and lead_evidence(demo_store, code).sha256.iloc[0] in cells


def test_a_step_from_a_stale_form_is_refused_when_the_case_moved_on(demo_store, ctx):
    from gwmap.errors import ConflictError

    bounds, evidence_dir = ctx
    code = repo.leads_frame(demo_store).query("stage == 'registered'").lead_code.iloc[0]
    shown = int(repo.leads_frame(demo_store).set_index("lead_code").at[code, "row_version"])
    advance(demo_store, ENF, code, "inspected", note="甲组核查", evidence_dir=evidence_dir, expected_version=shown)
    with pytest.raises(ConflictError) as err:  # the second officer's form still shows 登记
        advance(demo_store, ENF, code, "inspected", note="乙组核查", evidence_dir=evidence_dir, expected_version=shown)
    assert err.value.conflicts == [("stage", "inspected", "registered")]
    assert list(lead_steps(demo_store, code).note).count("乙组核查") == 0


def test_integrity_check_finds_a_record_pointed_at_another_file(demo_store, ctx):
    from sqlalchemy import text

    bounds, evidence_dir = ctx
    code = repo.leads_frame(demo_store).query("stage == 'registered'").lead_code.iloc[0]
    advance(demo_store, ENF, code, "inspected", note="两张照片", evidence_dir=evidence_dir,
            evidence=[Attachment("a.jpg", photo(115.5, 36.5)), Attachment("b.jpg", photo(colour=(9, 9, 9)))])
    assert integrity_check(demo_store, evidence_dir).empty
    ev = lead_evidence(demo_store, code)
    with demo_store.engine.begin() as conn:  # swap the second record's hash for the first file's
        conn.execute(text("UPDATE evidence SET sha256 = :a WHERE id = :b"),
                     {"a": ev.sha256.iloc[0], "b": int(ev.id.iloc[1])})
    bad = integrity_check(demo_store, evidence_dir)
    assert list(bad.problem) == ["record_changed"] and bad.filename.iloc[0] == "b.jpg"


def test_at_half_past_seven_in_beijing_everything_is_dated_in_beijing(demo_store, ctx):
    """23:30 UTC on the 28th is 07:30 on the 29th in the county: the lead, the ledger and the case file say the 29th."""
    from docx import Document

    from gwmap.cases import work_ledger
    from gwmap.reports import case_docx

    bounds, evidence_dir = ctx
    with clock.frozen(datetime(2026, 11, 28, 23, 30)):
        assert clock.today() == date(2026, 11, 29)
        code, _ = register_lead(demo_store, ENF, lon=115.5, lat=36.5, source="patrol", description="清晨巡查发现",
                                **bounds)
        advance(demo_store, ENF, code, "inspected", note="核查", evidence_dir=evidence_dir)
        led = work_ledger(demo_store).set_index("lead_code").loc[code]
    assert led.registered_on == date(2026, 11, 29) and led.inspected_on == date(2026, 11, 29)
    row = led.copy()
    row["lead_code"] = code
    doc = Document(io.BytesIO(case_docx(row, lead_steps(demo_store, code), lead_evidence(demo_store, code),
                                        tr=lambda k: k, township="")))
    times = [r.cells[1].text for r in doc.tables[1].rows[1:]]
    assert times == ["2026-11-29 07:30", "2026-11-29 07:30"]


def test_a_photo_taken_far_from_the_lead_is_marked_and_the_case_file_embeds_the_photos(demo_store, ctx):
    import docx
    import pandas as pd

    from gwmap.cases import FAR_M, far_evidence, read_evidence
    from gwmap.reports import case_docx

    kw, ev_dir = ctx
    with clock.frozen(T0):
        code, _ = register_lead(demo_store, ENF, lon=115.498, lat=36.564, source="patrol", description="疑似新井", **kw)
        near, far = photo(115.4985, 36.5642), photo(115.498, 36.574, colour=(1, 2, 3))  # ~45 m and ~1.1 km away
        advance(demo_store, ENF, code, "inspected", note="现场", evidence_dir=ev_dir,
                evidence=[Attachment("近.jpg", near), Attachment("远.jpg", far),
                          Attachment("记录.pdf", b"%PDF-1.4 x")])
    ev = lead_evidence(demo_store, code).set_index("filename")
    assert ev.at["近.jpg", "offset_m"] == pytest.approx(46, abs=5)
    assert ev.at["远.jpg", "offset_m"] == pytest.approx(1112, abs=5) and ev.at["远.jpg", "offset_m"] > FAR_M
    assert pd.isna(ev.at["记录.pdf", "offset_m"])  # no position, no distance
    assert list(far_evidence(lead_evidence(demo_store, code)).filename) == ["远.jpg"]
    lead = repo.leads_frame(demo_store).set_index("lead_code").loc[code]
    lead["lead_code"] = code
    evidence = lead_evidence(demo_store, code)
    doc = docx.Document(io.BytesIO(case_docx(lead, lead_steps(demo_store, code), evidence, tr=_tr, township="店子镇",
                                            photo=lambda sha: read_evidence(ev_dir, sha))))
    assert len(doc.inline_shapes) == 2  # the two photos; the PDF is listed, not drawn
    captions = [p.text for p in doc.paragraphs if "SHA-256" in p.text]
    assert len(captions) == 2 and evidence.set_index("filename").at["远.jpg", "sha256"] in captions[1]
    assert "超过 500 米，请核实" in captions[1] and "请核实" not in captions[0]
    assert "2026-11-28 10:15" in captions[0]  # the time the photo was taken (EXIF), as the county reads it
