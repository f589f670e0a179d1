"""Time-series charts that say what they show: axis titles with units, dates as the reader writes them.

Streamlit's ``st.line_chart`` labels a time axis in English ("Apr 2020") and titles no axis; these
Altair charts title both axes and write dates as 2020年4月 in Chinese (2020-04 in English).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from gwmap.ui.state import get_lang

__all__ = ["time_series", "variogram", "DATE_FORMAT"]

#: d3 time formats for the time axis, per language
DATE_FORMAT = {"zh": "%Y年%-m月", "en": "%Y-%m"}


def time_series(df: pd.DataFrame, *, x: str, y: str, x_title: str, y_title: str, height: int = 320,
                points: bool = True, reverse_y: bool = False) -> alt.Chart:
    """A line (with points) of ``y`` over the dates in ``x``; ``reverse_y`` draws depth growing downwards."""
    fmt = DATE_FORMAT.get(get_lang(), DATE_FORMAT["zh"])
    data = df[[x, y]].assign(**{x: pd.to_datetime(df[x])}).dropna()
    chart = alt.Chart(data).mark_line(point=points).encode(
        x=alt.X(f"{x}:T", title=x_title, axis=alt.Axis(format=fmt, labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False, nice=True, reverse=reverse_y),
                axis=alt.Axis(tickMinStep=0.5)),
        tooltip=[alt.Tooltip(f"{x}:T", title=x_title, format="%Y-%m-%d"), alt.Tooltip(f"{y}:Q", title=y_title,
                                                                                       format=",.2f")],
    ).properties(height=height)
    return chart


def variogram(lags_m, empirical, fitted, *, x_title: str, y_title: str, empirical_name: str, fitted_name: str,
              height: int = 300) -> alt.Chart:
    """The empirical semivariogram (points) and the fitted model (a line), both axes titled with units."""
    data = pd.DataFrame({"lag": lags_m, empirical_name: empirical, fitted_name: fitted}).melt(
        "lag", var_name="series", value_name="gamma").dropna()
    base = alt.Chart(data).encode(
        x=alt.X("lag:Q", title=x_title, axis=alt.Axis(format=",.0f")),
        y=alt.Y("gamma:Q", title=y_title, scale=alt.Scale(zero=True)),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("lag:Q", title=x_title, format=",.0f"), alt.Tooltip("gamma:Q", title=y_title, format=",.3f")])
    points = base.transform_filter(alt.datum.series == empirical_name).mark_point(filled=True, size=50)
    line = base.transform_filter(alt.datum.series == fitted_name).mark_line()
    return (points + line).properties(height=height)


def show(chart: alt.Chart) -> None:
    st.altair_chart(chart, width="stretch")
