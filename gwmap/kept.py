"""Answers that take seconds, computed when their data land and kept on disk until those data change.

The year's 取水一本账 and the screening queue cost about a second each on the demo (every well's coefficient,
lift and twelve months of records); a leader should not wait for them on the first visit after a restart,
nor should a second server process compute them again.  So each is kept in ``<data dir>/kept/<name>/`` under a
key made of its arguments, the county's day when it depends on it, and the versions of the tables it read
(:func:`gwmap.store.repo.table_versions`: an audited table's newest audit id).  Any change to those tables
makes a new key; the old file is simply not asked for again (the newest :data:`KEEP` per name are kept).

The files are Python pickles written only by this program into its own data directory (as the database and
the evidence are); nothing read from a user is ever unpickled.  What to compute is listed in :data:`KINDS`,
so the pages and the warm-up after an import (:func:`warm`) make the same keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from gwmap.store import Store

#: Files kept per kind (the newest); older answers are deleted when a new one is written.
KEEP = 16


def _year_ledger(store: Store, year: int, *, shared: dict | None = None):  # noqa: ANN202
    """One year's 取水一本账; ``shared`` carries the wells and the year-independent inputs between years."""
    from gwmap.ledger import ledger_inputs, year_ledger
    from gwmap.store.repo import wells_frame

    if shared is None:
        return year_ledger(store, int(year))
    if "inputs" not in shared:
        shared["wells"] = wells_frame(store)
        shared["inputs"] = ledger_inputs(store, shared["wells"])
    return year_ledger(store, int(year), wells=shared["wells"], inputs=shared["inputs"])


def _screening_queue(store: Store, year: int, today: date, *, shared: dict | None = None):  # noqa: ANN202, ARG001
    from gwmap.screening import queue

    return queue(store, year=int(year), today=today)


def _link_suggestions(store: Store, *, shared: dict | None = None):  # noqa: ANN202, ARG001
    from gwmap.power_links import suggest_links

    return suggest_links(store)


def _level_change(store: Store, boundary_version: int, round_code: str, compare: str, aquifer: str, band_m: float,
                  *, shared: dict | None = None):  # noqa: ANN202, ARG001
    """Year on year at the same wells on the current townships (``boundary_version``: theirs, part of the key)."""
    from gwmap.levels import year_on_year
    from gwmap.store.repo import current_boundaries

    _, townships, _ = current_boundaries(store)
    return year_on_year(store, round_code, compare=compare, aquifer=aquifer, band_m=float(band_m),
                        townships=townships)


#: name -> compute(store, *args, shared=None).  Arguments must be plain values (numbers, text, dates): they
#: make the key.  ``shared``: a dict one warm-up passes to every computation, for work they have in common.
KINDS: dict[str, Callable] = {"year_ledger": _year_ledger, "screening_queue": _screening_queue,
                              "link_suggestions": _link_suggestions, "level_change": _level_change}


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / "kept"


def _tables_file(data_dir: Path, name: str) -> Path:
    return folder(data_dir) / name / "tables.json"


def _known_tables(data_dir: Path, name: str) -> list[str] | None:
    try:
        return sorted(json.loads(_tables_file(data_dir, name).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _key(name: str, args: tuple, versions: dict[str, int]) -> str:
    text = json.dumps([name, [a.isoformat() if isinstance(a, date) else a for a in args],
                       sorted(versions.items())], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)  # a reader sees the whole file or none (another process may write the same one)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(where: Path) -> None:
    files = sorted(where.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)


def answer(store: Store, data_dir: Path, name: str, args: tuple = (), *,
           shared: dict | None = None) -> tuple[object, frozenset[str]]:
    """The answer of kind ``name`` for ``args`` and the tables it was made from: read back if kept, else made.

    A kept file that cannot be read (a half-written or older program's file) is made again.
    """
    from gwmap.store import repo
    from gwmap.store.models import Base

    compute = KINDS[name]
    known = _known_tables(data_dir, name)
    if known is not None:
        versions = repo.table_versions(store, known)
        path = folder(data_dir) / name / f"{_key(name, args, versions)}.pkl"
        try:
            return pickle.loads(path.read_bytes()), frozenset(known)  # noqa: S301 - our own file (module docstring)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            pass
    before = repo.table_versions(store, Base.metadata.tables)  # read first: a write during the work makes a new key
    with store.reading() as seen:
        out = compute(store, *args, shared=shared)
    tables = sorted(set(seen) | set(known or ()))
    versions = {t: v for t, v in before.items() if t in tables}
    where = folder(data_dir) / name
    _write(where / f"{_key(name, args, versions)}.pkl", pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    if tables != known:
        _write(_tables_file(data_dir, name), json.dumps(tables).encode("utf-8"))
    _prune(where)
    return out, frozenset(tables)


def warm(store: Store, data_dir: Path, *, today: date | None = None,
         progress: Callable[[float, str, object], None] | None = None) -> int:
    """Make what a leader opens first (the ledgers, the queue, the links, the first 同期对比).

    Every year's 取水一本账, the newest year's screening queue, the suggested 户号 links, and the dashboard's
    first year-on-year comparison (each aquifer's newest round against the same round a year before).
    Called when data land (``init``, an import); what is already kept for the current data is only read.
    ``progress(fraction, name, year or round code)`` before each.  Returns how many answers were looked at.
    """
    from gwmap import clock
    from gwmap.ledger import data_years, last_whole_year

    years = data_years(store)
    today = today or clock.today()
    jobs = [("year_ledger", (y,)) for y in reversed(years)]
    if years:  # the year the 取水一本账 page opens on first, then the newest
        jobs += [("screening_queue", (y, today)) for y in dict.fromkeys([last_whole_year(years, today), years[-1]])]
        jobs.append(("link_suggestions", ()))
    jobs += _level_jobs(store)
    shared: dict = {}
    for i, (name, args) in enumerate(jobs):
        if progress:
            progress(i / len(jobs), name, args[1] if name == "level_change" else args[0] if args else years[-1])
        answer(store, data_dir, name, args, shared=shared)
    return len(jobs)


def _level_jobs(store: Store) -> list[tuple[str, tuple]]:
    from gwmap.errors import NotFound
    from gwmap.levels import BAND_M, default_comparison
    from gwmap.store.repo import current_boundaries
    from gwmap.surveys import list_surveys

    try:
        info, _, _ = current_boundaries(store)
    except NotFound:
        return []
    rounds = list_surveys(store)
    jobs = []
    for aquifer in ("shallow", "deep"):
        pair = default_comparison(list(rounds.loc[rounds["aquifer"] == aquifer, "code"]))
        if pair:
            jobs.append(("level_change", (int(info.id), *pair, aquifer, float(BAND_M))))
    return jobs
