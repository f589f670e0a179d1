"""a county rain gauge's monthly rainfall (one row a station and month, corrections audited)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 19:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rainfall_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('mm', sa.Float(), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('station', 'month')
    )
    triggers.install(op.get_bind(), ("rainfall_months",))


def downgrade() -> None:
    op.drop_table('rainfall_months')
