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
=========================  ===============================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "get_settings", "PROJECT_ROOT", "BASEMAPS"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BASEMAPS = ("none", "tianditu", "osm", "custom")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


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
    )
