"""Alembic environment: runs on the connection handed over by gwmap.store.Store.migrate."""

from alembic import context
from sqlalchemy import create_engine

from gwmap.store.models import Base, include_object

target_metadata = Base.metadata
config = context.config

connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()
else:  # plain `alembic` command line with sqlalchemy.url set
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True,
                      include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
