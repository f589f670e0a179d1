"""The leads the data suggest (issue 13): level anomalies, and a person accepting or dismissing a suggestion."""

import hashlib
import json
import shutil
import subprocess

import pytest
from sqlalchemy import select

from gwmap import screening
from gwmap.abstraction import import_upload, read_upload
from gwmap.cases import lead_evidence, lead_steps
from gwmap.demo import PLANTED_LEVEL_ANOMALY
from gwmap.errors import ConflictError, InputDataError, PermissionDenied
from gwmap.i18n import translator
from gwmap.store import Store, repo
from gwmap.store.models import AuditEvent, ScreenDecision
from gwmap.store.users import CurrentUser, system_user

ENFORCER = CurrentUser("enforce", "enforcement", "执法大队")
LEADER = CurrentUser("leader", "leader", "局领导")
HYDRO = system_user("hydro")


@pytest.fixture
def store(demo_db_path):
    return Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")


@pytest.fixture
def with_power(power_db_path):
    return Store(f"sqlite:///{power_db_path / 'gwmap.sqlite'}")  # the demo with what init --demo adds


def test_the_planted_falling_well_is_found_and_its_neighbours_are_not(store):
    """JC017's water table falls 0.8 m/yr from 2023 while the wells around it recover (demo data)."""
    for year in (2025, 2026):
        found = screening.level_anomalies(store, year=year)
        assert [f["mw_code"] for f in found] == [PLANTED_LEVEL_ANOMALY], year
        f = found[0]["figures"]
        assert f["aquifer"] == "shallow" and f["neighbours"] >= 3
        # it deepens while the neighbours' trend at its place is a recovery (negative: shallower each year)
        assert f["slope_m_per_year"] > 0 > f["neighbours_m_per_year"]
        assert f["excess_m_per_year"] == pytest.approx(f["slope_m_per_year"] - f["neighbours_m_per_year"], abs=0.011)
        assert f["excess_m_per_year"] > screening.EXCESS_M_PER_YEAR
        # the rows behind it are its own readings of the four years, as the survey holds them
        rows = found[0]["rows"]
        assert len(rows) >= 6 and all(str(year - 3) <= r["measured_on"][:4] <= str(year) for r in rows)
    # before the planted fall has run long enough, nothing stands out
    assert screening.level_anomalies(store, year=2023) == []


def test_more_pumping_nearby_explains_a_falling_level(store, demo_db_path):
    """The same well is not suggested when the ledger shows the abstraction around it grew by 20% or more."""
    mw = repo.monitoring_wells_frame(store).set_index("mw_code").loc[PLANTED_LEVEL_ANOMALY]
    wells = repo.wells_frame(store)
    x, y = screening._xy(wells.lon, wells.lat)
    mx, my = screening._xy([mw.lon], [mw.lat])
    near = wells[((x - mx[0]) ** 2 + (y - my[0]) ** 2) ** 0.5 <= screening.NEARBY_M]
    near = near[(near.power_meter_no != "") & (near.metering == "electricity")]
    assert len(near)
    # a year of heavy pumping in 2026 at every electricity well nearby (none drew in 2023: no records then)
    text = "电表号,年月,用电量kWh\n" + "".join(f"{m},2026-{k:02d},60000\n" for m in near.power_meter_no
                                             for k in range(1, 11))
    raw = text.encode("gbk")
    check = read_upload(store, raw, "heavy.csv", kind="power")
    assert check.problems == ()
    import_upload(store, HYDRO, check, source_name="heavy.csv", raw=raw, uploads_dir=demo_db_path / "uploads")
    assert screening.level_anomalies(store, year=2026) == []


def _suggestion(store, reason, year=2025):
    return next(x for x in screening.queue(store, year=year) if x["reason"] == reason)


def _pdf_text(raw: bytes, tmp_path) -> str:
    path = tmp_path / "snapshot.pdf"
    path.write_bytes(raw)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _accept_power_after_sealing(store, evidence_dir):
    _, townships, outline = repo.current_boundaries(store)
    x = _suggestion(store, "power_after_sealing")
    code = screening.accept(store, ENFORCER, year=2025, reason=x["reason"], subject_=x["well_code"],
                            townships=townships, outline=outline, evidence_dir=evidence_dir, note="电表读数已拍照")
    return x, code


def test_accepting_registers_a_lead_with_the_snapshot_as_evidence(with_power, power_db_path, tmp_path):
    demo_db_path = power_db_path
    store = with_power
    leads_before = len(repo.leads_frame(store))
    x, code = _accept_power_after_sealing(store, demo_db_path / "evidence")
    leads = repo.leads_frame(store).set_index("lead_code")
    assert len(leads) == leads_before + 1
    lead = leads.loc[code]
    assert lead.source == "data_screening" and lead.stage == "registered"
    assert (round(lead.lon, 6), round(lead.lat, 6)) == (round(x["lon"], 6), round(x["lat"], 6))
    assert x["well_code"] in lead.description and "封井后仍在用电" in lead.description
    # the snapshot: one evidence file on the registration step, stored by the SHA-256 of its bytes
    ev = lead_evidence(store, code)
    assert len(ev) == 1 and ev.iloc[0]["stage"] == "registered" and ev.iloc[0]["mime"] == "application/pdf"
    raw = (demo_db_path / "evidence" / ev.iloc[0]["sha256"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == ev.iloc[0]["sha256"] and raw.startswith(b"%PDF")
    # the decision, in the store and in the audit trail; the suggestion has left the queue
    with store.session() as s:
        d = s.scalar(select(ScreenDecision))
        assert (d.decision, d.lead_code, d.snapshot_sha256, d.decided_by) == ("accepted", code, ev.iloc[0]["sha256"],
                                                                            "enforce")
        assert json.loads(d.figures) == json.loads(json.dumps(x["figures"]))
        audited = s.scalars(select(AuditEvent.table_name).where(AuditEvent.actor == "enforce")).all()
    assert {"leads", "lead_steps", "evidence", "screen_decisions"} <= set(audited)
    assert x["well_code"] not in {screening.subject(q) for q in screening.queue(store, year=2025)
                                  if q["reason"] == "power_after_sealing"}
    # the case goes on like any other
    assert list(lead_steps(store, code)["stage"]) == ["registered"]
    # a second acceptance of the same suggestion (another tab) is refused, not a second lead
    _, townships, outline = repo.current_boundaries(store)
    with pytest.raises(ConflictError):
        screening.accept(store, ENFORCER, year=2025, reason=x["reason"], subject_=x["well_code"],
                         townships=townships, outline=outline, evidence_dir=demo_db_path / "evidence")
    assert len(repo.leads_frame(store)) == leads_before + 1


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils, which make test installs) is absent:"
                    " the snapshot's printed text is not read back")
def test_the_snapshot_reads_as_printed(with_power, power_db_path, tmp_path):
    store = with_power
    x, code = _accept_power_after_sealing(store, power_db_path / "evidence")
    ev = lead_evidence(store, code)
    raw = (power_db_path / "evidence" / ev.iloc[0]["sha256"]).read_bytes()
    # what it says, read back as a person would read the printed page
    text = _pdf_text(raw, tmp_path)
    assert "封井后仍在用电" in text and x["well_code"] in text and "enforce" in text
    assert f"{x['figures']['kwh']}" in text and x["figures"]["sealed_on"] in text
    # the grid company's file the rows come from, by name (the demo's records have no original file to hash)
    assert "国网冠县供电公司" in text and "无原始文件" in text
    # every data row, with its row number in the original file
    basis, header, rows = screening.snapshot_rows(x, year=2025, by="enforce", tr=translator("zh"), uploads={})
    assert header[:2] == ["上传批次", "原文件行号"] and len(rows) == len(x["rows"])
    for r in x["rows"]:
        assert f"{r['row']}" in text and r["month"] in text


def test_a_suggestion_without_a_position_needs_one(with_power, power_db_path):
    demo_db_path = power_db_path
    store = with_power
    _, townships, outline = repo.current_boundaries(store)
    x = _suggestion(store, "unknown_meter")
    assert x["lon"] is None
    with pytest.raises(InputDataError) as exc:
        screening.accept(store, ENFORCER, year=2025, reason="unknown_meter", subject_=x["meter_no"],
                         townships=townships, outline=outline, evidence_dir=demo_db_path / "evidence")
    assert exc.value.code == "err.screen.no_position"
    # outside the county: refused like any lead
    with pytest.raises(InputDataError):
        screening.accept(store, ENFORCER, year=2025, reason="unknown_meter", subject_=x["meter_no"], lon=116.9,
                         lat=36.5, townships=townships, outline=outline, evidence_dir=demo_db_path / "evidence")
    code = screening.accept(store, ENFORCER, year=2025, reason="unknown_meter", subject_=x["meter_no"], lon=115.6,
                            lat=36.5, townships=townships, outline=outline, evidence_dir=demo_db_path / "evidence")
    assert repo.leads_frame(store).set_index("lead_code").at[code, "township_code"] != ""
    assert screening.decisions(store, year=2025)["decision"].tolist() == ["accepted"]


def test_dismissing_needs_a_reason_and_the_right_role(with_power):
    store = with_power
    x = _suggestion(store, "over_permit")
    with pytest.raises(InputDataError):
        screening.dismiss(store, ENFORCER, year=2025, reason="over_permit", subject_=x["well_code"], note="  ")
    with pytest.raises(PermissionDenied):
        screening.dismiss(store, LEADER, year=2025, reason="over_permit", subject_=x["well_code"], note="已核实")
    n = len(screening.queue(store, year=2025))
    screening.dismiss(store, ENFORCER, year=2025, reason="over_permit", subject_=x["well_code"],
                      note="许可水量已于 2025 年 6 月变更，台账未更新", figures=x["figures"])
    d = screening.decisions(store, year=2025).iloc[0]
    assert (d.decision, d.subject, d.decided_by, d.lead_code) == ("dismissed", x["well_code"], "enforce", "")
    assert "许可水量已于" in d.note
    assert len(screening.queue(store, year=2025)) == n - 1
    # the next year's suggestion for the same well is a new question
    assert len(repo.leads_frame(store)) == 60
    with pytest.raises(ConflictError):
        screening.dismiss(store, ENFORCER, year=2025, reason="over_permit", subject_=x["well_code"], note="again")


def test_a_suggestion_the_data_no_longer_make_cannot_be_accepted(with_power, power_db_path):
    demo_db_path = power_db_path
    store = with_power
    _, townships, outline = repo.current_boundaries(store)
    with pytest.raises(Exception) as exc:
        screening.accept(store, ENFORCER, year=2025, reason="over_permit", subject_="NO-SUCH-WELL",
                         townships=townships, outline=outline, evidence_dir=demo_db_path / "evidence")
    assert getattr(exc.value, "code", "") == "err.screen.gone"
    assert len(repo.leads_frame(store)) == 60


def test_without_any_power_records_only_the_levels_speak(store, demo_db_path):
    """A county that has not uploaded the grid company's files yet: no crash, no quota-made suggestion."""
    import sys

    from gwmap.config import PROJECT_ROOT

    found = screening.screen(store, year=2025)
    assert [(f["reason"], f.get("mw_code")) for f in found] == [("level_anomaly", PLANTED_LEVEL_ANOMALY)]
    run = subprocess.run([sys.executable, "-m", "gwmap", "screen", "--year", "2025", "--json"], cwd=PROJECT_ROOT,
                         env={"GWMAP_DATA_DIR": str(demo_db_path), "PATH": "/usr/bin:/bin"}, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert [f["mw_code"] for f in json.loads(run.stdout)] == [PLANTED_LEVEL_ANOMALY]


def test_over_permit_only_from_months_with_readings(store, monkeypatch):
    """One read month and eleven estimated by quota is no evidence (it sent farmers visits for nothing)."""
    import pandas as pd

    import gwmap.ledger

    wells = repo.wells_frame(store)
    a, b = wells[wells.permitted_m3_per_year > 0].well_code.iloc[:2]
    permit = dict(zip(wells.well_code, wells.permitted_m3_per_year, strict=True))
    rows = [(a, "2025-03", 0.5 * permit[a], "electricity")]  # half its permit in the one month read …
    rows += [(a, f"2025-{m:02d}", permit[a] / 12, "quota") for m in range(1, 13) if m != 3]  # … 1.42 × with quota
    rows += [(b, "2025-05", 0.7 * permit[b], "metered"), (b, "2025-06", 0.5 * permit[b], "metered")]  # 1.2 × read
    fake = pd.DataFrame(rows, columns=["well_code", "month", "m3", "source"])
    monkeypatch.setattr(gwmap.ledger, "monthly_ledger", lambda *args, **kw: fake.copy())
    over = {s["well_code"]: s for s in screening.screen(store, year=2025) if s["reason"] == "over_permit"}
    assert a not in over and b in over
    assert over[b]["figures"]["months_read"] == 2 and over[b]["figures"]["share"] == pytest.approx(1.2, abs=1e-3)
