"""Answers kept on disk (gwmap.kept): made once, read back by another process, made again when their data change."""

import pickle

import pandas as pd
import pytest

from gwmap import kept
from gwmap.registry import update_well
from gwmap.store import Store
from gwmap.store.users import system_user

OPERATOR = system_user("test", "test")


@pytest.fixture
def power_store(power_db_path):
    """The demo with its power records and meter readings (what ``init --demo`` makes); data dir: tmp_path."""
    st = Store(f"sqlite:///{power_db_path / 'gwmap.sqlite'}")
    yield st
    st.dispose()


@pytest.fixture
def counted(monkeypatch):
    """How many times each kind was really computed (the real work still runs)."""
    calls: dict[str, int] = {}
    for name, fn in dict(kept.KINDS).items():
        def wrapped(store, *args, _fn=fn, _name=name, **kw):  # noqa: ANN001
            calls[_name] = calls.get(_name, 0) + 1
            return _fn(store, *args, **kw)
        monkeypatch.setitem(kept.KINDS, name, wrapped)
    return calls


def test_a_kept_ledger_is_read_back_until_a_table_it_read_changes(power_store, tmp_path, counted):
    demo_store = power_store
    year = 2025
    first, tables = kept.answer(demo_store, tmp_path, "year_ledger", (year,))
    assert {"wells", "power_records"} <= tables
    again, _ = kept.answer(demo_store, tmp_path, "year_ledger", (year,))
    assert counted["year_ledger"] == 1  # the second answer came from the file
    from gwmap.ledger import year_ledger

    pd.testing.assert_frame_equal(again.wells, year_ledger(demo_store, year).wells)  # as made now, every cell
    assert again.total_m3 > 0
    well = first.wells.iloc[0]
    update_well(demo_store, OPERATOR, well.well_code, permitted_m3_per_year=123_456.0)
    changed, _ = kept.answer(demo_store, tmp_path, "year_ledger", (year,))
    assert counted["year_ledger"] == 2
    row = changed.wells.set_index("well_code").loc[well.well_code]
    assert row["permitted_m3_per_year"] == 123_456.0 and row["share"] == pytest.approx(row["m3"] / 123_456.0)


def test_a_damaged_file_is_made_again_not_trusted(demo_store, tmp_path, counted):
    kept.answer(demo_store, tmp_path, "screening_queue", (2025, kept_day()))
    (path,) = (tmp_path / "kept" / "screening_queue").glob("*.pkl")
    path.write_bytes(b"\x80\x05 half a pickle")
    out, _ = kept.answer(demo_store, tmp_path, "screening_queue", (2025, kept_day()))
    assert counted["screening_queue"] == 2 and isinstance(out, list)
    assert isinstance(pickle.loads(path.read_bytes()), list)  # written whole again


def test_warm_makes_what_the_dashboard_and_ledger_open_first(power_store, tmp_path, counted):
    demo_store = power_store
    from gwmap.ledger import data_years

    said = []
    n = kept.warm(demo_store, tmp_path, progress=lambda f, name, what: said.append((name, what)))
    years = data_years(demo_store)
    assert [w for name, w in said if name == "year_ledger"] == list(reversed(years))
    assert {name for name, _ in said} == {"year_ledger", "screening_queue", "link_suggestions", "level_change"}
    assert n == len(said) and counted["year_ledger"] == len(years)
    kept.warm(demo_store, tmp_path)  # the data did not change: everything is read back
    assert counted["year_ledger"] == len(years)


def test_warm_makes_the_queue_of_the_year_the_ledger_page_opens_on(power_store, tmp_path, counted):
    """The 取水一本账 page opens on the last whole year (2025 in June 2026), not the newest year of records:
    its screening queue is made at warm-up, so the first visit reads it back."""
    from gwmap.ledger import data_years

    years = data_years(power_store)
    assert years[-1] == 2026  # records run into this year
    kept.warm(power_store, tmp_path, today=kept_day())
    made = counted["screening_queue"]
    kept.answer(power_store, tmp_path, "screening_queue", (2025, kept_day()))
    kept.answer(power_store, tmp_path, "screening_queue", (2026, kept_day()))
    assert counted["screening_queue"] == made == 2  # both made at warm-up, both read back


def test_only_the_newest_answers_are_kept(demo_store, tmp_path, monkeypatch):
    monkeypatch.setattr(kept, "KEEP", 2)
    for year in (2022, 2023, 2024):
        kept.answer(demo_store, tmp_path, "year_ledger", (year,))
    assert len(list((tmp_path / "kept" / "year_ledger").glob("*.pkl"))) == 2


def kept_day():
    from datetime import date

    return date(2026, 6, 1)
