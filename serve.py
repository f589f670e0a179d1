"""The app as served: Streamlit's ASGI app running app.py, plus the session-cookie endpoints.

Start it with ``python -m gwmap serve`` (what ``make run`` does); ``streamlit run serve.py`` works too.
"""

import streamlit as st

from gwmap.web import routes

app = st.App("app.py", routes=routes())
