"""Time-series charts that say what they show: axis titles with units, dates as the reader writes them.

Streamlit's ``st.line_chart`` labels a time axis in English ("Apr 2020") and titles no axis; these
Altair charts title both axes and write dates as 2020年4月 in Chinese (2020-04 in English).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from gwmap.ui.state import get_lang

__all__ = ["time_series", "DATE_FORMAT"]

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


def show(chart: alt.Chart) -> None:
    st.altair_chart(chart, width="stretch")
