"""Read township boundary files: GeoJSON, zipped Shapefile, GeoPackage, KML.

The reader checks everything a county GIS file can get wrong before anything
is stored: size, format, unsafe zip entries, missing ``.shp``, text encoding
(``.cpg`` honoured; GBK detected when absent), missing or implausible CRS.
The result is in WGS84 with the file's attribute fields, ready for
:func:`gwmap.boundaries.prepare_boundaries`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from gwmap.crs import GCJ02, gcj02_to_wgs84, resolve_crs
from gwmap.errors import CRSError, InputDataError

logger = logging.getLogger(__name__)

__all__ = ["BoundaryFile", "read_boundary_file", "MAX_UPLOAD_MB", "FORMATS", "county_region"]

MAX_UPLOAD_MB = 50
MAX_UNZIPPED_MB = 500
FORMATS = (".geojson", ".json", ".zip", ".gpkg", ".kml")
#: How far (degrees) around the county's extent a file may reach before its CRS is judged wrong.
REGION_MARGIN_DEG = 0.6
_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class BoundaryFile:
    """A boundary file read into WGS84.

    Attributes
    ----------
    gdf : GeoDataFrame
        Features in EPSG:4326 with the file's attribute columns.
    fields : tuple of str
        Attribute columns the user can map to name and code.
    source_crs : str
        The CRS the coordinates were read in (file's own, or the user's choice).
    sha256 : str
        Hash of the uploaded bytes.
    warnings : tuple
        ``(code, params)`` pairs for notices that did not stop the read.

    """

    gdf: gpd.GeoDataFrame
    fields: tuple[str, ...]
    source_crs: str
    sha256: str
    encoding: str = ""
    warnings: tuple[tuple[str, dict], ...] = field(default=())


def read_boundary_file(data: bytes, filename: str, *, crs: str | None = None) -> BoundaryFile:
    """Read an uploaded boundary file.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Its name; the extension selects the format.
    crs : str, optional
        A key of :data:`gwmap.crs.CRS_CHOICES` (or any CRS string).  Needed
        when the file has no CRS; when given, it overrides the file's.

    Raises
    ------
    InputDataError, CRSError
        With a message code saying what is wrong and how to fix it.

    """
    size_mb = len(data) / 2**20
    if size_mb > MAX_UPLOAD_MB:
        raise InputDataError("err.upload.too_large", f"The file is {size_mb:.0f} MB; the limit is {MAX_UPLOAD_MB} MB.",
                             size_mb=f"{size_mb:.0f}", limit_mb=MAX_UPLOAD_MB)
    if not data:
        raise InputDataError("err.upload.empty", "The file is empty.", name=filename)
    ext = Path(filename).suffix.lower()
    if ext not in FORMATS:
        raise InputDataError("err.boundary.format", f"{ext or filename!r} is not a supported boundary format.",
                             ext=ext or filename, formats=", ".join(FORMATS))
    sha = hashlib.sha256(data).hexdigest()
    notes: list[tuple[str, dict]] = []
    encoding = ""  # the text encoding found (reported); read_encoding is what GDAL is told
    read_encoding = None
    with tempfile.TemporaryDirectory(prefix="gwmap-bnd-") as tmp:
        tmpdir = Path(tmp)
        if ext == ".zip":
            path, encoding, more = _extract_shapefile(data, tmpdir)
            read_encoding = encoding
            notes += more
        else:
            if ext in (".geojson", ".json"):
                data, encoding = _utf8_json(data)
            path = tmpdir / f"upload{ext}"
            path.write_bytes(data)
        layer = _polygon_layer(path, notes)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gdf = gpd.read_file(path, layer=layer, engine="pyogrio", encoding=read_encoding)
        except Exception as exc:  # GDAL's errors vary by driver; report them as unreadable
            raise InputDataError("err.boundary.read", f"The file could not be read: {exc}",
                                 name=filename, detail=str(exc)[:200]) from exc
    if len(gdf) == 0:
        raise InputDataError("err.boundary.empty", "The file has no features.", name=filename)
    gdf, source_crs = _to_wgs84(gdf, crs, ext, notes)
    _check_region(gdf, source_crs)
    fields = tuple(str(c) for c in gdf.columns if c != gdf.geometry.name)
    return BoundaryFile(gdf, fields, source_crs, sha, encoding, tuple(notes))


def _utf8_json(data: bytes) -> tuple[bytes, str]:
    """GeoJSON must be UTF-8; files saved as GBK by older tools are re-encoded."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        return text.encode("utf-8"), ("" if enc == "utf-8-sig" else "GBK")
    raise InputDataError("err.boundary.encoding", "The text is neither UTF-8 nor GBK.")


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return not (p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]))


def _extract_shapefile(data: bytes, dest: Path) -> tuple[Path, str, list]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputDataError("err.zip.bad", "The .zip file is damaged or not a zip.") from exc
    with zf:
        infos = zf.infolist()
        bad = [i.filename for i in infos if not _safe_member(i.filename) or (i.external_attr >> 16) & 0o170000 == 0o120000]
        if bad:
            raise InputDataError("err.zip.unsafe", f"Zip entries point outside the folder: {bad[:3]}", entry=bad[0])
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_MB * 2**20:
            raise InputDataError("err.zip.too_big", "The zip unpacks to more than the limit.", limit_mb=MAX_UNZIPPED_MB)
        shps = sorted(i.filename for i in infos
                      if i.filename.lower().endswith(".shp") and "__MACOSX" not in i.filename)
        if not shps:
            raise InputDataError("err.zip.no_shp", "The zip holds no .shp file.",
                                 entries=", ".join(i.filename for i in infos[:8]))
        notes = []
        if len(shps) > 1:
            notes.append(("warn.zip.many_shp", {"used": shps[0], "count": len(shps)}))
        stem = shps[0][:-4]
        wanted = {stem.lower() + ext: ext for ext in _SHP_PARTS}
        found = {}
        for info in infos:
            ext = wanted.get(info.filename.lower())
            if ext:
                target = dest / f"boundary{ext}"
                _copy_member(zf, info, target)
                found[ext] = target
        for required in (".shx", ".dbf"):
            if required not in found:
                raise InputDataError("err.zip.missing_part", f"The shapefile has no {required} file.", part=required)
        encoding = _shapefile_encoding(found)
        return found[".shp"], encoding, notes


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Unpack one member, at most its stated size plus a margin.

    A member whose data lies about its size, fails its CRC, is encrypted or
    uses an unknown compression is refused as a damaged zip.
    """
    limit = min(info.file_size, MAX_UNZIPPED_MB * 2**20) + 2**20
    written = 0
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            for block in iter(lambda: src.read(2**20), b""):
                written += len(block)
                if written > limit:
                    raise InputDataError("err.zip.bad", "A zip member is larger than it says.")
                dst.write(block)
    except InputDataError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise InputDataError("err.zip.bad", f"The zip member {info.filename} is damaged: {exc}") from exc


def _shapefile_encoding(parts: dict[str, Path]) -> str:
    """Encoding from ``.cpg``; without one, UTF-8 if the DBF decodes as such, else GBK."""
    if ".cpg" in parts:
        cpg = parts[".cpg"].read_text(errors="ignore").strip().upper()
        aliases = {"936": "GBK", "CP936": "GBK", "GB2312": "GBK", "GB18030": "GB18030", "65001": "UTF-8", "UTF8": "UTF-8"}
        return aliases.get(cpg, cpg or "UTF-8")
    raw = parts[".dbf"].read_bytes()
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    body = raw[header_len:]
    try:
        body.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        try:
            body.decode("gb18030")
            return "GB18030"
        except UnicodeDecodeError:
            return "UTF-8"


def _polygon_layer(path: Path, notes: list) -> str | None:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise InputDataError("err.boundary.read", f"The file could not be read: {exc}",
                             name=path.name, detail=str(exc)[:200]) from exc
    if len(layers) == 0:
        raise InputDataError("err.boundary.empty", "The file has no layers.", name=path.name)
    poly = [str(name) for name, gtype in layers if gtype and "Polygon" in str(gtype)]
    chosen = poly[0] if poly else str(layers[0][0])
    if len(layers) > 1:
        notes.append(("warn.boundary.layer", {"layer": chosen, "count": len(layers)}))
    return chosen


def _to_wgs84(gdf: gpd.GeoDataFrame, choice: str | None, ext: str, notes: list) -> tuple[gpd.GeoDataFrame, str]:
    if choice:
        target = resolve_crs(choice)
        if gdf.crs is not None and not gdf.crs.equals(target) and choice != GCJ02:
            notes.append(("warn.crs.override", {"file_crs": gdf.crs.name, "chosen": target.name}))
        gdf = gdf.set_crs(target, allow_override=True)
        source = choice
    elif gdf.crs is None:
        raise CRSError("err.crs.missing_file", "The file has no CRS; choose the one it was made in.",
                       hint=_crs_hint(gdf))
    else:
        source = gdf.crs.to_string()
    gdf = gdf.to_crs("EPSG:4326")
    if choice == GCJ02:
        gdf = gdf.set_geometry(_gcj_to_wgs(gdf.geometry))
        notes.append(("warn.crs.gcj02", {}))
    return gdf, source


def _gcj_to_wgs(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    coords = shapely.get_coordinates(geoms.to_numpy())
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    new = shapely.set_coordinates(geoms.to_numpy().copy(), np.column_stack([lon, lat]))
    return gpd.GeoSeries(new, crs="EPSG:4326", index=geoms.index)


def _crs_hint(gdf: gpd.GeoDataFrame) -> str:
    """A suggestion from the size of the numbers (never applied automatically)."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if -180 <= minx <= 180 and -90 <= miny <= 90 and maxx <= 180 and maxy <= 90:
        return "wgs84"
    if 38_000_000 < minx < 39_000_000:
        return "gk3_zone38"
    if 39_000_000 < minx < 40_000_000:
        return "gk3_zone39"
    if 100_000 < minx < 900_000 and 3_000_000 < miny < 5_000_000:
        return "gk3_cm114 / gk3_cm117"
    return ""


def county_region() -> tuple[float, float, float, float]:
    """A generous box around the active county (lon/lat).

    Its reference extent widened by :data:`REGION_MARGIN_DEG`, or China's for a county not in the table.
    """
    from gwmap.county import far_box

    return far_box(margin_deg=REGION_MARGIN_DEG) or (73.0, 3.0, 136.0, 54.0)


def _check_region(gdf: gpd.GeoDataFrame, source: str) -> None:
    minx, miny, maxx, maxy = gdf.total_bounds
    x0, y0, x1, y1 = county_region()
    if not np.all(np.isfinite([minx, miny, maxx, maxy])) or maxx < x0 or minx > x1 or maxy < y0 or miny > y1:
        raise CRSError(
            "err.boundary.outside",
            f"The features fall at {minx:.3f}..{maxx:.3f} E, {miny:.3f}..{maxy:.3f} N, not in the county; "
            "the CRS is probably wrong.",
            bounds=f"{minx:.3f}–{maxx:.3f}°E, {miny:.3f}–{maxy:.3f}°N", crs=source,
        )


_NAME_FIELDS = ("name", "xzqmc", "名称", "乡镇", "乡镇名称", "mc", "xzmc")
_CODE_FIELDS = ("code", "xzqdm", "代码", "乡镇代码", "dm", "xzdm")


def guess_fields(fields: tuple[str, ...] | list[str]) -> tuple[str | None, str | None]:
    """Suggest the name and code fields from common Chinese GIS field names (the user confirms).

    >>> guess_fields(["OBJECTID", "XZQDM", "XZQMC"])
    ('XZQMC', 'XZQDM')
    """
    low = {f.lower(): f for f in fields}
    name = next((low[k] for k in _NAME_FIELDS if k in low), fields[0] if fields else None)
    code = next((low[k] for k in _CODE_FIELDS if k in low), None)
    return name, code
