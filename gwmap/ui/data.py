"""Cached reads for the pages, each keyed by the tables its SQL read (:func:`reader`), so edits show at once."""

from __future__ import annotations

import streamlit as st

from gwmap.store import repo
from gwmap.ui.resources import settings, store

__all__ = ["onemap_layers", "current_boundaries", "versions", "reader", "rendered_map", "run_memo"]


def run_memo() -> dict | None:
    """A dict that lives for one run of the page (None outside a Streamlit run).

    Keyed on the run's cursor table, which Streamlit makes anew at the start of every run.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    memo = getattr(ctx, "_gwmap_run_memo", None)
    if memo is None or memo[0] is not ctx.cursors:
        memo = (ctx.cursors, {})
        ctx._gwmap_run_memo = memo
        from gwmap.store.db import _READ

        memo[1]["read"] = set()
        _READ.set(memo[1]["read"])  # every table this run reads (see rendered_map)
    return memo[1]


def _run_reads() -> set[str]:
    """The tables this run has read so far (directly or through cached readers)."""
    memo = run_memo()
    return set() if memo is None else memo["read"]


def versions(tables) -> tuple:
    """((table, version), …) of ``tables``, asked of the store once per run for every table.

    A page reads several cached things; the first asks for every data table's version in one round trip
    and the rest of the run reuses them.  A write made by this process during the run (``Store.writes``)
    makes them be asked again.
    """
    from gwmap.store.models import Base

    st_ = store()
    memo = run_memo()
    tables = sorted(set(tables) - set(repo.NOT_DATA))
    if memo is None:
        known = repo.table_versions(st_, tables)
    else:
        cached = memo.get("versions")
        if cached is None or cached[0] != st_.writes or not set(tables) <= cached[1].keys():
            cached = (st_.writes, repo.table_versions(st_, [*Base.metadata.tables, *tables]))
            memo["versions"] = cached
        known = cached[1]
    return tuple((t, known[t]) for t in tables)


#: The tables each cached reader was seen to read (found from its SQL: :meth:`gwmap.store.Store.reading`).
_READS: dict[str, frozenset[str]] = {}


class _Unhashed:
    """An argument a cache does not key on (Streamlit's leading-underscore rule, for :func:`reader`)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:  # noqa: ANN001
        self.value = value


def _data_key(name: str) -> tuple:
    """What the answers of reader ``name`` are keyed on: the versions of the tables it read last time.

    Before its first answer in this process: every data table's (one miss more, then its own tables).
    """
    from gwmap.store.models import Base

    return versions(_READS.get(name) or Base.metadata.tables)


def reader(*, max_entries: int = 4, per_day: bool = False, shared: bool = False):
    """A cached read for the pages, keyed by the tables it reads, found from its SQL: none is listed by hand.

    The answer is kept (``st.cache_data``, or ``st.cache_resource`` when ``shared``: one object for every
    session, read-only) until one of those tables changes, or the county's day does when ``per_day``.
    Parameters whose name starts with "_" are passed but not keyed on.  A reader called by another (or by
    :func:`rendered_map`'s builder) adds its tables to the caller's.
    """
    import functools
    import inspect

    from gwmap.store.db import note_read

    def wrap(fn):
        name = f"{fn.__module__}.{fn.__qualname__}"
        params = list(inspect.signature(fn).parameters)

        def miss(key, *args):  # noqa: ANN001, ARG001 - key: what Streamlit hashes
            with store().reading() as seen:
                out = fn(*(a.value if isinstance(a, _Unhashed) else a for a in args))
            _READS[name] = _READS.get(name, frozenset()) | frozenset(seen)
            return out

        miss.__qualname__ = f"{fn.__qualname__}.<cached>"  # Streamlit keys a cache by module and qualname
        miss.__module__ = fn.__module__
        cache = st.cache_resource if shared else st.cache_data
        cached = cache(show_spinner=False, max_entries=max_entries, hash_funcs={_Unhashed: lambda _: None})(miss)

        @functools.wraps(fn)
        def call(*args):
            from gwmap import clock

            key = (_data_key(name), clock.today().isoformat() if per_day else None)
            passed = [_Unhashed(a) if i < len(params) and params[i].startswith("_") else a for i, a in enumerate(args)]
            out = cached(key, *passed)
            note_read(_READS.get(name, ()))
            return out

        call.clear = cached.clear
        return call

    return wrap


@reader(max_entries=4)
def _layers():
    s = store()
    return {
        "sealings": repo.sealings_frame(s),
        "leads": repo.leads_frame(s),
        "monitoring": repo.monitoring_wells_frame(s),
    }


@reader(max_entries=2)
def _wells():
    return repo.wells_frame(store())


def onemap_layers(*, wells: bool = True) -> dict:
    """Sealings, leads and monitoring wells as DataFrames; and all wells unless ``wells=False``.

    Leave the wells out where there may be hundreds of thousands: ask the store for the ones needed
    (:func:`gwmap.registry.map_wells`, :func:`gwmap.registry.query_wells`).
    """
    out = dict(_layers())
    if wells:
        out["wells"] = _wells()
    return out


def current_boundaries():
    """(info, townships GeoDataFrame, outline) of the current version, or None."""
    from gwmap.errors import NotFound

    try:
        return _boundaries()
    except NotFound:
        return None


@reader(max_entries=4)
def _boundaries():
    return repo.current_boundaries(store())  # 18 polygons parsed once per version, not on every click


def require_boundaries():
    """The current boundaries, or a notice and the end of the page when none are stored yet."""
    from gwmap.ui.i18n import t

    bounds = current_boundaries()
    if bounds is None:
        st.info(t("onemap.no_boundaries"))
        st.stop()
    return bounds


def read_lines(raw: bytes, filename: str):
    """Road lines from an uploaded GeoJSON, zipped Shapefile, GeoPackage or KML (checked like boundaries)."""
    from gwmap.errors import InputDataError
    from gwmap.io.boundaries import read_boundary_file

    read = read_boundary_file(raw, filename)
    lines = read.gdf[read.gdf.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    if lines.empty:
        raise InputDataError("err.route.no_roads", "The road file has no lines.")
    return lines


def read_upload(upload, key: str, **options):
    """An uploaded CSV/XLSX as (table, encoding); when the encoding is unclear, the user picks it from previews.

    ``options`` go to :func:`gwmap.io.tables.read_table` (the headers an office sheet may have below its
    title rows).  Ends the page with the message when the file cannot be read.
    """
    from gwmap.errors import GwmapError
    from gwmap.io.tables import EncodingUnsure, read_table
    from gwmap.ui.i18n import t, t_error

    raw = upload.getvalue()
    choice = st.session_state.get(f"gwmap_enc_{key}")
    try:
        return read_table(raw, upload.name, encoding=choice or None, **options)
    except EncodingUnsure as exc:
        st.warning(t_error(exc))
        names = list(exc.previews)
        for name in names:
            st.caption(t("upload.preview_in", encoding=name))
            st.code(exc.previews[name], language=None)
        st.radio(t("upload.choose_encoding"), [""] + names, key=f"gwmap_enc_{key}", horizontal=True,
                 format_func=lambda v: v or t("upload.not_chosen"))
        st.stop()
    except GwmapError as exc:
        st.error(t_error(exc))
        st.stop()


EMPTY = "—"


def readable(styler):
    """A Styler whose empty cells read "—" (Streamlit's ``placeholder`` does not reach a Styler's display values).

    Numbers keep their type, so the column still sorts as numbers; floats show up to 2 decimals.
    """
    return styler.format(na_rep=EMPTY, precision=2)


def table(obj, **kwargs):
    """``st.dataframe`` for people: an empty cell reads "—", not Streamlit's grey "None".

    The values keep their types (a column of numbers with gaps still sorts as numbers);
    only the display changes.
    """
    import pandas as pd

    kwargs.setdefault("placeholder", EMPTY)  # the browser draws an empty cell by this, Styler or not
    if kwargs.pop("use_container_width", False):  # Streamlit's new spelling (the old one warns on every run)
        kwargs["width"] = "stretch"
    rows = obj if isinstance(obj, pd.DataFrame) else getattr(obj, "data", obj)
    if isinstance(rows, pd.DataFrame) and rows.empty:  # a sentence, not Streamlit's grey English "empty" grid
        from gwmap.ui.i18n import t

        st.caption(t("ui.table_empty"))
        return None
    if isinstance(obj, pd.DataFrame):
        # volumes and counts in the thousands read with separators (10,216,841), as people write them
        # (floats only: record ids and codes are integers and keep their plain digits)
        big = {c: st.column_config.NumberColumn(format="localized") for c in obj.columns
               if obj.columns.is_unique and pd.api.types.is_float_dtype(obj[c]) and obj[c].abs().max(skipna=True) >= 10_000}
        if big:
            kwargs["column_config"] = {**big, **(kwargs.get("column_config") or {})}
    else:
        obj = readable(obj)
    return st.dataframe(obj, **kwargs)


def photos(evidence, folder, *, caption, per_row: int = 4) -> None:
    """The case's photos as thumbnails (as a field app shows attachments), each with ``caption(row)``.

    A photo whose file is missing or altered shows the integrity message instead of a picture.
    """
    import hashlib

    from gwmap.ui.i18n import t

    pictures = evidence[evidence["mime"].isin(["image/jpeg", "image/png"])]
    for start in range(0, len(pictures), per_row):
        cols = st.columns(per_row)
        for col, r in zip(cols, pictures.iloc[start:start + per_row].itertuples(), strict=False):
            path = folder / r.sha256
            raw = path.read_bytes() if path.exists() else None
            if raw is None or hashlib.sha256(raw).hexdigest() != r.sha256:
                col.warning(t("leads.photo_unreadable", file=r.filename))
                continue
            col.image(raw, caption=caption(r), width="stretch")


def selectbox(where, label: str, options, **kwargs):
    """``where.selectbox`` whose empty state reads in the user's language (Streamlit writes "Choose an option")."""
    from gwmap.ui.i18n import t

    kwargs.setdefault("placeholder", t("ui.choose"))
    return where.selectbox(label, options, **kwargs)


def multiselect(where, label: str, options, **kwargs):
    """``where.multiselect`` whose empty state reads in the user's language."""
    from gwmap.ui.i18n import t

    kwargs.setdefault("placeholder", t("ui.choose_many"))
    return where.multiselect(label, options, **kwargs)


@reader(max_entries=4)
def _rollup(today):
    from gwmap.registry import rollup_sql

    return rollup_sql(store(), today=today)


def registry_rollup():
    """The registry's roll-up by township, kept until the wells change (a full GROUP BY: 1.4 s at 840,000)."""
    from gwmap import clock

    return _rollup(clock.today())


@reader(max_entries=64)
def _grid(township, bounds):
    from gwmap.registry import well_grid

    return well_grid(store(), township=township, bounds=bounds)


def map_grid(township: str | None, bounds):
    """A map view's well counts on a grid, kept until the wells change (1 s for the county at 840,000)."""
    return _grid(township, bounds)


@reader(max_entries=4)
def _county():
    from gwmap.county import profile

    return profile(store())


def county():
    """The county this app serves (its profile), made active for this run: names, time zone, plane."""
    from gwmap.county import activate

    return activate(_county())


@reader(max_entries=16)
def _plan_cut(year: int):
    from gwmap.targets import plan_cut_m3

    return plan_cut_m3(store(), year)


def plan_cut(year: int) -> float | None:
    """The plan's abstraction cut for ``year`` (or the latest year before it with one), m³; None if none."""
    return _plan_cut(int(year))


@reader(max_entries=4)
def _targets():
    from gwmap.targets import targets_frame

    return targets_frame(store())


def targets():
    """Every year's plan targets of the county, oldest first."""
    return _targets()


@reader(max_entries=4, per_day=True, shared=True)
def dashboard_cone(boundary_version: int, _user, _townships, cone: tuple):
    """The dashboard's cone series and its latest surface and cone (shared by every session, read-only).

    Stored runs are read back (they were computed when the survey or boundary version landed); one
    leader's visit makes them for everyone until the data change.  Objects, not copies: callers only read.
    """
    from gwmap.runs import VALUE_FOR_KIND, SurfaceRequest, cone_for, cone_series, surface_for

    params = dict(cone)
    data_dir = settings().data_dir
    series = cone_series(store(), _user, townships=_townships, boundary_version=boundary_version, data_dir=data_dir,
                         **params)
    if not len(series):
        return series, None, None
    latest = series.iloc[-1]
    req = SurfaceRequest(survey_id=int(latest["survey_id"]), value=VALUE_FOR_KIND[params["kind"]],
                         method=params["method"], cell_m=params["cell_m"])
    surf, run_id, _ = surface_for(store(), _user, req, townships=_townships, boundary_version=boundary_version,
                                  data_dir=data_dir)
    cone_result, _ = cone_for(store(), _user, surf, run_id, kind=params["kind"], threshold=params["threshold"],
                              townships=_townships)
    return series, surf, cone_result


@reader(max_entries=8)
def method_choice(survey_id: int, value: str) -> dict:
    """Every candidate of the surface page's "best by cross-validation" with its leave-one-out RMSE.

    From :func:`gwmap.surface.choice_for`: which are averaged, and the average's own RMSE.
    """
    from gwmap.surface import WINDOW, choice_for
    from gwmap.surveys import survey_points

    c = choice_for(survey_points(store(), survey_id), value)
    return {"loo": dict(c.loo_rmse), "members": tuple(c.members), "rmse": c.loo_average, "n": len(c.residuals),
            "window": f"{100 * (WINDOW - 1):.0f}"}


@reader(max_entries=8, shared=True)
def level_change(boundary_version: int, round_code: str, compare: str, aquifer: str, band_m: float):
    """A round against an earlier one at the same wells (:func:`gwmap.levels.year_on_year`), shared, read-only.

    On the townships of ``boundary_version``; kept on disk (the dashboard's default is made when a survey lands).
    """
    return _kept("level_change", boundary_version, round_code, compare, aquifer, float(band_m))


@reader(max_entries=4, per_day=True)
def dashboard_figures(_townships, _cone_split, _series=None):
    """The plan's targets, the enforcement glance and the township ranking, kept until their data change.

    SQL aggregates each; a new day is a change too (overdue is a matter of date).
    """
    from gwmap.targets import enforcement_glance, plan_targets, township_ranking

    return (plan_targets(store(), cone_series=_series), enforcement_glance(store()),
            township_ranking(store(), _townships, cone_split=_cone_split))


@reader(max_entries=2)
def _people():
    from gwmap.store.users import accounts_frame

    return accounts_frame(store())


def person(username) -> str:  # noqa: ANN001
    """A user as people know them: "执法大队（enforce）"; a job's name (demo-loader, cli) or a gone account as stored."""
    if not isinstance(username, str) or not username:
        return "—" if not username else str(username)
    known = dict(zip(_people()["username"], _people()["display_name"]))
    shown = known.get(username) or ""
    return f"{shown}（{username}）" if shown and shown != username else username


@reader(max_entries=8, per_day=True)
def enforcement_for(day):
    """Leads open and overdue at the end of ``day`` and closed in its month (what the bulletin of that month says)."""
    from gwmap.targets import enforcement_glance

    return enforcement_glance(store(), today=day)


@reader(max_entries=256, per_day=True)
def _wells_answer(name: str, args: tuple, kwargs: tuple):
    from gwmap import registry

    return getattr(registry, name)(store(), *args, **dict(kwargs))


def wells_answer(name: str, *args, **kwargs):
    """``gwmap.registry.<name>(store, *args, **kwargs)``, kept until the wells change or the day does.

    Counts, sums, a page of wells, a map view's wells: a filter the user comes back to, or the county view
    every user opens first, is not counted again over 840,000 rows (0.1–0.3 s each on PostgreSQL).
    """
    return _wells_answer(name, args, tuple(sorted(kwargs.items())))


@reader(max_entries=4)
def _ledger(today):
    from gwmap.cases import work_ledger

    return work_ledger(store(), today=today)


def work_ledger():
    """The work ledger as of today, kept until a lead, step or piece of evidence changes (or the day does)."""
    from gwmap import clock

    return _ledger(clock.today())


@st.cache_resource(show_spinner=False, max_entries=64)
def _rendered(key: tuple, _build):
    from gwmap.ui import mapview

    return mapview.render(_build())


def rendered_map(name: str, params: tuple, build):
    """A folium map rendered once for every session (:mod:`gwmap.ui.mapview`), until what it shows changes.

    The key: the map's ``name``, the versions of every table this run has read so far (the map is drawn from
    what the page read) and of those ``build`` itself read last time, the county's day (overdue leads), the
    language, the basemap and the page's own ``params`` (township, colouring, view …).  ``build()`` makes the
    folium map on a miss.  Show the result with :func:`gwmap.ui.mapview.show`.
    """
    from gwmap import clock
    from gwmap.store.db import note_read
    from gwmap.ui import resources, state

    tables = set(_run_reads()) | _READS.get(f"map:{name}", frozenset())
    key = (name, versions(tables), clock.today().isoformat(), state.get_lang(), repr(resources.basemap()), params)

    def made():
        with store().reading() as seen:
            out = build()
        _READS[f"map:{name}"] = _READS.get(f"map:{name}", frozenset()) | frozenset(seen)
        return out

    out = _rendered(key, made)
    note_read(_READS.get(f"map:{name}", ()))
    return out


def precompute_dashboard(user) -> int:
    """After a survey or a boundary version lands: the dashboard's cone series, with a progress bar.

    So no leader waits for it on the next visit (the same request is then read from the store).
    """
    from gwmap.runs import precompute
    from gwmap.ui.i18n import survey_label, t

    bar = st.progress(0.0, text=t("dash.precomputing"))
    n = precompute(store(), user, data_dir=settings().data_dir,
                   progress=lambda f, code: bar.progress(f, text=t("dash.precomputing_survey",
                                                                    survey=survey_label(code))))
    bar.progress(1.0, text=t("dash.precomputed", n=n))
    return n


def precompute_kept() -> int:
    """After records, wells, links, a survey or boundaries land: what :func:`gwmap.kept.warm` makes, now.

    With a progress bar, so the person who brought the data waits for it and no leader does later.
    """
    from gwmap import kept
    from gwmap.ui.i18n import t

    bar = st.progress(0.0, text=t("kept.working"))

    def said(fraction: float, name: str, what) -> None:  # noqa: ANN001 - a year, or a round's code
        from gwmap.ui.i18n import survey_label

        bar.progress(fraction, text=t(f"kept.{name}", year=survey_label(what) if isinstance(what, str) else what))

    n = kept.warm(store(), settings().data_dir, progress=said)
    bar.progress(1.0, text=t("kept.done"))
    return n


def _kept(name: str, *args):  # noqa: ANN202
    """A kept answer (:mod:`gwmap.kept`: on disk, made when its data landed), its tables noted as read."""
    from gwmap import kept
    from gwmap.store.db import note_read

    out, tables = kept.answer(store(), settings().data_dir, name, args)
    note_read(tables)
    return out


@reader(max_entries=8)
def _year_ledger(year: int):
    return _kept("year_ledger", year)


def year_ledger(year: int):
    """:func:`gwmap.ledger.year_ledger`, kept until the records, wells, surveys or depth surfaces change."""
    return _year_ledger(int(year))


@reader(max_entries=8)
def _queue(year: int, today):
    return _kept("screening_queue", year, today)


def screening_queue(year: int) -> list[dict]:
    """The year's undecided suggestions, kept until the data, a surface or a decision change (or the day does)."""
    from gwmap import clock

    return _queue(int(year), clock.today())


@reader(max_entries=4)
def series_quarters(aquifer: str) -> list[str]:
    """Quarters of the station series with a year before to compare (:func:`gwmap.levels.series_quarters`)."""
    from gwmap.levels import series_quarters as quarters

    return quarters(store(), aquifer)


@reader(max_entries=8, shared=True)
def quarter_change(boundary_version: int, quarter: str, aquifer: str, band_m: float):  # noqa: ARG001 - the key
    """A quarter against the same quarter a year before (:func:`gwmap.levels.quarter_on_year`), shared."""
    from gwmap.levels import quarter_on_year

    return quarter_on_year(store(), quarter, aquifer=aquifer, band_m=float(band_m))


@reader(max_entries=2, shared=True)
def zones():
    """The current over-extraction zones (:func:`gwmap.zones.zones_frame`), shared, read-only."""
    from gwmap.zones import zones_frame

    return zones_frame(store())


@reader(max_entries=2)
def rainfall():
    """The rain gauge's stored months (:func:`gwmap.rainfall.rainfall_frame`), oldest first."""
    from gwmap.rainfall import rainfall_frame

    return rainfall_frame(store())


@reader(max_entries=2)
def link_suggestions():
    """:func:`gwmap.power_links.suggest_links`, kept (on disk too) until the records, links or wells change."""
    return _kept("link_suggestions")


def data_years() -> list[int]:
    from gwmap.ledger import data_years as years

    memo = run_memo()
    if memo is not None and "abs_years" in memo:
        return memo["abs_years"]
    out = years(store())
    if memo is not None:
        memo["abs_years"] = out
    return out


@reader(max_entries=4)
def _reclaimed_layers(today):
    from gwmap.reclaimed import map_layers

    return map_layers(store(), today=today)


def reclaimed_layers() -> dict:
    """The one-map's reclaimed-water layers, kept until a plant, pipeline, user or record changes."""
    from gwmap import clock

    return _reclaimed_layers(clock.today())


def show_rainfall(effect, *, metrics: bool = False) -> None:  # noqa: ANN001
    """The rainfall beside a year-on-year change (:func:`gwmap.rainfall.effect_lines`).

    The sentences, the method as a caption under them, and with ``metrics`` the departure and the adjusted
    change as figures.
    """
    from gwmap.i18n import translate
    from gwmap.rainfall import effect_lines
    from gwmap.ui.i18n import t, translator
    from gwmap.ui.state import get_lang

    lang = get_lang()
    lines = effect_lines(effect, translator(lang), month_label=lambda m: translate(
        "dash.month_label", lang, year=m[:4], month=int(m[5:])))
    regression = effect is not None and effect.method == "regression"
    if metrics and regression:
        r1, r2 = st.columns(2)
        d = effect.departure
        r1.metric(t("rain.metric_departure"), f"{d['cheng']:+.1f} {t('rain.cheng')}", f"{d['pct']:+.0%}",
                  delta_color="off")
        r2.metric(t("rain.metric_adjusted"), f"{effect.adjusted_m:+.2f} m",
                  f"{effect.adjusted_low_m:+.2f} ~ {effect.adjusted_high_m:+.2f} m", delta_color="off")
    st.markdown("  \n".join(lines[:-1] if regression else lines))  # our sentences and numbers: no user text
    if regression:
        st.caption(lines[-1])


def show_problems(problems, n_clean: int, *, row_label: str = "abs.problem.row", column: bool = True) -> None:
    """A checked file's problems as a table (row, column, value, the message with its fix) and the verdict."""
    import pandas as pd

    from gwmap.ui.i18n import t

    if problems:
        cols = {t(row_label): [p.row for p in problems]}
        if column:
            cols[t("abs.problem.column")] = [p.column for p in problems]
        cols |= {t("abs.problem.value"): [p.value for p in problems],
                 t("abs.problem.message"): [t(p.code, **p.params) for p in problems]}
        table(pd.DataFrame(cols), use_container_width=True, hide_index=True)
        st.error(t("abs.has_problems", count=len(problems)))
    else:
        st.success(t("abs.clean", rows=n_clean))
