"""station series: a monitoring well's daily means from automatic or monthly readings (any frequency)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 19:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('station_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('monitoring_well_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('depth_to_water_m', sa.Float(), nullable=True),
    sa.Column('head_m', sa.Float(), nullable=True),
    sa.Column('readings', sa.Integer(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['monitoring_well_id'], ['monitoring_wells.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('monitoring_well_id', 'day')
    )
    op.create_index('ix_station_days_monitoring_well_id', 'station_days', ['monitoring_well_id'])
    op.create_index('ix_station_days_day', 'station_days', ['day'])
    triggers.install(op.get_bind(), ("station_days",))


def downgrade() -> None:
    op.drop_index('ix_station_days_day', 'station_days')
    op.drop_index('ix_station_days_monitoring_well_id', 'station_days')
    op.drop_table('station_days')
