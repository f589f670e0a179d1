"""The one clock gwmap reads, so tests can move time (deadlines, lockouts).

>>> from datetime import datetime
>>> with frozen(datetime(2030, 1, 2, 3, 4)):
...     today().isoformat()
'2030-01-02'
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

__all__ = ["now", "today", "frozen", "to_local", "local_to_utc", "local_day_end_utc", "LOCAL_TZ", "set_zone"]

_fixed: datetime | None = None


def now() -> datetime:
    """Current time, UTC, naive (as stored in the database)."""
    if _fixed is not None:
        return _fixed
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """The county's date now (in :data:`LOCAL_TZ`).

    At 07:30 in Beijing it is already the new day, though UTC still has the day before.

    >>> with frozen(datetime(2026, 11, 28, 23, 30)):   # 07:30 on the 29th in Beijing
    ...     today().isoformat()
    '2026-11-29'
    """
    return to_local(now()).date()


@contextmanager
def frozen(at: datetime):
    """Fix :func:`now` to ``at`` inside the block."""
    global _fixed
    before, _fixed = _fixed, at
    try:
        yield
    finally:
        _fixed = before


#: The county's time zone: every date and time a user sees or exports is in it.  The county profile's
#: (:func:`set_zone`, called when the profile is read), unless ``GWMAP_TZ`` fixes it for the process.
LOCAL_TZ = os.environ.get("GWMAP_TZ", "").strip() or "Asia/Shanghai"
_TZ_FIXED = bool(os.environ.get("GWMAP_TZ", "").strip())


def set_zone(name: str) -> None:
    """Use the county's time zone ``name`` (an IANA name) from now on, unless ``GWMAP_TZ`` is set."""
    global LOCAL_TZ
    if name and not _TZ_FIXED:
        LOCAL_TZ = name


def to_local(at: datetime) -> datetime:
    """A stored (UTC, naive) time in Beijing time, naive, for display.

    >>> to_local(datetime(2026, 11, 28, 16, 0)).isoformat()
    '2026-11-29T00:00:00'
    """
    from zoneinfo import ZoneInfo

    if at is None or (isinstance(at, float) and at != at):
        return at
    if hasattr(at, "to_pydatetime"):  # a pandas Timestamp
        at = at.to_pydatetime()
    return at.replace(tzinfo=UTC).astimezone(ZoneInfo(LOCAL_TZ)).replace(tzinfo=None)


def local_day_end_utc(day: date) -> datetime:
    """The stored (UTC, naive) instant the county's ``day`` ends: everything before it happened by that day.

    >>> local_day_end_utc(date(2026, 10, 31)).isoformat()   # midnight in Beijing is 16:00 UTC
    '2026-10-31T16:00:00'
    """
    from zoneinfo import ZoneInfo

    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo(LOCAL_TZ))
    return end.astimezone(UTC).replace(tzinfo=None)


def local_to_utc(local: datetime) -> datetime:
    """A wall-clock time in the county (naive) as stored: UTC, naive.

    >>> local_to_utc(datetime(2026, 11, 29, 7, 30)).isoformat()
    '2026-11-28T23:30:00'
    """
    from zoneinfo import ZoneInfo

    return local.replace(tzinfo=ZoneInfo(LOCAL_TZ)).astimezone(UTC).replace(tzinfo=None)
