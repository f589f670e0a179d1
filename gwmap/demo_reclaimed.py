"""The demo's reclaimed-water system (issue 14): invented, but shaped like the plan.

The county plant (30,000 t/d, upgraded to surface-water class IV effluent with its 30,000 t/d expansion
from July 2024), two township plants, mains from the county plant to the industrial park and to the
city's greening and a wetland, the users on them, and 20 groundwater permit holders (取水户) of which
several are high-water-use: a paper mill and a dyeing works within reach of the park main that take no
reclaimed water (the screening's ``limit``; the paper mill's permit expires within a year of the demo's
day), a thermal power plant and a steel-pipe works that take it, a non-ferrous smelter out of reach.

Monthly figures 2022-01 to 2026-10 add up, year by year, to the yearly figures of
:data:`gwmap.demo.DEMO_RECLAIMED` (sewage treated, reclaimed water used), so the dashboard reads the same
whether it counts the form or the records.  One township plant's effluent is worse than class V in
August 2025 (flagged).
"""

from __future__ import annotations

import json
from datetime import date

import shapely
from shapely.geometry import LineString

from gwmap.crs import area_crs

__all__ = ["add_demo_reclaimed", "DEMO_PLANTS", "DEMO_WATER_USERS", "LIMITED", "LAST_MONTH", "BAD_EFFLUENT"]

LAST_MONTH = "2026-10"
#: (code, name, kind, capacity t/d, lon, lat, first month)
DEMO_PLANTS = (
    ("WS01", "冠县污水处理厂（一期）", "county", 30_000.0, 115.470, 36.468, "2022-01"),
    ("WS02", "冠县污水处理厂（二期扩建）", "county", 30_000.0, 115.472, 36.466, "2024-07"),
    ("WS03", "柳林镇污水处理厂", "township", 5_000.0, 115.690, 36.648, "2022-01"),
    ("WS04", "东古城镇污水处理厂", "township", 3_000.0, 115.330, 36.532, "2022-01"),
)
#: the month a township plant's effluent was worse than class V (劣Ⅴ类)
BAD_EFFLUENT = ("WS04", "2025-08")
#: (name, plant code, capacity m³/d, WGS84 vertices)
DEMO_PIPELINES = (
    ("开发区再生水主管", "WS01", 25_000.0, [(115.470, 36.468), (115.490, 36.470), (115.512, 36.471), (115.535, 36.470)]),
    ("城区绿化再生水支管", "WS01", 6_000.0, [(115.470, 36.468), (115.462, 36.480), (115.452, 36.496)]),
    ("西部湿地生态补水管", "WS01", 8_000.0, [(115.470, 36.468), (115.440, 36.462), (115.410, 36.455)]),
    ("柳林镇生态补水管", "WS03", 4_000.0, [(115.690, 36.648), (115.700, 36.660), (115.712, 36.672)]),
)
#: (name, industry, permit no., m³/yr, expires, lon, lat, takes reclaimed from pipeline no.)
DEMO_WATER_USERS = (
    ("冠县热电有限公司", "thermal_power", "取水(冠)字[2021]第001号", 420_000, date(2027, 12, 31), 115.520, 36.474, 0),
    ("鲁西纸业（冠县）有限公司", "paper", "取水(冠)字[2022]第004号", 360_000, date(2027, 3, 31), 115.505, 36.477, None),
    ("冠县宏达印染有限公司", "dyeing", "取水(冠)字[2023]第002号", 180_000, date(2028, 6, 30), 115.521, 36.456, None),
    ("冠县金源有色金属有限公司", "nonferrous", "取水(冠)字[2021]第007号", 150_000, date(2027, 5, 31), 115.600, 36.520,
     None),
    ("冠县华宇钢管有限公司", "steel", "取水(冠)字[2022]第009号", 210_000, date(2028, 12, 31), 115.531, 36.466, 0),
    ("东古城镇兴业印染厂", "dyeing", "取水(冠)字[2020]第011号", 90_000, date(2027, 2, 28), 115.318, 36.545, None),
    ("冠县恒通化工有限公司", "chemical", "取水(冠)字[2022]第012号", 120_000, date(2027, 8, 31), 115.497, 36.463, None),
    ("冠县绿源食品有限公司", "food", "取水(冠)字[2021]第013号", 60_000, date(2026, 12, 31), 115.445, 36.505, None),
    ("冠县鲁冠面粉有限公司", "food", "取水(冠)字[2023]第014号", 45_000, date(2029, 3, 31), 115.612, 36.508, None),
    ("冠县建材有限公司", "building_materials", "取水(冠)字[2022]第015号", 80_000, date(2027, 10, 31), 115.540, 36.430,
     None),
    ("冠县水泥制品厂", "building_materials", "取水(冠)字[2020]第016号", 50_000, date(2026, 12, 15), 115.350, 36.420,
     None),
    ("冠县第二热力公司", "other", "取水(冠)字[2021]第017号", 40_000, date(2028, 1, 31), 115.430, 36.490, None),
    ("清泉街道自来水厂", "other", "取水(冠)字[2019]第018号", 300_000, date(2029, 6, 30), 115.452, 36.508, None),
    ("柳林镇供水站", "other", "取水(冠)字[2020]第019号", 90_000, date(2027, 4, 30), 115.684, 36.650, None),
    ("贾镇供水站", "other", "取水(冠)字[2020]第020号", 70_000, date(2028, 4, 30), 115.605, 36.505, None),
    ("冠县奶牛养殖场", "food", "取水(冠)字[2022]第021号", 35_000, date(2027, 9, 30), 115.560, 36.600, None),
    ("冠县纺织有限公司", "other", "取水(冠)字[2021]第022号", 55_000, date(2028, 8, 31), 115.480, 36.455, None),
    ("冠县医药化工有限公司", "chemical", "取水(冠)字[2023]第023号", 65_000, date(2029, 1, 31), 115.516, 36.484, None),
    ("店子镇食品加工厂", "food", "取水(冠)字[2022]第024号", 25_000, date(2027, 11, 30), 115.498, 36.566, None),
    ("冠县洗涤服务公司", "other", "取水(冠)字[2023]第025号", 15_000, date(2028, 5, 31), 115.447, 36.470, None),
)
#: the permit holders the screening says ``limit`` (high water use, within 2 km of spare capacity, no reclaimed)
LIMITED = ("鲁西纸业（冠县）有限公司", "冠县宏达印染有限公司")
#: (name, use, pipeline no., share of its use's volume)
_OTHER_USERS = (
    ("城区园林绿化", "greening", 1, 1.0),
    ("城区道路清扫", "road_cleaning", 1, 1.0),
    ("西部湿地生态补水", "ecological", 2, 0.7),
    ("柳林镇马颊河生态补水", "ecological", 3, 0.3),
)
#: how a year's reclaimed water splits by use (industry between the two enterprises that take it)
_USE_SHARE = {"industry": 0.55, "greening": 0.12, "road_cleaning": 0.08, "ecological": 0.25}
#: how a year's sewage splits between plants (the expansion takes half of the county's once running)
_PLANT_SHARE = {"county": 0.85, "WS03": 0.09, "WS04": 0.06}
#: irrigation-season demand for greening and wetlands, flat for industry and treatment
_SEASON = (0.6, 0.6, 0.9, 1.1, 1.3, 1.3, 1.2, 1.2, 1.1, 1.0, 0.9, 0.8)


def _months(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13) if f"{year}-{m:02d}" <= LAST_MONTH]


def _spread(total: float, months: list[str], weights=None) -> dict[str, float]:
    w = [weights[int(m[5:]) - 1] if weights else 1.0 for m in months]
    return {m: total * x / sum(w) for m, x in zip(months, w, strict=True)}


def add_demo_reclaimed(s, yearly: dict[int, tuple[float, float]]) -> None:
    """Add the plants, pipelines, users and monthly records in session ``s`` (the demo loader's)."""
    from gwmap.store.models import (
        PlantMonth,
        ReclaimedPipeline,
        ReclaimedPlant,
        ReclaimedUse,
        ReclaimedUser,
        WaterUser,
    )

    plants = {}
    for code, name, kind, cap, lon, lat, _ in DEMO_PLANTS:
        plants[code] = ReclaimedPlant(code=code, name=name, kind=kind, capacity_t_d=cap, lon=lon, lat=lat)
        s.add(plants[code])
    s.flush()
    first = {p[0]: p[6] for p in DEMO_PLANTS}
    for year, (treated, _) in yearly.items():
        months = _months(year)
        for code in plants:
            share = _PLANT_SHARE["county"] if code in ("WS01", "WS02") else _PLANT_SHARE[code]
            running = [m for m in months if m >= first[code]]
            for m, v in _spread(treated * share, months).items():
                if code in ("WS01", "WS02") and m >= first["WS02"]:
                    v = v / 2  # the expansion treats half of the county's sewage from its first month
                elif code == "WS02" or m not in running:
                    continue
                cls = ("IV" if m >= "2024-07" else "V") if code in ("WS01", "WS02") else "V"
                if (code, m) == BAD_EFFLUENT:
                    cls = "V+"
                s.add(PlantMonth(plant_id=plants[code].id, month=m, treated_m3=round(v, 3), reclaimed_m3=0.0,
                                 effluent_class=cls))
    proj = area_crs()
    pipes = []
    for name, plant, cap, coords in DEMO_PIPELINES:
        line = LineString(coords)
        length = shapely.length(shapely.transform(line, _to(proj)))
        pipe = ReclaimedPipeline(name=name, plant_id=plants[plant].id, capacity_m3_d=cap,
                                 geojson=json.dumps(shapely.geometry.mapping(line)), length_m=round(float(length), 1))
        s.add(pipe)
        pipes.append(pipe)
    s.flush()
    takers = []
    for name, industry, permit, m3, expires, lon, lat, pipe in DEMO_WATER_USERS:
        wu = WaterUser(name=name, industry=industry, permit_no=permit, permit_m3_per_year=float(m3),
                       permit_expires=expires, lon=lon, lat=lat)
        s.add(wu)
        if pipe is not None:
            takers.append((wu, pipe))
    s.flush()
    users = []  # (user, use, share of its use)
    for wu, pipe in takers:
        u = ReclaimedUser(name=wu.name, use="industry", pipeline_id=pipes[pipe].id, water_user_id=wu.id, lon=wu.lon,
                          lat=wu.lat)
        s.add(u)
        users.append((u, "industry", 1.0 / len(takers)))
    for name, use, pipe, share in _OTHER_USERS:
        end = DEMO_PIPELINES[pipe][3][-1]
        u = ReclaimedUser(name=name, use=use, pipeline_id=pipes[pipe].id, lon=end[0], lat=end[1])
        s.add(u)
        users.append((u, use, share))
    s.flush()
    for year, (_, used) in yearly.items():
        months = _months(year)
        for u, use, share in users:
            weights = None if use == "industry" else _SEASON
            for m, v in _spread(used * _USE_SHARE[use] * share, months, weights).items():
                s.add(ReclaimedUse(user_id=u.id, month=m, m3=round(v, 3)))


def _to(crs):
    from pyproj import Transformer

    t = Transformer.from_crs(4326, crs, always_xy=True)

    def f(coords):
        import numpy as np

        x, y = t.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return f
