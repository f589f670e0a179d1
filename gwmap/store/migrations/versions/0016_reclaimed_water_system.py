"""the reclaimed-water system and permit screening (issue 14): plants with their monthly treated and
reclaimed volumes and effluent class, pipelines, reclaimed-water users and their monthly volumes, and the
groundwater permit holders (取水户) screened for 行政审批; all audited, none deleted

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 23:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TABLES = ("reclaimed_plants", "plant_months", "reclaimed_pipelines", "water_users", "reclaimed_users",
          "reclaimed_uses")


def _versioned():
    return sa.Column('row_version', sa.Integer(), server_default='1', nullable=False)


def upgrade() -> None:
    op.create_table('reclaimed_plants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('capacity_t_d', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    _versioned(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('plant_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plant_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('treated_m3', sa.Float(), nullable=False),
    sa.Column('reclaimed_m3', sa.Float(), nullable=False),
    sa.Column('effluent_class', sa.String(length=4), nullable=False),
    _versioned(),
    sa.ForeignKeyConstraint(['plant_id'], ['reclaimed_plants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plant_id', 'month')
    )
    op.create_index('ix_plant_months_plant_id', 'plant_months', ['plant_id'])
    op.create_table('reclaimed_pipelines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('plant_id', sa.Integer(), nullable=True),
    sa.Column('capacity_m3_d', sa.Float(), nullable=False),
    sa.Column('geojson', sa.Text(), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    _versioned(),
    sa.ForeignKeyConstraint(['plant_id'], ['reclaimed_plants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('water_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('permit_no', sa.String(length=64), nullable=False),
    sa.Column('permit_m3_per_year', sa.Float(), nullable=False),
    sa.Column('permit_expires', sa.Date(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    _versioned(),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('reclaimed_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('use', sa.String(length=32), nullable=False),
    sa.Column('pipeline_id', sa.Integer(), nullable=True),
    sa.Column('water_user_id', sa.Integer(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    _versioned(),
    sa.ForeignKeyConstraint(['pipeline_id'], ['reclaimed_pipelines.id'], ),
    sa.ForeignKeyConstraint(['water_user_id'], ['water_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('reclaimed_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('m3', sa.Float(), nullable=False),
    _versioned(),
    sa.ForeignKeyConstraint(['user_id'], ['reclaimed_users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'month')
    )
    op.create_index('ix_reclaimed_uses_user_id', 'reclaimed_uses', ['user_id'])
    triggers.install(op.get_bind(), TABLES)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
