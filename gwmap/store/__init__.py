"""Persistence: models, migrations, audited sessions, users and repositories."""

from gwmap.store.db import Store, open_store

__all__ = ["Store", "open_store"]
