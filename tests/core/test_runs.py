"""Surfaces and cones from the demo's stored surveys: cached with their parameters; the cone shrinks after 2023."""

import json

import numpy as np
import pytest
from sqlalchemy import func, select

from gwmap.runs import SurfaceRequest, cone_for, cone_series, surface_for
from gwmap.store import repo
from gwmap.store.models import ConeRun, SurfaceRun
from gwmap.store.users import CurrentUser
from gwmap.surveys import list_surveys

HYDRO = CurrentUser("hydro", "hydrologist")


@pytest.fixture
def ctx(demo_store, tmp_path):
    info, tw, _ = repo.current_boundaries(demo_store)
    return dict(townships=tw, boundary_version=info.id, data_dir=tmp_path)


def _survey_id(store, code, aquifer="shallow"):
    s = list_surveys(store)
    return int(s[(s.code == code) & (s.aquifer == aquifer)].id.iloc[0])


def test_same_request_is_answered_from_the_store(demo_store, ctx):
    req = SurfaceRequest(survey_id=_survey_id(demo_store, "2026-autumn"), method="idw", cell_m=250)
    first, run1, cached1 = surface_for(demo_store, HYDRO, req, **ctx)
    again, run2, cached2 = surface_for(demo_store, HYDRO, req, **ctx)
    assert (cached1, cached2) == (False, True) and run1 == run2
    np.testing.assert_allclose(again.values, first.values, rtol=1e-6, equal_nan=True)
    assert again.params["survey"] == "2026-autumn" and again.params["cell_m"] == 250
    assert again.cv.rmse == pytest.approx(first.cv.rmse)
    other, run3, _ = surface_for(demo_store, HYDRO, SurfaceRequest(req.survey_id, method="idw", cell_m=500), **ctx)
    assert run3 != run1 and other.grid.cell_m == 500
    with demo_store.session() as s:
        assert s.scalar(select(func.count()).select_from(SurfaceRun)) == 2
        stored = json.loads(s.get(SurfaceRun, run1).params_json)
    assert stored["method"] == "idw" and stored["survey_version"] == 1


def test_cone_is_stored_with_its_parameters(demo_store, ctx):
    req = SurfaceRequest(survey_id=_survey_id(demo_store, "2022-autumn"), method="kriging", cell_m=250)
    surf, run_id, _ = surface_for(demo_store, HYDRO, req, **ctx)
    cone, cached = cone_for(demo_store, HYDRO, surf, run_id, kind="depth", threshold=12.0, townships=ctx["townships"])
    again, cached2 = cone_for(demo_store, HYDRO, surf, run_id, kind="depth", threshold=12.0,
                              townships=ctx["townships"])
    assert (cached, cached2) == (False, True)
    assert again.area_km2 == pytest.approx(cone.area_km2) and list(again.by_township.code) == list(cone.by_township.code)
    with demo_store.session() as s:
        run = s.scalars(select(ConeRun)).one()
    params = json.loads(run.params_json)
    assert params["kind"] == "depth" and params["threshold"] == 12.0 and params["variogram"]["model"]


def test_cone_area_grows_to_2022_then_shrinks_every_year_since_2023(demo_store, ctx):
    steps = []
    series = cone_series(demo_store, HYDRO, aquifer="shallow", kind="depth", threshold=12.0, method="kriging",
                         cell_m=250, progress=lambda f, m: steps.append(f), **ctx)
    assert len(series) == 16 and steps[0] == 0 and steps[-1] == 1.0
    autumn = series[series.season == "autumn"].set_index("year").area_km2
    assert autumn[2022] > autumn[2019]
    assert all(series[series.year >= 2024].change_km2 < 0)  # 比去年同期减少, every survey since the sealings
    assert autumn[2026] < 0.5 * autumn[2022]
