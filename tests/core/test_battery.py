"""The hostile-input battery: every attempt ends in a clear refusal or a sane record, never a crash,
never nonsense stored, never a half-done write.

Each case calls the core as a page or the command line would, with input a
careless or hostile user sends.  For each case the test checks:

* crash: anything but a :class:`GwmapError` escaping is a failure;
* partial write: a refused attempt leaves every table and the audit trail as they were;
* nonsense stored: after an accepted attempt every stored record still passes
  :func:`gwmap.store.validate.check_record`, and the audit chain verifies.

and a refusal carries the message code the case names (for a checked file, one of the problems listed):
a refusal for another reason (a missing column, figures that already exist) does not count.
``python -m pytest tests/core/test_battery.py`` prints the counts at the end (``tests/conftest.py``).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Polygon, box, mapping
from sqlalchemy import func, select

from gwmap import boundaries, clock
from gwmap.errors import GwmapError
from gwmap.store import repo
from gwmap.store.models import AuditEvent, Base
from gwmap.store.users import CurrentUser
from gwmap.store.validate import check_record
from gwmap.store.verify import verify

HYDRO = CurrentUser("hydro", "hydrologist")
ENF = CurrentUser("enforce", "enforcement")
ADMIN = CurrentUser("admin", "admin")

NUL, RLO = "\x00", "\u202e"
BAD_NUMBERS = [float("nan"), float("inf"), -float("inf"), 1e9, -1e9]
BAD_DATES = ["46299x", "2026-02-30", "0000-01-01", "9999-12-31", "", "n/a", "2026-13-01", "10/04/2026", "1e9", "-1",
             "２０２６-１０-０４", "2026-10-04; DROP TABLE wells", "\x00", "99999-01-01"]


@dataclass(frozen=True)
class Case:
    name: str
    run: object  # (store, ctx) -> None
    expect: str = "refuse"  # or "accept"
    #: The message code the refusal must carry (for a checked file: one of the problems it lists).
    code: str = ""


class Listed(Exception):
    """A checked file that was not imported: the problems its check listed, by message code."""

    def __init__(self, problems) -> None:  # noqa: ANN001
        self.codes = {p.code for p in problems}
        super().__init__(", ".join(sorted(self.codes)))


def _ctx(store, tmp):
    _, tw, outline = repo.current_boundaries(store)
    return {"tw": tw, "outline": outline, "tmp": tmp}


# --- surveys -------------------------------------------------------------------------------------

def _survey(rows, *, year=2026, season="autumn", value_kind="depth", unit="m"):
    def run(store, ctx):
        from gwmap.io.tables import read_table
        from gwmap.surveys import SurveyMapping, check_survey, import_survey

        csv = "井编号,测量日期,埋深(m),经度,纬度\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)
        df, _ = read_table(csv.encode("utf-8"), "统测.csv")
        mapping = SurveyMapping(well="井编号", date="测量日期", value="埋深(m)", value_kind=value_kind, unit=unit,
                                lon="经度", lat="纬度")
        wells = repo.monitoring_wells_frame(store)
        check = check_survey(df, mapping, wells=wells, outline=ctx["outline"])
        if check.errors:
            raise Listed(check.errors)
        import_survey(store, HYDRO, check, year=year, season=season, source_name="统测.csv", raw=csv.encode(),
                      uploads_dir=ctx["tmp"] / "uploads", add_new_wells=True)
    return run


def _show(v) -> str:  # noqa: ANN001
    """A value as a case's name shows it: a long run of one character as 'X'×40."""
    if isinstance(v, str) and len(v) > 20 and len(set(v)) == 1:
        return f"{v[0]!r}×{len(v)}"
    return repr(v)


def _mw(store):
    return repo.monitoring_wells_frame(store).mw_code.iloc[0]


def _survey_cases():
    cases = []
    for d in BAD_DATES:
        cases.append(Case(f"survey date {d!r}", lambda s, c, d=d: _survey([(_mw(s), d, 12.5, "", "")])(s, c)))
    for d in ("2026年10月4日", "二〇二六年十月四日", "2026/10/4", "46299", "20261004"):
        cases.append(Case(f"survey date {d!r} is read", lambda s, c, d=d: _survey([(_mw(s), d, 12.5, "", "")])(s, c),
                          "accept"))
    for v in ("n/a", "", "inf", "nan", "-inf", "1e9", "-50", '"12,5m"', NUL, "0x10"):  # a comma: quoted, one cell
        cases.append(Case(f"survey value {v!r}", lambda s, c, v=v: _survey([(_mw(s), "2026-10-04", v, "", "")])(s, c)))
    cases.append(Case("survey value '-5' (a flowing well, kept with a notice)",
                      lambda s, c: _survey([(_mw(s), "2026-10-04", "-5", "", "")])(s, c), "accept"))
    for code in (NUL, "MW" + RLO + "01", "X" * 40, "   "):
        cases.append(Case(f"survey new well code {_show(code)}",
                          lambda s, c, code=code: _survey([(code, "2026-10-04", 12.5, 115.5, 36.5)])(s, c)))
    for lon, lat in ((1e9, 36.5), (0, 0), (36.5, 115.5), (float("nan"), 36.5), (115.5, float("inf"))):
        cases.append(Case(f"survey new well at {lon}, {lat}",
                          lambda s, c, lon=lon, lat=lat: _survey([("NEW-1", "2026-10-04", 12.5, lon, lat)])(s, c)))
    for year in (99999, -1, 0, 1850):
        cases.append(Case(f"survey year {year}",
                          lambda s, c, year=year: _survey([(_mw(s), "2025-10-04", 12.5, "", "")], year=year)(s, c)))
    cases.append(Case("survey season 'winter'",
                      lambda s, c: _survey([(_mw(s), "2025-10-04", 12.5, "", "")], season="winter")(s, c)))
    cases.append(Case("survey unit 'furlong'",
                      lambda s, c: _survey([(_mw(s), "2025-10-04", 12.5, "", "")], unit="furlong")(s, c)))
    return cases


# --- tables ------------------------------------------------------------------------------------------

def _table(data: bytes, name: str):
    def run(store, ctx):
        from gwmap.io.tables import read_table

        read_table(data, name)
    return run


def _xlsx_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<x/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (400 * 2**20))
    return buf.getvalue()


def _table_cases():
    big = ("a,b\n" + "1,2\n" * 150_000).encode()
    return [
        Case("table empty", _table(b"", "a.csv")),
        Case("table binary", _table(bytes(range(256)) * 50, "a.csv")),
        Case("table header only", _table(b"well,date,value\n", "a.csv")),
        Case("table unknown format", _table(b"MZ\x90\x00", "a.exe")),
        Case("xlsx not a zip", _table(b"not a zip", "a.xlsx")),
        Case("xlsx zip bomb", _table(_xlsx_bomb(), "a.xlsx")),
        Case("xlsx truncated", _table(_xlsx_bomb()[:4000], "a.xlsx")),
        Case("csv 150,000 rows", _table(big, "a.csv")),
        Case("csv 60 MB", _table(b"a\n" + b"1\n" * (30 * 2**20), "a.csv")),
        Case("csv unbalanced quotes", _table(b'a,b\n"1,2\n3,4\n', "a.csv")),
    ]


# --- registry ------------------------------------------------------------------------------------

def _registry(**changes):
    def run(store, ctx):
        from gwmap.io.tables import read_table
        from gwmap.registry import check_registry, import_registry, registry_xlsx

        wells = repo.wells_frame(store).head(3).copy()
        row = wells.index[0]
        for k, v in changes.items():
            wells[k] = wells[k].astype(object)
            wells.loc[row, k] = v
        df, _ = read_table(registry_xlsx(wells), "台账.xlsx")
        check = check_registry(df, townships=ctx["tw"], outline=ctx["outline"])
        if not check.clean:
            raise Listed(check.problems)
        import_registry(store, HYDRO, check)
    return run


def _registry_cases():
    cases = []
    for k, v in [("depth_m", "inf"), ("depth_m", "-inf"), ("depth_m", math.inf), ("depth_m", -5), ("year_drilled", 99999),
                 ("year_drilled", 1066), ("lon", 1e9), ("lon", 0), ("lat", 0), ("lon", 36.5),
                 ("well_code", "W" + NUL), ("well_code", "W" + RLO + "1"), ("well_code", "W" * 40), ("owner", "O" * 200),
                 ("owner", "张" + RLO + "三"), ("permitted_m3_per_year", -100), ("permitted_m3_per_year", math.inf),
                 ("permit_valid_to", "2026-02-30"), ("permit_valid_to", "9999-12-31"), ("permit_valid_from", "0000-01-01"),
                 ("casing_diameter_mm", -1), ("status", "坏了"), ("name", "=cmd|' /C calc'!A0")]:
        expect = "accept" if k == "name" else "refuse"  # a formula-like name is stored as text, exported neutralised
        cases.append(Case(f"registry {k}={_show(v)}", _registry(**{k: v}), expect))
    cases.append(Case("registry owner with <script> is stored as text", _registry(owner="<script>alert(1)</script>"),
                      "accept"))
    # seen: a re-import with 电能表编号 and a blank 计量方式 showed "出现了意外错误" (NOT NULL wells.metering)
    cases.append(Case("registry re-import: power meter, blank metering", _registry(metering="", power_meter_no="99887766"),
                      "accept"))
    cases.append(Case("registry re-import: no power meter, blank metering", _registry(metering="", power_meter_no=""),
                      "accept"))
    return cases


def _update(**changes):
    def run(store, ctx):
        from gwmap.registry import update_well

        update_well(store, HYDRO, repo.wells_frame(store).well_code.iloc[0], **changes)
    return run


def _update_cases():
    return [Case(f"edit well {k}={_show(v)}", _update(**{k: v})) for k, v in [
        ("owner", NUL), ("owner", "a" + RLO + "b"), ("owner", "x" * 500), ("permitted_m3_per_year", "inf"),
        ("permitted_m3_per_year", math.inf), ("permitted_m3_per_year", -1), ("status", "gone"), ("lon", 200.0),
        ("permit_no", "P" * 100)]] + [
        Case("edit well volume NaN clears it (a blank cell)", _update(permitted_m3_per_year=math.nan), "accept")]


# --- leads ----------------------------------------------------------------------------------------

def _lead(lon=115.5, lat=36.5, source="patrol", description="现场发现疑似新打机井", gcj02=False):
    def run(store, ctx):
        from gwmap.cases import register_lead

        register_lead(store, ENF, lon=lon, lat=lat, source=source, description=description, townships=ctx["tw"],
                      outline=ctx["outline"], gcj02=gcj02)
    return run


def _step(to_stage="inspected", *, deadline=None, files=(), lon=None, lat=None, stage="registered", note="核查"):
    def run(store, ctx):
        from gwmap.cases import advance
        from gwmap.io.files import Attachment

        leads = repo.leads_frame(store)
        code = leads[leads["stage"] == stage].lead_code.iloc[0]
        advance(store, ENF, code, to_stage, note=note, deadline=deadline, evidence_dir=ctx["tmp"] / "evidence",
                evidence=[Attachment(n, d, lon, lat) for n, d in files], lon=lon, lat=lat)
    return run


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _lead_cases():
    today = clock.today()
    cases = [Case(f"lead at {lon}, {lat}", _lead(lon, lat)) for lon, lat in
             [(math.nan, 36.5), (115.5, math.inf), (1e9, 1e9), (0, 0), (36.5, 115.5), (116.9, 36.5), (-115.5, 36.5)]]
    cases += [
        Case("lead source 'rumour'", _lead(source="rumour")),
        Case("lead empty description", _lead(description="   ")),
        Case("lead description with NUL", _lead(description="发现" + NUL)),
        Case("lead description with RLO", _lead(description="发现" + RLO + "机井")),
        Case("lead description 100,000 characters is cut to 2,000", _lead(description="井" * 100_000), "accept"),
        Case("lead markdown image in description is stored as text", _lead(description="![x](http://evil.example/p.png)"),
             "accept"),
        Case("step deadline 9999-12-31", _step("rectifying", deadline=date(9999, 12, 31), stage="confirmed")),
        Case("step deadline in the past", _step("rectifying", deadline=today - timedelta(days=1), stage="confirmed")),
        Case("step deadline today", _step("rectifying", deadline=today, stage="confirmed")),
        Case("step deadline in 30 days", _step("rectifying", deadline=today + timedelta(days=30), stage="confirmed"),
             "accept"),
        Case("step out of order", _step("closed")),
        Case("step unknown stage", _step("teleported")),
        Case("evidence .exe renamed .jpg", _step(files=[("a.jpg", b"MZ\x90\x00" * 100)])),
        Case("evidence empty", _step(files=[("a.jpg", b"")])),
        Case("evidence 60 MB", _step(files=[("a.jpg", b"\xff\xd8\xff" + b"0" * (60 * 2**20))])),
        Case("evidence GPS 1e9", _step(files=[("a.jpg", _jpeg())], lon=1e9, lat=1e9)),
        Case("evidence GPS NaN", _step(files=[("a.jpg", _jpeg())], lon=math.nan, lat=36.5)),
        Case("evidence GPS 0,0", _step(files=[("a.jpg", _jpeg())], lon=0.0, lat=0.0)),
        Case("evidence file name with NUL", _step(files=[("a\x00.jpg", _jpeg())])),
        Case("step note with RLO", _step(note="整改" + RLO + "完成")),
        Case("evidence photo with a typed position", _step(files=[("现场.jpg", _jpeg())], lon=115.5, lat=36.5), "accept"),
    ]
    return cases


# --- sealing --------------------------------------------------------------------------------------

def _works(started=None, finished=None, method=None, contractor="冠县水利工程队", photo=True):
    def run(store, ctx):
        from gwmap.io.files import Attachment
        from gwmap.sealing import METHODS, record_works

        seal = repo.sealings_frame(store)
        sid = int(seal[seal.stage == "planned"].id.iloc[0])
        today = clock.today()
        record_works(store, HYDRO, sid, started_on=started or today - timedelta(days=3),
                     finished_on=finished or today - timedelta(days=1), method=method or METHODS[0], material="黏土",
                     work_done="拆除泵管，回填", contractor=contractor, supervisor="监理甲",
                     photos=[Attachment("前.jpg", _jpeg(), kind="before")] if photo else [], photo_dir=ctx["tmp"] / "photos")
    return run


def _acceptance(accepted=None, signer="县水务局"):
    def run(store, ctx):
        from gwmap.io.files import Attachment
        from gwmap.sealing import Acceptance, accept

        seal = repo.sealings_frame(store)
        sid = int(seal[seal.stage == "works_done"].id.iloc[0]) if (seal.stage == "works_done").any() else None
        if sid is None:
            _works()(store, ctx)
            seal = repo.sealings_frame(store)
            sid = int(seal[seal.stage == "works_done"].id.iloc[0])
        accept(store, HYDRO, sid, Acceptance(accepted or clock.today(), "合格", "施工方", "监理方", "井主", signer),
               photos=[Attachment("后.jpg", _jpeg(), kind="after"), Attachment("前.jpg", _jpeg(), kind="before")],
               photo_dir=ctx["tmp"] / "photos")
    return run


def _sealing_cases():
    today = clock.today()
    return [
        Case("works finishing 9999-12-31", _works(finished=date(9999, 12, 31))),
        Case("works started year 1", _works(started=date(1, 1, 1))),
        Case("works finishing before they start", _works(started=today, finished=today - timedelta(days=5))),
        Case("works with an unknown method", _works(method="dynamite")),
        Case("works contractor with NUL", _works(contractor="工程队" + NUL)),
        Case("works contractor with RLO", _works(contractor="工程" + RLO + "队")),
        Case("works recorded properly", _works(), "accept"),
        Case("acceptance in the future", _acceptance(accepted=today + timedelta(days=30))),
        Case("acceptance signed with RLO", _acceptance(signer="水务" + RLO + "局")),
        Case("acceptance unsigned", _acceptance(signer="  ")),
        Case("acceptance proper", _acceptance(), "accept"),
    ]


# --- targets, plans, accounts -------------------------------------------------------------------

def _reclaimed(year=2027, use="industry", treated=1e6, used=5e5):
    """The year's figures; 2027 has none in the demo, so each case reaches the check it names."""
    def run(store, ctx):
        from gwmap.targets import set_reclaimed

        set_reclaimed(store, HYDRO, year=year, use=use, sewage_treated_m3=treated, reclaimed_used_m3=used)
    return run


def _plan(year=2027, wells=10, cut=1e5):
    def run(store, ctx):
        from gwmap.targets import set_targets

        set_targets(store, HYDRO, year=year, sealed_wells=wells, cut_m3=cut, source="年度封井计划")
    return run


def _user(username="zhao", password="Dz-xuncha-2026", role="enforcement", display_name=""):
    def run(store, ctx):
        from gwmap.store.users import create_user

        create_user(store, ADMIN, username=username, password=password, role=role, display_name=display_name)
    return run


def _other_cases():
    return [
        Case("reclaimed used above treated", _reclaimed(used=2e6)),
        Case("reclaimed NaN", _reclaimed(treated=math.nan)),
        Case("reclaimed inf", _reclaimed(used=math.inf)),
        Case("reclaimed negative", _reclaimed(treated=-1)),
        Case("reclaimed year 99999", _reclaimed(year=99999)),
        Case("reclaimed unknown use", _reclaimed(use="swimming")),
        Case("reclaimed sane figures for a new year", _reclaimed(), "accept"),
        Case("reclaimed figures over a year that has some", _reclaimed(year=2026)),
        Case("plan year 99999", _plan(year=99999)),
        Case("plan negative wells", _plan(wells=-3)),
        Case("plan NaN cut", _plan(cut=math.nan)),
        Case("plan inf cut", _plan(cut=math.inf)),
        Case("plan 2027", _plan(), "accept"),
        Case("user name with NUL", _user(username="zh\x00ao")),
        Case("user name with RLO", _user(username="zh" + RLO + "ao")),
        Case("user name 65 characters", _user(username="z" * 65)),
        Case("user display name 500 characters", _user(display_name="名" * 500)),
        Case("user password 123456789012", _user(password="123456789012")),
        Case("user password common", _user(password="password123")),
        Case("user password like the name", _user(username="wangwei", password="Wangwei2026")),
        Case("admin password of 9 characters", _user(role="admin", password="Xy-2026-a")),
        Case("user role 'king'", _user(role="king")),
        Case("user sane", _user(), "accept"),
    ]


# --- boundaries and roads ------------------------------------------------------------------------

def _geojson(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom)} for geom, props in features]}).encode()


def _boundary(data: bytes, name="t.geojson", crs=None):
    def run(store, ctx):
        boundaries.import_boundary_file(store, ADMIN, data, name, crs=crs, name_field="name", code_field="code")
    return run


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    return buf.getvalue()


def _lying_zip() -> bytes:
    """A shapefile zip whose central directory says the .dbf holds 10 bytes; it holds 2 MB."""
    raw = bytearray(_zip({"a.shp": b"\x00" * 100, "a.shx": b"\x00" * 100, "a.dbf": b"\x03" + b"A" * 2_000_000}))
    pos = raw.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = int.from_bytes(raw[pos + 28:pos + 30], "little")
        if raw[pos + 46:pos + 46 + name_len] == b"a.dbf":
            raw[pos + 24:pos + 28] = (10).to_bytes(4, "little")
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return bytes(raw)


def _roads(data: bytes, name: str):
    def run(store, ctx):
        from gwmap.dispatch import day_targets, plan_day
        from gwmap.io.boundaries import read_boundary_file

        read = read_boundary_file(data, name)
        lines = read.gdf[read.gdf.geometry.geom_type.isin(["LineString", "MultiLineString"])]
        plan_day(day_targets(store).head(5), roads=lines, teams=1, time_limit_s=1)
    return run


def _boundary_cases():
    world = box(-180, -85, 180, 85)
    tiny = box(115.5, 36.5, 115.50001, 36.50001)
    county = gpd.read_file(Path(__file__).resolve().parents[2] / "data" / "boundaries" / "townships.geojson")
    parts = [(g, {"name": n, "code": c}) for g, n, c in zip(county.geometry, county["name"], county["code"], strict=True)]
    zigzag = LineString([(115.3 + 0.6 * i / 1_000_000, 36.4 + (0.001 if i % 2 else 0)) for i in range(1_000_000)])
    return [
        Case("boundary world polygon", _boundary(_geojson([(world, {"name": "世界", "code": "1"})]))),
        Case("boundary 1 m² township", _boundary(_geojson(parts[1:] + [(tiny, {"name": "针尖镇", "code": "9"})]))),
        Case("boundary zero-area ring A,B,A",
             _boundary(_geojson([(Polygon([(115.5, 36.5), (115.6, 36.5), (115.5, 36.5)]), {"name": "零", "code": "0"})]))),
        Case("boundary points only", _boundary(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "a", "code": "1"},
             "geometry": {"type": "Point", "coordinates": [115.5, 36.5]}}]}).encode())),
        Case("boundary empty collection", _boundary(b'{"type": "FeatureCollection", "features": []}')),
        Case("boundary not JSON", _boundary(b"{not json")),
        Case("boundary name with RLO", _boundary(_geojson([(g, {"name": p["name"] + RLO, "code": p["code"]})
                                                           for g, p in parts]))),
        Case("boundary code 100 characters", _boundary(_geojson([(g, {"name": p["name"], "code": "9" * 100})
                                                                 for g, p in parts]))),
        Case("boundary zip slip", _boundary(_zip({"../../evil.shp": b"x", "a.shx": b"x", "a.dbf": b"x"}), "a.zip")),
        Case("boundary zip with lying member size", _boundary(_lying_zip(), "a.zip")),
        Case("boundary zip without .shp", _boundary(_zip({"readme.txt": b"hi"}), "a.zip")),
        Case("boundary real demo townships", _boundary(_geojson(parts)), "accept"),
        Case("roads zip with lying member size", _roads(_lying_zip(), "roads.zip")),
        Case("roads one line of 1,000,000 vertices", _roads(_geojson([(zigzag, {"name": "路"})]), "roads.geojson")),
        Case("roads not a zip", _roads(b"PK\x03\x04garbage", "roads.zip")),
    ]


# --- command line on plain files ------------------------------------------------------------------

def _cli(args: list[str], files: dict[str, str]):
    def run(store, ctx):
        import contextlib
        import re

        from gwmap.cli import main

        for name, text in files.items():
            (ctx["tmp"] / name).write_text(text, encoding="utf-8")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main([a.replace("TMP", str(ctx["tmp"])) for a in args])
        if code == 2:  # the command printed its refusal: "错误 / error [code]: message"
            said = re.search(r"\[([\w.]+)\]", err.getvalue())
            raise GwmapError(said.group(1) if said else "", err.getvalue())
        if code != 0:
            raise RuntimeError(f"exit {code}")
    return run


def _cli_cases():
    blank = "lon,lat,depth\n115.5,36.5,12\n115.6,36.4,\n115.4,36.6,n/a\n115.45,36.45,abc\n115.55,36.55,14\n"
    good = "lon,lat,depth\n" + "".join(f"{115.3 + 0.05 * i},{36.4 + 0.04 * (i % 5)},{10 + i % 7}\n" for i in range(20))
    pts = "id,lon,lat\nA,115.5,36.5\nB,115.6,36.4\nC,115.4,36.6\n"
    surf = ["surface", "TMP/p.csv", "--value", "depth", "--method", "idw", "--cell", "500", "--out", "TMP/s.tif"]
    return [
        Case("cli surface with blank, n/a and text cells (2 usable)", _cli(surf, {"p.csv": blank})),
        Case("cli surface on good points", _cli(surf, {"p.csv": good}), "accept"),
        Case("cli surface, missing file", _cli(["surface", "TMP/none.csv", "--value", "d", "--out", "TMP/s.tif"], {})),
        Case("cli surface, no such column", _cli(surf[:3] + ["zzz"] + surf[4:], {"p.csv": good})),
        Case("cli cone with a NaN threshold", _cli(["cone", "TMP/p.csv", "--value", "depth", "--kind", "depth",
                                                    "--threshold", "nan", "--method", "idw", "--cell", "500"],
                                                   {"p.csv": good})),
        Case("cli route --hours -1", _cli(["route", "TMP/r.csv", "--hours", "-1"], {"r.csv": pts})),
        Case("cli route --speed 0", _cli(["route", "TMP/r.csv", "--speed", "0"], {"r.csv": pts})),
        Case("cli route --service -5", _cli(["route", "TMP/r.csv", "--service", "-5"], {"r.csv": pts})),
        Case("cli route --hours inf", _cli(["route", "TMP/r.csv", "--hours", "inf"], {"r.csv": pts})),
        Case("cli route --teams 0", _cli(["route", "TMP/r.csv", "--teams", "0"], {"r.csv": pts})),
        Case("cli route with coordinates as text", _cli(["route", "TMP/r.csv"], {"r.csv": "id,lon,lat\nA,x,y\nB,1,2\n"})),
        Case("cli route on three points", _cli(["route", "TMP/r.csv", "--time-limit", "1"], {"r.csv": pts}), "accept"),
    ]


#: The message code each refusal must carry (one of the problems a checked file lists). A case that is
#: refused for another reason than the one it names fails.
CODES = {
    'cli surface with blank, n/a and text cells (2 usable)': 'err.surface.too_few',
    'cli surface, missing file': 'err.file.missing',
    'cli surface, no such column': 'err.surface.no_column',
    'cli cone with a NaN threshold': 'err.cone.threshold',
    'cli route --hours -1': 'err.route.positive',
    'cli route --speed 0': 'err.route.positive',
    'cli route --service -5': 'err.route.positive',
    'cli route --hours inf': 'err.route.positive',
    'cli route --teams 0': 'err.route.teams',
    'cli route with coordinates as text': 'err.table.bad_coords',
    "survey date '46299x'": 'err.survey.bad_date',
    "survey date '2026-02-30'": 'err.survey.bad_date',
    "survey date '0000-01-01'": 'err.survey.bad_date',
    "survey date '9999-12-31'": 'err.survey.bad_date',
    "survey date ''": 'err.survey.bad_date',
    "survey date 'n/a'": 'err.survey.bad_date',
    "survey date '2026-13-01'": 'err.survey.bad_date',
    "survey date '10/04/2026'": 'err.survey.bad_date',
    "survey date '1e9'": 'err.survey.bad_date',
    "survey date '-1'": 'err.survey.bad_date',
    "survey date '２０２６-１０-０４'": 'err.survey.bad_date',
    "survey date '2026-10-04; DROP TABLE wells'": 'err.survey.bad_date',
    "survey date '\\x00'": 'err.survey.bad_date',
    "survey date '99999-01-01'": 'err.survey.bad_date',
    "survey value 'n/a'": 'err.survey.not_number',
    "survey value ''": 'err.survey.not_number',
    "survey value 'inf'": 'err.survey.impossible',
    "survey value 'nan'": 'err.survey.not_number',
    "survey value '-inf'": 'err.survey.impossible',
    "survey value '1e9'": 'err.survey.impossible',
    "survey value '-50'": 'err.survey.impossible',
    'survey value \'"12,5m"\'': 'err.survey.not_number',
    "survey value '\\x00'": 'err.survey.not_number',
    "survey value '0x10'": 'err.survey.not_number',
    "survey new well code '\\x00'": 'err.value.control',
    "survey new well code 'MW\\u202e01'": 'err.value.control',
    "survey new well code 'X'×40": 'err.value.too_long',
    "survey new well code '   '": 'err.survey.no_well',
    'survey new well at 1000000000.0, 36.5': 'err.survey.outside',
    'survey new well at 0, 0': 'err.survey.outside',
    'survey new well at 36.5, 115.5': 'err.survey.outside',
    'survey new well at nan, 36.5': 'err.survey.unknown_well',
    'survey new well at 115.5, inf': 'err.survey.outside',
    'survey year 99999': 'err.value.year',
    'survey year -1': 'err.value.year',
    'survey year 0': 'err.value.year',
    'survey year 1850': 'err.value.year',
    "survey season 'winter'": 'err.survey.season',
    "survey unit 'furlong'": 'err.survey.unit',
    'table empty': 'err.upload.empty',
    'table binary': 'err.table.encoding',
    'table header only': 'err.upload.empty',
    'table unknown format': 'err.table.format',
    'xlsx not a zip': 'err.table.read',
    'xlsx zip bomb': 'err.table.expands',
    'xlsx truncated': 'err.table.read',
    'csv 150,000 rows': 'err.table.too_many_rows',
    'csv 60 MB': 'err.upload.too_large',
    'csv unbalanced quotes': 'err.table.read',
    "registry depth_m='inf'": 'err.survey.not_number',
    "registry depth_m='-inf'": 'err.survey.not_number',
    'registry depth_m=inf': 'err.survey.not_number',
    'registry depth_m=-5': 'err.registry.range',
    'registry year_drilled=99999': 'err.registry.year',
    'registry year_drilled=1066': 'err.registry.range',
    'registry lon=1000000000.0': 'err.registry.range',
    'registry lon=0': 'err.registry.range',
    'registry lat=0': 'err.registry.range',
    'registry lon=36.5': 'err.registry.range',
    "registry well_code='W\\x00'": 'err.value.control',
    "registry well_code='W\\u202e1'": 'err.value.control',
    "registry well_code='W'×40": 'err.value.too_long',
    "registry owner='O'×200": 'err.value.too_long',
    "registry owner='张\\u202e三'": 'err.value.control',
    'registry permitted_m3_per_year=-100': 'err.registry.range',
    'registry permitted_m3_per_year=inf': 'err.survey.not_number',
    "registry permit_valid_to='2026-02-30'": 'err.survey.bad_date',
    "registry permit_valid_to='9999-12-31'": 'err.survey.bad_date',
    "registry permit_valid_from='0000-01-01'": 'err.survey.bad_date',
    'registry casing_diameter_mm=-1': 'err.registry.range',
    "registry status='坏了'": 'err.registry.choice',
    "edit well owner='\\x00'": 'err.well.value',
    "edit well owner='a\\u202eb'": 'err.well.value',
    "edit well owner='x'×500": 'err.well.value',
    "edit well permitted_m3_per_year='inf'": 'err.well.value',
    'edit well permitted_m3_per_year=inf': 'err.well.value',
    'edit well permitted_m3_per_year=-1': 'err.well.value',
    "edit well status='gone'": 'err.well.value',
    'edit well lon=200.0': 'err.well.field',
    "edit well permit_no='P'×100": 'err.well.value',
    'lead at nan, 36.5': 'err.survey.outside',
    'lead at 115.5, inf': 'err.survey.outside',
    'lead at 1000000000.0, 1000000000.0': 'err.survey.outside',
    'lead at 0, 0': 'err.survey.outside',
    'lead at 36.5, 115.5': 'err.survey.outside',
    'lead at 116.9, 36.5': 'err.survey.outside',
    'lead at -115.5, 36.5': 'err.survey.outside',
    "lead source 'rumour'": 'err.lead.source',
    'lead empty description': 'err.lead.description',
    'lead description with NUL': 'err.value.control',
    'lead description with RLO': 'err.value.control',
    'step deadline 9999-12-31': 'err.lead.deadline_far',
    'step deadline in the past': 'err.lead.deadline',
    'step deadline today': 'err.lead.deadline',
    'step out of order': 'err.lead.step',
    'step unknown stage': 'err.lead.step',
    'evidence .exe renamed .jpg': 'err.evidence.type',
    'evidence empty': 'err.upload.empty',
    'evidence 60 MB': 'err.upload.too_large',
    'evidence GPS 1e9': 'err.value.lon',
    'evidence GPS NaN': 'err.value.not_finite',
    'evidence GPS 0,0': 'err.value.lon',
    'evidence file name with NUL': 'err.value.control',
    'step note with RLO': 'err.value.control',
    'works finishing 9999-12-31': 'err.sealing.dates',
    'works started year 1': 'err.value.date',
    'works finishing before they start': 'err.sealing.dates',
    'works with an unknown method': 'err.sealing.method',
    'works contractor with NUL': 'err.value.control',
    'works contractor with RLO': 'err.value.control',
    'acceptance in the future': 'err.sealing.dates',
    'acceptance signed with RLO': 'err.value.control',
    'acceptance unsigned': 'err.sealing.signatures',
    'reclaimed used above treated': 'err.reclaimed.above_treated',
    'reclaimed NaN': 'err.value.not_finite',
    'reclaimed inf': 'err.value.not_finite',
    'reclaimed negative': 'err.reclaimed.negative',
    'reclaimed year 99999': 'err.value.year',
    'reclaimed unknown use': 'err.reclaimed.use',
    'reclaimed figures over a year that has some': 'err.conflict.exists',
    'plan year 99999': 'err.targets.year',
    'plan negative wells': 'err.targets.value',
    'plan NaN cut': 'err.targets.value',
    'plan inf cut': 'err.targets.value',
    'user name with NUL': 'err.user.name',
    'user name with RLO': 'err.user.name',
    'user name 65 characters': 'err.user.name',
    'user display name 500 characters': 'err.user.display_name',
    'user password 123456789012': 'err.user.password_digits',
    'user password common': 'err.user.password_common',
    'user password like the name': 'err.user.password_like_name',
    'admin password of 9 characters': 'err.user.password_short',
    "user role 'king'": 'err.user.role',
    'boundary world polygon': 'err.boundary.degenerate',
    'boundary 1 m² township': 'err.boundary.degenerate',
    'boundary zero-area ring A,B,A': 'err.boundary.degenerate',
    'boundary points only': 'err.boundary.not_polygon',
    'boundary empty collection': 'err.boundary.empty',
    'boundary not JSON': 'err.boundary.read',
    'boundary name with RLO': 'err.value.control',
    'boundary code 100 characters': 'err.value.too_long',
    'boundary zip slip': 'err.zip.unsafe',
    'boundary zip with lying member size': 'err.zip.bad',
    'boundary zip without .shp': 'err.zip.no_shp',
    'roads zip with lying member size': 'err.zip.bad',
    'roads one line of 1,000,000 vertices': 'err.route.roads_too_big',
    'roads not a zip': 'err.zip.bad',
}


CASES = [replace(c, code=CODES.get(c.name, "")) for c in
         (_cli_cases() + _survey_cases() + _table_cases() + _registry_cases() + _update_cases() + _lead_cases()
          + _sealing_cases() + _other_cases() + _boundary_cases())]


def test_every_refusal_names_the_code_it_expects():
    assert [c.name for c in CASES if c.expect == "refuse" and not c.code] == []
    assert set(CODES) <= {c.name for c in CASES}  # no code left for a case that is gone


def _fingerprint(store) -> dict[str, int]:
    with store.session() as s:
        out = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
               if t.name not in ("login_throttle", "surface_runs", "cone_runs", "code_counters")}
        out["audit_max"] = s.scalar(select(func.max(AuditEvent.id))) or 0
    return out


def _nonsense(store, since_audit: int) -> list[str]:
    """Records changed since ``since_audit`` that hold an impossible value."""
    bad = []
    with store.session() as s:
        touched = s.execute(select(AuditEvent.table_name, AuditEvent.record_id)
                            .where(AuditEvent.id > since_audit, AuditEvent.action.in_(["insert", "update"]))).all()
        models = {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}
        for table, rid in touched:
            model = models.get(table)
            if model is None or not str(rid).isdigit():
                continue
            obj = s.get(model, int(rid))
            try:
                check_record(obj)
            except GwmapError as exc:
                bad.append(f"{table}#{rid}: {exc}")
    return bad


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case, demo_store, tmp_path, record_property):
    ctx = _ctx(demo_store, tmp_path)
    before = _fingerprint(demo_store)
    codes: set[str] = set()
    try:
        case.run(demo_store, ctx)
        outcome = "accept"
    except Listed as exc:
        outcome, codes = "refuse", exc.codes
    except GwmapError as exc:
        outcome, codes = "refuse", {exc.code}
    except Exception as exc:  # noqa: BLE001 - this is what the battery counts
        record_property("battery", "crash")
        pytest.fail(f"crash: {type(exc).__name__}: {exc}")
    record_property("battery", outcome)
    after = _fingerprint(demo_store)
    if outcome == "refuse":
        assert after == before, "a refused attempt changed stored data"
    else:
        nonsense = _nonsense(demo_store, before["audit_max"])
        assert not nonsense, nonsense
    assert verify(demo_store, tmp_path).chain_breaks == []
    assert outcome == case.expect, f"expected {case.expect}, got {outcome} {sorted(codes)}"
    if outcome == "refuse":
        assert case.code in codes, f"refused with {sorted(codes)}, not {case.code}"
