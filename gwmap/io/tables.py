"""Read point tables (CSV in UTF-8 or GBK, XLSX) into WGS84 GeoDataFrames."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gwmap.crs import GCJ02, gcj02_to_wgs84, resolve_crs
from gwmap.errors import InputDataError
from gwmap.io.cells import blank

logger = logging.getLogger(__name__)

__all__ = ["read_table", "points_from_table", "read_points", "MAX_TABLE_MB", "MAX_ROWS", "EncodingUnsure",
           "guess_encoding", "ENCODINGS"]

MAX_TABLE_MB = 50
#: Rows a table may have: far above a county's survey (120 wells) or registry (a few thousand wells);
#: a larger file is refused with this number rather than left to run for minutes.
MAX_ROWS = 100_000
#: An XLSX is a ZIP: its members may expand to at most this much (a 1.5 MB file can hold 1.5 GB of XML).
MAX_XLSX_EXPANDED_MB = 300
#: Text encodings offered for CSV files, by the name users know.
ENCODINGS = {"UTF-8": "utf-8-sig", "GBK": "gb18030", "Big5": "big5"}
#: Share of Chinese characters outside GB2312 above which a GBK reading is doubted (real GBK files: ~0 %).
_UNLIKELY_SHARE = 0.05


class EncodingUnsure(InputDataError):
    """The text decodes in more than one plausible way; ``previews`` shows the first lines in each."""

    def __init__(self, code: str, message: str, *, previews: dict[str, str], **params) -> None:
        super().__init__(code, message, **params)
        self.previews = previews


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _unlikely_share(text: str) -> float:
    """Share of East-Asian characters a county's Chinese text would hardly hold (outside GB2312, kana, private use)."""
    sample = text[:20_000]
    eastern = [c for c in sample if "\u3040" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or "\ue000" <= c <= "\uf8ff"]
    if not eastern:
        return 0.0
    return sum(1 for c in eastern if not _in_gb2312(c)) / len(eastern)


def guess_encoding(data: bytes) -> tuple[str | None, dict[str, str]]:
    """The encoding of a CSV's bytes, or None with the plausible readings when unsure.

    UTF-8 is taken when the bytes decode as UTF-8.  GBK is taken when its
    reading holds almost only common Chinese characters (GB2312); otherwise
    (a Big5 file read as GBK gives rare characters and kana) every encoding
    that decodes is returned with the text it gives, for the user to choose.

    >>> guess_encoding("机井编号,村".encode("gbk"))[0]
    'GBK'
    >>> guess_encoding("機井編號,村莊,經度".encode("big5"))[0] is None
    True
    """
    try:
        data.decode("utf-8-sig")
        return "UTF-8", {}
    except UnicodeDecodeError:
        pass
    readings = {}
    for name in ("GBK", "Big5"):
        try:
            readings[name] = data.decode(ENCODINGS[name])
        except UnicodeDecodeError:
            continue
    if "GBK" in readings and _unlikely_share(readings["GBK"]) <= _UNLIKELY_SHARE:
        return "GBK", {}
    if len(readings) == 1 and "Big5" in readings:
        return "Big5", {}
    return None, readings


def _check_xlsx(data: bytes, filename: str) -> None:
    """Refuse an XLSX whose members expand past the limit (a ZIP bomb) before anything is parsed."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            expanded = sum(max(i.file_size, 0) for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise InputDataError("err.table.read", f"Cannot read {filename}: not an XLSX file.", name=filename,
                             detail="not a ZIP/XLSX file") from exc
    if expanded > MAX_XLSX_EXPANDED_MB * 2**20:
        raise InputDataError("err.table.expands", f"{filename} expands to {expanded / 2**20:.0f} MB.", name=filename,
                             size_mb=f"{expanded / 2**20:,.0f}", limit_mb=MAX_XLSX_EXPANDED_MB)


def _too_many_rows(n: int, filename: str) -> InputDataError:
    return InputDataError("err.table.too_many_rows", f"{filename} has {n} rows; at most {MAX_ROWS}.", name=filename,
                          rows=f"{n:,}", limit=f"{MAX_ROWS:,}")
LON_NAMES = ("lon", "longitude", "经度", "x_lon", "lng")
LAT_NAMES = ("lat", "latitude", "纬度", "y_lat")


def read_table(data: bytes, filename: str, *, encoding: str | None = None,
               known_headers: set[str] | None = None, header_key=None) -> tuple[pd.DataFrame, str]:  # noqa: ANN001
    """A CSV (UTF-8, UTF-8 with BOM, GBK or Big5) or XLSX file as text columns; returns (frame, encoding).

    ``encoding`` (``UTF-8``, ``GBK``, ``Big5``) is the user's choice after
    :class:`EncodingUnsure`; without it the encoding is guessed
    (:func:`guess_encoding`) and an unsure guess is raised, not used.
    At most :data:`MAX_ROWS` rows; an XLSX whose members expand past
    :data:`MAX_XLSX_EXPANDED_MB` is refused before it is parsed.

    With ``known_headers`` (headers reduced by ``header_key``) the header is looked for among the first
    rows, as office sheets put one or two title rows above it (机井台账（截至…）, 填报单位…, 单位：…), and
    the rows from a footer on (制表人, 审核, 合计…) are left out.  The frame's index is then each row's
    number in the sheet, and ``frame.attrs`` holds ``header_row`` (its sheet row), ``title`` (the text
    above it) and ``footer`` (the footer's text).
    """
    if len(data) > MAX_TABLE_MB * 2**20:
        raise InputDataError("err.upload.too_large", "The file is too large.",
                             size_mb=f"{len(data) / 2**20:.0f}", limit_mb=MAX_TABLE_MB)
    if not data:
        raise InputDataError("err.upload.empty", "The file is empty.", name=filename)
    ext = Path(filename).suffix.lower()
    office = known_headers is not None
    if ext in (".xlsx", ".xlsm"):
        _check_xlsx(data, filename)
        try:
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            n = wb.worksheets[0].max_row or 0 if wb.worksheets else 0
            wb.close()
            if n > MAX_ROWS + 1:
                raise _too_many_rows(n - 1, filename)
            df = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl", header=None if office else 0)
        except InputDataError:
            raise
        except Exception as exc:  # openpyxl raises many types for broken files
            raise InputDataError("err.table.read", f"Cannot read {filename}: {exc}", name=filename,
                                 detail=str(exc)[:200]) from exc
        enc = "xlsx"
        if office:
            rows = [[None if (isinstance(v, float) and v != v) else v for v in r] for r in df.itertuples(index=False)]
    elif ext in (".csv", ".txt"):
        if encoding is None:
            encoding, readings = guess_encoding(data)
            if encoding is None:
                if not readings:
                    raise InputDataError("err.table.encoding", "The text is neither UTF-8, GBK nor Big5.", name=filename)
                previews = {k: "\n".join(v.splitlines()[:6]) for k, v in readings.items()}
                raise EncodingUnsure("err.table.encoding_unsure", f"The encoding of {filename} is unclear.",
                                     previews=previews, name=filename, choices="、".join(previews))
        if encoding not in ENCODINGS:
            raise InputDataError("err.table.encoding", f"Unknown encoding {encoding!r}.", name=filename)
        try:
            text = data.decode(ENCODINGS[encoding])
        except UnicodeDecodeError as exc:
            raise InputDataError("err.table.encoding_wrong", f"{filename} is not {encoding}.", name=filename,
                                 encoding=encoding) from exc
        if text.count("\n") > MAX_ROWS + 1 and len(text.splitlines()) > MAX_ROWS + 1:
            raise _too_many_rows(len(text.splitlines()) - 1, filename)
        if office:
            import csv

            rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text.lstrip("\ufeff")))]
        else:
            try:
                df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise InputDataError("err.table.read", f"Cannot read {filename}: {exc}", name=filename,
                                     detail=str(exc)[:200]) from exc
        enc = encoding
    else:
        raise InputDataError("err.table.format", f"{ext or filename!r} is not CSV or XLSX.", ext=ext or filename)
    if office:
        df = _office_frame(rows, known_headers, header_key)
    df.columns = [str(c).strip() for c in df.columns]
    attrs = dict(df.attrs)
    df = df.dropna(how="all")
    if office:
        df = df[~df.apply(lambda r: all(blank(v) for v in r), axis=1)] if len(df) else df
        df.attrs.update(attrs)
    if len(df) > MAX_ROWS:
        raise _too_many_rows(len(df), filename)
    if len(df) == 0:
        raise InputDataError("err.upload.empty", "The file has no rows.", name=filename)
    return df, enc


def _office_frame(rows: list[list], known: set[str], key) -> pd.DataFrame:  # noqa: ANN001
    """The table in an office sheet's rows: header found below any title rows, footer rows left out."""
    from gwmap.io.cells import find_header_row, is_footer

    h = find_header_row(rows, known, key=key)
    h = 0 if h is None else h
    header = ["" if blank(c) else str(c).strip() for c in (rows[h] if rows else [])]
    header = [c or f"列{i + 1}" for i, c in enumerate(header)]
    body, numbers, footer = [], [], ""
    for j, r in enumerate(rows[h + 1:]):
        if is_footer(r):
            footer = " ".join(str(c).strip() for c in r if not blank(c))
            break
        cells = (list(r) + [None] * len(header))[:len(header)]
        body.append(["" if blank(c) else str(c).strip() for c in cells])
        numbers.append(h + 2 + j)  # the row's number in the sheet (1 = its first row)
    df = pd.DataFrame(body, columns=header, index=numbers)
    df.attrs.update(header_row=h + 1, footer=footer,
                    title=" ".join(str(c).strip() for r in rows[:h] for c in r if not blank(c)))
    return df


def _find(columns, names) -> str | None:
    low = {c.lower(): c for c in columns}
    return next((low[n] for n in names if n in low), None)


def points_from_table(df: pd.DataFrame, *, x: str | None = None, y: str | None = None,
                      crs: str | None = None) -> gpd.GeoDataFrame:
    """Points from a table, in the CRS their coordinates are in.

    Without ``x``/``y``, columns named lon/lat (or 经度/纬度) are taken as WGS84.
    With them, ``crs`` says what they are in (required); GCJ-02 is converted
    to WGS84.  A projected CRS is kept, so distances stay straight-line metres
    in that plane.  Rows whose coordinates are not numbers are refused, all
    listed at once (row numbers as in a spreadsheet: the header is row 1).
    """
    if x is None and y is None:
        x, y = _find(df.columns, LON_NAMES), _find(df.columns, LAT_NAMES)
        if x is None or y is None:
            raise InputDataError("err.table.no_coords", "No lon/lat (经度/纬度) columns; give --x/--y and --crs.",
                                 columns=", ".join(df.columns))
        crs = crs or "wgs84"
    elif not crs:
        raise InputDataError("err.crs.missing", "Say which CRS the x/y columns are in.")
    for col in (x, y):
        if col not in df.columns:
            raise InputDataError("err.table.no_column", f"No column {col!r}.", column=col, columns=", ".join(df.columns))
    xs = pd.to_numeric(df[x].astype(str).str.strip(), errors="coerce")
    ys = pd.to_numeric(df[y].astype(str).str.strip(), errors="coerce")
    bad = np.flatnonzero(xs.isna().to_numpy() | ys.isna().to_numpy())
    if len(bad):
        rows = ", ".join(str(int(i) + 2) for i in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise InputDataError("err.table.bad_coords", f"Rows {rows} have no numeric coordinates.", rows=rows,
                             x=x, y=y)
    xv, yv = xs.to_numpy(float), ys.to_numpy(float)
    if crs == GCJ02:
        xv, yv = gcj02_to_wgs84(xv, yv)
        crs = "wgs84"
    return gpd.GeoDataFrame(df.copy(), geometry=gpd.points_from_xy(xv, yv), crs=resolve_crs(crs))


def read_points(path: str | Path, *, x: str | None = None, y: str | None = None,
                crs: str | None = None, encoding: str | None = None) -> gpd.GeoDataFrame:
    """:func:`read_table` then :func:`points_from_table` for a file on disk."""
    p = Path(path)
    if not p.is_file():
        raise InputDataError("err.file.missing", f"No such file: {p}", name=str(p))
    if p.stat().st_size > MAX_TABLE_MB * 2**20:
        raise InputDataError("err.upload.too_large", "The file is too large.",
                             size_mb=f"{p.stat().st_size / 2**20:.0f}", limit_mb=MAX_TABLE_MB)
    df, _ = read_table(p.read_bytes(), p.name, encoding=encoding)
    return points_from_table(df, x=x, y=y, crs=crs)
