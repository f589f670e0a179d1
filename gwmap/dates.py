"""Dates as county files write them, read without guessing.

Accepted, year first so nothing is ambiguous: ``2026-10-04``, ``2026/10/4``,
``2026.10.04``, with an optional time; ``20261004``; ``2026年10月4日`` and
``二〇二六年十月四日``; and Excel's day numbers (``46299`` is 2026-10-04),
which a date column formatted as a number holds.  ``10/04/2026`` could be
either of two days and is refused, like ``2026-02-30`` and ``0000-01-01``:
a date that does not exist is never turned into one that does.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

__all__ = ["parse_dates", "parse_date"]

_YEAR_FIRST = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                         r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_SERIAL = re.compile(r"^\s*(\d{5})(?:\.\d+)?\s*$")
_CN_DIGITS = dict(zip("〇零一二三四五六七八九", "00123456789", strict=True))
#: Excel day numbers between 1950 and 2100.
_SERIAL_RANGE = (18264, 73051)


def _cn_number(text: str) -> str:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 二十四 → 24 (months and days)."""
    if "十" not in text:
        return "".join(_CN_DIGITS.get(c, c) for c in text)
    tens, _, ones = text.partition("十")
    return str(int(_CN_DIGITS.get(tens, "1") if tens else "1") * 10 + (int(_CN_DIGITS[ones]) if ones else 0))


def _normalise(text: str) -> str:
    m = re.fullmatch(r"\s*([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日\s*", text)
    if m:
        return f"{_cn_number(m.group(1))}-{_cn_number(m.group(2))}-{_cn_number(m.group(3))}"
    return text


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates (``datetime64``) from text cells; ``NaT`` where the cell is blank, ambiguous or no real date.

    >>> parse_dates(pd.Series(["2026-10-04", "2026年10月4日", "二〇二六年十月四日", "46299", "2026-02-30",
    ...                        "10/04/2026", "0000-01-01", ""])).dt.strftime("%Y-%m-%d").fillna("—").tolist()
    ['2026-10-04', '2026-10-04', '2026-10-04', '2026-10-04', '—', '—', '—', '—']
    """
    text = values.astype(str).map(_normalise)
    parts = text.str.extract(_YEAR_FIRST)
    compact = text.str.extract(_COMPACT)
    parts = parts.fillna(compact)
    ymd = parts.apply(pd.to_numeric, errors="coerce")
    ymd.columns = ["year", "month", "day"]
    ok = ymd.notna().all(axis=1) & ymd["year"].between(1700, 2200)  # years pandas can hold; others are no survey date
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(ymd[ok].astype(int), errors="coerce")  # 2026-02-30 → NaT
    serial = pd.to_numeric(text.str.extract(_SERIAL)[0], errors="coerce")
    use = out.isna() & serial.between(*_SERIAL_RANGE)
    if use.any():
        out[use] = pd.Timestamp("1899-12-30") + pd.to_timedelta(np.floor(serial[use]), unit="D")
    return out


def parse_date(value: object) -> date | None:
    """One cell: a date, or None when blank or not a real, unambiguous date.

    >>> [parse_date(v) for v in ("2026-10-04", "46299", "2026-02-30", "10/04/2026")] == [date(2026, 10, 4)] * 2 + [None] * 2
    True
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | date):
        return value.date() if isinstance(value, pd.Timestamp) else value
    # the same rules as parse_dates, without pandas: a registry checks thousands of cells one by one
    text = _normalise(str(value))
    m = _YEAR_FIRST.match(text) or _COMPACT.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        if not 1700 <= y <= 2200:
            return None
        try:
            return date(y, mo, d)
        except ValueError:  # 2026-02-30
            return None
    m = _SERIAL.match(text)
    if m and _SERIAL_RANGE[0] <= float(text) <= _SERIAL_RANGE[1]:
        return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(float(text)))).date()
    return None
