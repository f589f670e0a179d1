"""PostgreSQL: PostGIS geometry columns with GiST indexes (issue 11)

Every point table (wells, leads, monitoring wells) gets ``geom geometry(Point, 4326)`` and every outline
(townships, boundary versions, cone runs) ``geom geometry(Geometry, 4326)``: WGS84 longitude/latitude, the
coordinates the store keeps (a CGCS2000 point differs from it by centimetres). The columns are *generated*
from the stored lon/lat and GeoJSON, so the data already stored moves with the migration, a write cannot
leave them stale, and the ORM never has to write them. Each has a GiST index: a map view's box, a
township's points and point-in-polygon joins are index reads. On SQLite the wells' (lon, lat) index of
0010 does that job.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 19:10:00
"""

from alembic import op

from gwmap.store import triggers

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SRID = 4326
POINTS = ("wells", "leads", "monitoring_wells")
#: The audited tables as of this revision (later revisions add theirs).
AUDITED = ("users", "boundary_versions", "townships", "wells", "sealings", "leads", "monitoring_wells", "surveys",
           "measurements", "column_mappings", "lead_steps", "evidence", "sealing_plans", "sealing_photos",
           "dispatches", "dispatch_stops", "reclaimed_water")
OUTLINES = {"townships": "geometry_geojson", "boundary_versions": "outline_geojson", "cone_runs": "outline_geojson"}


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    available = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").scalar()
    if not available:
        raise RuntimeError("gwmap needs PostGIS on PostgreSQL: install it on the database server "
                           "(Debian: apt install postgresql-15-postgis-3) and run the migration again")
    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    for table in POINTS:
        conn.exec_driver_sql(f"""ALTER TABLE {table} ADD COLUMN geom geometry(Point, {SRID})
            GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), {SRID})) STORED""")
        conn.exec_driver_sql(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")
    for table, column in OUTLINES.items():
        conn.exec_driver_sql(f"""ALTER TABLE {table} ADD COLUMN geom geometry(Geometry, {SRID})
            GENERATED ALWAYS AS (ST_SetSRID(ST_GeomFromGeoJSON({column}), {SRID})) STORED""")
        conn.exec_driver_sql(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")
    triggers.install(conn, AUDITED)  # the audit trail records the data, not its derived geom
    conn.exec_driver_sql("ANALYZE wells")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table in (*POINTS, *OUTLINES):
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_{table}_geom")
        conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN IF EXISTS geom")
