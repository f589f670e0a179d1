"""``python -m gwmap verify``: the audit trail is whole and every stored file is what its record says.

Checks, reading only:

* the audit chain: each row's ``row_hash`` is the SHA-256 of its content and
  ``prev_hash``, and ``prev_hash`` is the ``row_hash`` of the row before, so a
  row changed, removed or inserted out of turn shows as a break;
* every evidence file, sealing photo and survey original: the file exists and
  its SHA-256 is the one in its record;
* the records' hashes themselves: each is the value the record was created
  with (from its audit row), so pointing a record at another file shows.

The last row's hash (``head``) can be written down or printed in the monthly
bulletin: a later check that does not reach it shows the trail was cut.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from gwmap.io.files import file_sha256
from gwmap.store.db import Store
from gwmap.store.triggers import chain_hash_sql

logger = logging.getLogger(__name__)

__all__ = ["VerifyReport", "verify", "created_hashes", "STORED_FILES"]

#: Records that point at a stored file: (table, hash column, folder under the data dir, file name suffix column).
STORED_FILES = (
    ("evidence", "sha256", "evidence"),
    ("sealing_photos", "sha256", "sealing_photos"),
    ("surveys", "source_sha256", "uploads"),
    ("power_uploads", "source_sha256", "uploads"),
)


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found; ``ok`` when nothing is wrong."""

    audit_rows: int
    head: str
    chain_breaks: list[dict] = field(default_factory=list)
    files_checked: int = 0
    file_problems: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.chain_breaks and not self.file_problems

    def to_json(self) -> dict:
        return {"ok": self.ok, "audit_rows": self.audit_rows, "head": self.head, "chain_breaks": self.chain_breaks,
                "files_checked": self.files_checked, "file_problems": self.file_problems}


def verify(store: Store, data_dir: Path, *, progress=None) -> VerifyReport:
    """Check the audit chain and every stored file (see the module docstring).

    ``progress(done, total)`` is called now and then for a progress bar.
    """
    breaks: list[dict] = []
    expr = chain_hash_sql(store.engine.dialect.name)
    with store.engine.connect() as conn:
        total = int(conn.execute(text("SELECT count(*) FROM audit_events")).scalar() or 0)
        rows = conn.execution_options(stream_results=True, yield_per=5000).execute(
            text(f"SELECT id, prev_hash, row_hash, {expr} FROM audit_events ORDER BY id"))
        prev, n = "", 0
        for rid, prev_hash, row_hash, recomputed in rows:
            n += 1
            if row_hash is None or row_hash != recomputed:
                breaks.append({"id": rid, "problem": "content_changed"})
            if (prev_hash or "") != prev:
                breaks.append({"id": rid, "problem": "chain_broken"})
            prev = row_hash or ""
            if progress and n % 5000 == 0:
                progress(n, total)
        originals = _created_hashes(conn)
        problems, checked = _check_files(conn, data_dir, originals)
    if breaks:
        logger.error("audit chain: %d breaks, first at id %s", len(breaks), breaks[0]["id"])
    return VerifyReport(audit_rows=n, head=prev, chain_breaks=breaks, files_checked=checked, file_problems=problems)


def created_hashes(store: Store, table: str) -> dict[str, str]:
    """Record id -> the file hash each record of ``table`` was inserted with (from the audit trail)."""
    with store.engine.connect() as conn:
        return {rid: h for (t, rid), h in _created_hashes(conn).items() if t == table}


def _created_hashes(conn) -> dict[tuple[str, str], str]:
    """(table, record id) -> the file hash the record was inserted with, from the audit trail."""
    out: dict[tuple[str, str], str] = {}
    tables = {t for t, _, _ in STORED_FILES}
    rows = conn.execute(text("SELECT table_name, record_id, after FROM audit_events WHERE action = 'insert' "
                             "AND table_name IN ('evidence', 'sealing_photos', 'surveys', 'power_uploads') ORDER BY id"))
    columns = {t: c for t, c, _ in STORED_FILES}
    for table, record_id, after in rows:
        if table in tables and after:
            try:
                out[(table, str(record_id))] = json.loads(after).get(columns[table]) or ""
            except ValueError:
                continue
    return out


def _check_files(conn, data_dir: Path, originals: dict) -> tuple[list[dict], int]:
    problems: list[dict] = []
    checked = 0
    for table, column, folder in STORED_FILES:
        # the demo's surveys are read from the repository's data/ folder, not kept as uploads
        demo = " WHERE source_name NOT LIKE 'demo:%'" if table == "surveys" else ""
        for rid, sha in conn.execute(text(f"SELECT id, {column} FROM {table}{demo} ORDER BY id")):
            if not sha:
                continue
            checked += 1
            where = {"table": table, "id": rid, "sha256": sha}
            created = originals.get((table, str(rid)))
            if created is not None and created != sha:
                problems.append({**where, "problem": "hash_changed_in_record", "created_with": created})
            path = _find(data_dir / folder, sha)
            if path is None:
                problems.append({**where, "problem": "missing"})
            elif file_sha256(path) != sha:
                problems.append({**where, "problem": "file_changed", "path": str(path)})
    return problems, checked


def _find(folder: Path, sha: str) -> Path | None:
    exact = folder / sha
    if exact.exists():
        return exact
    hits = sorted(folder.glob(f"{sha}.*")) if folder.exists() else []
    return hits[0] if hits else None
