"""The audit trail as an Excel workbook for a hearing file: every matching event, streamed.

Read by keyset pages of :data:`CHUNK` events (newest first, one indexed range each) and written
as inline strings straight into the zip (:mod:`gwmap.io.xlsx_stream`), so no frame of the whole history is
built.  ``bench/bench_audit_export.py`` times it against the plain pandas and openpyxl paths.
"""

from __future__ import annotations

import functools

from sqlalchemy import select

from gwmap.clock import to_local
from gwmap.io.xlsx_stream import text_workbook
from gwmap.reports import safe_cell
from gwmap.store import Store
from gwmap.store.repo import AuditQuery, describe_change
from gwmap.ui.i18n import named, recorded_value

CHUNK = 20_000
HEADERS = ("audit.at", "audit.actor", "audit.action", "audit.table", "audit.record", "audit.changes")


def audit_workbook(store: Store, query: AuditQuery, *, lang: str, person, tr, total: int,
                   progress=None) -> bytes:
    """Every event matching ``query`` (newest first) as one sheet; ``person(username)`` names the actor.

    ``progress(fraction)`` after each chunk read.  Values that repeat (actors, actions, tables, a field's
    coded value) are turned into words once.  At most :data:`MAX_ROWS` events (the caller says to narrow).
    """
    return text_workbook(tr("audit.header"), [tr(h) for h in HEADERS],
                         _rows(store, query, lang=lang, person=person, total=total, progress=progress),
                         widths=(20, 24, 12, 16, 14, 90))


def _rows(store: Store, query: AuditQuery, *, lang: str, person, total: int, progress):
    from gwmap.store.models import AuditEvent

    who = functools.lru_cache(maxsize=None)(person)
    action = functools.lru_cache(maxsize=None)(lambda v: named("audit.action_name", v, lang))
    table = functools.lru_cache(maxsize=None)(lambda v: named("audit.table_name", v, lang))
    field = functools.lru_cache(maxsize=None)(lambda f: named("field", f, lang))

    words: dict = {}

    def value(f, v):  # noqa: ANN001, ANN202
        key = (f, type(v), v) if isinstance(v, str | int | float | bool | type(None)) else None  # True and 1: two
        if key is None:
            return recorded_value(f, v, lang)
        out = words.get(key)
        if out is None:
            out = words[key] = recorded_value(f, v, lang)
            if len(words) > 200_000:  # a long history of distinct values: start again rather than grow
                words.clear()
        return out

    def change(before, after) -> str:  # noqa: ANN001
        parts = []
        for f, b, a in describe_change(before, after):
            if b is not None and a is not None:
                parts.append(f"{field(f)}: {value(f, b)} → {value(f, a)}")
            else:
                parts.append(f"{field(f)}: {value(f, a if a is not None else b)}")
        return "；".join(parts)

    cols = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.table_name,
            AuditEvent.record_id, AuditEvent.before, AuditEvent.after)
    conds = query.where()
    n = 0
    last = None
    with store.session() as s:
        while True:  # keyset pages, newest first: each one indexed range read
            stmt = select(*cols).where(*conds).order_by(AuditEvent.id.desc()).limit(CHUNK)
            if last is not None:
                stmt = stmt.where(AuditEvent.id < last)
            rows = s.execute(stmt).all()
            if not rows:
                break
            for _id, at, actor, act, tbl, record, before, after in rows:
                yield (to_local(at).strftime("%Y-%m-%d %H:%M:%S"), safe_cell(who(actor)), action(act), table(tbl),
                       safe_cell(record or ""), safe_cell(change(before, after)))
            n += len(rows)
            last = rows[-1][0]
            if progress:
                progress(min(n / max(total, 1), 1.0))
