"""append-only audit trail with a hash chain, row versions for optimistic locking, code counters

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 11:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

VERSIONED = ("users", "boundary_versions", "wells", "sealings", "leads", "monitoring_wells", "surveys",
             "column_mappings", "sealing_plans", "reclaimed_water")
AUDITED = ("users", "boundary_versions", "townships", "wells", "sealings", "leads", "monitoring_wells", "surveys",
           "measurements", "column_mappings", "lead_steps", "evidence", "sealing_plans", "sealing_photos",
           "dispatches", "dispatch_stops", "reclaimed_water")


def upgrade() -> None:
    op.create_table('code_counters',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))
    conn = op.get_bind()
    triggers.backfill_chain(conn)
    triggers.install(conn, AUDITED)


def downgrade() -> None:
    raise NotImplementedError("The audit chain is not removed once made.")
