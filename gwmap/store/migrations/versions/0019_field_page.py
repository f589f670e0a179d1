"""the field page: a saved dispatch's teams and their members, what phones sent (once per idempotency key,
conflicts kept), and the accuracy the phone gave with a step's and a photo's position

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 21:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dispatch_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=False),
    sa.Column('team', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('members', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['dispatch_id'], ['dispatches.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dispatch_id', 'team')
    )
    op.create_index('ix_dispatch_teams_dispatch_id', 'dispatch_teams', ['dispatch_id'])
    op.create_table('field_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('lead_code', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('device_at', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('detail_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['step_id'], ['lead_steps.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_field_submissions_username', 'field_submissions', ['username'])
    op.create_index('ix_field_submissions_lead_code', 'field_submissions', ['lead_code'])
    with op.batch_alter_table('lead_steps') as batch:
        batch.add_column(sa.Column('accuracy_m', sa.Float(), nullable=True))
    with op.batch_alter_table('evidence') as batch:
        batch.add_column(sa.Column('accuracy_m', sa.Float(), nullable=True))
    triggers.install(op.get_bind(), ("lead_steps", "evidence", "dispatch_teams", "field_submissions"))


def downgrade() -> None:
    with op.batch_alter_table('evidence') as batch:
        batch.drop_column('accuracy_m')
    with op.batch_alter_table('lead_steps') as batch:
        batch.drop_column('accuracy_m')
    op.drop_table('field_submissions')
    op.drop_table('dispatch_teams')
