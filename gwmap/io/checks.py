"""Checks of a table read from an uploaded file, shared by every import path (registry, surveys, power, reclaimed).

Each finding is a :class:`Problem`: the spreadsheet row (the header is row 1 unless title rows sit above it),
the file's own column header, the value as typed, a message code and its parameters, and whether it stops the
row (``error``) or only asks the user to look (``flag``).  :class:`RowCheck` collects findings cell by cell and
leaves the rows with an error out of the clean rows; the cell readers here turn what offices type into values
(blank, "nan", "1,234") the same way for every file.

>>> import pandas as pd
>>> text_cells(pd.Series([" 王村 ", None, "nan", 12])).tolist()
['王村', '', '', '12']
>>> number_cells(pd.Series(["1,234.5", "１２", "", "x"])).tolist()
[1234.5, nan, nan, nan]
>>> month_cells(pd.Series(["2026/3", "2026年11月", "202602", "2026-13"])).tolist()
['2026-03', '2026-11', '2026-02', nan]
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from gwmap.dates import parse_dates
from gwmap.errors import InputDataError

__all__ = ["Problem", "UploadCheck", "RowCheck", "header_key", "header_stem", "find_columns", "text_cells", "number_cells",
           "month_cells", "month_column", "template_xlsx", "FIRST_MONTH"]

#: The earliest month a monthly figure may name (the plans' baseline years start in the 2010s).
FIRST_MONTH = "2000-01"


@dataclass(frozen=True)
class Problem:
    """One finding: spreadsheet row, column header, value, message code and its params.

    ``severity`` is ``error`` (the row cannot be imported as it is) or ``flag`` (suspicious; imported unless
    the user leaves it out).
    """

    row: int
    column: str
    value: str
    code: str
    params: dict = field(default_factory=dict)
    severity: str = "error"


@dataclass(frozen=True)
class UploadCheck:
    """A checked file: what it holds (``kind``), the clean rows, every problem, the original's hash."""

    kind: str
    rows: pd.DataFrame
    problems: tuple[Problem, ...]
    sha256: str
    n_input: int
    #: The file's columns as read (field -> its header).
    columns: dict = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.problems and len(self.rows) > 0


class RowCheck:
    """Findings on a table read from a file, one per cell, with the spreadsheet row (the header is row 1).

    ``add(mask, name, code, values, **params)`` records ``code`` for every row where ``mask`` holds, under
    the file's own header for field ``name``; those rows are left out of the clean rows (:meth:`result`).

    >>> import pandas as pd
    >>> rc = RowCheck(3, {"kwh": "用电量"})
    >>> kwh = pd.Series([10.0, -1.0, 5.0])
    >>> rc.add(kwh < 0, "kwh", "err.power.kwh", kwh)
    >>> [(p.row, p.column, p.value, p.code) for p in rc.problems]
    [(3, '用电量', '-1.0', 'err.power.kwh')]
    >>> rc.result("power", {"kwh": kwh}, b"").rows["row"].tolist()
    [2, 4]
    """

    def __init__(self, n: int, cols: dict[str, str], spec: dict[str, tuple[str, ...]] | None = None) -> None:
        self.rownum = np.arange(n) + 2
        self.cols = {**{k: v[0] for k, v in (spec or {}).items()}, **cols}  # a missing column: its template header
        self.problems: list[Problem] = []
        self.bad = np.zeros(n, bool)

    def add(self, mask, name: str, code: str, values, **params) -> None:
        mask = np.asarray(mask, bool)
        for i in np.flatnonzero(mask):
            self.problems.append(Problem(int(self.rownum[i]), str(self.cols.get(name, name)), str(values.iloc[i])[:60],
                                         code, params))
        self.bad |= mask

    def result(self, kind: str, rows: dict, raw: bytes) -> UploadCheck:
        clean = pd.DataFrame({"row": self.rownum, **rows})[~self.bad].reset_index(drop=True)
        self.problems.sort(key=lambda p: (p.row, p.column))
        return UploadCheck(kind, clean, tuple(self.problems), hashlib.sha256(raw).hexdigest(), len(self.rownum))


def header_key(header: object) -> str:
    """A header as compared: no spaces, no unit brackets' spacing, lower case (``用电量 (kWh)`` = ``用电量kwh``).

    >>> header_key("用电量 (kWh)"), header_key("读数（m³）")
    ('用电量kwh', '读数m3')
    """
    text = re.sub(r"[\s（）()]", "", str(header)).lower()
    return text.replace("m³", "m3")


def header_stem(header: object) -> str:
    """A header without its unit in brackets, spaces or case: what names the column whatever unit it is in.

    Excel saving a CSV as GBK turns ``年许可水量(m³)`` into ``年许可水量(m?)`` (³ is not in GBK);
    both, and ``年许可水量（立方米）`` or plain ``年许可水量``, name the same column (the unit is read
    separately, :func:`gwmap.io.cells.header_unit`).

    >>> header_stem("年许可水量(m?)") == header_stem("年许可水量（m³）") == header_stem(" 年许可水量 ")
    True
    """
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", str(header))
    return re.sub(r"\s+", "", text).lower()


def find_columns(df: pd.DataFrame, spec: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, str]:
    """Field -> the file's header for it, from the headers each field accepts (``spec``, template header first).

    Raises ``err.power.no_column`` naming the missing template headers, those found and the template's.
    """
    found = {}
    keys = {header_key(c): c for c in df.columns}
    for name, headers in spec.items():
        for h in headers:
            if header_key(h) in keys:
                found[name] = keys[header_key(h)]
                break
    missing = [spec[n][0] for n in required if n not in found]
    if missing:
        raise InputDataError("err.power.no_column", "Columns missing.", columns="、".join(missing),
                             found="、".join(map(str, df.columns)) or "—",
                             template="、".join(h[0] for h in spec.values()))
    return found


def text_cells(values: pd.Series) -> pd.Series:
    """Cells as text, trimmed; blank, ``nan``, ``none`` and ``null`` as ""."""
    text = values.fillna("").astype(str).str.strip()
    return text.where(~text.str.lower().isin(["nan", "none", "null"]), "")


def number_cells(values: pd.Series) -> pd.Series:
    """Cells as numbers (thousands separators ``,``/``，`` dropped); what is not a number as NaN."""
    text = text_cells(values).str.replace(",", "", regex=False).str.replace("，", "", regex=False)
    return pd.to_numeric(text, errors="coerce")


def month_cells(values: pd.Series) -> pd.Series:
    """``YYYY-MM`` from month cells: 2026-03, 2026/3, 2026.3, 2026年3月, 202603, or a full date; else NaN."""
    text = values.astype(str).str.strip()
    m = text.str.extract(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
    compact = text.str.extract(r"^(\d{4})(\d{2})$")
    m = m.fillna(compact)
    out = pd.Series(np.nan, index=values.index, dtype=object)
    ok = m[0].notna()
    year, month = pd.to_numeric(m[0], errors="coerce"), pd.to_numeric(m[1], errors="coerce")
    good = ok & month.between(1, 12)
    out[good] = [f"{int(y):04d}-{int(mo):02d}" for y, mo in zip(year[good], month[good], strict=True)]
    rest = out.isna() & text.ne("") & text.ne("nan")
    if rest.any():  # a full date (an Excel date cell reads as one): its month
        dates = parse_dates(values[rest])
        out[rest & dates.reindex(values.index).notna()] = dates.dropna().dt.strftime("%Y-%m")
    return out


def month_column(rc: RowCheck, df: pd.DataFrame, cols: dict[str, str], today: date) -> tuple[pd.Series, pd.Series]:
    """The ``month`` column as typed and as ``YYYY-MM``.

    An unreadable month, or one before :data:`FIRST_MONTH` or after this one, is a finding.
    """
    month_raw = text_cells(df[cols["month"]])
    month = month_cells(df[cols["month"]])
    latest = f"{today.year:04d}-{today.month:02d}"
    rc.add(month.isna(), "month", "err.power.month", month_raw)
    rc.add(month.notna() & ((month < FIRST_MONTH) | (month > latest)), "month", "err.power.month_range", month_raw,
           earliest=FIRST_MONTH, latest=latest)
    return month_raw, month


def template_xlsx(headers: list[str], example: list) -> bytes:
    """A one-sheet template: the headers a file must carry and one example row."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    ws.append(example)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
