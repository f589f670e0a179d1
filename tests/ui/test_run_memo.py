"""Data versions asked once per run, and asked again after a write in the same run or in the next run."""

import streamlit as st
from streamlit.testing.v1 import AppTest

from gwmap.store import Store
from gwmap.store.users import system_user

SCRIPT = '''
import streamlit as st
from gwmap.store.models import Well
from gwmap.store.users import system_user
from gwmap.ui import data, resources

first = dict(data.versions(["wells"]))["wells"]
again = dict(data.versions(["wells"]))["wells"]
if st.session_state.get("write"):
    with resources.store().session(system_user("hydro")) as s:
        s.add(Well(well_code="MEMO1", lon=115.5, lat=36.5, aquifer="shallow", use="irrigation", status="in_use"))
after = dict(data.versions(["wells"]))["wells"]
st.write(f"{first} {again} {after}")
'''


def test_versions_follow_writes_within_a_run_and_between_runs(demo_db_path, monkeypatch):
    monkeypatch.setenv("GWMAP_DATA_DIR", str(demo_db_path))
    monkeypatch.delenv("GWMAP_DATABASE_URL", raising=False)
    st.cache_resource.clear()
    at = AppTest.from_string(SCRIPT, default_timeout=60).run()
    first, again, after = map(int, at.markdown[0].value.split())
    assert first == again == after > 0
    at.session_state["write"] = True
    at.run()
    first2, _, after2 = map(int, at.markdown[0].value.split())
    assert first2 == first and after2 > first  # the write in this run is seen in this run
    at.session_state["write"] = False
    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    with store.session(system_user("hydro")) as s:  # another process writes between runs
        from sqlalchemy import select

        from gwmap.store.models import Well

        s.scalar(select(Well).where(Well.well_code == "MEMO1")).owner = "李"
    at.run()
    first3, _, _ = map(int, at.markdown[0].value.split())
    assert first3 > after2  # the next run asks the store again


READER = '''
import streamlit as st
from sqlalchemy import func, select
from gwmap.store.models import Well
from gwmap.ui import data, resources

@data.reader()
def wells_count():
    st.session_state["misses"] = st.session_state.get("misses", 0) + 1
    with resources.store().session() as s:
        return s.scalar(select(func.count()).select_from(Well))

st.write(f"{wells_count()} {st.session_state.get('misses', 0)}")
'''


def test_a_reader_is_keyed_by_the_tables_its_sql_read(demo_db_path, monkeypatch):
    """No table listed by hand: a new well is seen on the next run, a lead's change costs no new count."""
    from sqlalchemy import select

    from gwmap.store.models import Lead, Well

    monkeypatch.setenv("GWMAP_DATA_DIR", str(demo_db_path))
    monkeypatch.delenv("GWMAP_DATABASE_URL", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_string(READER, default_timeout=60).run()
    at.run()  # the first answer was keyed on every table; from now on on the wells alone
    count, misses = map(int, at.markdown[0].value.split())
    assert count == 3000
    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    with store.session(system_user("hydro")) as s:
        s.scalars(select(Lead)).first().description = "另一张表的改动"
    at.run()
    assert list(map(int, at.markdown[0].value.split())) == [3000, misses]  # kept
    with store.session(system_user("hydro")) as s:
        s.add(Well(well_code="READ1", lon=115.5, lat=36.5, aquifer="shallow", use="irrigation", status="in_use"))
    at.run()
    assert list(map(int, at.markdown[0].value.split())) == [3001, misses + 1]
