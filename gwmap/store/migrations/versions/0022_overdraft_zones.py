"""over-extraction zones (超采区, general or severe) as the province designated them; a new set keeps the old

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 19:30:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('overdraft_zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('aquifer', sa.String(length=16), nullable=False),
    sa.Column('area_km2', sa.Float(), nullable=False),
    sa.Column('geometry_geojson', sa.Text(), nullable=False),
    sa.Column('source_name', sa.String(length=256), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_overdraft_zones_current', 'overdraft_zones', ['current'])
    triggers.install(op.get_bind(), ("overdraft_zones",))


def downgrade() -> None:
    op.drop_index('ix_overdraft_zones_current', 'overdraft_zones')
    op.drop_table('overdraft_zones')
