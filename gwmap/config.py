"""Settings read once from the environment.

=========================  ===============================================
variable                   meaning
=========================  ===============================================
``GWMAP_DATA_DIR``         runtime folder (database, uploads); ``./var``
``GWMAP_DATABASE_URL``     SQLAlchemy URL; default SQLite in the data dir
``GWMAP_DEMO``             ``1`` = demo mode (demo users, banner)
``GWMAP_BASEMAP``          ``none`` | ``tianditu`` | ``osm`` | ``custom``
``GWMAP_TIANDITU_KEY``     Tianditu token, for ``tianditu``
``GWMAP_TILE_URL``         XYZ URL template, for ``custom``
``GWMAP_SESSION_IDLE_MIN`` sign-in ends after this many idle minutes; 120
``GWMAP_SESSION_MAX_H``    and at the latest this many hours after; 12
``GWMAP_MAP_POINTS``       wells a map view draws one by one; 20000
=========================  ===============================================
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["Settings", "get_settings", "PROJECT_ROOT", "BASEMAPS"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BASEMAPS = ("none", "tianditu", "osm", "custom")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SessionLimits:
    """How long a sign-in lasts: ``idle`` without a visit, ``absolute`` from sign-in."""

    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; build with :func:`get_settings`."""

    data_dir: Path
    database_url: str
    demo: bool = False
    basemap: str = "none"
    tianditu_key: str = ""
    tile_url: str = ""
    demo_data_dir: Path = field(default=PROJECT_ROOT / "data")
    session_idle_min: int = 120
    session_max_h: int = 12
    map_points: int = 20_000
    #: the field page: a position rougher than this (m) is flagged; photos are shrunk to this many pixels
    field_accuracy_m: int = 30
    field_photo_px: int = 1600

    @property
    def session_limits(self):
        """How long a sign-in lasts."""
        return SessionLimits(idle=timedelta(minutes=self.session_idle_min), absolute=timedelta(hours=self.session_max_h))

    @property
    def evidence_dir(self) -> Path:
        """Folder where evidence files (photos, PDFs) are kept by SHA-256, never overwritten."""
        return self.data_dir / "evidence"

    @property
    def uploads_dir(self) -> Path:
        """Folder where uploaded originals are kept by SHA-256."""
        return self.data_dir / "uploads"


def get_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default ``os.environ``).

    >>> s = get_settings({"GWMAP_DATA_DIR": "/tmp/gw"})
    >>> s.database_url
    'sqlite:////tmp/gw/gwmap.sqlite'
    >>> s.basemap
    'none'
    """
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("GWMAP_DATA_DIR") or PROJECT_ROOT / "var").resolve()
    url = env.get("GWMAP_DATABASE_URL") or f"sqlite:///{data_dir / 'gwmap.sqlite'}"
    basemap = (env.get("GWMAP_BASEMAP") or "none").strip().lower()
    if basemap not in BASEMAPS:
        basemap = "none"
    return Settings(
        data_dir=data_dir,
        database_url=url,
        demo=_truthy(env.get("GWMAP_DEMO")),
        basemap=basemap,
        tianditu_key=env.get("GWMAP_TIANDITU_KEY", ""),
        tile_url=env.get("GWMAP_TILE_URL", ""),
        session_idle_min=_minutes(env, "GWMAP_SESSION_IDLE_MIN", 120, upper=24 * 60),
        session_max_h=_minutes(env, "GWMAP_SESSION_MAX_H", 12, upper=24 * 7),
        map_points=_minutes(env, "GWMAP_MAP_POINTS", 20_000, upper=200_000),
        field_accuracy_m=_minutes(env, "GWMAP_FIELD_ACCURACY_M", 30, upper=5_000),
        field_photo_px=_minutes(env, "GWMAP_FIELD_PHOTO_PX", 1600, upper=8_000),
    )


def _minutes(env: dict[str, str], name: str, default: int, *, upper: int) -> int:
    """A positive whole number from ``env[name]`` (at most ``upper``); the default, with a log line, otherwise.

    >>> _minutes({"X": "30"}, "X", 120, upper=1440), _minutes({"X": "0"}, "X", 120, upper=1440)
    (30, 120)
    """
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= upper:
        logger.warning("%s=%r is not a whole number from 1 to %d; using %d", name, raw, upper, default)
        return default
    return value
