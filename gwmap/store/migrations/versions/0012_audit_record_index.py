"""audit_events: an index on (table_name, record_id, id), so one record's history is an index read, not a scan
of every well's audit rows (126 ms per well at 840,000 wells on PostgreSQL before; issue 11)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 19:50:00
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_events_record', 'audit_events', ['table_name', 'record_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_audit_events_record', table_name='audit_events')
