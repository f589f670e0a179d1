"""Engine, migrations and sessions.

>>> from gwmap.store.users import system_user
>>> store = Store("sqlite://")          # in memory
>>> store.migrate()
>>> with store.session(system_user("cli")) as s:   # a change needs a user
...     pass
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import StaticPool

from gwmap.config import Settings
from gwmap.store import audit, triggers

if TYPE_CHECKING:
    from gwmap.store.users import CurrentUser

logger = logging.getLogger(__name__)

__all__ = ["Store", "open_store", "insert_if_absent"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


#: True inside :meth:`Store.session` with a user: on SQLite the transaction starts with BEGIN IMMEDIATE.
_WRITING: contextvars.ContextVar[bool] = contextvars.ContextVar("gwmap_writing", default=False)
#: The tables the statements run in this context read (see :meth:`Store.reading`); None: nobody is asking.
_READ: contextvars.ContextVar[set | None] = contextvars.ContextVar("gwmap_tables_read", default=None)
_TABLE_NAMES = re.compile(r'\b(?:FROM|JOIN)\s+((?:"?\w+"?(?:\s+(?:AS\s+)?"?\w+"?)?\s*,\s*)*"?\w+"?)', re.I)


def note_read(tables) -> None:  # noqa: ANN001
    """Record ``tables`` as read by whoever is asking (:meth:`Store.reading`): a cached answer's tables."""
    seen = _READ.get()
    if seen is not None:
        seen.update(tables)


@contextmanager
def unnoted() -> Iterator[None]:
    """Statements inside are not recorded as read (a cache asking for versions is not reading the data)."""
    token = _READ.set(None)
    try:
        yield
    finally:
        _READ.reset(token)


@functools.lru_cache(maxsize=4096)
def _tables_of(statement: str) -> frozenset[str]:
    """The gwmap tables a statement's FROM and JOIN name (statements repeat: each is parsed once)."""
    from gwmap.store.models import Base

    known = Base.metadata.tables
    names = (part.split()[0].strip('"') for group in _TABLE_NAMES.findall(statement)
             for part in group.split(",") if part.split())
    return frozenset(n for n in names if n in known)


def _note_statement(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    seen = _READ.get()
    if seen is not None:
        seen |= _tables_of(statement)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event below starts transactions
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL" if "memory" not in url and url != "sqlite://" else "PRAGMA journal_mode=MEMORY")
            cur.close()
            triggers.register_sqlite_functions(dbapi_conn)

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            # A write transaction takes SQLite's write lock at once: a transaction that read first and
            # wrote later would fail ("database is locked") when another write landed in between.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _WRITING.get() else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """A database: engine, Alembic migrations and audited sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = _make_engine(url)
        #: Write transactions committed by this process (see gwmap.ui.data.versions).
        self.writes = 0
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        audit.install(self._factory)
        event.listen(self.engine, "before_cursor_execute", _note_statement)

    @contextmanager
    def reading(self) -> Iterator[set[str]]:
        """The names of the tables every statement inside the block reads (nested blocks add to the outer one).

        What a cache keys its answers on (:func:`gwmap.ui.data.reader`): the tables an answer was made from,
        found from the SQL itself, so no reader lists them by hand.
        """
        outer = _READ.get()
        seen: set[str] = set()
        token = _READ.set(seen)
        try:
            yield seen
        finally:
            _READ.reset(token)
            if outer is not None:
                outer |= seen

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self, user: CurrentUser | None = None, *, write: bool = False) -> Iterator[Session]:
        """A transaction: commits on success, rolls back on any error.

        ``user`` (a :class:`~gwmap.store.users.CurrentUser`, never a bare name)
        is the actor written to the audit trail; a session without one can read
        but not change audited records.  A user who is not a system principal
        must exist, be active and still hold its role, or
        :class:`~gwmap.errors.PermissionDenied` is raised before anything is written.
        ``write=True`` (implied by a user) takes SQLite's write lock at the start,
        for sessions that write audit rows only (refusals, failed sign-ins).
        """
        if user is not None and not hasattr(user, "role"):
            raise TypeError("Store.session takes the acting CurrentUser, not a name")
        tokens = [(_WRITING, _WRITING.set(user is not None or write)),
                  (triggers.ACTOR, triggers.ACTOR.set(user.username if user is not None else ""))]
        s = self._factory()
        try:
            if user is not None:
                _check_account(s, user)
                s.info["actor"] = user.username
                s.info["user"] = user
                if self.engine.dialect.name == "postgresql":  # who the triggers name for writes the ORM does not make
                    s.execute(text("SELECT set_config('gwmap.actor', :a, true)"), {"a": user.username})
            yield s
            s.commit()
            if user is not None or write:
                self.writes += 1  # this process changed something: per-run memos of data versions start over
        except StaleDataError as exc:  # the row changed between reading and writing (row_version)
            s.rollback()
            from gwmap.errors import ConflictError

            raise ConflictError("err.conflict.concurrent", "Someone saved this record at the same moment; "
                                "nothing was saved. Reload and try again.") from exc
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()
            for var, token in reversed(tokens):
                var.reset(token)

    @contextmanager
    def begin(self, user: CurrentUser | None = None) -> Iterator[Connection]:
        """A Core connection in a transaction (bulk statements), with the same actor rules as :meth:`session`."""
        with self.session(user) as s:
            yield s.connection()

    def dispose(self) -> None:
        self.engine.dispose()


def insert_if_absent(executor, model, key: str, **values) -> None:
    """``INSERT … ON CONFLICT (key) DO NOTHING`` on either backend (a counter or throttle row made once).

    ``executor`` is a Connection or Session; two callers racing to create the
    same row both succeed, and the row exists once.
    """
    dialect = executor.bind.dialect.name if isinstance(executor, Session) else executor.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    executor.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=[key]))


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
