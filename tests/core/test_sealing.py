"""Well sealing: the 2023 plan is met in the demo; a sealing from plan to acceptance; re-enabling needs approval."""

import io
from datetime import date

import pytest
from PIL import Image

from gwmap.errors import InputDataError, PermissionDenied
from gwmap.io.files import Attachment
from gwmap.sealing import Acceptance, accept, plan_sealing, progress, record_works, reenable
from gwmap.store import repo
from gwmap.store.users import CurrentUser
from gwmap.targets import set_targets

HYDRO = CurrentUser("hydro", "hydrologist")


def jpeg(c=(50, 60, 70)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), c).save(buf, "JPEG")
    return buf.getvalue()


def test_demo_2023_target_met(demo_store):
    p = progress(demo_store).set_index("year")
    assert p.at[2023, "target_wells"] == 14 and p.at[2023, "accepted"] == 14
    assert p.at[2023, "target_cut_m3"] == 1_150_000 and p.at[2023, "cut_m3"] >= 1_150_000
    assert p.at[2023, "wells_share"] == 1.0 and p.at[2023, "cut_share"] > 1.0
    assert p.at[2026, "accepted"] < p.at[2026, "target_wells"]  # this year's plan is still running


def _in_use_well(store):
    w = repo.wells_frame(store)
    return w[(w.status == "in_use") & (w.aquifer == "deep")].iloc[0]


def test_plan_works_acceptance(demo_store, tmp_path):
    well = _in_use_well(demo_store)
    set_targets(demo_store, HYDRO, year=2027, sealed_wells=1, cut_m3=50_000, source="2027年封井计划")
    sid = plan_sealing(demo_store, HYDRO, well_code=well.well_code, year=2027, disposition="fill")
    with pytest.raises(InputDataError) as err:
        plan_sealing(demo_store, HYDRO, well_code=well.well_code, year=2027, disposition="fill")
    assert err.value.code in ("err.sealing.already", "err.sealing.not_in_use")
    record_works(demo_store, HYDRO, sid, started_on=date(2026, 11, 1), finished_on=date(2026, 11, 5),
                 method="pressure_grouting", material="水泥浆", work_done="注浆封填 180 m", contractor="某工程公司",
                 supervisor="某监理", photos=[Attachment("封前.jpg", jpeg(), kind="before")], photo_dir=tmp_path)
    assert repo.wells_frame(demo_store).set_index("well_code").at[well.well_code, "status"] == "filled"
    rec = Acceptance(date(2026, 11, 20), "合格", "某工程公司", "某监理", "张三", "冠县水利局")
    with pytest.raises(InputDataError) as err:
        accept(demo_store, HYDRO, sid, rec, photos=[], photo_dir=tmp_path)
    assert err.value.code == "err.sealing.photos"
    with pytest.raises(InputDataError) as err:
        accept(demo_store, HYDRO, sid, Acceptance(date(2026, 11, 20), "合格", "a", "b", "", "d"),
               photos=[Attachment("封后.jpg", jpeg((1, 1, 1)), kind="after")], photo_dir=tmp_path)
    assert err.value.code == "err.sealing.signatures" and err.value.params["missing"] == "owner"
    accept(demo_store, HYDRO, sid, rec, photos=[Attachment("封后.jpg", jpeg((1, 1, 1)), kind="after")], photo_dir=tmp_path)
    p = progress(demo_store).set_index("year")
    assert p.at[2027, "accepted"] == 1 and p.at[2027, "cut_m3"] == pytest.approx(well.permitted_m3_per_year)


def test_reenable_needs_an_approved_application(demo_store):
    w = repo.wells_frame(demo_store)
    standby = w[w.status == "sealed_standby"].well_code.iloc[0]
    before = progress(demo_store)
    with pytest.raises(InputDataError) as err:
        reenable(demo_store, HYDRO, well_code=standby, approval_no=" ", approved_on=date(2026, 11, 1))
    assert err.value.code == "err.sealing.approval"
    reenable(demo_store, HYDRO, well_code=standby, approval_no="冠水审〔2026〕12号", approved_on=date(2026, 11, 1))
    assert repo.wells_frame(demo_store).set_index("well_code").at[standby, "status"] == "in_use"
    after = progress(demo_store)
    assert after.accepted.sum() == before.accepted.sum() - 1  # its cut no longer counts
    filled = w[w.status == "filled"].well_code.iloc[0]
    with pytest.raises(InputDataError):
        reenable(demo_store, HYDRO, well_code=filled, approval_no="x", approved_on=date(2026, 11, 1))


def test_enforcement_and_leaders_cannot_change_sealings(demo_store):
    for who in (CurrentUser("boss", "leader"), CurrentUser("enf", "enforcement")):
        with pytest.raises(PermissionDenied):
            set_targets(demo_store, who, year=2030, sealed_wells=1, cut_m3=1, source="plan")
