"""wells: an index on (lon, lat), so a map view's wells are one index range read (issue 11)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 17:40:00
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_wells_lon_lat', 'wells', ['lon', 'lat'])


def downgrade() -> None:
    op.drop_index('ix_wells_lon_lat', table_name='wells')
