"""首页: the cone and its trend, the plan's targets with their sources, enforcement, township ranking."""

import datetime as dt

import pandas as pd
import streamlit as st

from gwmap import clock
from gwmap.bulletin import build_bulletin, bulletin_docx, bulletin_pdf
from gwmap.cone import describe_change
from gwmap.errors import ConflictError, GwmapError
from gwmap.i18n import translate
from gwmap.ledger import against_baseline
from gwmap.levels import BAND_M, CELL_M, default_comparison
from gwmap.maps import build_cone_map, build_level_change_map
from gwmap.runs import dashboard_cone
from gwmap.store.users import can
from gwmap.surveys import list_surveys
from gwmap.targets import RECLAIMED_USES, reclaimed_figures, reclaimed_table, set_reclaimed
from gwmap.ui import charts, data, mapview, resources, shell, state
from gwmap.ui.i18n import file_name, named, survey_label, t, t_error, translator

user = shell.require_user()  # before anything is read: this page may run without app.py
CONE = dashboard_cone()  # the cone the dashboard shows (and the bulletin prints), by the county profile
st.header(t("dash.header"))
shell.field_link(user)  # an officer's day is on the field page; an officer on a phone goes there
tr = translator()  # captures the language now; widgets call it later
SEP = tr("list.sep")
lang = state.get_lang()
store, settings = resources.store(), resources.settings()
info, townships, _ = data.require_boundaries()
names = dict(zip(townships["code"], townships["name"]))

try:
    with st.spinner(t("cone.computing")):  # read back from the store; computed when the survey landed
        series, surf, cone = data.dashboard_cone(info.id, user, townships, tuple(sorted(CONE.items())))
except GwmapError as exc:
    series, surf, cone = pd.DataFrame(), None, None
    st.warning(t_error(exc))
if len(series):
    latest = series.iloc[-1]
    code, params = describe_change(latest["change_km2"])
    st.subheader(t("cone.latest", survey=survey_label(latest["code"], lang), area=f"{latest['area_km2']:.1f}") + " "
                 + t(code, **params))
    st.caption(t(f"dash.cone_rule_{CONE['kind']}", threshold=f"{CONE['threshold']:g}"))
    share = latest["area_km2"] / info.county_area_km2 if info.county_area_km2 else 0.0
    if share > 0.9:  # a rule that takes in nearly the whole county describes no cone
        st.warning(t("warn.dash.cone_too_wide", share=f"{share:.0%}", threshold=f"{CONE['threshold']:g}"))
    c1, c2 = st.columns([3, 2])
    with c1:
        cone_map = data.rendered_map("dashboard_cone", (info.id,), lambda: build_cone_map(
            cone, townships=townships, tr=tr, basemap=resources.basemap(), surface=surf))
        mapview.show(cone_map, height=420, returned_objects=[], key="dash_cone")
    with c2:
        charts.show(charts.time_series(series, x="date", y="area_km2", x_title=t("chart.survey_date"),
                                       y_title=t("cone.col.area_km2"), height=400))

# ---------------------------------------------------------------- 同期对比: as the ministry's bulletin reads levels
st.subheader(t("levels.header"))
rounds = list_surveys(store)
v1, v2, v3, v4 = st.columns([1, 2, 2, 1])
aquifer = v1.radio(t("field.aquifer"), ["shallow", "deep"], key="dash_lv_aq", horizontal=True,
                   format_func=lambda a: tr(f"vocab.aquifer.{a}"))
codes = list(rounds.loc[rounds["aquifer"] == aquifer, "code"])
if len(codes) >= 2:
    now = data.selectbox(v2, t("levels.round"), codes, index=len(codes) - 1, key=f"dash_lv_round_{aquifer}",
                         format_func=lambda c: survey_label(c, lang))
    before = [c for c in codes if c != now]
    default = default_comparison([*before, now])[1]  # the same round a year before, as the assessments compare
    was = data.selectbox(v3, t("levels.compare"), before, key=f"dash_lv_compare_{aquifer}_{now}",
                         index=before.index(default),
                         format_func=lambda c: survey_label(c, lang))
    band = v4.number_input(t("levels.band"), 0.0, 5.0, BAND_M, step=0.1, format="%.1f", key="dash_lv_band")
    try:
        lc = data.level_change(info.id, now, was, aquifer, float(band))
    except GwmapError as exc:
        lc = None
        st.warning(t_error(exc))
    if lc is not None:
        c = lc.county

        def pct(v) -> str:
            return "—" if pd.isna(v) else f"{v:.0%}"

        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("levels.wells"), f"{c['wells']:,}")
        m2.metric(t("levels.mean_change"), f"{c['mean_change_m']:+.2f} m")
        m3.metric(t("levels.by_wells"), f"{c['rising']} / {c['stable']} / {c['falling']}")
        m4.metric(t("levels.by_area"), "/".join(pct(c[f"share_{k}"]).rstrip("%") for k in ("rising", "stable", "falling"))
                  + " %")  # short enough for the metric: 45/54/1 %
        st.caption(t("levels.note", band=f"{lc.band_m:g}", before=survey_label(was, lang), after=survey_label(now, lang),
                     cell=f"{CELL_M:,.0f}"))
        data.show_rainfall(lc.rainfall, metrics=True)  # rain beside the change: the county's work, or a wet year?
        lv1, lv2 = st.columns([3, 2])
        with lv1:
            lv_map = data.rendered_map("dashboard_levels", (info.id, now, was, aquifer, float(band)),
                                       lambda: build_level_change_map(lc, townships=townships, tr=tr,
                                                                      basemap=resources.basemap()))
            mapview.show(lv_map, height=440, returned_objects=[], key="dash_levels")
        with lv2:
            tw = lc.townships
            data.table(pd.DataFrame({
                t("field.township"): tw["name"], t("levels.wells"): tw["wells"],
                t("levels.col.rise_m"): tw["mean_change_m"].round(2),
                t("levels.col.classes"): [f"{a} / {b} / {d}" for a, b, d in zip(tw["rising"], tw["stable"], tw["falling"],
                                                                                strict=True)],
                t("levels.col.rising_area"): (100 * tw["share_rising"]).round(0),
                t("levels.col.falling_area"): (100 * tw["share_falling"]).round(0)}),
                hide_index=True, use_container_width=True, height=35 * (len(tw) + 1) + 3)
else:
    st.info(t("levels.too_few", aquifer=tr(f"vocab.aquifer.{aquifer}")))

st.subheader(t("dash.targets"))
status, _, rank = data.dashboard_figures(townships, cone.by_township if cone is not None else None, series)
FMT = {"wells": "{:,.0f}", "m3": "{:,.0f}", "share": "{:.0%}", "m": "{:+.2f}", "km2": "{:,.1f}"}


def show_target(target) -> None:  # noqa: ANN001
    """One target (or figure): what it is, the figure, the goal, met or not, and the records behind it."""
    fmt = FMT[target.unit]
    cols = st.columns([3, 2, 2, 1])
    due = survey_label(target.due, lang)  # a level change is due by a survey: named as people read it
    doc = f"  \n{t('targets.document', document=target.document)}" if target.document else ""
    cols[0].markdown(f"**{t('targets.' + target.key, year=target.year)}**  \n{t('targets.due', due=due)}{doc}")
    cols[1].metric(t("dash.actual"), fmt.format(target.actual) if pd.notna(target.actual) else t("targets.no_figure"))
    if target.goal is not None:
        goal = t("county.deep_stopped_is.yes") if target.key == "deep_stopped" else fmt.format(target.goal)
        cols[2].metric(t("dash.goal"), goal)
        cols[3].markdown(":material/check_circle: " + t("dash.met") if target.met
                         else ":material/warning: " + t("dash.not_met"))
        st.progress(target.share)
    with st.expander(t("dash.source")):
        source = target.source.copy()
        if "township_code" in source:
            source["township_code"] = source["township_code"].map(lambda c: names.get(c, c))
        if "before" in source:  # survey codes, as people read them
            source["before"] = source["before"].map(lambda c: survey_label(c, lang) if isinstance(c, str) else c)
            source["after"] = source["after"].map(lambda c: survey_label(c, lang) if isinstance(c, str) else c)
        if "source" in source:  # reclaimed water: from the monthly records or the yearly form
            source["source"] = source["source"].map(lambda v: tr(f"targets.source.{v}"))
        source.columns = [named("targets.col", c, lang) for c in source.columns]
        data.table(source, hide_index=True, use_container_width=True)
        if target.key == "cut_m3":
            ledger_detail()


def ledger_detail() -> None:
    """The cut as the abstraction ledger measures it (meters and electricity): the detail of the plan's figure."""
    ledger_years = data.data_years()
    if len(ledger_years) < 2:
        return
    last = max((y for y in ledger_years if y < clock.today().year), default=ledger_years[-1])
    cut = against_baseline(data.year_ledger(last), data.year_ledger(ledger_years[0]), target_cut_m3=data.plan_cut(last))
    goal = "—" if cut["target_cut_m3"] is None else f"{cut['target_cut_m3']:,.0f}"
    st.caption(t("dash.ledger_cut" if cut["cut_m3"] >= 0 else "dash.ledger_more", year=last, base=ledger_years[0],
                 cut=f"{abs(cut['cut_m3']):,.0f}", goal=goal))
    st.page_link("pages/abstraction.py", label=t("nav.abstraction"), icon=":material/water_drop:")


if not status.this_year:  # never an earlier year's targets in this year's place
    st.info(t("targets.none_for_year", year=status.year))
for target in status.this_year:
    show_target(target)
st.markdown(f"**{t('targets.figures')}**")
for target in status.figures:
    show_target(target)
for year, targets in status.earlier.items():
    with st.expander(t("targets.earlier", year=year) + " · " + t("dash.met") + f" {sum(bool(x.met) for x in targets)}"
                     f"/{len(targets)}"):
        for target in targets:
            show_target(target)


today = clock.today()  # the county's today
first = today.replace(day=1)
months = [first.strftime("%Y-%m")]
for _ in range(24):  # this month (still running) and the two years before; last month is the default
    first = (first - dt.timedelta(days=1)).replace(day=1)
    months.append(first.strftime("%Y-%m"))
month_label = lambda m: translate("dash.month_label", lang, year=m[:4], month=int(m[5:]))  # noqa: E731
st.subheader(t("dash.enforcement"))
# one month for the figures here and for the bulletin below: the same numbers in both
n1, n2 = st.columns([1, 3])
month = data.selectbox(n1, t("dash.month"), months, index=1, key="dash_month", format_func=month_label)
m_end = min(today, (dt.date(int(month[:4]), int(month[5:]), 1) + dt.timedelta(days=32)).replace(day=1)
            - dt.timedelta(days=1))
g = data.enforcement_for(m_end)
n2.caption(t("dash.as_of", day=m_end.isoformat(), month=month_label(month)))
e1, e2, e3 = st.columns(3)
e1.metric(t("dash.open_at", day=m_end.isoformat()), g["open"])
e2.metric(t("dash.overdue_at", day=m_end.isoformat()), g["overdue"])
e3.metric(t("dash.closed_in", month=month_label(month)), g["closed_this_month"])

st.subheader(t("dash.ranking"))
ranking = pd.DataFrame({
    t("dash.rank"): rank["rank"], t("field.township"): rank["name"],
    t("dash.level_rise"): rank["level_rise_m"].round(2), t("dash.cone_share"): (100 * rank["cone_share"]).round(1),
    t("dash.open"): rank["open_cases"], t("dash.overdue"): rank["overdue_cases"],
    t("dash.sealing"): [f"{a}/{b}" for a, b in zip(rank["sealed"], rank["sealing_planned"], strict=True)],
    t("dash.mark"): rank["mark"].map(lambda m: tr(f"dash.mark_is.{m}") if m else "")})
ROW_TINT = {"best": "background-color: #e3f4e6", "worst": "background-color: #fde2e1; font-weight: 600"}
# every township on the screen at once (no inner scroll), the best and the worst rows tinted
data.table(ranking.style.apply(lambda row: [ROW_TINT.get(rank["mark"].iloc[row.name], "")] * len(row), axis=1),
           hide_index=True, use_container_width=True, height=35 * (len(ranking) + 1) + 3)

if can(user, "reclaimed.edit"):
    with st.expander(t("dash.reclaimed_form")):
        with st.form("dash_reclaimed"):
            f1, f2, f3, f4 = st.columns(4)
            year = f1.number_input(t("sealing.year"), 2015, 2040, 2026)
            use = data.selectbox(f2, t("field.use"), RECLAIMED_USES, format_func=lambda u: tr(f"dash.reclaimed_use.{u}"))
            treated = f3.number_input(t("dash.sewage_treated"), 0.0, 1e9, 0.0, step=10_000.0)
            used = f4.number_input(t("dash.reclaimed_used"), 0.0, 1e9, 0.0, step=10_000.0)
            replace = st.checkbox(t("form.replace"), key="dash_reclaimed_replace")
            if st.form_submit_button(t("sealing.save_plan")):
                try:
                    set_reclaimed(store, user, year=int(year), use=use, sewage_treated_m3=treated, reclaimed_used_m3=used,
                                  replace=replace)
                    st.success(t("sealing.saved"))
                except ConflictError as exc:
                    shell.show_conflict(exc, lambda f: t({"sewage_treated_m3": "dash.sewage_treated",
                                                          "reclaimed_used_m3": "dash.reclaimed_used"}[f]),
                                        vocab=lambda f, v: f"{v:,.0f}")
                except GwmapError as exc:
                    st.error(t_error(exc))
        recorded = set(reclaimed_figures(store).query("source == 'records'")["year"])
        if recorded:  # the targets read those years from the records; the form is for years without them
            st.info(t("dash.reclaimed_from_records", years=SEP.join(map(str, sorted(recorded)))))
        rw = reclaimed_table(store)
        data.table(pd.DataFrame({t("sealing.year"): rw["year"], t("dash.sewage_treated"): rw["sewage_treated_m3"],
                                   t("dash.reclaimed_used"): rw["reclaimed_used_m3"],
                                   t("dash.rate"): (100 * rw["rate"]).round(1)}), hide_index=True)

st.subheader(t("dash.bulletin"))
b1, b2 = st.columns([1, 3])
b1.markdown(t("dash.bulletin_month", month=month_label(month)))  # the month chosen above, for the same figures
made = state.get_value("bulletin")  # (month, language, docx, pdf): both files made by one click
if b1.button(t("dash.make_bulletin"), key="dash_bulletin", type="primary"):
    bar = b2.progress(0.1, text=t("dash.bulletin_making"))
    try:
        bul = build_bulletin(store, user, month=month, townships=townships, boundary_version=info.id,
                             data_dir=settings.data_dir)
        bar.progress(0.6, text=t("dash.bulletin_making"))
        made = (month, lang, bulletin_docx(bul, townships, tr=tr, lang=lang), bulletin_pdf(bul, townships, tr=tr, lang=lang))
        state.set_value("bulletin", made)
    except GwmapError as exc:
        b2.error(t_error(exc))
    bar.empty()
if made and made[:2] == (month, lang):
    # a download does not rerun the page (on_click="ignore"): both buttons stay
    b2.download_button(t("dash.download_bulletin"), made[2], on_click="ignore",
                       file_name=file_name(t("file.bulletin"), month_label(month), ext="docx"),
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", key="dash_docx")
    b2.download_button(t("dash.download_bulletin_pdf"), made[3], on_click="ignore",
                       file_name=file_name(t("file.bulletin"), month_label(month), ext="pdf"),
                       mime="application/pdf", key="dash_pdf")
