"""The abstraction ledger's data in (issue 13): the grid company's monthly kWh and water-meter readings."""

import io
import json
import subprocess
import sys

import openpyxl
import pytest
from sqlalchemy import func, select

from gwmap.abstraction import check_power, import_upload, latest_power, power_template_xlsx, read_upload
from gwmap.config import PROJECT_ROOT
from gwmap.errors import InputDataError, PermissionDenied
from gwmap.io.tables import read_table
from gwmap.store import Store, repo
from gwmap.store.models import AuditEvent, PowerRecord, PowerUpload
from gwmap.store.users import CurrentUser, system_user

HYDRO = system_user("hydro")
CSV_ZH = ("户号,电表号,年月,用电量kWh,用电类别,经度,纬度\n"
          "3700000001,372239092010,2026-03,1830,农业排灌,115.517861,36.498968\n"
          "3700000001,372239092010,2026年4月,2210.5,农业排灌,,\n"
          "3700000002,,2026/4,0,农业排灌,,\n")


@pytest.fixture
def demo(demo_db_path):
    return Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}"), demo_db_path


def _check(store, text: str, name="power.csv", encoding="utf-8", **kw):
    raw = text.encode(encoding)
    return read_upload(store, raw, name, kind="power", **kw), raw


def test_a_gbk_file_with_chinese_headers_is_read_and_stored_with_its_original(demo):
    store, data_dir = demo
    check, raw = _check(store, CSV_ZH, encoding="gbk")
    assert check.problems == () and len(check.rows) == 3
    assert check.rows["month"].tolist() == ["2026-03", "2026-04", "2026-04"]
    up = import_upload(store, HYDRO, check, source_name="国网冠县供电_2026年3-4月.csv", raw=raw,
                       uploads_dir=data_dir / "uploads")
    assert (data_dir / "uploads" / f"{check.sha256}.csv").read_bytes() == raw
    got = latest_power(store)
    got = got[got.upload_id == up]  # the demo's own records are there too
    assert got[["meter_no", "month", "kwh"]].values.tolist() == [
        ["", "2026-04", 0.0], ["372239092010", "2026-03", 1830.0], ["372239092010", "2026-04", 2210.5]]
    with store.session() as s:
        u = s.get(PowerUpload, up)
        assert (u.first_month, u.last_month, u.rows, u.created_by) == ("2026-03", "2026-04", 3, "hydro")
        audited = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.table_name == "power_records", AuditEvent.actor == "hydro"))
    assert audited == 3


def test_english_headers_in_an_excel_file(demo):
    store, _ = demo
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["account", "meter_no", "month", "kwh", "use_class", "lon", "lat"])
    ws.append(["3700000009", "M-9", "2025-12", 512, "agricultural", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    check = read_upload(store, buf.getvalue(), "power.xlsx", kind="power")
    assert check.problems == () and check.rows.iloc[0][["meter_no", "month", "kwh"]].tolist() == ["M-9", "2025-12", 512]


def test_the_template_reads_back_clean(demo):
    store, _ = demo
    check = read_upload(store, power_template_xlsx(), "模板.xlsx", kind="power")
    assert check.problems == () and len(check.rows) == 1


def test_every_problem_is_named_with_its_row_and_nothing_is_stored(demo):
    store, data_dir = demo
    text = ("户号,电表号,年月,用电量kWh,用电类别,经度,纬度\n"
            ",,2026-03,10,,,\n"                                 # 2: no account, no meter
            "A1,M1,2026-13,10,,,\n"                             # 3: month 13
            "A1,M1,2099-01,10,,,\n"                             # 4: future
            "A1,M1,2026-01,n/a,,,\n"                            # 5: not a number
            "A1,M1,2026-02,-5,,,\n"                             # 6: negative
            "A1,M1,2026-03,9e9,,,\n"                            # 7: impossible
            "A1,M1,2026-04,10,,36.5,115.5\n"                    # 8: swapped
            "A1,M1,2026-05,10,,120.0,30.0\n"                    # 9: outside the county
            "A1,M1,2026-06,10,,115.5,\n"                        # 10: half a position
            "A1,M1,2026-07,10,,,\n"                             # 11: fine
            "A1,M1,2026-07,12,,,\n")                            # 12: same meter and month as 11
    check, raw = _check(store, text)
    found = {(p.row, p.code) for p in check.problems}
    assert found == {(2, "err.power.no_meter"), (3, "err.power.month"), (4, "err.power.month_range"),
                     (5, "err.power.kwh"), (6, "err.power.kwh_negative"), (7, "err.power.kwh_large"),
                     (8, "err.power.swapped"), (9, "err.power.outside"), (10, "err.power.half_position"),
                     (12, "err.power.duplicate")}
    assert next(p for p in check.problems if p.row == 12).params == {"first": 11}
    with pytest.raises(InputDataError) as err:
        import_upload(store, HYDRO, check, source_name="bad.csv", raw=raw, uploads_dir=data_dir / "uploads")
    assert err.value.code == "err.power.has_errors" and err.value.params["count"] == 10
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(PowerUpload).where(PowerUpload.source_name == "bad.csv")) == 0
    assert not (data_dir / "uploads").exists() or not list((data_dir / "uploads").glob(f"{check.sha256}*"))


def test_missing_columns_say_which_and_what_the_template_has(demo):
    store, _ = demo
    with pytest.raises(InputDataError) as err:
        _check(store, "户号,用量\nA1,10\n")
    assert err.value.code == "err.power.no_column" and "年月" in err.value.params["columns"]
    assert "用电量kWh" in err.value.params["columns"] and "用量" in err.value.params["found"]


def test_a_later_upload_supersedes_a_month_and_keeps_the_earlier_figures(demo):
    store, data_dir = demo
    first, raw1 = _check(store, CSV_ZH)
    import_upload(store, HYDRO, first, source_name="a.csv", raw=raw1, uploads_dir=data_dir / "uploads")
    fix = "电表号,年月,用电量kWh\n372239092010,2026-03,1900\n"
    second, raw2 = _check(store, fix)
    up2 = import_upload(store, HYDRO, second, source_name="b.csv", raw=raw2, uploads_dir=data_dir / "uploads")
    got = latest_power(store).set_index(["meter_no", "month"])
    assert got.loc[("372239092010", "2026-03"), "kwh"] == 1900 and got.loc[("372239092010", "2026-03"), "upload_id"] == up2
    assert got.loc[("372239092010", "2026-04"), "kwh"] == 2210.5  # a month not in the new file stays
    with store.session() as s:  # nothing deleted: both files' records are stored
        assert s.scalar(select(func.count()).select_from(PowerRecord).where(PowerRecord.upload_id >= up2 - 1)) == 4


def test_only_hydrologists_and_admins_import_and_a_refusal_is_audited(demo):
    store, data_dir = demo
    check, raw = _check(store, CSV_ZH)
    with pytest.raises(PermissionDenied):
        import_upload(store, CurrentUser("leader", "leader", "局领导"), check, source_name="a.csv", raw=raw,
                      uploads_dir=data_dir / "uploads")
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(PowerUpload).where(PowerUpload.source_name == "a.csv")) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "denied",
                                                                           AuditEvent.actor == "leader")) >= 1


def test_water_meter_readings_known_wells_and_readings_that_never_fall(demo):
    store, data_dir = demo
    code = repo.wells_frame(store).query("metering == 'water_meter'").well_code.iloc[0]
    text = (f"机井编号,抄表日期,读数m3\n{code},2026-01-31,1000\n{code},2026-02-28,1400\n{code},2026-03-31,1300\n"
            f"NOPE,2026-03-31,5\n{code},2026-02-30,5\n")
    raw = text.encode()
    check = read_upload(store, raw, "meters.csv", kind="meter")
    assert {(p.row, p.code) for p in check.problems} == {
        (4, "err.meter.goes_down"), (5, "err.meter.unknown_well"), (6, "err.meter.date")}
    good = f"机井编号,抄表日期,读数m3\n{code},2026-01-31,1000\n{code},2026-02-28,1400\n".encode()
    check = read_upload(store, good, "meters.csv", kind="meter")
    assert check.problems == ()
    import_upload(store, HYDRO, check, source_name="meters.csv", raw=good, uploads_dir=data_dir / "uploads")


def test_a_replaced_meter_and_readings_checked_against_the_last_upload(demo):
    from gwmap.abstraction import kept_readings
    from gwmap.ledger import _metered_monthly

    store, data_dir = demo
    code = repo.wells_frame(store).query("metering == 'water_meter'").well_code.iloc[0]

    def upload(text):
        raw = text.encode("gbk")
        check = read_upload(store, raw, "meters.csv", kind="meter")
        if not check.problems:
            import_upload(store, HYDRO, check, source_name="meters.csv", raw=raw, uploads_dir=data_dir / "uploads")
        return check

    assert upload(f"机井编号,抄表日期,读数m3\n{code},2026-01-31,1000\n{code},2026-02-28,1400\n").problems == ()
    # next quarter's file, one reading: lower than the kept 1400, so refused (it was accepted file by file)
    check = upload(f"机井编号,抄表日期,读数m3\n{code},2026-03-31,20\n")
    assert [(p.row, p.column, p.code) for p in check.problems] == [(2, "读数m3", "err.meter.goes_down")]
    # the meter was replaced on 31 March: the old one ended at 1500, the new one starts at 20
    head = "机井编号,抄表日期,读数m3,旧表止码m3\n"
    check = upload(head + f"{code},2026-03-31,20,1300\n")  # an old meter's end below its last reading
    assert [(p.row, p.column, p.value, p.code) for p in check.problems] == [(2, "旧表止码m3", "1300",
                                                                             "err.meter.goes_down")]
    assert upload(head + f"{code},2026-03-31,20,1500\n").problems == ()
    assert upload(head + f"{code},2026-04-30,80,\n").problems == ()
    m = _metered_monthly(kept_readings(store)).query("well_code == @code").set_index("month")["m3"]
    # February 400 m³, March 1500 − 1400 = 100 on the old meter, April 80 − 20 = 60 on the new one
    assert m.round(6).to_dict() == {"2026-02": 400.0, "2026-03": 100.0, "2026-04": 60.0}


def test_month_cells_people_write(demo):
    store, _ = demo
    import pandas as pd

    from gwmap.io.checks import month_cells

    got = month_cells(pd.Series(["2026-03", "2026/3", "2026.03", "2026年3月", "202603", "2026-03-15", "2026-3月",
                             "03/2026", "", "2026-00"]))
    assert got.tolist()[:7] == ["2026-03"] * 7 and got.iloc[7:].isna().all()


def test_the_command_line_reports_problems_with_exit_2_and_stores_a_clean_file(demo, tmp_path):
    store, data_dir = demo
    env = {"GWMAP_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "GWMAP_LANG": "zh"}
    bad = tmp_path / "bad.csv"
    bad.write_bytes("电表号,年月,用电量kWh\nM1,2026-03,abc\n".encode("gbk"))
    run = subprocess.run([sys.executable, "-m", "gwmap", "import-power", str(bad), "--json"], cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    out = json.loads(run.stdout)
    assert out["upload_id"] is None and out["problems"][0]["row"] == 2
    assert "用电量不是数字" in out["problems"][0]["message"]
    good = tmp_path / "good.csv"
    good.write_bytes(CSV_ZH.encode("gbk"))
    run = subprocess.run([sys.executable, "-m", "gwmap", "import-power", str(good), "--json"], cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    up = json.loads(run.stdout)["upload_id"]
    assert up >= 1 and (latest_power(store)["upload_id"] == up).sum() == 3
    assert "Traceback" not in run.stderr


def test_read_table_reads_the_gbk_template_headers():
    df, enc = read_table(CSV_ZH.encode("gbk"), "x.csv")
    assert enc == "GBK" and list(df.columns)[:4] == ["户号", "电表号", "年月", "用电量kWh"]
    check = check_power(df)
    assert check.problems == ()


def test_verify_checks_the_kept_original_of_an_upload(demo):
    from gwmap.store.verify import verify

    store, data_dir = demo
    check, raw = _check(store, CSV_ZH)
    import_upload(store, HYDRO, check, source_name="a.csv", raw=raw, uploads_dir=data_dir / "uploads")
    assert verify(store, data_dir).ok
    (data_dir / "uploads" / f"{check.sha256}.csv").write_bytes(raw.replace(b"1830", b"183"))
    report = verify(store, data_dir)
    assert [(p["table"], p["problem"]) for p in report.file_problems] == [("power_uploads", "file_changed")]
