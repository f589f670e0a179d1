"""wells: covering indexes for the registry's roll-up (archived, township, status, use, volume) and the
plan's deep wells in use (archived, aquifer, status, township, volume) and a map view's grid (archived, lon,
lat, status, township), and one on the permit's end date, so the roll-up after a change to the wells reads an index, not 840,000 rows (issue 11)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 20:30:00
"""

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_wells_rollup', 'wells', ['archived', 'township_code', 'status', 'use', 'permitted_m3_per_year'])
    op.create_index('ix_wells_permit_to', 'wells', ['permit_valid_to'])
    op.create_index('ix_wells_map', 'wells', ['archived', 'lon', 'lat', 'status', 'township_code'])
    op.create_index('ix_wells_aquifer_status', 'wells',
                    ['archived', 'aquifer', 'status', 'township_code', 'permitted_m3_per_year'])
    op.get_bind().exec_driver_sql("ANALYZE")  # the planners' statistics, so they pick these indexes


def downgrade() -> None:
    op.drop_index('ix_wells_map', table_name='wells')
    op.drop_index('ix_wells_aquifer_status', table_name='wells')
    op.drop_index('ix_wells_permit_to', table_name='wells')
    op.drop_index('ix_wells_rollup', table_name='wells')
