"""Backups that hold a committed state, and restores that check it before using it.

A backup is one ZIP file:

* the database: SQLite through its online backup API (a plain file copy of a
  live WAL database can miss committed pages), or PostgreSQL through
  ``pg_dump --format=custom``;
* every stored file under the data folder (evidence, sealing photos, survey
  originals, surfaces), by relative path;
* ``manifest.json``: format, time, backend, schema revision, the audit
  chain's head, and the SHA-256 and size of every member.

The archive is written to a temporary file and renamed into place, so a
backup that stopped half-way never looks like a good one.  :func:`restore`
checks every member against the manifest first, refuses a target that
already holds data unless told to replace it, and runs :func:`~gwmap.store.verify.verify`
on the result.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gwmap import clock
from gwmap.errors import GwmapError, InputDataError
from gwmap.io.files import file_sha256
from gwmap.store.db import Store

logger = logging.getLogger(__name__)

__all__ = ["backup", "restore", "BackupInfo", "FORMAT"]

FORMAT = "gwmap-backup/1"
_SQLITE_MEMBER = "database/gwmap.sqlite"
_PG_MEMBER = "database/gwmap.pgdump"
#: Data-folder entries that are the live database or scratch, not stored files.
_SKIP = {"gwmap.sqlite", "gwmap.sqlite-wal", "gwmap.sqlite-shm", "gwmap.sqlite-journal"}


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (from its manifest)."""

    path: Path
    backend: str
    revision: str
    audit_head: str
    files: int
    bytes: int


def _revision(store: Store) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def _audit_head(store: Store) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(text("SELECT row_hash FROM audit_events ORDER BY id DESC LIMIT 1")).scalar() or "")


def _pg_env(url: str) -> tuple[list[str], dict]:
    u = make_url(url)
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    args = ["-h", u.host or "localhost", "-p", str(u.port or 5432), "-U", u.username or "postgres", "-d", u.database or ""]
    return args, env


def _run(cmd: list[str], env: dict) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600, check=False)
    except FileNotFoundError as exc:
        raise GwmapError("err.backup.tool", f"{cmd[0]} is not installed.", tool=cmd[0]) from exc
    if done.returncode != 0:
        raise GwmapError("err.backup.tool_failed", f"{cmd[0]} failed: {done.stderr.strip()[:500]}",
                         tool=cmd[0], detail=done.stderr.strip()[:300])


def backup(store: Store, data_dir: Path, out: Path) -> BackupInfo:
    """Write a backup of the database and the stored files to ``out`` (a .zip)."""
    out = Path(out)
    backend = store.engine.dialect.name
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".gwmap-backup-") as tmp:
        tmp = Path(tmp)
        if backend == "sqlite":
            db_file, member = tmp / "gwmap.sqlite", _SQLITE_MEMBER
            raw = store.engine.raw_connection()
            try:
                dst = sqlite3.connect(db_file)
                with dst:
                    raw.driver_connection.backup(dst)  # a consistent snapshot of committed data
                dst.close()
            finally:
                raw.close()
        elif backend == "postgresql":
            db_file, member = tmp / "gwmap.pgdump", _PG_MEMBER
            args, env = _pg_env(store.url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(db_file), *args], env)
        else:
            raise GwmapError("err.backup.backend", f"No backup for {backend}.", backend=backend)
        files = [(member, db_file)]
        data_dir = Path(data_dir)
        if data_dir.exists():
            for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
                rel = path.relative_to(data_dir)
                if rel.parts[0] in _SKIP or rel.name.endswith(".part") or rel.parts[0].startswith(".gwmap-backup"):
                    continue
                if path.resolve() == out.resolve():
                    continue
                files.append((f"files/{rel.as_posix()}", path))
        manifest = {
            "format": FORMAT, "created_at": clock.now().isoformat(), "backend": backend,
            "revision": _revision(store), "audit_head": _audit_head(store),
            "members": [{"name": name, "sha256": file_sha256(path), "size": path.stat().st_size} for name, path in files],
        }
        part = tmp / "backup.zip"
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
            for name, path in files:
                zf.write(path, name)
        with open(part, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, out)
    logger.info("backup written: %s (%d members)", out, len(files))
    return BackupInfo(out, backend, manifest["revision"], manifest["audit_head"], len(files) - 1,
                      sum(m["size"] for m in manifest["members"]))


def _read_manifest(zf: zipfile.ZipFile, name: str) -> dict:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise InputDataError("err.backup.not_a_backup", f"{name} is not a gwmap backup (no manifest).",
                             name=name) from exc
    if manifest.get("format") != FORMAT:
        raise InputDataError("err.backup.not_a_backup", f"{name} is not a gwmap backup.", name=name)
    return manifest


def _is_empty(store: Store, data_dir: Path) -> bool:
    try:
        with store.engine.connect() as conn:
            n = conn.execute(text("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM boundary_versions)"
                                  " + (SELECT count(*) FROM wells)")).scalar()
    except Exception:  # noqa: BLE001 - no tables yet: an empty database
        n = 0
    stored = [p for p in Path(data_dir).rglob("*") if p.is_file() and p.name not in _SKIP] if Path(data_dir).exists() else []
    return not n and not stored


def restore(archive: Path, store_url: str, data_dir: Path, *, force: bool = False) -> BackupInfo:
    """Restore ``archive`` into the database at ``store_url`` and the folder ``data_dir``.

    Raises
    ------
    InputDataError
        Not a gwmap backup, a member that does not match its hash, an unsafe
        path, another backend, or a target that holds data without ``force``.

    """
    archive, data_dir = Path(archive), Path(data_dir)
    if not archive.is_file():
        raise InputDataError("err.file.missing", f"No such file: {archive}", name=str(archive))
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise InputDataError("err.backup.not_a_backup", f"{archive.name} is not a gwmap backup.",
                             name=archive.name) from exc
    with zf:
        manifest = _read_manifest(zf, archive.name)
        members = {m["name"]: m for m in manifest["members"]}
        for name, m in members.items():
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or not name.startswith(("files/", "database/")):
                raise InputDataError("err.backup.unsafe", f"Unsafe path in the backup: {name}", name=name)
            info = zf.getinfo(name)
            if info.file_size != m["size"]:
                raise InputDataError("err.backup.corrupt", f"{name} does not match the manifest.", name=name)
            h = hashlib.sha256()
            with zf.open(info) as fh:
                for block in iter(lambda fh=fh: fh.read(2**20), b""):
                    h.update(block)
            if h.hexdigest() != m["sha256"]:
                raise InputDataError("err.backup.corrupt", f"{name} does not match the manifest.", name=name)
        backend = "postgresql" if store_url.startswith("postgresql") else "sqlite"
        if manifest["backend"] != backend:
            raise InputDataError("err.backup.backend_mismatch", "The backup is from another kind of database.",
                                 backup=manifest["backend"], target=backend)
        target = Store(store_url)
        try:
            if not force and not _is_empty(target, data_dir):
                raise InputDataError("err.backup.not_empty", "The database or data folder already holds data; "
                                     "use --force to replace it.", folder=str(data_dir))
        finally:
            target.dispose()
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".gwmap-restore-") as tmp:
            tmp = Path(tmp)
            zf.extractall(tmp, members=list(members))
            if backend == "sqlite":
                db_path = Path(make_url(store_url).database)
                db_path.parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("-wal", "-shm", "-journal"):
                    Path(f"{db_path}{suffix}").unlink(missing_ok=True)
                shutil.move(str(tmp / _SQLITE_MEMBER), db_path)
            else:
                args, env = _pg_env(store_url)
                _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                      *args, str(tmp / _PG_MEMBER)], env)
            files_root = tmp / "files"
            if files_root.exists():
                for path in sorted(p for p in files_root.rglob("*") if p.is_file()):
                    dest = data_dir / path.relative_to(files_root)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(str(path), dest)
    return BackupInfo(archive, backend, manifest["revision"], manifest["audit_head"],
                      sum(1 for n in members if n.startswith("files/")), sum(m["size"] for m in members.values()))
