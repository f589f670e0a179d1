import json
import os
import subprocess
import sys

import pytest

from gwmap.config import PROJECT_ROOT
from tests.conftest import DATA


def run(args, data_dir, input_=None):
    env = {**os.environ, "GWMAP_DATA_DIR": str(data_dir)}
    env.pop("GWMAP_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "gwmap", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, input=input_, timeout=120)


def test_init_without_demo_makes_no_accounts(tmp_path):
    r = run(["init", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"]["wells"] == 0
    from gwmap.store import Store, repo

    assert not repo.has_users(Store(f"sqlite:///{tmp_path / 'gwmap.sqlite'}"))


def test_init_demo_create_user_and_import(demo_db_path):
    r = run(["init", "--demo", "--json"], demo_db_path)
    assert r.returncode == 0 and json.loads(r.stdout)["counts"]["wells"] == 3000
    r = run(["create-user", "zhang", "--role", "enforcement", "--password", "zhang-pass-1"], demo_db_path)
    assert r.returncode == 0 and "zhang" in r.stdout
    r = run(["import-boundaries", str(DATA / "boundaries" / "townships.geojson"), "--name-field", "name",
             "--code-field", "code", "--json"], demo_db_path)
    out = json.loads(r.stdout)
    assert out["townships"] == 18 and out["county_area_km2"] == pytest.approx(1161, abs=5) and out["version"] == 2


@pytest.mark.parametrize("args, code", [
    (["create-user", "x", "--role", "admin", "--password", "short"], "err.user.password_short"),
    (["import-boundaries", "missing.geojson", "--name-field", "name"], "err.file.missing"),
    (["import-boundaries", "data/README.md", "--name-field", "name"], "err.boundary.format"),
])
def test_bad_input_exits_non_zero_with_the_reason(tmp_path, args, code):
    r = run(args, tmp_path)
    assert r.returncode == 2 and code in r.stderr
