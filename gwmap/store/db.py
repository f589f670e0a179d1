"""Engine, migrations and sessions.

>>> store = Store("sqlite://")          # in memory
>>> store.migrate()
>>> with store.session("admin") as s:   # a change needs an actor
...     pass
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from gwmap.config import Settings
from gwmap.store import audit

logger = logging.getLogger(__name__)

__all__ = ["Store", "open_store"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL" if "memory" not in url and url != "sqlite://" else "PRAGMA journal_mode=MEMORY")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """A database: engine, Alembic migrations and audited sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = _make_engine(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        audit.install(self._factory)

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self, actor: str | None = None) -> Iterator[Session]:
        """A transaction: commits on success, rolls back on any error.

        ``actor`` is the user name written to the audit trail; a session
        without one can read but not change audited records.
        """
        s = self._factory()
        if actor:
            s.info["actor"] = actor
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open the database named by the settings and run migrations."""
    store = Store(settings.database_url)
    if migrate:
        store.migrate()
    return store
