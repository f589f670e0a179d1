"""The last check before anything is written: values no record may hold, whichever code path wrote them.

Each feature validates its own input first, with messages about its fields;
this net runs on every insert and update at flush time, so nonsense that a
path forgot (NaN, 1e9 coordinates, year 99999, a NUL or a right-to-left
override in an ID, text longer than its column) is refused with one message
naming the field and the value, the same way on SQLite (which would keep it)
and PostgreSQL (which would fail with a driver error).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Integer, String, Text, inspect

from gwmap.errors import InputDataError

__all__ = ["check_record", "clean_text_problem", "LON_RANGE", "LAT_RANGE", "YEAR_RANGE"]

#: China's extent: a coordinate outside is a typo, swapped axes or projected metres, never a place in the county.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
YEAR_RANGE = (1900, 2100)
#: Characters no field may hold: C0/C1 controls (tab and line breaks allowed in free text), U+FFFD (text
#: garbled by a wrong decoding, or a NUL an export replaced), bidirectional
#: marks, overrides and isolates, which make a code display differently from what it is (the "Trojan
#: source" trick), BOM, non-characters and lone surrogates.
#: Columns that must not be negative.
_NON_NEGATIVE_SUFFIXES = ("_m3", "_m3_per_year", "_km2", "_mm", "size_bytes", "depth_m", "target_wells", "failures")


_BAD_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                            "\ufeff\ufffd\ufffe\uffff\ud800-\udfff]")
_BAD_LINE = re.compile(_BAD_MULTILINE.pattern[:-1] + "\t\n\r]")


def clean_text_problem(value: str, *, multiline: bool) -> str | None:
    r"""Why ``value`` cannot be stored as text, or None.

    >>> clean_text_problem("130433001J0001", multiline=False) is None
    True
    >>> clean_text_problem("XS2026\u202e1000", multiline=False)
    'control'
    """
    return "control" if (_BAD_MULTILINE if multiline else _BAD_LINE).search(value) else None


def check_record(obj) -> None:  # noqa: ANN001
    """Raise :class:`InputDataError` (``err.value.*``) for the first impossible value of ``obj``."""
    table = obj.__tablename__
    mapper = inspect(obj).mapper
    for attr in mapper.column_attrs:
        col = attr.columns[0]
        name = attr.key
        value = getattr(obj, name)
        if value is None:
            continue
        kind = col.type
        problem = None
        if isinstance(kind, (String, Text)):
            if not isinstance(value, str):
                value = str(value)
            limit = getattr(kind, "length", None)  # Text has none: free text is bounded by its feature
            if limit and len(value) > limit:
                problem = ("err.value.too_long", {"limit": limit, "length": len(value)})
            elif clean_text_problem(value, multiline=limit is None or limit > 255) is not None:
                problem = ("err.value.control", {})
        elif isinstance(kind, Float):
            v = float(value)
            if not math.isfinite(v):
                problem = ("err.value.not_finite", {})
            elif name in ("lon", "extreme_lon") and not LON_RANGE[0] <= v <= LON_RANGE[1]:
                problem = ("err.value.lon", {"low": LON_RANGE[0], "high": LON_RANGE[1]})
            elif name in ("lat", "extreme_lat") and not LAT_RANGE[0] <= v <= LAT_RANGE[1]:
                problem = ("err.value.lat", {"low": LAT_RANGE[0], "high": LAT_RANGE[1]})
            elif name.endswith(_NON_NEGATIVE_SUFFIXES) and v < 0:
                problem = ("err.value.negative", {})
            elif abs(v) > 1e12:
                problem = ("err.value.huge", {})
        elif isinstance(kind, Integer) and not isinstance(value, bool):
            v = int(value)
            if "year" in name and not YEAR_RANGE[0] <= v <= YEAR_RANGE[1]:
                problem = ("err.value.year", {"low": YEAR_RANGE[0], "high": YEAR_RANGE[1]})
            elif name.endswith(_NON_NEGATIVE_SUFFIXES) and v < 0:
                problem = ("err.value.negative", {})
            elif abs(v) > 2**31 - 1:
                problem = ("err.value.huge", {})
        elif isinstance(kind, (Date, DateTime)) and isinstance(value, (date, datetime)):
            if not YEAR_RANGE[0] <= value.year <= YEAR_RANGE[1]:
                problem = ("err.value.date", {"low": YEAR_RANGE[0], "high": YEAR_RANGE[1]})
        if problem:
            code, params = problem
            shown = value if not isinstance(value, str) else value[:40] + ("…" if len(value) > 40 else "")
            raise InputDataError(code, f"{table}.{name} = {shown!r} cannot be stored ({code}).", table=table,
                                 field=name, value=repr(shown) if isinstance(shown, str) else str(shown), **params)
    rule = _RULES.get(table)
    if rule:
        rule(obj)


def _lonlat_pair(obj) -> None:  # noqa: ANN001
    if getattr(obj, "lon", None) == 0 and getattr(obj, "lat", None) == 0:
        raise InputDataError("err.value.null_island", "0, 0 is no position.", table=obj.__tablename__, field="lon/lat",
                             value="0, 0")


def _reclaimed(obj) -> None:  # noqa: ANN001
    if (obj.reclaimed_used_m3 or 0) > (obj.sewage_treated_m3 or 0):
        raise InputDataError("err.reclaimed.above_treated", "Reclaimed water used cannot exceed the sewage treated.",
                             used=f"{obj.reclaimed_used_m3:,.0f}", treated=f"{obj.sewage_treated_m3:,.0f}")


def _township(obj) -> None:  # noqa: ANN001
    if obj.area_km2 is not None and obj.area_km2 < 0.01:
        raise InputDataError("err.boundary.tiny_township", "A township under 1 ha is not a township.",
                             name=obj.name, area=f"{obj.area_km2 * 1e6:,.0f}")


def _boundary(obj) -> None:  # noqa: ANN001
    if obj.county_area_km2 is not None and not 1 <= obj.county_area_km2 <= 350_000:
        raise InputDataError("err.boundary.county_area", "No county has this area.", area=f"{obj.county_area_km2:,.1f}")


_RULES = {
    "wells": _lonlat_pair, "leads": _lonlat_pair, "monitoring_wells": _lonlat_pair, "dispatch_stops": _lonlat_pair,
    "reclaimed_water": _reclaimed, "townships": _township, "boundary_versions": _boundary,
}
