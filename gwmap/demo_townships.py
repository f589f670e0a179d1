"""The demo county's townships (2023 statistical codes) and their approximate seats, for the demo data.

Seats are from ``shared/DOMAIN.md`` §8.  清泉街道 and 烟庄街道 are only given as
"near the county seat"; they are placed a little north-east and south-east of
崇文街道 so the schematic boundaries have three urban sub-districts.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Township", "TOWNSHIPS", "COUNTY_CODE", "COUNTY_NAME", "by_code"]

COUNTY_CODE = "371525"
COUNTY_NAME = "冠县"


@dataclass(frozen=True)
class Township:
    """One township: 9-digit statistical code, Chinese name, seat (WGS84 degrees)."""

    code: str
    name: str
    lon: float
    lat: float
    seat_approximate: bool = False


TOWNSHIPS: tuple[Township, ...] = (
    Township("371525001", "清泉街道", 115.452, 36.503, True),
    Township("371525002", "崇文街道", 115.425, 36.489),
    Township("371525003", "烟庄街道", 115.455, 36.470, True),
    Township("371525101", "贾镇", 115.608, 36.506),
    Township("371525102", "桑阿镇", 115.617, 36.434),
    Township("371525103", "柳林镇", 115.686, 36.653),
    Township("371525104", "清水镇", 115.532, 36.619),
    Township("371525105", "东古城镇", 115.326, 36.536),
    Township("371525106", "北馆陶镇", 115.410, 36.655),
    Township("371525107", "店子镇", 115.498, 36.564),
    Township("371525108", "定远寨镇", 115.664, 36.497),
    Township("371525109", "辛集镇", 115.663, 36.563),
    Township("371525110", "梁堂镇", 115.463, 36.407),
    Township("371525111", "范寨镇", 115.672, 36.591),
    Township("371525112", "甘官屯镇", 115.608, 36.637),
    Township("371525200", "斜店乡", 115.351, 36.416),
    Township("371525206", "兰沃乡", 115.555, 36.565),
    Township("371525209", "万善乡", 115.427, 36.574),
)


def by_code(code: str) -> Township:
    """Township for a 9-digit code.

    >>> by_code("371525107").name
    '店子镇'
    """
    for tw in TOWNSHIPS:
        if tw.code == code:
            return tw
    raise KeyError(code)
