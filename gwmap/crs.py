"""Coordinate systems used in the county and the conversions between them.

Stored coordinates are WGS84 / CGCS2000 longitude and latitude (equal at map
scale).  Survey files often come in CGCS2000 3-degree Gauss-Krüger zones; phone
maps (AMap, Tencent) give GCJ-02 and Baidu gives BD-09, which are converted at
the edges only.  Areas are computed on an equal-area grid centred on the county.
"""

from __future__ import annotations

import logging
from functools import cache

import numpy as np
from pyproj import CRS
from pyproj.database import query_crs_info

from gwmap.errors import CRSError

logger = logging.getLogger(__name__)

__all__ = [
    "CRS_CHOICES",
    "GCJ02",
    "resolve_crs",
    "area_crs",
    "gcj02_to_wgs84",
    "wgs84_to_gcj02",
    "bd09_to_gcj02",
    "gcj02_to_bd09",
    "out_of_china",
]

GCJ02 = "gcj02"

#: The choices offered when a file has no CRS; values are looked up by name in
#: the PROJ database (never EPSG codes typed from memory).
CRS_CHOICES: dict[str, str] = {
    "wgs84": "WGS 84",
    "cgcs2000": "China Geodetic Coordinate System 2000",
    "gk3_cm114": "CGCS2000 / 3-degree Gauss-Kruger CM 114E",
    "gk3_cm117": "CGCS2000 / 3-degree Gauss-Kruger CM 117E",
    "gk3_zone38": "CGCS2000 / 3-degree Gauss-Kruger zone 38",
    "gk3_zone39": "CGCS2000 / 3-degree Gauss-Kruger zone 39",
    GCJ02: "GCJ-02 (AMap / Tencent)",
}

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


@cache
def _lookup(name: str) -> CRS:
    infos = [i for i in query_crs_info(auth_name="EPSG") if i.name == name]
    if name == "WGS 84":
        infos = [i for i in infos if i.code == "4326"] or infos
    if name == "China Geodetic Coordinate System 2000":
        infos = [i for i in infos if i.type.name == "GEOGRAPHIC_2D_CRS"] or infos
    if not infos:
        raise CRSError("err.crs.unknown", f"CRS {name!r} not in the PROJ database", crs=name)
    return CRS.from_authority(infos[0].auth_name, infos[0].code)


def resolve_crs(choice: str) -> CRS:
    """Return the pyproj CRS for a key of :data:`CRS_CHOICES` or any CRS string.

    GCJ-02 is not a PROJ CRS: for ``"gcj02"`` this returns WGS84 and the caller
    must apply :func:`gcj02_to_wgs84` to the coordinates.

    >>> resolve_crs("gk3_cm117").to_epsg()
    4548
    """
    if choice == GCJ02:
        return _lookup("WGS 84")
    if choice in CRS_CHOICES:
        return _lookup(CRS_CHOICES[choice])
    try:
        return CRS.from_user_input(choice)
    except Exception as exc:  # pyproj raises its own CRSError subclasses
        raise CRSError("err.crs.unknown", f"Unknown CRS {choice!r}: {exc}", crs=str(choice)) from exc


@cache
def area_crs(lon0: float = 115.5, lat0: float = 36.55) -> CRS:
    """Lambert azimuthal equal-area CRS centred on the county (metres).

    Areas computed in it are true areas on the ellipsoid, whichever GK zone
    the data came from.
    """
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


def out_of_china(lon, lat):
    """True where a point is outside the area GCJ-02 shifts (it is not shifted there)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Shift WGS84 degrees to GCJ-02 (the published forward algorithm).

    Returns arrays (or floats for scalar input); points outside China are
    returned unchanged.

    >>> lon, lat = wgs84_to_gcj02(115.44, 36.49)
    >>> round((lon - 115.44) * 1e5), round((lat - 36.49) * 1e5)  # about 550 m east, 30 m north
    (610, 29)
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon_a, lat_a)
    outside = out_of_china(lon_a, lat_a)
    out_lon = np.where(outside, lon_a, lon_a + dlon)
    out_lat = np.where(outside, lat_a, lat_a + dlat)
    return _like(lon, out_lon), _like(lat, out_lat)


def gcj02_to_wgs84(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 30):
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration.

    The shift varies slowly, so ``w <- w - (f(w) - g)`` converges to far below
    a millimetre in a few steps (the usual one-step inverse is off by up to a
    metre or two).
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = np.asarray(f_lon) - g_lon, np.asarray(f_lat) - g_lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        err = np.abs(np.concatenate([np.ravel(e_lon), np.ravel(e_lat)]))
        if err.size == 0 or np.nanmax(err) < tol_deg:
            break
    return _like(lon, w_lon), _like(lat, w_lat)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 to Baidu's BD-09."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _like(lon, z * np.cos(theta) + 0.0065), _like(lat, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon, lat):
    """Baidu's BD-09 to GCJ-02."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _like(lon, z * np.cos(theta)), _like(lat, z * np.sin(theta))


def _like(template, values: np.ndarray):
    if np.ndim(template) == 0:
        return float(values)
    return values
