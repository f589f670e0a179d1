"""The audit trail: every insert and update of an audited model writes a row.

A session must carry ``session.info["actor"]`` (the user name) to change
anything; a flush without one is refused, and a delete is always refused
(records are archived or superseded instead).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from gwmap import clock
from gwmap.errors import GwmapError
from gwmap.store import triggers
from gwmap.store.models import AuditEvent, Base
from gwmap.store.validate import check_record

__all__ = ["install", "snapshot", "write_event"]

_REDACTED = {"password_hash"}
#: Bookkeeping columns left out of before/after (the optimistic-locking counter).
_NOT_SHOWN = {"row_version"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def snapshot(obj: Base) -> dict[str, Any]:
    """Column values of ``obj`` as JSON-ready values, secrets redacted."""
    state = inspect(obj)
    out = {}
    for attr in state.mapper.column_attrs:
        v = getattr(obj, attr.key)
        out[attr.key] = "***" if attr.key in _REDACTED else _jsonable(v)
    return out


def write_event(session: Session, *, actor: str, action: str, table: str, record_id: Any = "",
                before: dict | None = None, after: dict | None = None) -> None:
    """Insert an audit row through the session's connection (inside its transaction)."""
    session.connection().execute(
        AuditEvent.__table__.insert(),
        [{
            "at": clock.now(), "actor": actor, "action": action, "table_name": table,
            "record_id": str(record_id),
            "before": None if before is None else json.dumps(before, ensure_ascii=False),
            "after": None if after is None else json.dumps(after, ensure_ascii=False),
        }],
    )


def _pk(obj: Base) -> str:
    return "/".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _before_flush(session: Session, flush_context, instances) -> None:
    audited = [o for o in list(session.new) + list(session.dirty) if getattr(o, "__audited__", False)]
    if session.deleted:
        names = sorted({type(o).__name__ for o in session.deleted})
        raise GwmapError("err.store.no_delete", f"Records are never deleted ({', '.join(names)}); archive them instead.")
    if audited and not session.info.get("actor"):
        raise GwmapError("err.store.no_actor", "A change needs a signed-in user (session.info['actor']).")
    for obj in list(session.new) + [o for o in session.dirty if session.is_modified(o, include_collections=False)]:
        check_record(obj)  # nothing impossible is stored, whichever path wrote it
    _mark_flush(session, True)  # the database triggers leave these writes to this hook


def _mark_flush(session: Session, on: bool) -> None:
    token = session.info.pop("_flush_token", None)
    if token is not None:
        triggers.IN_FLUSH.reset(token)
    if on:
        session.info["_flush_token"] = triggers.IN_FLUSH.set(True)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SELECT set_config('gwmap.in_flush', '{int(on)}', true)")


def _after_flush_postexec(session: Session, flush_context) -> None:
    _mark_flush(session, False)


def _after_rollback(session: Session) -> None:
    token = session.info.pop("_flush_token", None)
    if token is not None:
        triggers.IN_FLUSH.reset(token)


def _after_flush(session: Session, flush_context) -> None:
    actor = session.info.get("actor", "")
    rows = []
    for obj in session.new:
        if getattr(obj, "__audited__", False):
            rows.append(("insert", obj, None, snapshot(obj)))
    for obj in session.dirty:
        if not getattr(obj, "__audited__", False) or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        before, after = {}, {}
        for attr in state.mapper.column_attrs:
            if attr.key in _NOT_SHOWN:
                continue
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                secret = attr.key in _REDACTED
                before[attr.key] = "***" if secret else _jsonable(old)
                after[attr.key] = "***" if secret else _jsonable(new)
        if after:
            rows.append(("update", obj, before, after))
    if not rows:
        return
    now = clock.now()
    session.connection().execute(
        AuditEvent.__table__.insert(),
        [{
            "at": now, "actor": actor, "action": action, "table_name": obj.__tablename__,
            "record_id": _pk(obj),
            "before": None if before is None else json.dumps(before, ensure_ascii=False),
            "after": json.dumps(after, ensure_ascii=False),
        } for action, obj, before, after in rows],
    )


def install(session_class) -> None:
    """Attach the audit hooks to a sessionmaker or Session class."""
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "after_flush_postexec", _after_flush_postexec)
    event.listen(session_class, "after_soft_rollback", lambda session, previous: _after_rollback(session))
