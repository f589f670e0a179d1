"""the abstraction ledger's data (issue 13): uploads of the grid company's monthly kWh and of water-meter
readings, each upload kept by the SHA-256 of its original; audited and never deleted like the rest

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 20:20:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('power_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('first_month', sa.String(length=7), nullable=False),
    sa.Column('last_month', sa.String(length=7), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('power_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('meter_no', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('kwh', sa.Float(), nullable=False),
    sa.Column('use_class', sa.String(length=32), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['power_uploads.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_power_records_upload_id', 'power_records', ['upload_id'])
    op.create_index('ix_power_records_meter_month', 'power_records', ['meter_no', 'month', 'upload_id'])
    op.create_index('ix_power_records_account_month', 'power_records', ['account', 'month', 'upload_id'])
    op.create_table('meter_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('well_code', sa.String(length=32), nullable=False),
    sa.Column('read_on', sa.Date(), nullable=False),
    sa.Column('reading_m3', sa.Float(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['power_uploads.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_meter_readings_upload_id', 'meter_readings', ['upload_id'])
    op.create_index('ix_meter_readings_well_date', 'meter_readings', ['well_code', 'read_on', 'upload_id'])
    triggers.install(op.get_bind(), ("power_uploads", "power_records", "meter_readings"))


def downgrade() -> None:
    op.drop_table('meter_readings')
    op.drop_table('power_records')
    op.drop_table('power_uploads')
