r"""Cells as offices write them: coordinates in degrees–minutes–seconds, years as 1982年, volumes in 万m³.

Each reader returns the value or None for a cell it cannot read (the caller names the row and the fix);
a blank cell is never a value.

>>> round(parse_coordinate("115°28′30.6″"), 6), parse_coordinate("36度29分6秒"), parse_coordinate("115.4751")
(115.475167, 36.485, 115.4751)
>>> parse_coordinate("E115 28 30.6") == parse_coordinate("115°28'30.6\"") == parse_coordinate("115°28′30.6″")
True
>>> parse_year("1982年"), parse_year("1982.0"), parse_year("2003-05"), parse_year("八二年")
(1982, 1982, 2003, None)
>>> header_unit("许可水量(万立方米)"), header_unit("年许可水量(m³)"), header_unit("井深（米）")
(10000.0, 1.0, 1.0)
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["blank", "parse_coordinate", "parse_year", "parse_number", "header_unit", "find_header_row",
           "is_footer"]

_DMS = re.compile(
    r"^\s*(?P<hemi1>[EWNS东西南北])?\s*(?P<deg>\d{1,3}(?:\.\d+)?)\s*(?:°|º|度|:|\s)\s*"
    r"(?:(?P<min>\d{1,2}(?:\.\d+)?)\s*(?:′|'|’|分|:|\s)?\s*)?"
    r"(?:(?P<sec>\d{1,2}(?:\.\d+)?)\s*(?:″|\"|”|''|′′|秒)?\s*)?(?P<hemi2>[EWNS东西南北])?\s*$",
    re.IGNORECASE)


def blank(raw: Any) -> bool:
    """True for an empty cell: None, NaN, "", "nan", "-", "/", "—", "无"."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return True
    return str(raw).strip().lower() in ("", "nan", "none", "nat", "-", "/", "—", "--", "无")


def parse_number(raw: Any) -> float | None:
    """A number from a cell: thousands separators and full-width digits allowed; None otherwise.

    >>> parse_number("1,234.5"), parse_number("１２"), parse_number("9,8O")
    (1234.5, 12.0, None)
    """
    if blank(raw):
        return None
    text = str(raw).strip().translate(_FULLWIDTH).replace(",", "").replace("，", "").replace(" ", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋", "0123456789.-+")


def parse_coordinate(raw: Any) -> float | None:
    """Decimal degrees from a decimal or a degrees–minutes–seconds cell.

    115°28′30.6″, 115度28分30.6秒, 115 28 30.6 and E115°28'30" are read; None when it is neither, or
    minutes or seconds reach 60.
    """
    if blank(raw):
        return None
    number = parse_number(raw)
    if number is not None:
        return number
    text = str(raw).strip().translate(_FULLWIDTH)
    m = _DMS.match(text)
    if not m or (m.group("min") is None and m.group("sec") is None and not re.search(r"[°º度]", text)):
        return None
    deg = float(m.group("deg"))
    minutes = float(m.group("min") or 0)
    seconds = float(m.group("sec") or 0)
    if minutes >= 60 or seconds >= 60:
        return None
    value = deg + minutes / 60 + seconds / 3600
    hemi = (m.group("hemi1") or m.group("hemi2") or "").upper()
    return -value if hemi in ("W", "S", "西", "南") else value


def parse_year(raw: Any) -> int | None:
    """A year from 1982, 1982年, 1982.0, 1982-05 or 1982/5/1; None otherwise."""
    if blank(raw):
        return None
    text = str(raw).strip().translate(_FULLWIDTH)
    m = re.fullmatch(r"(\d{4})(?:\.0+)?\s*(?:年.*|[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?:\s.*)?)?", text)
    return int(m.group(1)) if m else None


def header_unit(header: object) -> float:
    """The factor a header's unit puts on its numbers: 10,000 for 万立方米 / 万m³ / 万方 / 万吨, else 1."""
    text = str(header)
    return 10_000.0 if re.search(r"万\s*(立方米|m³|m3|方|吨|t)", text, re.IGNORECASE) else 1.0


def find_header_row(rows: list[list[Any]], known: set[str], *, key=None, look: int = 15) -> int | None:  # noqa: ANN001
    """The index of the header among the first ``look`` rows: the row naming most ``known`` headers (2 at least).

    ``key`` reduces a cell to the form ``known`` holds (see :func:`gwmap.io.checks.header_stem`).  Title rows
    (机井台账（截至2024年12月31日）, 填报单位…, 单位：米、万立方米) name none and are passed over.
    Naming none, a file whose first rows hold one cell each (a title) has its header on the first row
    with several: the columns are then the file's own, for the user to map.

    >>> find_header_row([["馆陶县2026年秋季统测表"], ["站名", "日期", "埋深(厘米)"], ["王庄", "2026-10-04", 1250]], set())
    1
    >>> find_header_row([["井号", "日期"], ["J1", "2026-10-04"]], set()) is None
    True
    """
    key = key or (lambda c: str(c).strip())
    best, best_hits = None, 1
    for i, row in enumerate(rows[:look]):
        hits = sum(1 for c in row if not blank(c) and key(c) in known)
        if hits > best_hits:
            best, best_hits = i, hits
    if best is None:
        filled = [sum(1 for c in row if not blank(c)) for row in rows[:look]]
        first = next((i for i, n in enumerate(filled) if n >= 2), None)
        if first and all(n <= 1 for n in filled[:first]):
            best = first
    return best


_FOOTER = re.compile(r"^\s*(制表人|制表|填表人|填报人|审核人?|负责人|联系人|统计人|合计|总计|小计|备注|说明|注[:：])")


def is_footer(row: list[Any]) -> bool:
    """Whether a row below the table is no record (制表人, 审核, 合计, 备注…)."""
    cells = [c for c in row if not blank(c)]
    return bool(cells) and bool(_FOOTER.match(str(cells[0])))
