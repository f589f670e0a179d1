"""Engine, migrations and sessions.

>>> from gwmap.store.users import system_user
>>> store = Store("sqlite://")          # in memory
>>> store.migrate()
>>> with store.session(system_user("cli")) as s:   # a change needs a user
...     pass
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from gwmap.config import Settings
from gwmap.store import audit

if TYPE_CHECKING:
    from gwmap.store.users import CurrentUser

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
    def session(self, user: CurrentUser | None = None) -> Iterator[Session]:
        """A transaction: commits on success, rolls back on any error.

        ``user`` (a :class:`~gwmap.store.users.CurrentUser`, never a bare name)
        is the actor written to the audit trail; a session without one can read
        but not change audited records.  A user who is not a system principal
        must exist, be active and still hold its role, or
        :class:`~gwmap.errors.PermissionDenied` is raised before anything is written.
        """
        if user is not None and not hasattr(user, "role"):
            raise TypeError("Store.session takes the acting CurrentUser, not a name")
        s = self._factory()
        try:
            if user is not None:
                _check_account(s, user)
                s.info["actor"] = user.username
                s.info["user"] = user
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _check_account(s: Session, user: CurrentUser) -> None:
    if getattr(user, "system", False):
        return
    from sqlalchemy import select

    from gwmap.errors import PermissionDenied
    from gwmap.store.models import User

    row = s.execute(select(User.active, User.role).where(User.username == user.username)).first()
    if row is None or not row.active or row.role != user.role:
        raise PermissionDenied("err.auth.revoked", f"The account {user.username!r} is unknown, disabled or has "
                               "another role now; sign in again.", username=user.username)


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open the database named by the settings and run migrations."""
    store = Store(settings.database_url)
    if migrate:
        store.migrate()
    return store
