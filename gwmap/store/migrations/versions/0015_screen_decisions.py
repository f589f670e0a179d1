"""what people decided about the data screening's suggestions (issue 13): accepted as a lead (with the
snapshot's SHA-256) or dismissed with the reason; one decision per year, reason and subject; audited

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 22:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('screen_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('lead_code', sa.String(length=32), nullable=False),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'reason', 'subject')
    )
    triggers.install(op.get_bind(), ("screen_decisions",))


def downgrade() -> None:
    op.drop_table('screen_decisions')
