"""Controlled vocabularies stored in the database (English keys; the UI translates).

Keys follow ``shared/DOMAIN.md`` §5-6.  Stored values are these keys, never
display text, so a label can change without touching data.
"""

from __future__ import annotations

__all__ = [
    "WELL_STATUSES",
    "WELL_USES",
    "AQUIFERS",
    "METERING",
    "DISPOSITIONS",
    "SEALING_STAGES",
    "LEAD_SOURCES",
    "LEAD_STAGES",
    "OPEN_LEAD_STAGES",
    "ROLES",
    "RECLAIMED_USER_USES",
    "INDUSTRIES",
    "HIGH_WATER_USE",
    "EFFLUENT_CLASSES",
    "PLANT_KINDS",
]

#: 在用, 封存备用, 已封填, 改建监测井, 停用
WELL_STATUSES = ("in_use", "sealed_standby", "filled", "converted_monitoring", "out_of_use")
#: 农业灌溉, 工业, 生活, 公共供水, 其他
WELL_USES = ("irrigation", "industry", "domestic", "public_supply", "other")
#: 浅层 (unconfined), 深层 (confined)
AQUIFERS = ("shallow", "deep")
#: 水表, 以电折水
METERING = ("water_meter", "electricity")
#: DB37/T 4634-2023: 机井封填, 封存备用, 改建监测井
DISPOSITIONS = ("fill", "standby", "convert_monitoring")
SEALING_STAGES = ("planned", "works_done", "accepted")
LEAD_SOURCES = ("patrol", "public_report", "meter_anomaly", "remote_sensing", "level_anomaly", "data_screening")
#: 登记 → 核查 → 认定/排除 → 整改 → 复查 → 销号
LEAD_STAGES = ("registered", "inspected", "confirmed", "dismissed", "rectifying", "reinspected", "closed")
OPEN_LEAD_STAGES = ("registered", "inspected", "confirmed", "rectifying", "reinspected")
ROLES = ("admin", "hydrologist", "enforcement", "leader")
#: who takes reclaimed water: 工业企业, 城市绿化, 道路清扫, 生态补水
RECLAIMED_USER_USES = ("industry", "greening", "road_cleaning", "ecological")
#: 取水户 industries; the plan names 火电、钢铁、有色金属、造纸、印染 as high water use (高耗水)
INDUSTRIES = ("thermal_power", "steel", "nonferrous", "paper", "dyeing", "chemical", "food", "building_materials",
              "other")
HIGH_WATER_USE = ("thermal_power", "steel", "nonferrous", "paper", "dyeing")
#: surface-water classes of GB 3838-2002 an effluent meets; V+ is worse than V (劣Ⅴ类)
EFFLUENT_CLASSES = ("I", "II", "III", "IV", "V", "V+")
#: 县污水处理厂, 乡镇污水处理厂
PLANT_KINDS = ("county", "township")
