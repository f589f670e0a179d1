"""The app as served: Streamlit's ASGI app running app.py, plus the session-cookie endpoints.

Start it with ``python -m gwmap serve`` (what ``make run`` does); ``streamlit run serve.py`` works too.
"""

import streamlit as st

from gwmap.ui.launch import navigation_by_app, preload
from gwmap.web import routes

navigation_by_app()  # every URL runs app.py (see its docstring)
preload()  # the pages' modules, before the first visitor asks

app = st.App("app.py", routes=routes())
