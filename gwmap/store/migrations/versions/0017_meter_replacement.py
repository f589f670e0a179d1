"""a water meter replaced: the old meter's final reading on the new meter's first reading (旧表止码)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 02:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meter_readings') as batch:
        batch.add_column(sa.Column('old_final_m3', sa.Float(), nullable=True))
    # the audit triggers list each audited table's columns: make them again for the new column
    triggers.install(op.get_bind(), ("meter_readings",))


def downgrade() -> None:
    with op.batch_alter_table('meter_readings') as batch:
        batch.drop_column('old_final_m3')
    triggers.install(op.get_bind(), ("meter_readings",))
