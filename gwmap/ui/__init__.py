"""The only gwmap package that imports streamlit: i18n, session state, cached wrappers."""
