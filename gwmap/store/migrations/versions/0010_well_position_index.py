"""wells: an index on (lon, lat), so a map view's wells are one index range read; audit_events: an index on
(table_name, id), so a table's newest change (the key of its caches) is one index seek (issue 11)

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
    op.create_index('ix_audit_events_table_id', 'audit_events', ['table_name', 'id'])


def downgrade() -> None:
    op.drop_index('ix_audit_events_table_id', table_name='audit_events')
    op.drop_index('ix_wells_lon_lat', table_name='wells')
